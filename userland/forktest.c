// forktest: fork until the kernel refuses (at most 1000 times), check that
// the number of processes stayed within NPROC, then reap every child and
// check that wait reports no children left.
#include "user.h"

#define ATTEMPTS 1000

static void say(const char *s) {
  write(1, s, strlen(s));
}

int main(void) {
  say("fork test\n");
  int made = 0;
  for (; made < ATTEMPTS; made++) {
    int pid = fork();
    if (pid < 0)
      break;
    if (pid == 0)
      exit(0);
  }
  if (made == ATTEMPTS) {
    say("fork claimed to work 1000 times!\n");
    exit(1);
  }
  if (made >= NPROC) {
    printf("forktest: %d children exceed NPROC (%d)\n", made, NPROC);
    exit(1);
  }
  for (int i = 0; i < made; i++) {
    if (wait(0) < 0) {
      say("wait stopped early\n");
      exit(1);
    }
  }
  if (wait(0) != -1) {
    say("wait got too many\n");
    exit(1);
  }
  say("fork test OK\n");
  return 0;
}
