# Start-up for the C bare-metal test programs: every hart enters here in M-mode
# with a0 = its hart id. It keeps the hart id in tp (so code in any mode can
# find its per-hart data), takes its own 8 KiB stack, and calls
# metal_start(hartid), which sets up traps and calls main(hartid). If main
# returns, the hart powers the board off with main's value as the exit status
# (0 = pass), through the test finisher at 0x100000.

        .section .text.start
        .globl _start
_start:
        mv      tp, a0
        la      sp, stacks
        addi    t0, a0, 1
        slli    t0, t0, 13
        add     sp, sp, t0          # sp = stacks + (hartid + 1) * 8192
        call    metal_start
        call    exit
1:      j       1b
