// S-mode traps of the test kernel: timer ticks from stimecmp, and external
// interrupts from the PLIC (UART, disk). In the kernel, any exception is a
// kernel bug: it prints a panic line and powers off with status 2. From a
// U-mode program, ecall is a system call, a load or store page fault in user
// memory maps a page there, and any other exception kills the program.

#include "defs.h"

void kernelvec(void);

// Timer ticks taken by each hart.
volatile uint64 ticks[NCPU];

// Point this hart's stvec at kernelvec.
void trapinithart(void) {
  csrw(stvec, kernelvec);
}

// Let this hart take S-mode interrupts.
void intr_on(void) {
  csrs(sstatus, MSTATUS_SIE);
}

// A timer interrupt: count it and ask for the next one.
static void clockintr(void) {
  ticks[cpuid()]++;
  csrw(0x14d, csrr(time) + TICK);
}

// An external interrupt: ask the PLIC which device, serve it, complete it.
static void devintr(void) {
  int irq = plic_claim();
  if (irq == UART0_IRQ)
    uartintr();
  else if (irq == VIRTIO0_IRQ)
    diskintr();
  if (irq)
    plic_complete(irq);
}

// Called by kernelvec for every trap.
void kerneltrap(void) {
  uint64 cause = csrr(scause);
  uint64 sepc = csrr(sepc), sstatus = csrr(sstatus);
  if (cause == (CAUSE_INTR | IRQ_STI)) {
    clockintr();
  } else if (cause == (CAUSE_INTR | IRQ_SEI)) {
    devintr();
  } else {
    printf("panic: kerneltrap scause %p sepc %p stval %p\n", cause, sepc, csrr(stval));
    exit(2);
  }
  csrw(sepc, sepc);
  csrw(sstatus, sstatus);
}

// Called by uservec for every trap from U-mode; 1 when the program is done.
int usertrap(struct utrapframe *tf) {
  uint64 cause = csrr(scause);
  if (cause == EXC_ECALL_U)
    return syscall(tf);
  if (cause == (CAUSE_INTR | IRQ_STI)) {
    clockintr();
    return 0;
  }
  if (cause == (CAUSE_INTR | IRQ_SEI)) {
    devintr();
    return 0;
  }
  if ((cause == EXC_LOAD_PAGE || cause == EXC_STORE_PAGE) && uvmfault(csrr(stval)) == 0)
    return 0;
  return user_kill(tf, cause == EXC_LOAD_PAGE || cause == EXC_STORE_PAGE ? "page fault"
                                                                          : "exception");
}
