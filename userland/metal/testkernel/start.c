// M-mode start: every hart arrives here (through crt.S and metal_start) in
// machine mode. As xv6's start(), it hands all exceptions and the supervisor
// interrupts to S-mode, lets S use the Sstc timer (stimecmp) and read time,
// arms the first timer tick, and mrets to kmain() in S-mode with paging off.

#include "defs.h"

#define MENVCFG_STCE (1UL << 63)

void kmain(void);

// How many harts started (hart 0 counts them before going to S-mode).
int ncpu;

int main(int hartid) {
  if (hartid == 0)
    ncpu = harts_alive(1000000);
  csrw(medeleg, 0xffff);
  csrw(mideleg, (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI));
  csrw(sie, (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI));
  csrs(0x30a, MENVCFG_STCE);  // menvcfg: Sstc on
  csrs(mcounteren, 2);        // S may read time and write stimecmp
  csrw(0x14d, csrr(time) + TICK);
  csrw(satp, 0);
  uint64 s = csrr(mstatus);
  s = (s & ~MSTATUS_MPP) | ((uint64)PRV_S << MPP_SHIFT);
  csrw(mstatus, s);
  csrw(mepc, kmain);
  asm volatile("mret");
  return 0;
}
