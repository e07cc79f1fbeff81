// Console output and exit for the C bare-metal test programs.

#include <stdarg.h>
#include "metal.h"

#define LSR 5
#define LSR_THR_EMPTY 0x20

// Send one byte through the UART, waiting until its transmit register is empty.
void putc(int c) {
  while ((REG8(UART0 + LSR) & LSR_THR_EMPTY) == 0)
    ;
  REG8(UART0) = c;
}

// Send a string.
void puts(const char *s) {
  while (*s)
    putc(*s++);
}

// Print an unsigned number in base 10 or 16.
static void putnum(uint64 v, int base) {
  char buf[24];
  int i = 0;
  do {
    buf[i++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (i > 0)
    putc(buf[--i]);
}

// A small printf: %d %u %x %p %s %c.
void printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putc(*fmt);
      continue;
    }
    switch (*++fmt) {
    case 'd': {
      long v = va_arg(ap, long);
      if (v < 0) {
        putc('-');
        v = -v;
      }
      putnum(v, 10);
      break;
    }
    case 'u':
      putnum(va_arg(ap, uint64), 10);
      break;
    case 'x':
      putnum(va_arg(ap, uint64), 16);
      break;
    case 'p':
      puts("0x");
      putnum(va_arg(ap, uint64), 16);
      break;
    case 's':
      puts(va_arg(ap, const char *));
      break;
    case 'c':
      putc(va_arg(ap, int));
      break;
    default:
      putc(*fmt);
    }
  }
  va_end(ap);
}

// Power the board off: status 0 passes, anything else is a failure code.
void exit(int status) {
  if (status == 0)
    REG32(FINISHER) = 0x5555;
  else
    REG32(FINISHER) = 0x3333 | ((uint32)status << 16);
  for (;;)
    ;
}

// Fill memory (the compiler may call this for struct initialisers).
void *memset(void *dst, int c, uint64 n) {
  uint8 *d = dst;
  while (n--)
    *d++ = c;
  return dst;
}

// Report one check: "ok what" or "FAIL what", and stop at the first failure.
void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok)
    exit(1);
}
