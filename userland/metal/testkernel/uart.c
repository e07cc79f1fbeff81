// The console UART (16550): programmed as xv6's uartinit() does, receiving
// with interrupts. Output is polled (lib/metal.c's putc).

#include "defs.h"

#define RHR 0
#define IER 1
#define FCR 2
#define ISR 2
#define LCR 3
#define LSR 5
#define R(r) REG8(UART0 + (r))

// 38.4K baud, 8 bits, FIFOs on and cleared, receive interrupts on.
void uartinit(void) {
  R(IER) = 0x00;
  R(LCR) = 0x80;
  R(0) = 0x03;
  R(1) = 0x00;
  R(LCR) = 0x03;
  R(FCR) = 0x07;
  R(IER) = 0x01;
}

// A UART interrupt: hand every received byte to the console.
void uartintr(void) {
  (void)R(ISR);
  while (R(LSR) & 0x01)
    consoleintr(R(RHR));
}
