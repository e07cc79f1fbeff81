// usertests: system-call and kernel regression tests for xv6lazy.
//
// Written for this project from the behavioural description in
// shared/TESTS.md. Every test body runs in its own forked process; a body
// signals failure by exiting with a non-zero status (or by being killed),
// and success by simply returning.
//
// Output protocol (matched by the grader):
//   usertests starting
//   test NAME: OK            (or FAILED)
//   usertests slow tests starting
//   ALL TESTS PASSED         (or SOME TESTS FAILED)

#include "types.h"
#include "abi.h"
#include "user.h"

// Scratch space shared by the tests; it lives in .bss because the user
// stack is only one page.
#define SCRATCH ((MAXOPBLOCKS + 2) * BSIZE)
static char buf[SCRATCH] __attribute__((aligned(16)));

// Name of the test being run, used to prefix diagnostics.
static const char *curtest = "usertests";

#define FAIL(...)                                                              \
  do {                                                                         \
    printf("%s: ", curtest);                                                   \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
    exit(1);                                                                   \
  } while (0)

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      FAIL(__VA_ARGS__);                                                       \
  } while (0)

#define NOADDR 0xffffffffffffffffUL   // what sbrk returns on failure
#define MIB (1024 * 1024)

// Pointers that can never be valid user buffers.
static const uint64 wild_addrs[] = {0x80000000UL, 0xffffffffffffffffUL};
#define NWILD (sizeof(wild_addrs) / sizeof(wild_addrs[0]))

// Current program break as an integer.
static uint64 brk_now(void) { return (uint64)sbrk(0); }

// Fork, or end the test if the process table refused.
static int must_fork(void) {
  int pid = fork();
  CHECK(pid >= 0, "fork failed");
  return pid;
}

// Reap one child and return its exit status.
static int reap(void) {
  int st = -12345;
  CHECK(wait(&st) >= 0, "wait found no child");
  return st;
}

// Create (or truncate) a file holding n bytes of data.
static void make_file(const char *path, const char *data, int n) {
  int fd = open(path, O_CREATE | O_RDWR | O_TRUNC);
  CHECK(fd >= 0, "cannot create %s", path);
  if (n > 0)
    CHECK(write(fd, data, n) == n, "short write to %s", path);
  close(fd);
}

// ---------------------------------------------------------------------------
// Quick group
// ---------------------------------------------------------------------------

// Writes whose source buffer is not user memory.
static void t_copyin(void) {
  for (int k = 0; k < NWILD; k++) {
    uint64 a = wild_addrs[k];
    int fd = open("cpin.tmp", O_CREATE | O_WRONLY);
    CHECK(fd >= 0, "create failed");
    int n = write(fd, (void *)a, 8192);
    CHECK(n < 0, "write to file from %lx gave %d", a, n);
    close(fd);
    unlink("cpin.tmp");

    n = write(1, (void *)a, 8192);
    CHECK(n <= 0, "write to console from %lx gave %d", a, n);

    int p[2];
    CHECK(pipe(p) == 0, "pipe failed");
    n = write(p[1], (void *)a, 8192);
    CHECK(n <= 0, "write to pipe from %lx gave %d", a, n);
    close(p[0]);
    close(p[1]);
  }
}

// Reads whose destination buffer is not user memory.
static void t_copyout(void) {
  for (int k = 0; k < NWILD; k++) {
    uint64 a = wild_addrs[k];
    int fd = open("README", O_RDONLY);
    CHECK(fd >= 0, "cannot open README");
    int n = read(fd, (void *)a, 8192);
    CHECK(n <= 0, "read of README into %lx gave %d", a, n);
    close(fd);

    int p[2];
    CHECK(pipe(p) == 0, "pipe failed");
    CHECK(write(p[1], "z", 1) == 1, "pipe write failed");
    n = read(p[0], (void *)a, 8192);
    CHECK(n <= 0, "read of pipe into %lx gave %d", a, n);
    close(p[0]);
    close(p[1]);
  }
}

// A path pointer that is not user memory.
static void t_copyinstr1(void) {
  for (int k = 0; k < NWILD; k++) {
    int fd = open((char *)wild_addrs[k], O_CREATE | O_WRONLY);
    CHECK(fd < 0, "open(%lx) gave %d", wild_addrs[k], fd);
  }
}

// A path with no terminator inside MAXPATH; oversized exec arguments.
static char longpath[MAXPATH + 1];
static char pagestr[PGSIZE + 1];

static void t_copyinstr2(void) {
  memset(longpath, 'y', MAXPATH);
  longpath[MAXPATH] = 0;

  CHECK(unlink(longpath) == -1, "unlink of overlong path did not fail");
  CHECK(open(longpath, O_CREATE | O_WRONLY) == -1, "open of overlong path did not fail");
  CHECK(link(longpath, longpath) == -1, "link of overlong path did not fail");
  char *argv1[] = {"yy", 0};
  CHECK(exec(longpath, argv1) == -1, "exec of overlong path did not fail");

  int pid = must_fork();
  if (pid == 0) {
    memset(pagestr, 'q', PGSIZE);
    pagestr[PGSIZE] = 0;
    char *argv2[] = {pagestr, pagestr, pagestr, 0};
    exec("echo", argv2);
    exit(747);  // exec refused the arguments, as it must
  }
  int st = reap();
  CHECK(st == 747, "exec with huge arguments: child status %d", st);
}

// A string that runs into the program break.
static void t_copyinstr3(void) {
  sbrk(8192);
  uint64 top = brk_now();
  if (top % PGSIZE)
    sbrk(PGSIZE - (top % PGSIZE));
  top = brk_now();
  CHECK(top % PGSIZE == 0, "break %lx not page aligned", top);

  volatile char *last = (volatile char *)(top - 1);
  *last = 'k';
  char *s = (char *)last;

  CHECK(unlink(s) == -1, "unlink accepted unterminated name");
  CHECK(open(s, O_CREATE | O_WRONLY) == -1, "open accepted unterminated name");
  CHECK(link(s, s) == -1, "link accepted unterminated name");
  char *argv[] = {"kk", 0};
  CHECK(exec(s, argv) == -1, "exec accepted unterminated name");
}

// System calls on memory that was just returned with a negative sbrk.
static void t_rwsbrk(void) {
  uint64 a = (uint64)sbrk(8192);
  CHECK(a != NOADDR, "sbrk(8192) failed");
  CHECK((uint64)sbrk(-8192) != NOADDR, "sbrk(-8192) failed");
  uint64 gone = a + 4096;

  int fd = open("rwsbrk.tmp", O_CREATE | O_WRONLY);
  CHECK(fd >= 0, "create failed");
  int n = write(fd, (void *)gone, 1024);
  CHECK(n < 0, "write from freed memory %lx gave %d", gone, n);
  close(fd);
  unlink("rwsbrk.tmp");

  fd = open("README", O_RDONLY);
  CHECK(fd >= 0, "cannot open README");
  n = read(fd, (void *)gone, 10);
  CHECK(n < 0, "read into freed memory %lx gave %d", gone, n);
  close(fd);
}

// O_TRUNC while other descriptors are open on the file.
static void t_truncate1(void) {
  char b[32];
  const char *f = "trunc1.tmp";
  unlink(f);
  make_file(f, "wxyz", 4);

  int r1 = open(f, O_RDONLY);
  CHECK(r1 >= 0, "open r1");
  CHECK(read(r1, b, sizeof(b)) == 4, "first read not 4");

  int w = open(f, O_WRONLY | O_TRUNC);
  CHECK(w >= 0, "open with O_TRUNC");
  int r2 = open(f, O_RDONLY);
  CHECK(r2 >= 0, "open r2");
  int n = read(r2, b, sizeof(b));
  CHECK(n == 0, "truncated file read %d bytes", n);
  n = read(r1, b, sizeof(b));
  CHECK(n == 0, "old descriptor read %d bytes after truncate", n);

  CHECK(write(w, "uvwxyz", 6) == 6, "write of 6 failed");
  n = read(r2, b, sizeof(b));
  CHECK(n == 6, "new descriptor read %d, wanted 6", n);
  n = read(r1, b, sizeof(b));
  CHECK(n == 2, "old descriptor read %d, wanted 2", n);

  unlink(f);
  close(r1);
  close(r2);
  close(w);
}

// A write starting past end of file must fail.
static void t_truncate2(void) {
  const char *f = "trunc2.tmp";
  unlink(f);
  int a = open(f, O_CREATE | O_TRUNC | O_WRONLY);
  CHECK(a >= 0, "create failed");
  CHECK(write(a, "wxyz", 4) == 4, "write failed");
  int b = open(f, O_TRUNC | O_WRONLY);
  CHECK(b >= 0, "truncating open failed");
  int n = write(a, "q", 1);
  CHECK(n == -1, "write beyond EOF returned %d", n);
  unlink(f);
  close(a);
  close(b);
}

// Truncating opens racing with writes and reads.
static void t_truncate3(void) {
  const char *f = "trunc3.tmp";
  make_file(f, "", 0);

  int pid = must_fork();
  if (pid == 0) {
    char b[32];
    for (int i = 0; i < 100; i++) {
      int fd = open(f, O_WRONLY);
      CHECK(fd >= 0, "child open for write failed");
      int n = write(fd, "0123456789", 10);
      CHECK(n == 10, "child write returned %d", n);
      close(fd);
      fd = open(f, O_RDONLY);
      if (fd >= 0) {
        read(fd, b, sizeof(b));
        close(fd);
      }
    }
    exit(0);
  }
  for (int i = 0; i < 150; i++) {
    int fd = open(f, O_CREATE | O_WRONLY | O_TRUNC);
    CHECK(fd >= 0, "parent open failed");
    int n = write(fd, "abc", 3);
    CHECK(n == 3, "parent write returned %d", n);
    close(fd);
  }
  int st = reap();
  unlink(f);
  exit(st);
}

// Opening a directory for writing fails, even while it is being removed.
static void t_openiput(void) {
  CHECK(mkdir("oiput.d") == 0, "mkdir failed");
  int pid = must_fork();
  if (pid == 0) {
    int fd = open("oiput.d", O_RDWR);
    exit(fd >= 0 ? 1 : 0);
  }
  sleep(1);
  CHECK(unlink("oiput.d") == 0, "unlink of directory failed");
  exit(reap());
}

// Exit while the current directory has been unlinked.
static void t_exitiput(void) {
  int pid = must_fork();
  if (pid == 0) {
    CHECK(mkdir("eiput.d") == 0, "mkdir failed");
    CHECK(chdir("eiput.d") == 0, "chdir failed");
    CHECK(unlink("../eiput.d") == 0, "unlink of cwd failed");
    exit(0);
  }
  exit(reap());
}

// Leave a current directory that has been unlinked.
static void t_iput(void) {
  CHECK(mkdir("iput.d") == 0, "mkdir failed");
  CHECK(chdir("iput.d") == 0, "chdir failed");
  CHECK(unlink("../iput.d") == 0, "unlink of cwd failed");
  CHECK(chdir("/") == 0, "chdir / failed");
}

static void t_opentest(void) {
  int fd = open("echo", O_RDONLY);
  CHECK(fd >= 0, "cannot open echo");
  close(fd);
  fd = open("no-such-file.x", O_RDONLY);
  CHECK(fd < 0, "opened a missing file");
}

static void t_writetest(void) {
  const char *f = "wtest.tmp";
  int fd = open(f, O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create failed");
  for (int i = 0; i < 100; i++) {
    CHECK(write(fd, "mmmmmmmmmm", 10) == 10, "write A #%d failed", i);
    CHECK(write(fd, "nnnnnnnnnn", 10) == 10, "write B #%d failed", i);
  }
  close(fd);
  fd = open(f, O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  int n = read(fd, buf, 2000);
  CHECK(n == 2000, "read returned %d", n);
  close(fd);
  CHECK(unlink(f) == 0, "unlink failed");
}

// A file of MAXFILE blocks (direct + indirect).
static void t_writebig(void) {
  const char *f = "wbig.tmp";
  int fd = open(f, O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create failed");
  for (int blk = 0; blk < MAXFILE; blk++) {
    ((int *)buf)[0] = blk;
    CHECK(write(fd, buf, BSIZE) == BSIZE, "write of block %d failed", blk);
  }
  close(fd);

  fd = open(f, O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  int got = 0;
  for (;;) {
    int n = read(fd, buf, BSIZE);
    if (n == 0)
      break;
    CHECK(n == BSIZE, "read of block %d returned %d", got, n);
    CHECK(((int *)buf)[0] == got, "block %d carries tag %d", got, ((int *)buf)[0]);
    got++;
  }
  CHECK(got != MAXFILE - 1, "file came back one block short");
  CHECK(got == MAXFILE, "read back %d blocks, wanted %d", got, MAXFILE);
  close(fd);
  CHECK(unlink(f) == 0, "unlink failed");
}

static void t_createtest(void) {
  char nm[3];
  nm[0] = 'k';
  nm[2] = 0;
  for (int i = 0; i < 52; i++) {
    nm[1] = '0' + i;
    int fd = open(nm, O_CREATE | O_RDWR);
    if (fd >= 0)
      close(fd);
  }
  for (int i = 0; i < 52; i++) {
    nm[1] = '0' + i;
    unlink(nm);
  }
}

static void t_dirtest(void) {
  CHECK(mkdir("dtest.d") == 0, "mkdir failed");
  CHECK(chdir("dtest.d") == 0, "chdir failed");
  CHECK(chdir("..") == 0, "chdir .. failed");
  CHECK(unlink("dtest.d") == 0, "unlink failed");
}

// exec inherits descriptors; open returns the lowest free slot.
static void t_exectest(void) {
  const char *f = "exec-out.tmp";
  unlink(f);
  int pid = must_fork();
  if (pid == 0) {
    close(1);
    int fd = open(f, O_CREATE | O_WRONLY);
    if (fd < 0) {
      fprintf(2, "exectest: create failed\n");
      exit(1);
    }
    if (fd != 1) {
      fprintf(2, "exectest: open returned %d, not 1\n", fd);
      exit(1);
    }
    char *argv[] = {"echo", "OK", 0};
    exec("echo", argv);
    fprintf(2, "exectest: exec echo failed\n");
    exit(1);
  }
  int st = -1;
  int w = wait(&st);
  if (w != pid)
    printf("exectest: wait returned %d, expected %d\n", w, pid);
  if (st != 0)
    exit(st);

  int fd = open(f, O_RDONLY);
  CHECK(fd >= 0, "output file missing");
  CHECK(read(fd, buf, 2) == 2, "output file too short");
  close(fd);
  unlink(f);
  CHECK(buf[0] == 'O' && buf[1] == 'K', "echo wrote the wrong text");
}

// Integrity of a byte stream through a small pipe buffer.
static void t_pipe1(void) {
  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  int pid = must_fork();
  if (pid == 0) {
    close(p[0]);
    uint counter = 0;
    for (int chunk = 0; chunk < 5; chunk++) {
      for (int i = 0; i < 1033; i++)
        buf[i] = (char)(counter++);
      CHECK(write(p[1], buf, 1033) == 1033, "child write failed");
    }
    exit(0);
  }
  close(p[1]);
  uint expect = 0;
  int total = 0;
  int want = 1;
  int n;
  while ((n = read(p[0], buf, want)) > 0) {
    for (int i = 0; i < n; i++)
      CHECK((uchar)buf[i] == (uchar)(expect++), "byte %d out of sequence", total + i);
    total += n;
    want *= 2;
    if (want > SCRATCH)
      want = SCRATCH;
  }
  CHECK(total == 5 * 1033, "received %d bytes", total);
  close(p[0]);
  exit(reap());
}

// A killed process reports exit status -1.
static void t_killstatus(void) {
  for (int round = 0; round < 100; round++) {
    int pid = must_fork();
    if (pid == 0) {
      for (;;)
        getpid();
    }
    sleep(1);
    kill(pid);
    int st = reap();
    CHECK(st == -1, "killed child reported status %d", st);
  }
}

// Spinning children must not starve the others (timer preemption).
static void spin_forever(void) {
  volatile int x = 0;
  for (;;)
    x++;
}

static void t_preempt(void) {
  int a = must_fork();
  if (a == 0)
    spin_forever();
  int b = must_fork();
  if (b == 0)
    spin_forever();
  int p[2];
  CHECK(pipe(p) == 0, "pipe failed");
  int c = must_fork();
  if (c == 0) {
    close(p[0]);
    if (write(p[1], "!", 1) != 1)
      printf("preempt: child write failed\n");
    close(p[1]);
    spin_forever();
  }
  close(p[1]);
  int n = read(p[0], buf, SCRATCH);
  CHECK(n == 1, "read from spinning child returned %d", n);
  close(p[0]);
  printf("kill... ");
  kill(a);
  kill(b);
  kill(c);
  printf("wait... ");
  wait(0);
  wait(0);
  wait(0);
}

static void t_exitwait(void) {
  for (int i = 0; i < 100; i++) {
    int pid = must_fork();
    if (pid == 0)
      exit(i);
    int st = -12345;
    int w = wait(&st);
    CHECK(w == pid, "wait returned %d, expected %d", w, pid);
    CHECK(st == i, "status %d, expected %d", st, i);
  }
}

// Children whose own child is orphaned as they exit.
static void t_reparent(void) {
  int me = getpid();
  for (int i = 0; i < 200; i++) {
    int pid = must_fork();
    if (pid == 0) {
      if (fork() < 0) {
        kill(me);
        exit(1);
      }
      exit(0);
    }
    int w = wait(0);
    CHECK(w == pid, "wait returned %d, expected %d", w, pid);
  }
}

static void t_twochildren(void) {
  for (int i = 0; i < 1000; i++) {
    int a = must_fork();
    if (a == 0)
      exit(0);
    int b = must_fork();
    if (b == 0)
      exit(0);
    wait(0);
    wait(0);
  }
}

static void t_forkfork(void) {
  for (int k = 0; k < 2; k++) {
    int pid = must_fork();
    if (pid == 0) {
      for (int j = 0; j < 200; j++) {
        int q = fork();
        if (q < 0)
          exit(1);
        if (q == 0)
          exit(0);
        wait(0);
      }
      exit(0);
    }
  }
  for (int k = 0; k < 2; k++)
    CHECK(reap() == 0, "a forking child failed");
}

// A fork bomb that stops once a sentinel file appears.
static void t_forkforkfork(void) {
  const char *stop = "ffork.stop";
  unlink(stop);
  int pid = must_fork();
  if (pid == 0) {
    for (;;) {
      int fd = open(stop, O_RDONLY);
      if (fd >= 0)
        exit(0);
      if (fork() < 0)
        close(open(stop, O_CREATE | O_RDWR));
    }
  }
  sleep(20);
  close(open(stop, O_CREATE | O_RDWR));
  wait(0);
  sleep(10);  // let the orphans notice the sentinel and die
}

static void t_reparent2(void) {
  for (int i = 0; i < 800; i++) {
    int pid = must_fork();
    if (pid == 0) {
      fork();
      fork();
      exit(0);
    }
    wait(0);
  }
}

// Exhaust memory through malloc, give it back, allocate again.
static void t_mem(void) {
  int pid = must_fork();
  if (pid == 0) {
    void *chain = 0;
    void *blk;
    while ((blk = malloc(10001)) != 0) {
      *(void **)blk = chain;
      chain = blk;
    }
    while (chain) {
      void *next = *(void **)chain;
      free(chain);
      chain = next;
    }
    blk = malloc(20 * 1024);
    CHECK(blk != 0, "could not allocate after freeing everything");
    free(blk);
    exit(0);
  }
  int st = reap();
  if (st == -1)
    exit(0);  // killed when memory ran out: the lazy-allocation outcome
  exit(st);
}

// Parent and child share one file offset.
static void t_sharedfd(void) {
  const char *f = "sharedfd.tmp";
  unlink(f);
  int fd = open(f, O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create failed");
  int pid = must_fork();
  char mine[10];
  memset(mine, pid == 0 ? 'c' : 'p', sizeof(mine));
  for (int i = 0; i < 1000; i++) {
    if (write(fd, mine, 10) != 10) {
      printf("sharedfd: write failed\n");
      exit(1);
    }
  }
  if (pid == 0)
    exit(0);
  int st = reap();
  if (st != 0)
    exit(st);
  close(fd);

  fd = open(f, O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  int nc = 0, np = 0, n;
  while ((n = read(fd, buf, SCRATCH)) > 0) {
    for (int i = 0; i < n; i++) {
      if (buf[i] == 'c')
        nc++;
      else if (buf[i] == 'p')
        np++;
    }
  }
  close(fd);
  unlink(f);
  CHECK(nc == 10000 && np == 10000, "found %d c and %d p", nc, np);
}

// Four writers allocating blocks at the same time.
static void t_fourfiles(void) {
  char nm[3] = {'g', '0', 0};
  for (int k = 0; k < 4; k++) {
    nm[1] = '0' + k;
    unlink(nm);
    int pid = must_fork();
    if (pid == 0) {
      int fd = open(nm, O_CREATE | O_RDWR);
      CHECK(fd >= 0, "child create failed");
      memset(buf, '0' + k, 512);
      for (int i = 0; i < 12; i++)
        CHECK(write(fd, buf, 500) == 500, "child write failed");
      exit(0);
    }
  }
  for (int k = 0; k < 4; k++)
    CHECK(reap() == 0, "a writer failed");

  for (int k = 0; k < 4; k++) {
    nm[1] = '0' + k;
    int fd = open(nm, O_RDONLY);
    CHECK(fd >= 0, "cannot reopen %s", nm);
    int total = 0, n;
    while ((n = read(fd, buf, SCRATCH)) > 0) {
      for (int i = 0; i < n; i++)
        CHECK(buf[i] == '0' + k, "%s holds a foreign byte", nm);
      total += n;
    }
    close(fd);
    CHECK(total == 12 * 500, "%s has %d bytes", nm, total);
    unlink(nm);
  }
}

// Concurrent creates and unlinks of distinct names in one directory.
#define CD_N 20
#define CD_KIDS 4
static void t_createdelete(void) {
  char nm[3];
  nm[2] = 0;
  for (int k = 0; k < CD_KIDS; k++) {
    int pid = must_fork();
    if (pid == 0) {
      nm[0] = 'P' + k;
      for (int i = 0; i < CD_N; i++) {
        nm[1] = '0' + i;
        int fd = open(nm, O_CREATE | O_RDWR);
        CHECK(fd >= 0, "create %s failed", nm);
        close(fd);
        if (i > 0 && i % 2 == 0) {
          nm[1] = '0' + i / 2;
          CHECK(unlink(nm) == 0, "unlink %s failed", nm);
        }
      }
      exit(0);
    }
  }
  for (int k = 0; k < CD_KIDS; k++)
    CHECK(reap() == 0, "a child failed");

  for (int i = 0; i < CD_N; i++) {
    for (int k = 0; k < CD_KIDS; k++) {
      nm[0] = 'P' + k;
      nm[1] = '0' + i;
      int fd = open(nm, O_RDONLY);
      int should_exist = (i == 0 || i >= CD_N / 2);
      if (fd >= 0)
        close(fd);
      CHECK(should_exist ? fd >= 0 : fd < 0, "%s %s", nm,
            should_exist ? "is missing" : "should have been removed");
    }
  }
  for (int k = 0; k < CD_KIDS; k++) {
    nm[0] = 'P' + k;
    for (int i = 0; i < CD_N; i++) {
      nm[1] = '0' + i;
      unlink(nm);
    }
  }
}

// An unlinked file stays readable through an open descriptor.
static void t_unlinkread(void) {
  const char *f = "unlread.tmp";
  make_file(f, "hello", 5);
  int fd = open(f, O_RDWR);
  CHECK(fd >= 0, "open failed");
  CHECK(unlink(f) == 0, "unlink failed");
  make_file(f, "yyy", 3);
  int n = read(fd, buf, SCRATCH);
  CHECK(n == 5, "old file read %d bytes", n);
  CHECK(buf[0] == 'h', "old file has the wrong contents");
  CHECK(write(fd, buf, 10) == 10, "write to unlinked file failed");
  close(fd);
  unlink(f);
}

static void t_linktest(void) {
  const char *a = "lnk.a", *b = "lnk.b";
  unlink(a);
  unlink(b);
  make_file(a, "hello", 5);
  CHECK(link(a, b) == 0, "link failed");
  unlink(a);
  CHECK(open(a, O_RDONLY) < 0, "unlinked name still opens");
  int fd = open(b, O_RDONLY);
  CHECK(fd >= 0, "link target does not open");
  CHECK(read(fd, buf, SCRATCH) == 5, "link target has the wrong size");
  close(fd);
  CHECK(link(b, b) < 0, "link onto an existing name succeeded");
  unlink(b);
  CHECK(link(b, a) < 0, "link from a missing name succeeded");
  CHECK(link(".", a) < 0, "link of a directory succeeded");
}

// Concurrent create/link/unlink/open of a set of names.
#define CC_N 40
static char cc_seen[CC_N];

static void t_concreate(void) {
  char nm[3] = {'C', '0', 0};
  for (int i = 0; i < CC_N; i++) {
    nm[1] = '0' + i;
    unlink(nm);
    int pid = must_fork();
    int use_link = pid ? (i % 3 == 1) : (i % 5 == 1);
    if (use_link) {
      link("C0", nm);
    } else {
      int fd = open(nm, O_CREATE | O_RDWR);
      if (fd < 0) {
        printf("concreate: create %s failed\n", nm);
        exit(1);
      }
      close(fd);
    }
    if (pid == 0)
      exit(0);
    CHECK(reap() == 0, "child failed on %s", nm);
  }

  memset(cc_seen, 0, sizeof(cc_seen));
  int fd = open(".", O_RDONLY);
  CHECK(fd >= 0, "cannot open .");
  struct dirent de;
  int count = 0;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    if (de.name[0] != 'C' || de.name[2] != 0)
      continue;
    int i = de.name[1] - '0';
    CHECK(i >= 0 && i < CC_N, "unexpected entry %s", de.name);
    CHECK(!cc_seen[i], "duplicate entry %s", de.name);
    cc_seen[i] = 1;
    count++;
  }
  close(fd);
  CHECK(count == CC_N, "found %d names, wanted %d", count, CC_N);

  for (int i = 0; i < CC_N; i++) {
    nm[1] = '0' + i;
    int pid = must_fork();
    int opener = (i % 3 == 0 && pid == 0) || (i % 3 == 1 && pid != 0);
    for (int j = 0; j < 6; j++) {
      if (opener)
        close(open(nm, O_RDONLY));
      else
        unlink(nm);
    }
    if (pid == 0)
      exit(0);
    wait(0);
  }
}

// Random create/link/unlink traffic on one name from two processes.
static void t_linkunlink(void) {
  const char *nm = "lu.x";
  unlink(nm);
  int pid = must_fork();
  uint x = pid ? 1 : 97;
  for (int i = 0; i < 100; i++) {
    x = x * 1103515245 + 12345;
    switch (x % 3) {
    case 0:
      close(open(nm, O_RDWR | O_CREATE));
      break;
    case 1:
      link("cat", nm);
      break;
    default:
      unlink(nm);
      break;
    }
  }
  if (pid == 0)
    exit(0);
  wait(0);
  unlink(nm);
}

// Nested directories and path-resolution errors.
static void t_subdir(void) {
  unlink("sd");
  CHECK(mkdir("sd") == 0, "mkdir sd failed");
  make_file("sd/f", "ff", 2);
  CHECK(unlink("sd") < 0, "unlinked a non-empty directory");
  CHECK(mkdir("/sd/sd") == 0, "mkdir /sd/sd failed");
  make_file("sd/sd/f", "FF", 2);

  int fd = open("sd/sd/../f", O_RDONLY);
  CHECK(fd >= 0, "open sd/sd/../f failed");
  int n = read(fd, buf, SCRATCH);
  CHECK(n == 2 && buf[0] == 'f', "sd/sd/../f has the wrong contents");
  close(fd);

  CHECK(link("sd/sd/f", "sd/sd/g") == 0, "link sd/sd/f sd/sd/g failed");
  CHECK(unlink("sd/sd/f") == 0, "unlink sd/sd/f failed");
  CHECK(open("sd/sd/f", O_RDONLY) < 0, "removed file still opens");

  CHECK(chdir("sd") == 0, "chdir sd failed");
  CHECK(chdir("sd/../../sd") == 0, "chdir sd/../../sd failed");
  CHECK(chdir("sd/../../../sd") == 0, "chdir sd/../../../sd failed");
  CHECK(chdir("./..") == 0, "chdir ./.. failed");

  fd = open("sd/sd/g", O_RDONLY);
  CHECK(fd >= 0, "open sd/sd/g failed");
  CHECK(read(fd, buf, SCRATCH) == 2, "sd/sd/g has the wrong size");
  close(fd);
  CHECK(open("sd/sd/f", O_RDONLY) < 0, "removed file opens from /");

  // A regular file or a missing name in the middle of a path.
  CHECK(open("sd/f/f", O_CREATE | O_RDWR) < 0, "created sd/f/f");
  CHECK(open("sd/x/f", O_CREATE | O_RDWR) < 0, "created sd/x/f");
  CHECK(open("sd", O_CREATE) < 0, "open sd with O_CREATE succeeded");
  CHECK(open("sd", O_RDWR) < 0, "open sd read-write succeeded");
  CHECK(open("sd", O_WRONLY) < 0, "open sd write-only succeeded");
  CHECK(link("sd/f/f", "sd/sd/x") < 0, "linked from sd/f/f");
  CHECK(link("sd/x/f", "sd/sd/x") < 0, "linked from sd/x/f");
  CHECK(link("sd/f", "sd/f/x") < 0, "linked to sd/f/x");
  CHECK(link("sd/f", "sd/sd/g") < 0, "linked onto an existing name");
  CHECK(mkdir("sd/f/f") < 0, "mkdir sd/f/f succeeded");
  CHECK(mkdir("sd/x/f") < 0, "mkdir sd/x/f succeeded");
  CHECK(mkdir("sd/sd/g") < 0, "mkdir of an existing name succeeded");
  CHECK(unlink("sd/x/f") < 0, "unlink sd/x/f succeeded");
  CHECK(unlink("sd/f/f") < 0, "unlink sd/f/f succeeded");
  CHECK(chdir("sd/f") < 0, "chdir into a file succeeded");
  CHECK(chdir("sd/x") < 0, "chdir into a missing name succeeded");

  CHECK(unlink("sd/sd/g") == 0, "unlink sd/sd/g failed");
  CHECK(unlink("sd/f") == 0, "unlink sd/f failed");
  CHECK(unlink("sd") < 0, "unlinked sd while it holds sd/sd");
  CHECK(unlink("sd/sd") == 0, "unlink sd/sd failed");
  CHECK(unlink("sd") == 0, "unlink sd failed");
}

// Writes larger than one log transaction.
static void t_bigwrite(void) {
  const char *f = "bigw.tmp";
  for (int sz = 499; sz < SCRATCH; sz += 471) {
    int fd = open(f, O_CREATE | O_RDWR);
    CHECK(fd >= 0, "create failed");
    for (int k = 0; k < 2; k++) {
      int n = write(fd, buf, sz);
      CHECK(n == sz, "write of %d returned %d", sz, n);
    }
    close(fd);
    unlink(f);
  }
}

static void t_bigfile(void) {
  const char *f = "bigf.tmp";
  unlink(f);
  int fd = open(f, O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create failed");
  for (int i = 0; i < 20; i++) {
    memset(buf, i, 600);
    CHECK(write(fd, buf, 600) == 600, "write %d failed", i);
  }
  close(fd);

  fd = open(f, O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  int total = 0;
  for (int piece = 0;; piece++) {
    int n = read(fd, buf, 300);
    CHECK(n >= 0, "read failed");
    if (n == 0)
      break;
    CHECK(n == 300, "short read %d", n);
    CHECK(buf[0] == piece / 2 && buf[299] == piece / 2, "piece %d has wrong data", piece);
    total += n;
  }
  close(fd);
  CHECK(total == 20 * 600, "read %d bytes", total);
  unlink(f);
}

// Path components are cut to DIRSIZ characters.
static void t_fourteen(void) {
  // 14 and 15 characters long, sharing the first 14.
  const char *d14 = "fourteen-chars";
  CHECK(strlen(d14) == DIRSIZ, "bad test name length");

  CHECK(mkdir("fourteen-chars") == 0, "mkdir of a 14-char name failed");
  CHECK(mkdir("fourteen-chars/fourteen-charsX") == 0, "mkdir 14/15 failed");
  int fd = open("fourteen-charsX/fourteen-charsX/fourteen-charsX", O_CREATE);
  CHECK(fd >= 0, "create 15/15/15 failed");
  close(fd);
  fd = open("fourteen-chars/fourteen-chars/fourteen-chars", O_RDONLY);
  CHECK(fd >= 0, "open 14/14/14 failed");
  close(fd);
  CHECK(mkdir("fourteen-chars/fourteen-chars") < 0, "mkdir 14/14 succeeded");
  CHECK(mkdir("fourteen-charsX/fourteen-chars") < 0, "mkdir 15/14 succeeded");

  unlink("fourteen-chars/fourteen-chars/fourteen-chars");
  unlink("fourteen-chars/fourteen-chars");
  unlink("fourteen-chars");
}

static void t_rmdot(void) {
  CHECK(mkdir("rmdot.d") == 0, "mkdir failed");
  CHECK(chdir("rmdot.d") == 0, "chdir failed");
  CHECK(unlink(".") < 0, "unlink . succeeded");
  CHECK(unlink("..") < 0, "unlink .. succeeded");
  CHECK(chdir("/") == 0, "chdir / failed");
  CHECK(unlink("rmdot.d/.") < 0, "unlink dir/. succeeded");
  CHECK(unlink("rmdot.d/..") < 0, "unlink dir/.. succeeded");
  CHECK(unlink("rmdot.d") == 0, "unlink dir failed");
}

// A regular file used as a directory; writes to a directory.
static void t_dirfile(void) {
  const char *f = "dfile";
  int fd = open(f, O_CREATE);
  CHECK(fd >= 0, "create failed");
  close(fd);
  CHECK(chdir(f) < 0, "chdir into a file succeeded");
  CHECK(open("dfile/y", O_RDONLY) < 0, "opened file/y");
  CHECK(open("dfile/y", O_CREATE) < 0, "created file/y");
  CHECK(mkdir("dfile/y") < 0, "mkdir file/y succeeded");
  CHECK(unlink("dfile/y") < 0, "unlink file/y succeeded");
  CHECK(link("README", "dfile/y") < 0, "link to file/y succeeded");
  CHECK(unlink(f) == 0, "unlink failed");

  CHECK(open(".", O_RDWR) < 0, "opened . read-write");
  fd = open(".", O_RDONLY);
  CHECK(fd >= 0, "cannot open . read-only");
  CHECK(write(fd, "x", 1) <= 0, "wrote into a directory");
  close(fd);
}

// Path operations must not leak in-memory inode references.
static void t_iref(void) {
  for (int i = 0; i < NINODE + 1; i++) {
    CHECK(mkdir("iref.d") == 0, "mkdir at depth %d failed", i);
    CHECK(chdir("iref.d") == 0, "chdir at depth %d failed", i);
    mkdir("");
    link("README", "");
    int fd = open("", O_CREATE);
    if (fd >= 0)
      close(fd);
    fd = open("iref.f", O_CREATE);
    if (fd >= 0)
      close(fd);
    unlink("iref.f");
  }
  for (int i = 0; i < NINODE + 1; i++) {
    chdir("..");
    unlink("iref.d");
  }
  chdir("/");
}

// fork fails once the process table is full.
static void t_forktest(void) {
  const int lim = 1000;
  int n;
  for (n = 0; n < lim; n++) {
    int pid = fork();
    if (pid < 0)
      break;
    if (pid == 0)
      exit(0);
  }
  CHECK(n > 0, "no fork succeeded");
  CHECK(n < lim, "fork never failed: no process limit");
  for (; n > 0; n--)
    CHECK(wait(0) >= 0, "wait stopped early");
  CHECK(wait(0) == -1, "wait found an extra child");
}

#define GIB (1024 * 1024 * 1024)

static void t_sbrkbasic(void) {
  // (a) A heap far beyond physical memory.
  int pid = must_fork();
  if (pid == 0) {
    char *a = sbrk(GIB);
    if ((uint64)a == NOADDR)
      exit(0);  // refusing the growth is acceptable
    for (volatile char *q = a; q < a + GIB; q += PGSIZE)
      *q = 99;
    exit(1);  // should have been killed on the way
  }
  CHECK(reap() != 1, "touched 1 GiB without being stopped");

  // (b) One byte at a time.
  char *a = sbrk(0);
  for (int i = 0; i < 5000; i++) {
    char *b = sbrk(1);
    CHECK(b == a, "sbrk(1) #%d returned %p, expected %p", i, b, a);
    *(volatile char *)b = 1;
    a = b + 1;
  }

  // (c) The child inherits the size.
  pid = must_fork();
  sbrk(1);
  char *c = sbrk(1);
  CHECK(c == a + 1, "sbrk after fork returned %p, expected %p", c, a + 1);
  if (pid == 0)
    exit(0);
  exit(reap());
}

#define HUNDRED_MIB (100 * MIB)

static void t_sbrkmuch(void) {
  char *start = sbrk(0);
  char *a = sbrk(0);
  int amt = HUNDRED_MIB - (int)(uint64)a;
  char *p = sbrk(amt);
  CHECK(p == a, "sbrk to 100 MiB returned %p", p);
  char *end = a + amt;
  for (volatile char *q = a; q < end; q += PGSIZE)
    *q = 1;
  volatile char *lastbyte = (volatile char *)(uint64)(HUNDRED_MIB - 1);
  *lastbyte = 99;

  // Give back the last page.
  a = sbrk(0);
  char *c = sbrk(-PGSIZE);
  CHECK((uint64)c != NOADDR, "sbrk(-%d) failed", PGSIZE);
  c = sbrk(0);
  CHECK(c == a - PGSIZE, "break %p after shrink, expected %p", c, a - PGSIZE);

  // Take it again: it must come back zeroed.
  a = sbrk(0);
  c = sbrk(PGSIZE);
  CHECK(c == a && sbrk(0) == a + PGSIZE, "re-growth returned %p", c);
  CHECK(*lastbyte != 99, "re-allocated page kept its old contents");

  a = sbrk(0);
  c = sbrk(-(int)(sbrk(0) - start));
  CHECK(c == a, "final shrink returned %p, expected %p", c, a);
}

// Loads from kernel addresses are fatal.
static void t_kernmem(void) {
  for (uint64 a = KERNBASE; a < KERNBASE + 2000000; a += 50000) {
    int pid = must_fork();
    if (pid == 0) {
      volatile char *p = (volatile char *)a;
      char v = *p;
      printf("read %lx = %x\n", a, v);
      exit(1);
    }
    CHECK(reap() == -1, "load from %lx was not fatal", a);
  }
}

// Stores at or above MAXVA are fatal.
static void t_MAXVAplus(void) {
  for (uint64 a = MAXVA; a != 0; a <<= 1) {
    int pid = must_fork();
    if (pid == 0) {
      *(volatile char *)a = 99;
      printf("store to %lx survived\n", a);
      exit(1);
    }
    CHECK(reap() == -1, "store to %lx was not fatal", a);
  }
}

// Many big lazy heaps, then a child that reads more memory than exists.
static void t_sbrkfail(void) {
  int p[2];
  int pids[10];
  CHECK(pipe(p) == 0, "pipe failed");
  for (int i = 0; i < 10; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      sbrk(HUNDRED_MIB - (int)brk_now());
      write(p[1], "r", 1);
      for (;;)
        sleep(1000);
    }
    if (pids[i] != -1) {
      char ch;
      read(p[0], &ch, 1);
    }
  }
  char *c = sbrk(PGSIZE);
  for (int i = 0; i < 10; i++) {
    if (pids[i] == -1)
      continue;
    kill(pids[i]);
    wait(0);
  }
  CHECK((uint64)c != NOADDR, "sbrk(4096) failed with ten big heaps around");
  close(p[0]);
  close(p[1]);

  int pid = must_fork();
  if (pid == 0) {
    volatile char *a = (volatile char *)sbrk(0);
    sbrk(10 * HUNDRED_MIB);
    int sum = 0;
    for (int i = 0; i < 10 * HUNDRED_MIB; i += PGSIZE)
      sum += a[i];
    printf("read 1000 MiB without running out (%d)\n", sum);
    exit(1);
  }
  int st = reap();
  CHECK(st == -1 || st == 2, "memory-hungry child exited with %d", st);
}

// System calls on heap pages that were never touched.
static void t_sbrkarg(void) {
  char *a = sbrk(PGSIZE);
  int fd = open("sbrkarg.tmp", O_CREATE | O_WRONLY);
  CHECK(fd >= 0, "create failed");
  unlink("sbrkarg.tmp");
  int n = write(fd, a, PGSIZE);
  CHECK(n >= 0, "write from an untouched page returned %d", n);
  close(fd);

  a = sbrk(PGSIZE);
  CHECK(pipe((int *)a) == 0, "pipe into an untouched page failed");
}

static void t_validatetest(void) {
  for (uint64 p = 0; p <= 1100 * 1024; p += PGSIZE)
    CHECK(link("nosuchfile", (char *)p) == -1, "link to %lx did not fail", p);
}

static char zeros_expected[10000];
static void t_bsstest(void) {
  for (int i = 0; i < sizeof(zeros_expected); i++)
    CHECK(zeros_expected[i] == 0, "bss byte %d is %d", i, zeros_expected[i]);
}

// exec must reject arguments that overflow the stack page.
static char bigarg[221];
static char *bigargv[MAXARG];

static void t_bigargtest(void) {
  const char *marker = "bigarg.ok";
  unlink(marker);
  int pid = must_fork();
  if (pid == 0) {
    memset(bigarg, 'a', 220);
    bigarg[220] = 0;
    for (int i = 0; i < MAXARG - 1; i++)
      bigargv[i] = bigarg;
    bigargv[MAXARG - 1] = 0;
    exec("echo", bigargv);
    int fd = open(marker, O_CREATE);
    close(fd);
    exit(0);
  }
  CHECK(reap() == 0, "child failed");
  int fd = open(marker, O_RDONLY);
  CHECK(fd >= 0, "exec with oversized arguments did not fail");
  close(fd);
  unlink(marker);
}

// read with count -1 into the last byte below the break.
static void t_argptest(void) {
  int fd = open("init", O_RDONLY);
  CHECK(fd >= 0, "cannot open init");
  read(fd, sbrk(0) - 1, -1);
  close(fd);
}

// The guard page below the stack is inaccessible.
static void t_stacktest(void) {
  int pid = must_fork();
  if (pid == 0) {
    uint64 sp;
    asm volatile("mv %0, sp" : "=r"(sp));
    volatile char *guard = (volatile char *)(sp - PGSIZE);
    char v = *guard;
    printf("read guard page: %d\n", v);
    exit(1);
  }
  CHECK(reap() == -1, "guard page was readable");
}

// The text segment is read-only.
static void t_textwrite(void) {
  int pid = must_fork();
  if (pid == 0) {
    volatile uint64 where = 0;  // hide the address from the optimiser
    *(volatile int *)where = 10;
    exit(1);
  }
  CHECK(reap() == -1, "store to text was not fatal");
}

// Wild 64-bit pointers must not be truncated inside the kernel.
static char *pgbug_argv[] = {0};
static void t_pgbug(void) {
  uint64 wild = 0xeaeb0b5b00002f5eUL;
  exec((char *)wild, pgbug_argv);
  pipe((int *)wild);
}

// Shrinking the heap to odd sizes.
static void t_sbrkbugs(void) {
  int pid = must_fork();
  if (pid == 0) {
    // Remove everything, including this code.
    sbrk(-(int)brk_now());
    exit(0);
  }
  wait(0);

  pid = must_fork();
  if (pid == 0) {
    // Shrink into the middle of page 0.
    sbrk(-(int)(brk_now() - 3500));
    exit(0);
  }
  wait(0);

  pid = must_fork();
  if (pid == 0) {
    // Move the break to the middle of a page, then a little lower.
    sbrk((10 * PGSIZE + 2048) - (int)brk_now());
    sbrk(-10);
    exit(0);
  }
  wait(0);
}

// Copies through the last, partly used heap page.
static void t_sbrklast(void) {
  uint64 top = brk_now();
  if (top % PGSIZE)
    sbrk(PGSIZE - (top % PGSIZE));
  sbrk(PGSIZE);
  sbrk(10);
  sbrk(-20);
  top = brk_now();
  char *p = (char *)(top - 64);
  p[0] = 'x';
  p[1] = 0;
  int fd = open(p, O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create through the last page failed");
  write(fd, p, 1);
  close(fd);
  fd = open(p, O_RDWR);
  CHECK(fd >= 0, "reopen failed");
  p[0] = 0;
  read(fd, p, 1);
  close(fd);
  CHECK(p[0] == 'x', "read back %d", p[0]);
  unlink(p);
}

// A shrink bigger than the whole process must not wrap the size.
static void t_sbrk8000(void) {
  sbrk((int)0x80000004U);
  volatile char *top = (volatile char *)sbrk(0);
  *(top - 1) = *(top - 1) + 1;
}

// exec with a bad argument pointer, many times (leak check).
static void t_badarg(void) {
  for (int i = 0; i < 50000; i++) {
    char *argv[2];
    argv[0] = (char *)(uint64)0xffffffffUL;
    argv[1] = 0;
    exec("echo", argv);
  }
}

// ---------------------------------------------------------------------------
// Slow group
// ---------------------------------------------------------------------------

static void t_bigdir(void) {
  const char *orig = "bigdir.f";
  unlink(orig);
  int fd = open(orig, O_CREATE);
  CHECK(fd >= 0, "create failed");
  close(fd);
  char nm[4];
  nm[0] = 'x';
  nm[3] = 0;
  for (int i = 0; i < 500; i++) {
    nm[1] = '0' + i / 64;
    nm[2] = '0' + i % 64;
    CHECK(link(orig, nm) == 0, "link #%d (%s) failed", i, nm);
  }
  unlink(orig);
  for (int i = 0; i < 500; i++) {
    nm[1] = '0' + i / 64;
    nm[2] = '0' + i % 64;
    CHECK(unlink(nm) == 0, "unlink #%d (%s) failed", i, nm);
  }
}

static void t_manywrites(void) {
  for (int k = 0; k < 4; k++) {
    int pid = must_fork();
    if (pid == 0) {
      char nm[3] = {'w', 'a' + k, 0};
      unlink(nm);
      for (int round = 0; round < 30; round++) {
        for (int j = 0; j < k + 1; j++) {
          int fd = open(nm, O_CREATE | O_RDWR);
          CHECK(fd >= 0, "child %d: create failed", k);
          int n = write(fd, buf, SCRATCH);
          CHECK(n == SCRATCH, "child %d: write returned %d", k, n);
          close(fd);
        }
        unlink(nm);
      }
      unlink(nm);
      exit(0);
    }
  }
  for (int k = 0; k < 4; k++)
    CHECK(reap() == 0, "a writer failed");
}

// Failed writes must not leak disk blocks.
static void t_badwrite(void) {
  const char *f = "badw.tmp";
  unlink(f);
  for (int i = 0; i < 600; i++) {
    int fd = open(f, O_CREATE | O_WRONLY);
    CHECK(fd >= 0, "create #%d failed", i);
    write(fd, (char *)0xffffffffffUL, 1);
    close(fd);
    unlink(f);
  }
  int fd = open(f, O_CREATE | O_WRONLY);
  CHECK(fd >= 0, "final create failed");
  CHECK(write(fd, "x", 1) == 1, "write failed: disk blocks leaked");
  close(fd);
  unlink(f);
}

// exec with memory nearly exhausted.
static void t_execout(void) {
  for (int spare = 0; spare < 15; spare++) {
    int pid = must_fork();
    if (pid == 0) {
      for (;;) {
        uint64 a = (uint64)sbrk(PGSIZE);
        if (a == NOADDR)
          break;
        *(volatile char *)(a + PGSIZE - 1) = 1;
      }
      for (int i = 0; i < spare; i++)
        sbrk(-PGSIZE);
      close(1);
      char *argv[] = {"echo", "x", 0};
      exec("echo", argv);
      exit(0);
    }
    wait(0);
  }
}

// Running out of disk blocks.
static void t_diskfull(void) {
  char nm[5];
  int nbig = 0;
  int full = 0;

  unlink("diskfull.d");
  while (!full) {
    nm[0] = 'b';
    nm[1] = 'i';
    nm[2] = 'g';
    nm[3] = '0' + nbig;
    nm[4] = 0;
    unlink(nm);
    int fd = open(nm, O_CREATE | O_RDWR | O_TRUNC);
    if (fd < 0) {
      printf("diskfull: could not create %s\n", nm);
      break;
    }
    nbig++;
    for (int b = 0; b < MAXFILE; b++) {
      if (write(fd, buf, BSIZE) != BSIZE) {
        full = 1;
        break;
      }
    }
    close(fd);
  }

  // With no blocks left, the directory eventually cannot grow.
  nm[0] = 'z';
  nm[1] = 'z';
  for (int i = 0; i < 128; i++) {
    nm[2] = '0' + i / 32;
    nm[3] = '0' + i % 32;
    nm[4] = 0;
    unlink(nm);
    int fd = open(nm, O_CREATE | O_RDWR | O_TRUNC);
    if (fd < 0)
      break;
    close(fd);
  }

  if (mkdir("diskfull.d") == 0)
    printf("diskfull: mkdir succeeded on a full disk\n");
  unlink("diskfull.d");

  for (int i = 0; i < 128; i++) {
    nm[0] = 'z';
    nm[1] = 'z';
    nm[2] = '0' + i / 32;
    nm[3] = '0' + i % 32;
    nm[4] = 0;
    unlink(nm);
  }
  for (int i = 0; i < nbig; i++) {
    nm[0] = 'b';
    nm[1] = 'i';
    nm[2] = 'g';
    nm[3] = '0' + i;
    nm[4] = 0;
    unlink(nm);
  }
}

// Running out of on-disk inodes.
static void t_outofinodes(void) {
  char nm[5];
  nm[0] = 'z';
  nm[1] = 'z';
  nm[4] = 0;
  for (int i = 0; i < 1024; i++) {
    nm[2] = '0' + i / 32;
    nm[3] = '0' + i % 32;
    unlink(nm);
    int fd = open(nm, O_CREATE | O_RDWR | O_TRUNC);
    if (fd < 0)
      break;  // out of inodes, as expected
    close(fd);
  }
  for (int i = 0; i < 1024; i++) {
    nm[2] = '0' + i / 32;
    nm[3] = '0' + i % 32;
    unlink(nm);
  }
}

// ---------------------------------------------------------------------------
// Test tables and driver
// ---------------------------------------------------------------------------

struct utest {
  const char *name;
  void (*body)(void);
};

static const struct utest quick_tests[] = {
    {"copyin", t_copyin},
    {"copyout", t_copyout},
    {"copyinstr1", t_copyinstr1},
    {"copyinstr2", t_copyinstr2},
    {"copyinstr3", t_copyinstr3},
    {"rwsbrk", t_rwsbrk},
    {"truncate1", t_truncate1},
    {"truncate2", t_truncate2},
    {"truncate3", t_truncate3},
    {"openiput", t_openiput},
    {"exitiput", t_exitiput},
    {"iput", t_iput},
    {"opentest", t_opentest},
    {"writetest", t_writetest},
    {"writebig", t_writebig},
    {"createtest", t_createtest},
    {"dirtest", t_dirtest},
    {"exectest", t_exectest},
    {"pipe1", t_pipe1},
    {"killstatus", t_killstatus},
    {"preempt", t_preempt},
    {"exitwait", t_exitwait},
    {"reparent", t_reparent},
    {"twochildren", t_twochildren},
    {"forkfork", t_forkfork},
    {"forkforkfork", t_forkforkfork},
    {"reparent2", t_reparent2},
    {"mem", t_mem},
    {"sharedfd", t_sharedfd},
    {"fourfiles", t_fourfiles},
    {"createdelete", t_createdelete},
    {"unlinkread", t_unlinkread},
    {"linktest", t_linktest},
    {"concreate", t_concreate},
    {"linkunlink", t_linkunlink},
    {"subdir", t_subdir},
    {"bigwrite", t_bigwrite},
    {"bigfile", t_bigfile},
    {"fourteen", t_fourteen},
    {"rmdot", t_rmdot},
    {"dirfile", t_dirfile},
    {"iref", t_iref},
    {"forktest", t_forktest},
    {"sbrkbasic", t_sbrkbasic},
    {"sbrkmuch", t_sbrkmuch},
    {"kernmem", t_kernmem},
    {"MAXVAplus", t_MAXVAplus},
    {"sbrkfail", t_sbrkfail},
    {"sbrkarg", t_sbrkarg},
    {"validatetest", t_validatetest},
    {"bsstest", t_bsstest},
    {"bigargtest", t_bigargtest},
    {"argptest", t_argptest},
    {"stacktest", t_stacktest},
    {"textwrite", t_textwrite},
    {"pgbug", t_pgbug},
    {"sbrkbugs", t_sbrkbugs},
    {"sbrklast", t_sbrklast},
    {"sbrk8000", t_sbrk8000},
    {"badarg", t_badarg},
    {0, 0},
};

static const struct utest slow_tests[] = {
    {"bigdir", t_bigdir},
    {"manywrites", t_manywrites},
    {"badwrite", t_badwrite},
    {"execout", t_execout},
    {"diskfull", t_diskfull},
    {"outofinodes", t_outofinodes},
    {0, 0},
};

// Run one test in a child; 1 if it passed.
static int run_one(const struct utest *t) {
  printf("test %s: ", t->name);
  curtest = t->name;
  int pid = fork();
  if (pid < 0) {
    printf("runtest: fork error\n");
    exit(1);
  }
  if (pid == 0) {
    t->body();
    exit(0);
  }
  int st = -1;
  wait(&st);
  curtest = "usertests";
  printf(st == 0 ? "OK\n" : "FAILED\n");
  return st == 0;
}

// Run a table (or only the entry called `only`); 1 if every test passed.
static int run_group(const struct utest *tab, const char *only) {
  for (const struct utest *t = tab; t->name; t++) {
    if (only && strcmp(only, t->name) != 0)
      continue;
    if (!run_one(t)) {
      printf("SOME TESTS FAILED\n");
      return 0;
    }
  }
  return 1;
}

// Free physical pages, measured by a child that allocates until it dies.
static int countfree(void) {
  int p[2];
  if (pipe(p) < 0) {
    printf("countfree: pipe failed\n");
    exit(1);
  }
  int pid = fork();
  if (pid < 0) {
    printf("countfree: fork failed\n");
    exit(1);
  }
  if (pid == 0) {
    close(p[0]);
    for (;;) {
      uint64 a = (uint64)sbrk(PGSIZE);
      if (a == NOADDR)
        break;
      // Touch the page so a lazy kernel really allocates it.
      *(volatile char *)(a + PGSIZE - 1) = 1;
      if (write(p[1], "+", 1) != 1) {
        printf("countfree: write failed\n");
        exit(1);
      }
    }
    exit(0);
  }
  close(p[1]);
  int pages = 0;
  for (;;) {
    char ch;
    int n = read(p[0], &ch, 1);
    if (n < 0) {
      printf("countfree: read failed\n");
      exit(1);
    }
    if (n == 0)
      break;
    pages++;
  }
  close(p[0]);
  wait(0);
  return pages;
}

// mode: 0 once, 1 repeat until failure (-c), 2 repeat forever (-C).
// Returns 1 if the (last) round passed.
static int drive(int mode, int quick_only, const char *only) {
  for (;;) {
    int ok = 1;
    printf("usertests starting\n");
    int free0 = countfree();

    if (!run_group(quick_tests, only)) {
      ok = 0;
      if (mode != 2)
        return 0;
    }
    if (!quick_only) {
      if (only == 0)
        printf("usertests slow tests starting\n");
      if (!run_group(slow_tests, only)) {
        ok = 0;
        if (mode != 2)
          return 0;
      }
    }

    int free1 = countfree();
    if (free1 < free0) {
      printf("FAILED -- lost some free pages %d (out of %d)\n", free1, free0);
      ok = 0;
      if (mode != 2)
        return 0;
    }
    if (mode == 0)
      return ok;
  }
}

// Whether a table has a test called name.
static int has_test(const struct utest *tab, const char *name) {
  for (const struct utest *t = tab; t->name; t++)
    if (strcmp(t->name, name) == 0)
      return 1;
  return 0;
}

int main(int argc, char *argv[]) {
  int mode = 0;
  int quick_only = 0;
  const char *only = 0;

  if (argc == 2 && strcmp(argv[1], "-q") == 0) {
    quick_only = 1;
  } else if (argc == 2 && strcmp(argv[1], "-c") == 0) {
    mode = 1;
  } else if (argc == 2 && strcmp(argv[1], "-C") == 0) {
    mode = 2;
  } else if (argc == 2 && argv[1][0] != '-') {
    only = argv[1];
  } else if (argc > 1) {
    printf("Usage: usertests [-c] [-C] [-q] [testname]\n");
    exit(1);
  }

  if (only && !has_test(quick_tests, only) && !has_test(slow_tests, only)) {
    printf("usertests: no test called %s\n", only);
    exit(1);
  }
  if (!drive(mode, quick_only, only))
    exit(1);
  printf("ALL TESTS PASSED\n");
  exit(0);
}
