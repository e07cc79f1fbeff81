// The test kernel's S-mode main and its shell. Hart 0 sets up the console,
// paging, traps, the PLIC and the disk, then lets the other harts in; each hart
// turns paging and interrupts on. Hart 0 then reads commands from the console:
//
//   echo WORDS     print WORDS
//   read N         read sector N, print its FNV-1a checksum (32 bits, hex)
//   write N B      fill sector N with byte B (decimal)
//   harts          wait until every hart has taken a timer tick, say so
//   touch N        a U-mode program stores to N pages of lazily mapped memory
//   cpu N          a U-mode program runs N rounds of cpubench's workload
//   sys N          a U-mode program makes N system calls
//   exit N         power off with status N (0 = pass)
//   help           list these
//
// Output is plain so that tests (CLI, gdb stub) can follow it: a prompt "$ ",
// typed characters echoed, one line per result.

#include "defs.h"

volatile int started;
static volatile int running;
static uint8 sector[512];

// String compare.
static int strcmp(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return (uint8)*a - (uint8)*b;
}

// A decimal number, or -1 if s is not one.
static int64 number(const char *s) {
  int64 n = 0;
  if (!*s)
    return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    n = n * 10 + (*s - '0');
  }
  return n;
}

// Split buf into words in place; returns how many (at most max).
static int words(char *buf, char **argv, int max) {
  int n = 0;
  while (*buf && n < max) {
    while (*buf == ' ')
      *buf++ = 0;
    if (!*buf)
      break;
    argv[n++] = buf;
    while (*buf && *buf != ' ')
      buf++;
  }
  return n;
}

// FNV-1a over n bytes: the checksum of the read command and of sys_sum.
uint32 fnv1a(const uint8 *p, int n) {
  uint32 h = 2166136261u;
  for (int i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

// read N
static void cmd_read(int64 s) {
  if (s < 0 || (uint64)s >= disk_sectors) {
    printf("read: no sector %s\n", s < 0 ? "there" : "that far");
    return;
  }
  if (disk_rw(s, sector, 0) != 0) {
    printf("read: disk error\n");
    return;
  }
  printf("sector %d: fnv1a %x\n", s, (uint64)fnv1a(sector, 512));
}

// write N B
static void cmd_write(int64 s, int64 b) {
  if (s < 0 || (uint64)s >= disk_sectors || b < 0 || b > 255) {
    printf("write: usage: write SECTOR BYTE\n");
    return;
  }
  memset(sector, b, 512);
  if (disk_rw(s, sector, 1) != 0) {
    printf("write: disk error\n");
    return;
  }
  printf("sector %d: wrote %d\n", s, b);
}

// harts
static void cmd_harts(void) {
  for (int i = 0; i < ncpu; i++) {
    uint64 end = csrr(time) + 20 * TICK;
    while (ticks[i] == 0 && csrr(time) < end)
      asm volatile("wfi");
    printf("hart %d: %s\n", i, ticks[i] ? "timer ticks" : "no timer ticks");
  }
}

// touch N, cpu N, sys N: run a U-mode program, say how it ended.
static void cmd_user(const char *name, void (*fn)(uint64), int64 n) {
  uint64 value;
  if (n < 0) {
    printf("%s: usage: %s N\n", name, name);
    return;
  }
  if (run_user(fn, n, &value) < 0)
    printf("%s: killed after %d page faults\n", name, ufaults);
  else
    printf("%s %d: %d page faults, exit value %x\n", name, n, ufaults, value);
}

// Run one command line.
static void run(char *buf) {
  char *argv[8];
  int argc = words(buf, argv, 8);
  if (argc == 0)
    return;
  if (strcmp(argv[0], "echo") == 0) {
    for (int i = 1; i < argc; i++)
      printf(i + 1 < argc ? "%s " : "%s", argv[i]);
    printf("\n");
  } else if (strcmp(argv[0], "read") == 0 && argc == 2) {
    cmd_read(number(argv[1]));
  } else if (strcmp(argv[0], "write") == 0 && argc == 3) {
    cmd_write(number(argv[1]), number(argv[2]));
  } else if (strcmp(argv[0], "harts") == 0) {
    cmd_harts();
  } else if (strcmp(argv[0], "touch") == 0 && argc == 2) {
    cmd_user("touch", utouch, number(argv[1]));
  } else if (strcmp(argv[0], "cpu") == 0 && argc == 2) {
    cmd_user("cpu", ucpu, number(argv[1]));
  } else if (strcmp(argv[0], "sys") == 0 && argc == 2) {
    cmd_user("sys", usys, number(argv[1]));
  } else if (strcmp(argv[0], "exit") == 0 && argc <= 2) {
    exit(argc == 2 ? number(argv[1]) : 0);
  } else if (strcmp(argv[0], "help") == 0) {
    printf("commands: echo WORDS, read N, write N B, harts, touch N, cpu N, sys N, exit N, "
           "help\n");
  } else {
    printf("unknown command: %s\n", argv[0]);
  }
}

// Read and run commands for ever.
static void shell(void) {
  char buf[128];
  for (;;) {
    printf("$ ");
    consolereadline(buf, sizeof(buf));
    run(buf);
  }
}

// Every hart enters here in S-mode (from start.c).
void kmain(void) {
  int id = cpuid();
  if (id == 0) {
    uartinit();
    printf("testkernel: hart 0 in S-mode\n");
    kvminit();
    kvminithart();
    trapinithart();
    plicinit();
    plicinithart();
    diskinit();
    printf("testkernel: paging on; virtio disk version %d, %d sectors\n", disk_version,
           disk_sectors);
    __sync_synchronize();
    started = 1;
  } else {
    while (!started)
      ;
    __sync_synchronize();
    kvminithart();
    trapinithart();
    plicinithart();
  }
  __sync_fetch_and_add(&running, 1);
  intr_on();
  if (id != 0)
    for (;;)
      asm volatile("wfi");
  while (running < ncpu)
    ;
  printf("testkernel: %d harts running\n", ncpu);
  shell();
}
