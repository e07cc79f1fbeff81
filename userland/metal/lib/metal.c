// Console output, exit and checks for the C bare-metal test programs, and the
// start of every hart (metal_start) before main.

#include <stdarg.h>
#include "metal.h"

#define LSR 5
#define LSR_THR_EMPTY 0x20

int main(int hartid);

// Harts that have reached main (see harts_alive).
static volatile int alive;

// The print lock: the hart holding it plus one (0 = free), and its depth, so a
// trap handler may print while its hart is already printing.
static volatile int print_owner;
static int print_depth;

// Per-hart start, called by crt.S in M-mode: let S and U reach all memory
// (QEMU denies them everything until a PMP entry allows it), install the trap
// vectors, count the hart in, and run main.
int metal_start(int hartid) {
  csrw(pmpaddr0, 0x3fffffffffffffUL);
  csrw(pmpcfg0, 0xf);
  trap_init(hartid);
  __atomic_fetch_add(&alive, 1, __ATOMIC_SEQ_CST);
  return main(hartid);
}

// Hart 0: wait `wait` ticks of mtime for the others to start, and say how many did.
int harts_alive(uint64 wait) {
  spin(wait);
  return alive;
}

// Busy-wait for `ticks` ticks of mtime (M-mode: reads the CLINT).
void spin(uint64 ticks) {
  uint64 end = mtime() + ticks;
  while (mtime() < end)
    ;
}

// Take the print lock (re-entrant for the hart that holds it).
static void print_lock(void) {
  int me = cpuid() + 1;
  if (print_owner == me) {
    print_depth++;
    return;
  }
  while (__sync_val_compare_and_swap(&print_owner, 0, me) != 0)
    ;
  print_depth = 1;
}

// Release the print lock.
static void print_unlock(void) {
  if (--print_depth == 0)
    __sync_lock_release(&print_owner);
}

// Send one byte through the UART, waiting until its transmit register is empty.
void putc(int c) {
  while ((REG8(UART0 + LSR) & LSR_THR_EMPTY) == 0)
    ;
  REG8(UART0) = c;
}

// Send a string.
void puts(const char *s) {
  print_lock();
  while (*s)
    putc(*s++);
  print_unlock();
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

// A small printf: %d %u %x %p %s %c. Whole calls do not interleave between harts.
void printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_lock();
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
      putc('0');
      putc('x');
      putnum(va_arg(ap, uint64), 16);
      break;
    case 's':
      for (const char *s = va_arg(ap, const char *); *s; s++)
        putc(*s);
      break;
    case 'c':
      putc(va_arg(ap, int));
      break;
    default:
      putc(*fmt);
    }
  }
  print_unlock();
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

// Copy memory (the compiler may call this for struct copies).
void *memcpy(void *dst, const void *src, uint64 n) {
  uint8 *d = dst;
  const uint8 *s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}

// Report one check: "ok what" or "FAIL what", and stop at the first failure.
void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok)
    exit(1);
}

// Like check, but a failure also shows the value that was wrong.
void checkv(int ok, const char *what, uint64 got) {
  if (ok) {
    check(1, what);
    return;
  }
  printf("FAIL %s (got %p)\n", what, got);
  exit(1);
}
