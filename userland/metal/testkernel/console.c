// The console, as xv6's: bytes from the UART's interrupt are echoed and kept in
// a 128-byte ring; backspace erases the last byte typed, carriage return ends a
// line like newline, and a line becomes readable once it is complete.
// consolereadline() waits for one.
//
//   r: next byte to read   w: end of complete lines   e: end of typed bytes

#include "defs.h"

#define INPUT 128

static char buf[INPUT];
static volatile uint64 r, w, e;

// One byte arrived (interrupt context; the PLIC gives it to one hart at a time).
void consoleintr(int c) {
  if (c == '\r')
    c = '\n';
  if (c == 0x7f || c == '\b') {
    if (e != w) {
      e--;
      puts("\b \b");
    }
    return;
  }
  if (e - r >= INPUT)
    return;  // full: dropped, as xv6 drops it
  printf("%c", c);
  buf[e++ % INPUT] = c;
  if (c == '\n' || e - r == INPUT) {
    __sync_synchronize();
    w = e;
  }
}

// Wait (in WFI, interrupts on) for a line; copy it to out without its newline.
int consolereadline(char *out, int max) {
  int n = 0;
  for (;;) {
    while (r == w)
      asm volatile("wfi");
    char c = buf[r % INPUT];
    __sync_synchronize();
    r++;
    if (c == '\n')
      break;
    if (n < max - 1)
      out[n++] = c;
  }
  out[n] = 0;
  return n;
}
