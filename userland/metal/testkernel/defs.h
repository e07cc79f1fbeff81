// The test kernel's shared declarations: a small xv6-like kernel that boots on
// the virt board through M-mode, runs in S-mode with paging, and drives the
// UART and the virtio disk with interrupts.

#ifndef DEFS_H
#define DEFS_H

#include "lib/metal.h"

#define TICK 1000000UL  // timer interval: 0.1 s of mtime (as xv6)

// start.c
extern int ncpu;

// main.c
extern volatile int started;

// vm.c
void kvminit(void);
void kvminithart(void);

// trap.c
extern volatile uint64 ticks[NCPU];
void trapinithart(void);
void intr_on(void);

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
