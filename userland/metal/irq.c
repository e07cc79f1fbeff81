// Every interrupt source of the virt board, and the rules for taking them:
// the CLINT's software (MSI) and timer (MTI) interrupts in M, SSIP written by
// software, STIP from M or from Sstc's stimecmp, external interrupts through
// the PLIC from the UART and the virtio disk (to M and to S), the order in
// which several pending interrupts are taken, vectored mtvec / stvec, WFI,
// and interrupts between harts.
//
// The trap hooks below log each interrupt (cause, level, vector entry, epc)
// in evs[hart] and silence its source, so it fires once. Hart 0 runs the
// checks; with more harts, each other hart waits in WFI for hart 0's requests.

#include "lib/metal.h"
#include "lib/virtio.h"

#define MIP(irq) (1UL << (irq))
// menvcfg is CSR 0x30a, stimecmp 0x14d (written as numbers below).
#define MENVCFG_STCE (1UL << 63)
#define NEV 16
#define LONG 10000000UL  // 1 s of mtime: how long to wait for anything

// UART registers used here.
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_MCR 4
#define UART_LSR 5
#define IER_RX 0x01
#define IER_TX 0x02

// One interrupt as a hook saw it.
struct ev {
  uint64 cause, level, prev, epc, tval;
  int64 vec;
  uint32 irq;  // what the PLIC claim returned (external interrupts)
};

static volatile struct ev evs[NCPU][NEV];
static volatile int nev[NCPU];
static volatile int sstc;          // STI comes from stimecmp (else from mip.STIP)
static volatile uint8 uart_iir, uart_rx;
static volatile int ipi_got[NCPU], timer_got[NCPU], ext_got[NCPU];
static uint8 buf[SECTOR];

// Make a UART or virtio interrupt go away after its claim.
static void quiet(uint32 irq) {
  if (irq == UART0_IRQ) {
    uart_iir = REG8(UART0 + UART_IIR);  // reading IIR also clears THR empty
    if (REG8(UART0 + UART_LSR) & 1)
      uart_rx = REG8(UART0 + UART_RBR);
    REG8(UART0 + UART_IER) = 0;
  } else if (irq == VIRTIO0_IRQ) {
    VREG(VIRTIO_INTERRUPT_ACK) = VREG(VIRTIO_INTERRUPT_STATUS) & 3;
  }
}

// Claim an external interrupt from PLIC context ctx, silence it, complete it.
static uint32 claim(int ctx) {
  uint32 irq = REG32(PLIC_CLAIM(ctx));
  if (irq) {
    quiet(irq);
    REG32(PLIC_CLAIM(ctx)) = irq;
  }
  return irq;
}

// Record an interrupt in this hart's log.
static volatile struct ev *record(struct trapframe *tf) {
  int h = cpuid();
  volatile struct ev *e = &evs[h][nev[h] < NEV ? nev[h] : NEV - 1];
  e->cause = tf->cause;
  e->level = tf->level;
  e->prev = tf->prev;
  e->epc = tf->epc;
  e->tval = tf->tval;
  e->vec = tf->vec;
  e->irq = 0;
  return e;
}

// M-mode interrupts: log and silence. Exceptions are left to trap.c.
static int irq_mhook(struct trapframe *tf) {
  if (!(tf->cause & CAUSE_INTR))
    return 0;
  int h = cpuid();
  volatile struct ev *e = record(tf);
  switch (tf->cause & 0xff) {
  case IRQ_MSI:
    REG32(CLINT_MSIP(h)) = 0;
    ipi_got[h]++;
    break;
  case IRQ_MTI:
    REG64(CLINT_MTIMECMP(h)) = ~0UL;
    timer_got[h]++;
    break;
  case IRQ_MEI:
    e->irq = claim(2 * h);
    ext_got[h] = e->irq;
    break;
  case IRQ_SEI:
    e->irq = claim(2 * h + 1);
    break;
  case IRQ_SSI:
    csrc(mip, MIP(IRQ_SSI));
    break;
  case IRQ_STI:
    csrc(mip, MIP(IRQ_STI));
    break;
  }
  nev[h]++;
  return 1;
}

// S-mode interrupts: log and silence (S cannot clear mip.STIP: it masks it).
static int irq_shook(struct trapframe *tf) {
  if (!(tf->cause & CAUSE_INTR))
    return 0;
  int h = cpuid();
  volatile struct ev *e = record(tf);
  switch (tf->cause & 0xff) {
  case IRQ_SSI:
    csrc(sip, MIP(IRQ_SSI));
    break;
  case IRQ_STI:
    if (sstc)
      csrw(0x14d, ~0UL);
    else
      csrc(sie, MIP(IRQ_STI));
    break;
  case IRQ_SEI:
    e->irq = claim(2 * h + 1);
    break;
  }
  nev[h]++;
  return 1;
}

// Start a check: interrupts off, nothing delegated, the log empty.
static void reset(void) {
  csrc(mstatus, MSTATUS_MIE | MSTATUS_SIE);
  csrw(mie, 0);
  csrw(mideleg, 0);
  csrc(mip, MIP(IRQ_SSI) | MIP(IRQ_STI));
  nev[cpuid()] = 0;
}

// Wait (polling mtime) until this hart has logged n interrupts; false on timeout.
static int wait_events(int n) {
  uint64 end = mtime() + LONG;
  while (nev[cpuid()] < n && mtime() < end)
    ;
  return nev[cpuid()] >= n;
}

// Print hart 0's log (when a check about it fails).
static void dump(void) {
  for (int i = 0; i < nev[0]; i++)
    printf("  interrupt %d at level %d, vector %d, irq %d\n", evs[0][i].cause & 0xff,
           evs[0][i].level, evs[0][i].vec, evs[0][i].irq);
}

// check(), showing hart 0's log if it fails.
static void checkl(int ok, const char *what) {
  if (!ok)
    dump();
  check(ok, what);
}

// Was log entry i of hart 0 interrupt irq, taken at level `level`?
static int was(int i, int irq, int level) {
  return evs[0][i].cause == (CAUSE_INTR | irq) && evs[0][i].level == level;
}

// The CLINT's software interrupt.
static void msi(void) {
  reset();
  REG32(CLINT_MSIP(0)) = 1;
  check(csrr(mip) & MIP(IRQ_MSI), "CLINT msip = 1 sets mip.MSIP");
  csrw(mie, MIP(IRQ_MSI));
  uint64 at;
  asm volatile("la %0, 1f\n csrsi mstatus, 8\n 1: nop" : "=&r"(at) : : "memory");
  csrc(mstatus, MSTATUS_MIE);
  checkl(nev[0] == 1 && was(0, IRQ_MSI, PRV_M), "MSI taken in M: mcause = interrupt 3");
  checkl(evs[0][0].epc == at, "mepc = the next instruction after MIE was set");
  checkl(evs[0][0].tval == 0, "mtval = 0 for an interrupt");
  check((csrr(mip) & MIP(IRQ_MSI)) == 0 && REG32(CLINT_MSIP(0)) == 0,
        "msip = 0 clears mip.MSIP");
}

// The CLINT's timer interrupt, and WFI waking for it.
static void mti(void) {
  reset();
  REG64(CLINT_MTIMECMP(0)) = 0;
  check(csrr(mip) & MIP(IRQ_MTI), "mtimecmp <= mtime sets mip.MTIP");
  REG64(CLINT_MTIMECMP(0)) = ~0UL;
  check((csrr(mip) & MIP(IRQ_MTI)) == 0, "mtimecmp in the future clears it");
  csrw(mie, MIP(IRQ_MTI));
  csrs(mstatus, MSTATUS_MIE);
  uint64 deadline = mtime() + 1000;
  REG64(CLINT_MTIMECMP(0)) = deadline;
  int ok = wait_events(1);
  check(ok && was(0, IRQ_MTI, PRV_M) && mtime() >= deadline,
        "MTI taken when mtime reaches mtimecmp");

  reset();
  csrw(mie, MIP(IRQ_MTI));
  deadline = mtime() + 20000;
  REG64(CLINT_MTIMECMP(0)) = deadline;
  asm volatile("wfi");
  uint64 pending = csrr(mip) & MIP(IRQ_MTI);
  checkl(pending && mtime() >= deadline && nev[0] == 0,
         "wfi with MIE = 0 waits for the enabled MTI, which is not taken");
  REG64(CLINT_MTIMECMP(0)) = ~0UL;
}

// S-mode: wait in WFI with SIE = 0 for stimecmp (Sstc).
static uint64 s_wfi_stimecmp(uint64 arg) {
  csrc(sstatus, MSTATUS_SIE);
  csrs(sie, MIP(IRQ_STI));
  csrw(0x14d, csrr(time) + 20000);
  asm volatile("wfi");
  uint64 got = csrr(sip) & MIP(IRQ_STI);
  csrw(0x14d, ~0UL);
  return got;
}

// S-mode: enable SSI, raise it, return.
static uint64 s_raise_ssi(uint64 arg) {
  csrs(sie, MIP(IRQ_SSI));
  csrs(sstatus, MSTATUS_SIE);
  csrs(sip, MIP(IRQ_SSI));
  asm volatile("nop");
  return 0;
}

// S-mode: set stimecmp (Sstc) a little ahead and wait for the interrupt.
static uint64 s_stimecmp(uint64 arg) {
  csrw(0x14d, 0);
  int past = (csrr(sip) & MIP(IRQ_STI)) != 0;
  csrw(0x14d, ~0UL);
  int future = (csrr(sip) & MIP(IRQ_STI)) == 0;
  csrs(sie, MIP(IRQ_STI));
  csrs(sstatus, MSTATUS_SIE);
  csrw(0x14d, csrr(time) + 1000);
  uint64 end = csrr(time) + LONG;
  while (nev[0] == 0 && csrr(time) < end)
    ;
  return past && future;
}

// S-mode: enable STI and SIE and return (any pending STI is taken at once).
static uint64 s_enable_sti(uint64 arg) {
  csrs(sie, MIP(IRQ_STI));
  csrs(sstatus, MSTATUS_SIE);
  asm volatile("nop");
  return 0;
}

// S-mode: touch stimecmp; returns 1 if the access did not trap.
static uint64 s_touch_stimecmp(uint64 arg) {
  int before = last[0].count;
  csrr(0x14d);
  return last[0].count == before;
}

// U-mode: nothing (lets pending S interrupts in).
static uint64 u_nothing(uint64 arg) {
  asm volatile("nop\n nop");
  return 0;
}

// Supervisor software and timer interrupts, delegated or not.
static void ssi_sti(void) {
  reset();
  csrw(mie, MIP(IRQ_SSI));
  csrs(mstatus, MSTATUS_MIE);
  csrs(mip, MIP(IRQ_SSI));
  checkl(nev[0] == 1 && was(0, IRQ_SSI, PRV_M), "SSIP not delegated: taken in M (cause 1)");

  reset();
  csrw(mideleg, MIP(IRQ_SSI));
  call_in(PRV_S, s_raise_ssi, 0, 0);
  checkl(nev[0] == 1 && was(0, IRQ_SSI, PRV_S) && evs[0][0].prev == PRV_S,
         "S sets sip.SSIP: taken in S with SIE (scause = interrupt 1)");

  reset();
  csrw(mideleg, MIP(IRQ_SSI));
  csrw(mie, MIP(IRQ_SSI));
  csrs(mstatus, MSTATUS_MIE);
  csrs(mip, MIP(IRQ_SSI));
  asm volatile("nop");
  checkl(nev[0] == 0, "a delegated interrupt is never taken in M");
  call_in(PRV_U, u_nothing, 0, 0);
  checkl(nev[0] == 1 && was(0, IRQ_SSI, PRV_S) && evs[0][0].prev == PRV_U,
         "it is taken as soon as the hart is in U, whatever SIE");

  reset();  // STIP written by M (no Sstc), delegated to S
  csrw(mideleg, MIP(IRQ_STI));
  csrs(mip, MIP(IRQ_STI));
  check(csrr(sip) & MIP(IRQ_STI), "M sets mip.STIP; S sees sip.STIP");
  call_in(PRV_S, s_enable_sti, 0, 0);
  checkl(nev[0] == 1 && was(0, IRQ_STI, PRV_S), "STI from mip.STIP taken in S (interrupt 5)");
  csrc(mip, MIP(IRQ_STI));

  reset();  // Sstc: stimecmp drives STIP
  csrw(mcounteren, 0);
  csrs(0x30a, MENVCFG_STCE);  // menvcfg
  check((csrr(0x30a) & MENVCFG_STCE) != 0, "menvcfg.STCE turns Sstc on");
  check(call_in(PRV_S, s_touch_stimecmp, 0, 0) == 0,
        "S may not use stimecmp without mcounteren.TM");
  csrw(mcounteren, 2);
  sstc = 1;
  csrw(mideleg, MIP(IRQ_STI));
  csrw(0x14d, ~0UL);
  csrs(mip, MIP(IRQ_STI));
  check((csrr(mip) & MIP(IRQ_STI)) == 0, "with Sstc, M cannot set mip.STIP");
  uint64 ok = call_in(PRV_S, s_stimecmp, 0, 0);
  check(ok, "stimecmp <= time sets sip.STIP; stimecmp in the future clears it");
  checkl(nev[0] == 1 && was(0, IRQ_STI, PRV_S), "STI from stimecmp taken in S");
  reset();
  csrw(mideleg, MIP(IRQ_STI));
  checkl(call_in(PRV_S, s_wfi_stimecmp, 0, 0) && nev[0] == 0,
         "wfi in S with SIE = 0 wakes for stimecmp, not taken");
  sstc = 0;
  csrc(0x30a, MENVCFG_STCE);
  csrw(mcounteren, 0);
  check(call_in(PRV_S, s_touch_stimecmp, 0, 0) == 0, "without STCE, stimecmp is illegal in S");
}

// Set PLIC context ctx's enables, then its threshold (0): on QEMU 7.2 only the
// threshold write makes the PLIC look at its lines again (as xv6 does it).
static void plic_enable(int ctx, uint32 bits) {
  REG32(PLIC_ENABLE(ctx)) = bits;
  REG32(PLIC_THRESHOLD(ctx)) = 0;
}

// Make the UART raise its THR-empty interrupt (at PLIC source 10).
static void uart_thre_on(void) {
  REG8(UART0 + UART_IER) = IER_TX;
}

// S-mode: enable external interrupts and wait for one.
static uint64 s_wait_external(uint64 arg) {
  csrs(sie, MIP(IRQ_SEI));
  csrs(sstatus, MSTATUS_SIE);
  uint64 end = REG64(CLINT_MTIME) + LONG;
  while (nev[0] == 0 && REG64(CLINT_MTIME) < end)
    asm volatile("wfi");
  return 0;
}

// Send a byte round the UART in loopback and take its receive interrupt in S.
static uint64 s_loopback(uint64 arg) {
  REG8(UART0 + UART_FCR) = 0x07;
  REG8(UART0 + UART_MCR) = 0x10;
  REG8(UART0 + UART_IER) = IER_RX;
  REG8(UART0 + UART_THR) = 'x';
  s_wait_external(0);
  REG8(UART0 + UART_MCR) = 0x08;
  return 0;
}

// External interrupts through the PLIC, from the UART and from the disk.
static void external(void) {
  REG32(PLIC_PRIORITY(UART0_IRQ)) = 1;
  REG32(PLIC_PRIORITY(VIRTIO0_IRQ)) = 1;
  REG32(PLIC_THRESHOLD(0)) = 0;
  REG32(PLIC_THRESHOLD(1)) = 0;

  reset();
  uart_thre_on();
  check(REG32(PLIC_PENDING) & (1 << UART0_IRQ), "UART THR-empty interrupt: PLIC pending bit 10");
  check((csrr(mip) & (MIP(IRQ_MEI) | MIP(IRQ_SEI))) == 0, "not enabled in a context: no MEIP/SEIP");
  plic_enable(0, 1 << UART0_IRQ);
  check(csrr(mip) & MIP(IRQ_MEI), "enabled in hart 0's M context: mip.MEIP");
  csrw(mie, MIP(IRQ_MEI));
  csrs(mstatus, MSTATUS_MIE);
  asm volatile("nop");
  checkl(nev[0] == 1 && was(0, IRQ_MEI, PRV_M) && evs[0][0].irq == UART0_IRQ,
         "MEI taken in M, the claim gives 10");
  check((uart_iir & 0x0f) == 0x02, "the UART's IIR said THR empty");
  plic_enable(0, 0);

  reset();
  csrw(mideleg, MIP(IRQ_SEI));
  plic_enable(1, 1 << UART0_IRQ);
  uart_thre_on();
  check(csrr(sip) & MIP(IRQ_SEI), "enabled in hart 0's S context: sip.SEIP");
  call_in(PRV_S, s_wait_external, 0, 0);
  checkl(nev[0] == 1 && was(0, IRQ_SEI, PRV_S) && evs[0][0].irq == UART0_IRQ,
         "SEI taken in S (scause = interrupt 9), the claim gives 10");

  reset();
  csrs(mip, MIP(IRQ_SEI));
  int set = (csrr(mip) & MIP(IRQ_SEI)) != 0;
  csrc(mip, MIP(IRQ_SEI));
  check(set && (csrr(mip) & MIP(IRQ_SEI)) == 0, "M can set and clear mip.SEIP itself");
  plic_enable(1, 1 << UART0_IRQ);
  uart_thre_on();
  csrs(mip, MIP(IRQ_SSI));  // writes back the SEIP it reads
  csrc(mip, MIP(IRQ_SSI));
  claim(1);
  check((csrr(mip) & MIP(IRQ_SEI)) == 0,
        "csrs/csrc of mip.SSIP while the PLIC holds SEIP: the claim still clears it");
  plic_enable(1, 0);

  reset();
  csrw(mideleg, MIP(IRQ_SEI));
  plic_enable(1, 1 << UART0_IRQ);
  call_in(PRV_S, s_loopback, 0, 0);
  checkl(nev[0] == 1 && evs[0][0].irq == UART0_IRQ && uart_rx == 'x' &&
             (uart_iir & 0x0f) == 0x04,
         "UART loopback: the byte comes back with a receive interrupt");
  plic_enable(1, 0);

  reset();
  csrw(mideleg, MIP(IRQ_SEI));
  virtio_init();
  plic_enable(1, 1 << VIRTIO0_IRQ);
  virtio_submit(2, buf, 0);
  call_in(PRV_S, s_wait_external, 0, 0);
  int right = virtio_finished() && virtio_status() == 0;
  for (int j = 0; j < SECTOR; j++)
    right = right && buf[j] == (uint8)(2 * 13 + j);
  checkl(nev[0] == 1 && was(0, IRQ_SEI, PRV_S) && evs[0][0].irq == VIRTIO0_IRQ,
         "virtio disk: completion is SEI in S, the claim gives 1");
  check(right, "and sector 2 was read");
  plic_enable(1, 0);
}

// Leave a finished disk request with its interrupt pending (PLIC source 1).
static void virtio_pending(void) {
  virtio_submit(3, buf, 0);
  uint64 end = mtime() + LONG;
  while (!virtio_finished() && mtime() < end)
    ;
}

// S-mode: let the pending S interrupts in, all at once.
static uint64 s_enable_all(uint64 arg) {
  csrs(sie, MIP(IRQ_SSI) | MIP(IRQ_STI) | MIP(IRQ_SEI));
  csrs(sstatus, MSTATUS_SIE);
  asm volatile("nop");
  return 0;
}

// Several interrupts pending at once are taken highest first.
static void priorities(void) {
  reset();
  plic_enable(0, 1 << UART0_IRQ);
  plic_enable(1, 1 << VIRTIO0_IRQ);
  uart_thre_on();
  virtio_pending();
  REG32(CLINT_MSIP(0)) = 1;
  REG64(CLINT_MTIMECMP(0)) = 0;
  csrs(mip, MIP(IRQ_SSI) | MIP(IRQ_STI));
  csrw(mie, MIP(IRQ_MEI) | MIP(IRQ_MSI) | MIP(IRQ_MTI) | MIP(IRQ_SEI) | MIP(IRQ_SSI) |
                MIP(IRQ_STI));
  csrs(mstatus, MSTATUS_MIE);
  asm volatile("nop");
  csrc(mstatus, MSTATUS_MIE);
  checkl(nev[0] == 6 && was(0, IRQ_SSI, PRV_M) && was(1, IRQ_MSI, PRV_M) &&
             was(2, IRQ_STI, PRV_M) && was(3, IRQ_MTI, PRV_M) && was(4, IRQ_SEI, PRV_M) &&
             was(5, IRQ_MEI, PRV_M),
         "six pending for M: taken lowest number first (QEMU 7.2)");
  plic_enable(0, 0);

  reset();
  csrw(mideleg, MIP(IRQ_SSI) | MIP(IRQ_STI) | MIP(IRQ_SEI));
  virtio_pending();
  csrs(mip, MIP(IRQ_SSI) | MIP(IRQ_STI));
  call_in(PRV_S, s_enable_all, 0, 0);
  csrc(mip, MIP(IRQ_STI));
  checkl(nev[0] == 3 && was(0, IRQ_SSI, PRV_S) && was(1, IRQ_STI, PRV_S) &&
             was(2, IRQ_SEI, PRV_S),
         "three pending for S: taken lowest number first (QEMU 7.2)");
  plic_enable(1, 0);

  reset();
  csrw(mideleg, MIP(IRQ_SSI));
  csrw(mie, MIP(IRQ_SSI) | MIP(IRQ_MTI));
  csrs(mstatus, MSTATUS_SIE);  // S starts with SIE = 1
  csrs(mip, MIP(IRQ_SSI));
  REG64(CLINT_MTIMECMP(0)) = 0;
  call_in(PRV_S, u_nothing, 0, 0);
  checkl(nev[0] == 2 && was(0, IRQ_MTI, PRV_M) && evs[0][0].prev == PRV_S &&
             was(1, IRQ_SSI, PRV_S),
         "in S, an M interrupt (MTI) goes before an S one (SSI), even with MIE = 0");
}

// Vectored mode: interrupt i enters at base + 4 * i, exceptions at base.
static void vectored(void) {
  csrw(mtvec, (uint64)mvectors | 2);
  check(csrr(mtvec) == (uint64)mtrapvec, "mtvec ignores the reserved mode 2");
  csrw(mtvec, (uint64)mvectors | 1);
  check(csrr(mtvec) == ((uint64)mvectors | 1), "mtvec takes vectored mode (1)");
  reset();
  csrw(mie, MIP(IRQ_MSI) | MIP(IRQ_MTI));
  REG32(CLINT_MSIP(0)) = 1;
  REG64(CLINT_MTIMECMP(0)) = 0;
  csrs(mstatus, MSTATUS_MIE);
  asm volatile("nop");
  csrc(mstatus, MSTATUS_MIE);
  checkl(nev[0] == 2 && evs[0][0].vec == IRQ_MSI && evs[0][1].vec == IRQ_MTI,
         "vectored mtvec: MSI enters at base + 12, MTI at base + 28");
  trap_clear();
  asm volatile("li a7, 0\n ecall" : : : "a7");
  check(last[0].cause == EXC_ECALL_M && last[0].vec == 0, "vectored mtvec: exceptions at base");
  csrw(mtvec, mtrapvec);

  reset();
  csrw(stvec, (uint64)svectors | 1);
  csrw(mideleg, MIP(IRQ_SSI) | MIP(IRQ_STI) | MIP(IRQ_SEI));
  plic_enable(1, 1 << VIRTIO0_IRQ);
  virtio_pending();
  csrs(mip, MIP(IRQ_SSI) | MIP(IRQ_STI));
  call_in(PRV_S, s_enable_all, 0, 0);
  csrc(mip, MIP(IRQ_STI));
  checkl(nev[0] == 3 && evs[0][0].vec == IRQ_SSI && evs[0][1].vec == IRQ_STI &&
             evs[0][2].vec == IRQ_SEI,
         "vectored stvec: SSI, STI, SEI enter at base + 4, + 20, + 36");
  plic_enable(1, 0);
  csrw(stvec, strapvec);
}

// Wait for a flag another hart sets; false on timeout.
static int wait_flag(volatile int *flag, int want) {
  uint64 end = mtime() + LONG;
  while (*flag != want && mtime() < end)
    ;
  return *flag == want;
}

// Harts other than 0: answer an IPI, take their own timer, then external interrupts.
static void other_hart(int h) {
  csrw(mie, MIP(IRQ_MSI) | MIP(IRQ_MTI) | MIP(IRQ_MEI));
  csrs(mstatus, MSTATUS_MIE);
  while (ipi_got[h] == 0)
    asm volatile("wfi");
  REG32(CLINT_MSIP(0)) = 1;
  REG64(CLINT_MTIMECMP(h)) = mtime() + 5000;
  for (;;)
    asm volatile("wfi");
}

// Print "ok" or "FAIL" and a message about hart h; stop on failure.
static void check_hart(int ok, const char *fmt, int h) {
  printf(ok ? "ok " : "FAIL ");
  printf(fmt, h, h);
  printf("\n");
  if (!ok)
    exit(1);
}

// Interrupts between harts, and each hart's own timer and PLIC context.
static void harts(int n) {
  for (int h = 1; h < n; h++) {
    reset();
    csrw(mie, MIP(IRQ_MSI) | MIP(IRQ_MTI) | MIP(IRQ_MEI));
    csrs(mstatus, MSTATUS_MIE);
    REG32(CLINT_MSIP(h)) = 1;
    int ok = wait_events(1) && wait_flag(&ipi_got[h], 1) && was(0, IRQ_MSI, PRV_M);
    check_hart(ok, "hart 0 -> hart %d -> hart 0: IPIs through msip", h);
    ok = wait_flag(&timer_got[h], 1) && nev[0] == 1;
    check_hart(ok, "hart %d's mtimecmp interrupts hart %d only", h);
    plic_enable(2 * h, 1 << UART0_IRQ);
    uart_thre_on();
    ok = wait_flag(&ext_got[h], UART0_IRQ) && nev[0] == 1;
    plic_enable(2 * h, 0);
    check_hart(ok, "the PLIC sends the UART's interrupt to hart %d's M context only", h);
  }
}

int main(int hartid) {
  mhook = irq_mhook;
  shook = irq_shook;
  REG64(CLINT_MTIMECMP(hartid)) = ~0UL;
  if (hartid != 0) {
    other_hart(hartid);
    return 0;
  }
  int n = harts_alive(1000000);
  msi();
  mti();
  ssi_sti();
  external();
  priorities();
  vectored();
  harts(n);
  printf("irq: all checks passed on %d harts\n", n);
  return 0;
}
