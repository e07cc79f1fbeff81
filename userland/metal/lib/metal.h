// Helpers shared by the C bare-metal test programs: the virt board's addresses,
// CSR access, console output through the UART (polled), exit through the test
// finisher, checks, and the trap and mode-switching support of trap.c.

#ifndef METAL_H
#define METAL_H

typedef unsigned long uint64;
typedef long int64;
typedef unsigned int uint32;
typedef unsigned short uint16;
typedef unsigned char uint8;

#define NCPU 8

#define UART0 0x10000000UL
#define VIRTIO0 0x10001000UL
#define PLIC 0x0c000000UL
#define CLINT 0x02000000UL
#define FINISHER 0x100000UL
#define RAMBASE 0x80000000UL

#define UART0_IRQ 10
#define VIRTIO0_IRQ 1

#define REG64(addr) (*(volatile uint64 *)(addr))
#define REG32(addr) (*(volatile uint32 *)(addr))
#define REG16(addr) (*(volatile uint16 *)(addr))
#define REG8(addr) (*(volatile uint8 *)(addr))

// CLINT registers of hart h.
#define CLINT_MSIP(h) (CLINT + 4 * (h))
#define CLINT_MTIMECMP(h) (CLINT + 0x4000 + 8 * (h))
#define CLINT_MTIME (CLINT + 0xbff8)

// PLIC registers: context 2h is hart h's M-mode, 2h + 1 its S-mode.
#define PLIC_PRIORITY(irq) (PLIC + 4 * (irq))
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_ENABLE(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC + 0x200004 + 0x1000 * (ctx))

#define csrr(name) ({ uint64 v_; asm volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csrw(name, v) asm volatile("csrw " #name ", %0" : : "r"((uint64)(v)) : "memory")
#define csrs(name, v) asm volatile("csrs " #name ", %0" : : "r"((uint64)(v)) : "memory")
#define csrc(name, v) asm volatile("csrc " #name ", %0" : : "r"((uint64)(v)) : "memory")

// Privilege modes.
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

// mstatus / sstatus bits.
#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP (3UL << 11)
#define MSTATUS_FS (3UL << 13)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM (1UL << 18)
#define MSTATUS_MXR (1UL << 19)
#define MSTATUS_TVM (1UL << 20)
#define MSTATUS_TW (1UL << 21)
#define MSTATUS_TSR (1UL << 22)
#define MPP_SHIFT 11

// Interrupt numbers (bit in mip / mie; low bits of an interrupt's cause).
#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11
#define CAUSE_INTR (1UL << 63)

// Exception causes.
#define EXC_FETCH_MISALIGNED 0
#define EXC_FETCH_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_ECALL_M 11
#define EXC_FETCH_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15

// This hart's id (crt.S keeps it in tp; readable in every mode).
static inline int cpuid(void) {
  uint64 x;
  asm volatile("mv %0, tp" : "=r"(x));
  return x;
}

// mtime, from the CLINT (M-mode, or any mode with it mapped).
static inline uint64 mtime(void) {
  return REG64(CLINT_MTIME);
}

// metal.c: console, exit, checks.
void putc(int c);
void puts(const char *s);
void printf(const char *fmt, ...);
void exit(int status) __attribute__((noreturn));
void *memset(void *dst, int c, uint64 n);
void *memcpy(void *dst, const void *src, uint64 n);
void check(int ok, const char *what);
void checkv(int ok, const char *what, uint64 got);
int harts_alive(uint64 wait);
void spin(uint64 ticks);

// trap.c: one register save area per trap.
struct trapframe {
  uint64 x[32];  // x1..x31 at x[1..31]; x[0] unused
  uint64 epc, cause, tval, status;
  int64 vec;     // the vector entry used (vectored mode), or -1 (direct)
  uint64 level;  // PRV_M or PRV_S: which handler runs
  uint64 prev;   // the mode the trap came from; the handler may change where it returns
};

// The last trap each hart took (what tests look at), and how many.
struct traprec {
  uint64 count, cause, epc, tval, status, level, prev;
  int64 vec;
};
extern volatile struct traprec last[NCPU];

// A program's own trap handlers: return 1 if the trap was handled.
extern int (*mhook)(struct trapframe *tf);
extern int (*shook)(struct trapframe *tf);

// Entry points of trap.S, for mtvec / stvec.
void mtrapvec(void);
void strapvec(void);
void mvectors(void);
void svectors(void);

void trap_init(int hart);
void trap_clear(void);
uint64 call_in(int mode, uint64 (*fn)(uint64), uint64 arg, uint64 sp);

// Write a value to a register as a trap frame index.
#define TF_A0 10
#define TF_A7 17
#define TF_RA 1
#define TF_SP 2

#endif
