# Program entry point. exec() leaves argc in a0, argv in a1 and sp pointing at
# the argument block, so main can be called straight away. Whatever main
# returns becomes the exit status; exit never comes back.

  .section .text.start, "ax", @progbits
  .global _start
  .type _start, @function
_start:
  call main
  call exit
1:
  j 1b
  .size _start, . - _start
