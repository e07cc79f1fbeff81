// grep PATTERN [FILE...]: print the lines that match a tiny regular
// expression language: c (literal), . (any character), x* (zero or more of
// x), ^ (anchor at line start) and $ (anchor at line end).
#include "user.h"

static int match_here(const char *re, const char *text);

// Match "c*" followed by the rest of the pattern: try every possible count
// of c, shortest first.
static int match_star(char c, const char *re, const char *text) {
  for (;;) {
    if (match_here(re, text))
      return 1;
    if (*text == 0 || (c != '.' && *text != c))
      return 0;
    text++;
  }
}

// Does the pattern match at the start of text?
static int match_here(const char *re, const char *text) {
  for (;;) {
    if (re[0] == 0)
      return 1;
    if (re[1] == '*')
      return match_star(re[0], re + 2, text);
    if (re[0] == '$' && re[1] == 0)
      return *text == 0;
    if (*text == 0 || (re[0] != '.' && re[0] != *text))
      return 0;
    re++;
    text++;
  }
}

// Does the pattern match anywhere in text?
static int match(const char *re, const char *text) {
  if (re[0] == '^')
    return match_here(re + 1, text);
  do {
    if (match_here(re, text))
      return 1;
  } while (*text++ != 0);
  return 0;
}

static char buf[1024];

// Read fd in chunks, split into lines and print the matching ones.
static void scan(const char *pattern, int fd) {
  int have = 0;
  int n;
  while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
    have += n;
    buf[have] = 0;
    char *line = buf;
    char *nl;
    while ((nl = strchr(line, '\n')) != 0) {
      *nl = 0;
      if (match(pattern, line)) {
        *nl = '\n';
        write(1, line, nl + 1 - line);
      }
      line = nl + 1;
    }
    // Keep the unfinished last line; drop it if it fills the whole buffer.
    int rest = have - (int)(line - buf);
    if (rest >= (int)sizeof(buf) - 1)
      rest = 0;
    if (rest > 0)
      memmove(buf, line, rest);
    have = rest;
  }
  if (have > 0) {
    buf[have] = 0;
    if (match(pattern, buf)) {
      write(1, buf, have);
      write(1, "\n", 1);
    }
  }
}

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(2, "usage: grep pattern [file ...]\n");
    exit(1);
  }
  if (argc == 2) {
    scan(argv[1], 0);
    return 0;
  }
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      exit(1);
    }
    scan(argv[1], fd);
    close(fd);
  }
  return 0;
}
