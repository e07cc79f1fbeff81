// Small C library for xv6lazy user programs: string and memory helpers, a
// line reader, stat() and atoi(). Everything here is freestanding; gcc may
// also emit calls to memset/memcpy/memmove/memcmp on its own, so those four
// must exist with the usual semantics.
#include "user.h"

char *strcpy(char *dst, const char *src) {
  char *out = dst;
  while ((*dst++ = *src++) != 0) {
  }
  return out;
}

int strcmp(const char *a, const char *b) {
  while (*a != 0 && *a == *b) {
    a++;
    b++;
  }
  return (int)(uchar)*a - (int)(uchar)*b;
}

uint strlen(const char *s) {
  const char *p = s;
  while (*p != 0)
    p++;
  return (uint)(p - s);
}

void *memset(void *dst, int c, uint n) {
  uchar *d = (uchar *)dst;
  uchar b = (uchar)c;
  // Bytes until 8-byte alignment, then whole words, then the tail. The build
  // passes -fno-tree-loop-distribute-patterns so gcc never turns these loops
  // back into calls to memset itself.
  while (n > 0 && ((uint64)d & 7) != 0) {
    *d++ = b;
    n--;
  }
  uint64 word = b * 0x0101010101010101UL;
  while (n >= 8) {
    *(uint64 *)d = word;
    d += 8;
    n -= 8;
  }
  while (n > 0) {
    *d++ = b;
    n--;
  }
  return dst;
}

char *strchr(const char *s, char c) {
  for (; *s != 0; s++) {
    if (*s == c)
      return (char *)s;
  }
  return 0;
}

// Read one line (up to max-1 bytes, newline included) from fd 0, one byte at a
// time so nothing beyond the line is consumed. The result is always
// NUL-terminated; an empty string means end of input.
char *gets(char *buf, int max) {
  int len = 0;
  while (len + 1 < max) {
    char c;
    if (read(0, &c, 1) < 1)
      break;
    buf[len++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  buf[len] = 0;
  return buf;
}

int stat(const char *path, struct stat *st) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int r = fstat(fd, st);
  close(fd);
  return r;
}

int atoi(const char *s) {
  int neg = 0;
  int v = 0;
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '-') {
    neg = 1;
    s++;
  }
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}

// Forward copy; uses 8-byte moves when both pointers share their alignment.
static void copy_up(uchar *d, const uchar *s, uint64 n) {
  if ((((uint64)d ^ (uint64)s) & 7) == 0) {
    while (n > 0 && ((uint64)d & 7) != 0) {
      *d++ = *s++;
      n--;
    }
    while (n >= 8) {
      *(uint64 *)d = *(const uint64 *)s;
      d += 8;
      s += 8;
      n -= 8;
    }
  }
  while (n > 0) {
    *d++ = *s++;
    n--;
  }
}

void *memmove(void *dst, const void *src, int n) {
  uchar *d = (uchar *)dst;
  const uchar *s = (const uchar *)src;
  if (n <= 0 || d == s)
    return dst;
  if (s < d && s + n > d) {
    // The destination overlaps the source from above: copy backwards.
    while (n > 0) {
      n--;
      d[n] = s[n];
    }
  } else {
    copy_up(d, s, (uint64)n);
  }
  return dst;
}

void *memcpy(void *dst, const void *src, uint n) {
  copy_up((uchar *)dst, (const uchar *)src, n);
  return dst;
}

int memcmp(const void *a, const void *b, uint n) {
  const uchar *x = (const uchar *)a;
  const uchar *y = (const uchar *)b;
  for (uint i = 0; i < n; i++) {
    if (x[i] != y[i])
      return (int)x[i] - (int)y[i];
  }
  return 0;
}
