// Helpers shared by the C bare-metal test programs: the virt board's addresses,
// CSR access, console output through the UART (polled), and exit through the
// test finisher.

#ifndef METAL_H
#define METAL_H

typedef unsigned long uint64;
typedef unsigned int uint32;
typedef unsigned char uint8;

#define UART0 0x10000000UL
#define VIRTIO0 0x10001000UL
#define PLIC 0x0c000000UL
#define CLINT 0x02000000UL
#define FINISHER 0x100000UL

#define UART0_IRQ 10
#define VIRTIO0_IRQ 1

#define REG32(addr) (*(volatile uint32 *)(addr))
#define REG8(addr) (*(volatile uint8 *)(addr))

#define csrr(name) ({ uint64 v_; asm volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csrw(name, v) asm volatile("csrw " #name ", %0" : : "r"((uint64)(v)))
#define csrs(name, v) asm volatile("csrs " #name ", %0" : : "r"((uint64)(v)))
#define csrc(name, v) asm volatile("csrc " #name ", %0" : : "r"((uint64)(v)))

void putc(int c);
void puts(const char *s);
void printf(const char *fmt, ...);
void exit(int status) __attribute__((noreturn));
void *memset(void *dst, int c, uint64 n);
void check(int ok, const char *what);

#endif
