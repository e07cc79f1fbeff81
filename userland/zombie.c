// zombie: leave a zombie behind for a while. The child exits at once; the
// parent sleeps without waiting for it, then exits (init reaps the child).
#include "user.h"

int main(void) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "zombie: fork failed\n");
    exit(1);
  }
  if (pid == 0)
    exit(0);
  sleep(5);
  return 0;
}
