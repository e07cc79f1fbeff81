// The test kernel's shared declarations: a small xv6-like kernel that boots on
// the virt board through M-mode, runs in S-mode with paging, drives the UART
// and the virtio disk with interrupts, and runs small U-mode programs whose
// memory it allocates lazily, page by page, as they fault.

#ifndef DEFS_H
#define DEFS_H

#include "lib/metal.h"

#define TICK 1000000UL  // timer interval: 0.1 s of mtime (as xv6)

// User memory: U-mode programs (user.c) see their code at its own address and
// lazily allocated pages in [UBASE, UTOP), the 1 GiB that is the kernel page
// table's second level-2 entry: heap from UBASE up, stack from UTOP down.
#define UBASE 0x40000000UL
#define UTOP 0x80000000UL
#define PHYSTOP (RAMBASE + (128UL << 20))

// System calls of the U-mode programs (number in a7).
#define SYS_EXIT 1  // exit(value): the program is done; the kernel prints value
#define SYS_SUM 2   // sum(buf, n): FNV-1a of n <= 512 bytes at user address buf

// A U-mode program's saved registers, and the kernel's, while it runs (uservec.S).
struct utrapframe {
  uint64 x[32];   // user x1..x31 at x[1..31]
  uint64 epc;     // user pc
  uint64 kra;     // the kernel's ra, sp, s0..s11 and tp at uenter()
  uint64 ksp;
  uint64 ks[12];
  uint64 ktp;
};

// start.c
extern int ncpu;

// main.c
extern volatile int started;
uint32 fnv1a(const uint8 *p, int n);

// vm.c
void kvminit(void);
void kvminithart(void);
void *kalloc(void);
void kfree(void *pa);
int uvmfault(uint64 va);
uint8 *uvmaddr(uint64 va);
void uvmfree(void);

// proc.c (and user.c's programs, which run in U-mode)
extern uint64 ufaults;
int run_user(void (*fn)(uint64), uint64 arg, uint64 *result);
int syscall(struct utrapframe *tf);
int user_kill(struct utrapframe *tf, const char *why);
void utouch(uint64 npages);
void ucpu(uint64 rounds);
void usys(uint64 ncalls);

// uservec.S
void uenter(struct utrapframe *tf);

// trap.c
extern volatile uint64 ticks[NCPU];
void trapinithart(void);
void intr_on(void);
int usertrap(struct utrapframe *tf);

// plic.c
void plicinit(void);
void plicinithart(void);
int plic_claim(void);
void plic_complete(int irq);

// uart.c
void uartinit(void);
void uartintr(void);

// console.c
void consoleintr(int c);
int consolereadline(char *buf, int max);

// disk.c
extern int disk_version;
extern uint64 disk_sectors;
void diskinit(void);
int disk_rw(uint64 sector, void *buf, int write);
void diskintr(void);

#endif
