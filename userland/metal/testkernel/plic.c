// The PLIC, as xv6 programs it: both devices at priority 1, enabled for every
// hart's S-mode context with threshold 0; claim and complete from this hart's
// S context.

#include "defs.h"

// Give the UART and the disk a non-zero priority (once).
void plicinit(void) {
  REG32(PLIC_PRIORITY(UART0_IRQ)) = 1;
  REG32(PLIC_PRIORITY(VIRTIO0_IRQ)) = 1;
}

// This hart's S context hears both devices (the threshold write comes last).
void plicinithart(void) {
  int ctx = 2 * cpuid() + 1;
  REG32(PLIC_ENABLE(ctx)) = (1 << UART0_IRQ) | (1 << VIRTIO0_IRQ);
  REG32(PLIC_THRESHOLD(ctx)) = 0;
}

// Which interrupt should this hart serve? (0 if none.)
int plic_claim(void) {
  return REG32(PLIC_CLAIM(2 * cpuid() + 1));
}

// This hart has served irq.
void plic_complete(int irq) {
  REG32(PLIC_CLAIM(2 * cpuid() + 1)) = irq;
}
