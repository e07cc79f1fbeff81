# Entering and leaving U-mode, as xv6's trampoline does, but with one page
# table for kernel and user (the user's pages carry the U bit):
#
#   uenter(tf)  saves the kernel's ra, sp, s0-s11 and tp in tf, loads the user's
#               registers from tf and srets to tf->epc in U-mode. It returns
#               only once usertrap() has said the program is done.
#   uservec     stvec while U runs: saves the user's registers in tf (sscratch
#               holds tf), takes the kernel's stack and calls usertrap(tf),
#               which answers 0 to go back to U or 1 to return from uenter.
#
# S-mode interrupts stay off from uenter until uenter returns (they are taken
# in U only, through uservec), so stvec is never uservec while S runs.
# Offsets are those of struct utrapframe (defs.h).

#define EPC 256
#define KRA 264
#define KSP 272
#define KS 280
#define KTP 376

        .section .text
        .globl  uenter
uenter:
        csrci   sstatus, 2          # SIE off
        sd      ra, KRA(a0)
        sd      sp, KSP(a0)
        sd      s0, KS+0*8(a0)
        sd      s1, KS+1*8(a0)
        sd      s2, KS+2*8(a0)
        sd      s3, KS+3*8(a0)
        sd      s4, KS+4*8(a0)
        sd      s5, KS+5*8(a0)
        sd      s6, KS+6*8(a0)
        sd      s7, KS+7*8(a0)
        sd      s8, KS+8*8(a0)
        sd      s9, KS+9*8(a0)
        sd      s10, KS+10*8(a0)
        sd      s11, KS+11*8(a0)
        sd      tp, KTP(a0)
        csrw    sscratch, a0
        j       userret

        .align  4
        .globl  uservec
uservec:
        csrrw   a0, sscratch, a0    # a0 = tf; sscratch = the user's a0
        sd      x1, 1*8(a0)
        sd      x2, 2*8(a0)
        sd      x3, 3*8(a0)
        sd      x4, 4*8(a0)
        sd      x5, 5*8(a0)
        sd      x6, 6*8(a0)
        sd      x7, 7*8(a0)
        sd      x8, 8*8(a0)
        sd      x9, 9*8(a0)
        sd      x11, 11*8(a0)
        sd      x12, 12*8(a0)
        sd      x13, 13*8(a0)
        sd      x14, 14*8(a0)
        sd      x15, 15*8(a0)
        sd      x16, 16*8(a0)
        sd      x17, 17*8(a0)
        sd      x18, 18*8(a0)
        sd      x19, 19*8(a0)
        sd      x20, 20*8(a0)
        sd      x21, 21*8(a0)
        sd      x22, 22*8(a0)
        sd      x23, 23*8(a0)
        sd      x24, 24*8(a0)
        sd      x25, 25*8(a0)
        sd      x26, 26*8(a0)
        sd      x27, 27*8(a0)
        sd      x28, 28*8(a0)
        sd      x29, 29*8(a0)
        sd      x30, 30*8(a0)
        sd      x31, 31*8(a0)
        csrr    t0, sscratch
        sd      t0, 10*8(a0)
        csrw    sscratch, a0        # sscratch = tf again
        csrr    t0, sepc
        sd      t0, EPC(a0)
        ld      sp, KSP(a0)
        ld      tp, KTP(a0)         # the hart id, whatever U did with tp
        la      t0, kernelvec       # a kernel bug in usertrap panics there
        csrw    stvec, t0
        call    usertrap
        csrr    t0, sscratch
        bnez    a0, leave
        mv      a0, t0

# Back to U-mode with the registers in tf (a0); SIE is off.
userret:
        la      t0, uservec
        csrw    stvec, t0
        ld      t0, EPC(a0)
        csrw    sepc, t0
        li      t0, 0x100           # SPP = U
        csrc    sstatus, t0
        li      t0, 0x20            # SPIE: interrupts on in U
        csrs    sstatus, t0
        ld      x1, 1*8(a0)
        ld      x2, 2*8(a0)
        ld      x3, 3*8(a0)
        ld      x4, 4*8(a0)
        ld      x5, 5*8(a0)
        ld      x6, 6*8(a0)
        ld      x7, 7*8(a0)
        ld      x8, 8*8(a0)
        ld      x9, 9*8(a0)
        ld      x11, 11*8(a0)
        ld      x12, 12*8(a0)
        ld      x13, 13*8(a0)
        ld      x14, 14*8(a0)
        ld      x15, 15*8(a0)
        ld      x16, 16*8(a0)
        ld      x17, 17*8(a0)
        ld      x18, 18*8(a0)
        ld      x19, 19*8(a0)
        ld      x20, 20*8(a0)
        ld      x21, 21*8(a0)
        ld      x22, 22*8(a0)
        ld      x23, 23*8(a0)
        ld      x24, 24*8(a0)
        ld      x25, 25*8(a0)
        ld      x26, 26*8(a0)
        ld      x27, 27*8(a0)
        ld      x28, 28*8(a0)
        ld      x29, 29*8(a0)
        ld      x30, 30*8(a0)
        ld      x31, 31*8(a0)
        ld      a0, 10*8(a0)
        sret

# The program is done: back to uenter's caller, SIE on again.
leave:
        ld      ra, KRA(t0)
        ld      sp, KSP(t0)
        ld      s0, KS+0*8(t0)
        ld      s1, KS+1*8(t0)
        ld      s2, KS+2*8(t0)
        ld      s3, KS+3*8(t0)
        ld      s4, KS+4*8(t0)
        ld      s5, KS+5*8(t0)
        ld      s6, KS+6*8(t0)
        ld      s7, KS+7*8(t0)
        ld      s8, KS+8*8(t0)
        ld      s9, KS+9*8(t0)
        ld      s10, KS+10*8(t0)
        ld      s11, KS+11*8(t0)
        csrsi   sstatus, 2
        ret
