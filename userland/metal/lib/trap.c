// Trap handling and mode switching for the bare-metal test programs.
//
// Every hart has an M-mode and an S-mode trap stack (mscratch and sscratch
// point at their tops; see trap.S). A trap is recorded in last[hart] and then
// offered to the program's hook for its level (mhook / shook). Unhandled
// exceptions are stepped over, so a test can provoke one and look at last[]
// afterwards; a fetch fault returns to ra instead (tests reach bad code with a
// call). An unhandled interrupt is a failure.
//
// call_in(mode, fn, arg, sp) runs fn(arg) in a lower mode and returns its
// result: it saves the caller's registers in a context (like setjmp), goes down
// with mret or sret, and fn returns into lower_exit, which makes an ecall with
// a7 = EXIT_MAGIC. Whichever handler gets that ecall pops the context and
// returns, in the context's mode, to ctx_resume, which continues in call_in.
// An S-mode handler whose context belongs to M-mode passes the ecall on.

#include "metal.h"

#define EXIT_MAGIC 0x4d45544cUL
#define STACK 4096
#define DEPTH 4

// A saved caller of call_in (trap.S's ctx_save / ctx_resume use the first 14 words).
struct context {
  uint64 ra, sp, s[12];
  uint64 mode;    // the mode the caller ran in
  uint64 enable;  // its MIE / SIE bits, restored on return
  uint64 ret;     // fn's result
};

volatile struct traprec last[NCPU];
int (*mhook)(struct trapframe *tf);
int (*shook)(struct trapframe *tf);

static uint8 mstack[NCPU][STACK] __attribute__((aligned(16)));
static uint8 sstack[NCPU][STACK] __attribute__((aligned(16)));
static struct context ctxs[NCPU][DEPTH];
static int depth[NCPU];
static volatile int cur_mode[NCPU];

int ctx_save(struct context *c) __attribute__((returns_twice));
void ctx_resume(struct context *c);
void enter_lower(uint64 (*fn)(uint64), uint64 arg, uint64 sp, int level, void (*ret)(void));
void lower_exit(void);
void lower_exit_user(void);

// Point this hart's trap vectors and scratch registers at its trap stacks.
void trap_init(int hart) {
  csrw(mscratch, &mstack[hart][STACK]);
  csrw(sscratch, &sstack[hart][STACK]);
  csrw(mtvec, mtrapvec);
  csrw(stvec, strapvec);
  cur_mode[hart] = PRV_M;
}

// Forget this hart's last trap.
void trap_clear(void) {
  volatile struct traprec *r = &last[cpuid()];
  r->count = r->cause = r->epc = r->tval = r->status = r->level = r->prev = 0;
  r->vec = -2;
}

// Read the 16-bit instruction parcel at the trapped pc, with the trapped
// mode's view of memory (M: MPRV with MPP; S: SUM), to learn its length.
static uint16 parcel(struct trapframe *tf) {
  uint64 v, old;
  if (tf->level == PRV_M) {
    uint64 set = tf->prev == PRV_M ? 0 : MSTATUS_MPRV | MSTATUS_MXR | MSTATUS_SUM;
    asm volatile("csrrs %1, mstatus, %2\n lhu %0, 0(%3)\n csrw mstatus, %1"
                 : "=&r"(v), "=&r"(old) : "r"(set), "r"(tf->epc) : "memory");
  } else {
    uint64 set = MSTATUS_MXR | MSTATUS_SUM;
    asm volatile("csrrs %1, sstatus, %2\n lhu %0, 0(%3)\n csrw sstatus, %1"
                 : "=&r"(v), "=&r"(old) : "r"(set), "r"(tf->epc) : "memory");
  }
  return v;
}

// Step over the exception's instruction (or back to ra after a bad fetch).
static void skip(struct trapframe *tf) {
  uint64 c = tf->cause;
  if (c == EXC_FETCH_MISALIGNED || c == EXC_FETCH_ACCESS || c == EXC_FETCH_PAGE) {
    tf->epc = tf->x[TF_RA];
    return;
  }
  tf->epc += (parcel(tf) & 3) == 3 ? 4 : 2;
}

// Pass an exit ecall from an S-mode handler on to M-mode (never returns).
static void forward_exit(uint64 ret) {
  register uint64 a0 asm("a0") = ret;
  register uint64 a7 asm("a7") = EXIT_MAGIC;
  asm volatile("ecall" : : "r"(a0), "r"(a7));
  for (;;)
    ;
}

// A function run by call_in returned: resume its caller, in the caller's mode.
static void exit_lower(struct trapframe *tf, int h) {
  struct context *c = &ctxs[h][depth[h] - 1];
  if (c->mode > tf->level)
    forward_exit(tf->x[TF_A0]);
  depth[h]--;
  c->ret = tf->x[TF_A0];
  tf->epc = (uint64)ctx_resume;
  tf->x[TF_A0] = (uint64)c;
  tf->prev = c->mode;
  cur_mode[h] = c->mode;
}

// Return from the trap: xepc and the previous mode come from the frame.
static void finish(struct trapframe *tf) {
  if (tf->level == PRV_M) {
    // One write: MPP must never be U in between while a test has MPRV set.
    uint64 s = (csrr(mstatus) & ~MSTATUS_MPP) | ((tf->prev & 3) << MPP_SHIFT);
    csrw(mepc, tf->epc);
    csrw(mstatus, s);
  } else {
    csrw(sepc, tf->epc);
    if (tf->prev == PRV_S)
      csrs(sstatus, MSTATUS_SPP);
    else
      csrc(sstatus, MSTATUS_SPP);
  }
}

// Handle a trap at level tf->level (called from trap.S).
static void trap(struct trapframe *tf) {
  int h = cpuid();
  uint64 c = tf->cause;
  if (tf->level == PRV_M)
    tf->prev = (tf->status & MSTATUS_MPP) >> MPP_SHIFT;
  else
    tf->prev = (tf->status & MSTATUS_SPP) ? PRV_S : PRV_U;
  int ecall = c == EXC_ECALL_U || c == EXC_ECALL_S || c == EXC_ECALL_M;
  if (ecall && tf->x[TF_A7] == EXIT_MAGIC) {
    exit_lower(tf, h);
    finish(tf);
    return;
  }
  volatile struct traprec *r = &last[h];
  r->cause = c;
  r->epc = tf->epc;
  r->tval = tf->tval;
  r->status = tf->status;
  r->level = tf->level;
  r->prev = tf->prev;
  r->vec = tf->vec;
  r->count++;
  int (*hook)(struct trapframe *) = tf->level == PRV_M ? mhook : shook;
  if (hook && hook(tf)) {
    finish(tf);
    return;
  }
  if (c & CAUSE_INTR) {
    printf("FAIL unexpected interrupt %d at level %d on hart %d\n", c & 0xff, tf->level, h);
    exit(98);
  }
  skip(tf);
  finish(tf);
}

// An M-mode trap, from trap.S.
void mtrap(struct trapframe *tf) {
  trap(tf);
}

// An S-mode trap, from trap.S.
void strap(struct trapframe *tf) {
  trap(tf);
}

// Run fn(arg) in `mode` (below the current one) on stack sp (0: just below
// this frame), and return its result once it returns.
uint64 call_in(int mode, uint64 (*fn)(uint64), uint64 arg, uint64 sp) {
  int h = cpuid();
  int level = cur_mode[h];
  if (depth[h] == DEPTH) {
    printf("FAIL call_in nested too deep\n");
    exit(96);
  }
  struct context *c = &ctxs[h][depth[h]++];
  c->mode = level;
  if (level == PRV_M)
    c->enable = csrr(mstatus) & (MSTATUS_MIE | MSTATUS_SIE);
  else
    c->enable = csrr(sstatus) & MSTATUS_SIE;
  if (ctx_save(c) == 0) {
    if (sp == 0) {
      asm volatile("mv %0, sp" : "=r"(sp));
      sp = (sp - 256) & ~15UL;
    }
    if (level == PRV_M) {
      csrc(mstatus, MSTATUS_MPP);
      csrs(mstatus, (uint64)mode << MPP_SHIFT);
    } else if (mode == PRV_S) {
      csrs(sstatus, MSTATUS_SPP);
    } else {
      csrc(sstatus, MSTATUS_SPP);
    }
    cur_mode[h] = mode;
    enter_lower(fn, arg, sp, level, mode == PRV_U ? lower_exit_user : lower_exit);
  }
  if (c->mode == PRV_M) {
    csrc(mstatus, MSTATUS_MIE | MSTATUS_SIE);
    csrs(mstatus, c->enable);
  } else {
    csrc(sstatus, MSTATUS_SIE);
    csrs(sstatus, c->enable);
  }
  return c->ret;
}
