// wc: count lines, words and bytes of each named file (or standard input).
#include "user.h"

static char buf[1024];

static void count(int fd, const char *name) {
  int lines = 0, words = 0, bytes = 0;
  int in_word = 0;
  int n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    bytes += n;
    for (int i = 0; i < n; i++) {
      char c = buf[i];
      if (c == '\n')
        lines++;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v') {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "wc: read error\n");
    exit(1);
  }
  printf("%d %d %d %s\n", lines, words, bytes, name);
}

int main(int argc, char *argv[]) {
  if (argc < 2) {
    count(0, "");
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      exit(1);
    }
    count(fd, argv[i]);
    close(fd);
  }
  return 0;
}
