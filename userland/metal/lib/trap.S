# Trap entry and exit for the bare-metal test programs, for M-mode (mtvec) and
# S-mode (stvec), in direct and vectored form, and the small pieces of mode
# switching that need assembly (see trap.c).
#
# On a trap the hart swaps sp with mscratch (sscratch), which holds the top of
# this hart's trap stack, saves every register in a struct trapframe there,
# records which vector entry it came through, and calls mtrap(tf) (strap(tf)).
# That C function sets mepc (sepc) and the previous mode itself; this code then
# restores the registers and returns with mret (sret).

#define FRAME 320
#define EPC 256
#define CAUSE 264
#define TVAL 272
#define STATUS 280
#define VEC 288
#define LEVEL 296

        .section .text

# Save t0 and the vector number, then join the common path of level x (m or s).
.macro ENTRY x, vecno
        csrrw   sp, \x\()scratch, sp
        addi    sp, sp, -FRAME
        sd      t0, 5*8(sp)
        li      t0, \vecno
        sd      t0, VEC(sp)
        j       \x\()trap_common
.endm

# Save the rest, call the C handler, restore everything and return.
.macro COMMON x, level
\x\()trap_common:
        sd      x1, 1*8(sp)
        sd      x3, 3*8(sp)
        sd      x4, 4*8(sp)
        sd      x6, 6*8(sp)
        sd      x7, 7*8(sp)
        sd      x8, 8*8(sp)
        sd      x9, 9*8(sp)
        sd      x10, 10*8(sp)
        sd      x11, 11*8(sp)
        sd      x12, 12*8(sp)
        sd      x13, 13*8(sp)
        sd      x14, 14*8(sp)
        sd      x15, 15*8(sp)
        sd      x16, 16*8(sp)
        sd      x17, 17*8(sp)
        sd      x18, 18*8(sp)
        sd      x19, 19*8(sp)
        sd      x20, 20*8(sp)
        sd      x21, 21*8(sp)
        sd      x22, 22*8(sp)
        sd      x23, 23*8(sp)
        sd      x24, 24*8(sp)
        sd      x25, 25*8(sp)
        sd      x26, 26*8(sp)
        sd      x27, 27*8(sp)
        sd      x28, 28*8(sp)
        sd      x29, 29*8(sp)
        sd      x30, 30*8(sp)
        sd      x31, 31*8(sp)
        csrr    t0, \x\()scratch        # the interrupted sp
        sd      t0, 2*8(sp)
        addi    t0, sp, FRAME           # the scratch register holds the stack top again
        csrw    \x\()scratch, t0
        csrr    t0, \x\()epc
        sd      t0, EPC(sp)
        csrr    t0, \x\()cause
        sd      t0, CAUSE(sp)
        csrr    t0, \x\()tval
        sd      t0, TVAL(sp)
        csrr    t0, \x\()status
        sd      t0, STATUS(sp)
        li      t0, \level
        sd      t0, LEVEL(sp)
        mv      a0, sp
        call    \x\()trap
        ld      x1, 1*8(sp)
        ld      x3, 3*8(sp)
        ld      x4, 4*8(sp)
        ld      x5, 5*8(sp)
        ld      x6, 6*8(sp)
        ld      x7, 7*8(sp)
        ld      x8, 8*8(sp)
        ld      x9, 9*8(sp)
        ld      x10, 10*8(sp)
        ld      x11, 11*8(sp)
        ld      x12, 12*8(sp)
        ld      x13, 13*8(sp)
        ld      x14, 14*8(sp)
        ld      x15, 15*8(sp)
        ld      x16, 16*8(sp)
        ld      x17, 17*8(sp)
        ld      x18, 18*8(sp)
        ld      x19, 19*8(sp)
        ld      x20, 20*8(sp)
        ld      x21, 21*8(sp)
        ld      x22, 22*8(sp)
        ld      x23, 23*8(sp)
        ld      x24, 24*8(sp)
        ld      x25, 25*8(sp)
        ld      x26, 26*8(sp)
        ld      x27, 27*8(sp)
        ld      x28, 28*8(sp)
        ld      x29, 29*8(sp)
        ld      x30, 30*8(sp)
        ld      x31, 31*8(sp)
        ld      x2, 2*8(sp)
        \x\()ret
.endm

# Direct mode: every trap enters at the base.
        .align  4
        .globl  mtrapvec
mtrapvec:
        ENTRY   m, -1
        .align  4
        .globl  strapvec
strapvec:
        ENTRY   s, -1

# Vectored mode: exceptions enter at the base, interrupt i at base + 4 * i.
        .align  8
        .globl  mvectors
mvectors:
        .option push
        .option norvc
        .irp    i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        j       mvec\i
        .endr
        .option pop
        .irp    i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
mvec\i: ENTRY   m, \i
        .endr

        .align  8
        .globl  svectors
svectors:
        .option push
        .option norvc
        .irp    i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        j       svec\i
        .endr
        .option pop
        .irp    i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
svec\i: ENTRY   s, \i
        .endr

        COMMON  m, 3
        COMMON  s, 1

# int ctx_save(struct context *c): remember the callee-saved registers, sp and
# ra in c and return 0; ctx_resume(c) later returns here again, with 1.
        .globl  ctx_save
ctx_save:
        sd      ra, 0(a0)
        sd      sp, 8(a0)
        sd      s0, 16(a0)
        sd      s1, 24(a0)
        sd      s2, 32(a0)
        sd      s3, 40(a0)
        sd      s4, 48(a0)
        sd      s5, 56(a0)
        sd      s6, 64(a0)
        sd      s7, 72(a0)
        sd      s8, 80(a0)
        sd      s9, 88(a0)
        sd      s10, 96(a0)
        sd      s11, 104(a0)
        li      a0, 0
        ret

# The resume point a handler returns to (in the mode of the saved context,
# with a0 = that context): continue after its ctx_save, returning 1.
        .globl  ctx_resume
ctx_resume:
        ld      ra, 0(a0)
        ld      sp, 8(a0)
        ld      s0, 16(a0)
        ld      s1, 24(a0)
        ld      s2, 32(a0)
        ld      s3, 40(a0)
        ld      s4, 48(a0)
        ld      s5, 56(a0)
        ld      s6, 64(a0)
        ld      s7, 72(a0)
        ld      s8, 80(a0)
        ld      s9, 88(a0)
        ld      s10, 96(a0)
        ld      s11, 104(a0)
        li      a0, 1
        ret

# void enter_lower(fn, arg, sp, level, ret): jump to fn(arg) on stack sp in the
# mode already placed in mstatus.MPP (level 3) or sstatus.SPP (level 1), with
# ra = ret (lower_exit, or lower_exit_user for U-mode) so that fn's return comes
# back through an ecall.
        .globl  enter_lower
enter_lower:
        mv      ra, a4
        mv      sp, a2
        li      t0, 3
        beq     a3, t0, 1f
        csrw    sepc, a0
        mv      a0, a1
        sret
1:      csrw    mepc, a0
        mv      a0, a1
        mret

# Where a function run by call_in returns to: ecall with a7 = EXIT_MAGIC and
# its result in a0. U-mode code returns to the copy in the user page, which a
# program with paging maps for U (and S may then not execute).
.macro LOWER_EXIT name
        .globl  \name
\name:
        li      a7, 0x4d45544c          # EXIT_MAGIC ("METL")
        ecall
2:      j       2b
.endm
        LOWER_EXIT lower_exit
        .section .usertext, "ax", @progbits
        LOWER_EXIT lower_exit_user
