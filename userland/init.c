// init: the first user process.
//
// It makes sure the console device exists and is open as fds 0, 1 and 2.
// Without arguments it keeps a shell running forever: start sh, wait for it
// (reaping any orphaned process that happens to exit meanwhile), start a
// new one when it ends.
//
// Run mode: `init PROG ARG...` runs just that one program, waits for it
// (again reaping orphans) and exits with its exit status, which the kernel
// uses as the machine's power-off status.
#include "user.h"

static void open_console(void) {
  int fd = open("console", O_RDWR);
  if (fd < 0) {
    mknod("console", CONSOLE, 0);
    fd = open("console", O_RDWR);
  }
  // fd is 0 here (nothing else is open yet); make 1 and 2 refer to it too.
  dup(fd);
  dup(fd);
}

// Wait until the child `pid` exits and return its status. Other children
// (orphans re-parented to init) are reaped along the way.
static int wait_for(int pid) {
  for (;;) {
    int status = 0;
    int got = wait(&status);
    if (got == pid)
      return status;
    if (got < 0) {
      fprintf(2, "init: wait failed\n");
      exit(1);
    }
  }
}

static int run_once(char **argv) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "init: fork failed\n");
    exit(1);
  }
  if (pid == 0) {
    exec(argv[0], argv);
    fprintf(2, "init: exec %s failed\n", argv[0]);
    exit(127);
  }
  return wait_for(pid);
}

int main(int argc, char *argv[]) {
  open_console();
  if (argc > 1)
    exit(run_once(argv + 1));
  for (;;) {
    printf("init: starting sh\n");
    int pid = fork();
    if (pid < 0) {
      printf("init: fork failed\n");
      exit(1);
    }
    if (pid == 0) {
      // Built on the stack so init keeps no writable data and fits one page.
      char *shell_argv[] = {"sh", 0};
      exec("sh", shell_argv);
      printf("init: exec sh failed\n");
      exit(1);
    }
    wait_for(pid);
  }
}
