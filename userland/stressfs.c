// stressfs: several processes each write a file of their own at the same
// time, then read it back and check its contents, exercising the log and
// the buffer cache under concurrency.
#include "user.h"

#define WORKERS 4
#define CHUNKS 20
#define CHUNK 512

static char data[CHUNK];
static char back[CHUNK];

static void work(int id) {
  char name[] = "stressfs0";
  name[8] = (char)('0' + id);
  memset(data, 'a' + id, sizeof(data));
  printf("stressfs: worker %d writing %s\n", id, name);
  int fd = open(name, O_CREATE | O_RDWR | O_TRUNC);
  if (fd < 0) {
    printf("stressfs: cannot create %s\n", name);
    exit(1);
  }
  for (int i = 0; i < CHUNKS; i++) {
    if (write(fd, data, CHUNK) != CHUNK) {
      printf("stressfs: write to %s failed\n", name);
      exit(1);
    }
  }
  close(fd);
  fd = open(name, O_RDONLY);
  if (fd < 0) {
    printf("stressfs: cannot reopen %s\n", name);
    exit(1);
  }
  for (int i = 0; i < CHUNKS; i++) {
    if (read(fd, back, CHUNK) != CHUNK || memcmp(back, data, CHUNK) != 0) {
      printf("stressfs: %s reads back wrong\n", name);
      exit(1);
    }
  }
  close(fd);
  unlink(name);
  exit(0);
}

int main(void) {
  printf("stressfs starting\n");
  for (int id = 0; id < WORKERS; id++) {
    int pid = fork();
    if (pid < 0) {
      printf("stressfs: fork failed\n");
      exit(1);
    }
    if (pid == 0)
      work(id);
  }
  int failed = 0;
  for (int id = 0; id < WORKERS; id++) {
    int status = 0;
    if (wait(&status) < 0 || status != 0)
      failed = 1;
  }
  if (failed) {
    printf("stressfs failed\n");
    exit(1);
  }
  printf("stressfs done\n");
  return 0;
}
