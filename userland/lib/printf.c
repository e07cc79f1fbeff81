// Formatted output for user programs: printf (to fd 1) and fprintf (any fd).
//
// Each call formats into a small local buffer and hands it to write() in as
// few pieces as possible (one, unless the text exceeds the buffer), so lines
// printed by concurrent processes do not get interleaved character by character.
//
// Conversions: %d %u %x %p %s %c %%, with an optional l or ll size prefix
// (%ld %lu %lx %lld ...), an optional '-' or '0' flag and a decimal width.
// Unknown conversions are printed literally.
#include <stdarg.h>
#include "user.h"

#define OUTBUF 256

struct out {
  int fd;
  int len;
  char buf[OUTBUF];
};

static void flush(struct out *o) {
  if (o->len > 0)
    write(o->fd, o->buf, o->len);
  o->len = 0;
}

static void put(struct out *o, char c) {
  if (o->len == OUTBUF)
    flush(o);
  o->buf[o->len++] = c;
}

static void pad(struct out *o, int count, char c) {
  while (count-- > 0)
    put(o, c);
}

// Emit a number in the given base. 'neg' asks for a leading minus sign.
static void number(struct out *o, uint64 v, int base, int neg, int width, int zero, int left) {
  static const char digits[] = "0123456789abcdef";
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v != 0);
  int len = n + (neg ? 1 : 0);
  if (!left && !zero)
    pad(o, width - len, ' ');
  if (neg)
    put(o, '-');
  if (!left && zero)
    pad(o, width - len, '0');
  while (n > 0)
    put(o, tmp[--n]);
  if (left)
    pad(o, width - len, ' ');
}

static void format(int fd, const char *fmt, va_list ap) {
  struct out o;
  o.fd = fd;
  o.len = 0;
  for (const char *p = fmt; *p != 0; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    const char *start = p;
    p++;
    int left = 0, zero = 0, width = 0, longs = 0;
    for (;; p++) {
      if (*p == '-')
        left = 1;
      else if (*p == '0')
        zero = 1;
      else
        break;
    }
    while (*p >= '0' && *p <= '9')
      width = width * 10 + (*p++ - '0');
    while (*p == 'l') {
      longs++;
      p++;
    }
    switch (*p) {
    case 'd': {
      long v = longs ? va_arg(ap, long) : (long)va_arg(ap, int);
      uint64 mag = v < 0 ? (uint64)0 - (uint64)v : (uint64)v;
      number(&o, mag, 10, v < 0, width, zero, left);
      break;
    }
    case 'u': {
      uint64 v = longs ? va_arg(ap, uint64) : (uint64)va_arg(ap, uint);
      number(&o, v, 10, 0, width, zero, left);
      break;
    }
    case 'x': {
      uint64 v = longs ? va_arg(ap, uint64) : (uint64)va_arg(ap, uint);
      number(&o, v, 16, 0, width, zero, left);
      break;
    }
    case 'p': {
      // Pointers print as 0x followed by all 16 hex digits, as xv6 does.
      uint64 v = (uint64)va_arg(ap, void *);
      put(&o, '0');
      put(&o, 'x');
      for (int shift = 60; shift >= 0; shift -= 4)
        put(&o, "0123456789abcdef"[(v >> shift) & 0xf]);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (s == 0)
        s = "(null)";
      int len = (int)strlen(s);
      if (!left)
        pad(&o, width - len, ' ');
      while (*s != 0)
        put(&o, *s++);
      if (left)
        pad(&o, width - len, ' ');
      break;
    }
    case 'c':
      put(&o, (char)va_arg(ap, int));
      break;
    case '%':
      put(&o, '%');
      break;
    case 0:
      // A lone '%' at the end of the format: print it and stop.
      put(&o, '%');
      p--;
      break;
    default:
      // Unknown conversion: reproduce it unchanged.
      for (const char *q = start; q <= p; q++)
        put(&o, *q);
      break;
    }
  }
  flush(&o);
}

void fprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  format(fd, fmt, ap);
  va_end(ap);
}

void printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  format(1, fmt, ap);
  va_end(ap);
}
