# Start-up for the C bare-metal test programs: every hart enters here in M-mode
# with a0 = its hart id, takes its own 4 KiB stack, and calls main(hartid).
# If main returns, the hart powers the board off with main's value as the
# exit status (0 = pass), through the test finisher at 0x100000.

        .section .text.start
        .globl _start
_start:
        la      sp, stacks
        addi    t0, a0, 1
        slli    t0, t0, 12
        add     sp, sp, t0          # sp = stacks + (hartid + 1) * 4096
        call    main
        call    exit
1:      j       1b
