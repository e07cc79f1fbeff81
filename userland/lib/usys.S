# System call stubs. Each one loads the xv6 system call number into a7 and
# traps with ecall; the kernel leaves the result in a0, which we return as is.
# Arguments are already in a0..a5 from the C calling convention.

#define SYSCALL(name, num) \
  .global name;            \
  .type name, @function;   \
  name:                    \
  li a7, num;              \
  ecall;                   \
  ret;                     \
  .size name, . - name

  .text
  .balign 4
SYSCALL(fork, 1)
SYSCALL(exit, 2)
SYSCALL(wait, 3)
SYSCALL(pipe, 4)
SYSCALL(read, 5)
SYSCALL(kill, 6)
SYSCALL(exec, 7)
SYSCALL(fstat, 8)
SYSCALL(chdir, 9)
SYSCALL(dup, 10)
SYSCALL(getpid, 11)
SYSCALL(sbrk, 12)
SYSCALL(sleep, 13)
SYSCALL(uptime, 14)
SYSCALL(open, 15)
SYSCALL(write, 16)
SYSCALL(mknod, 17)
SYSCALL(unlink, 18)
SYSCALL(link, 19)
SYSCALL(mkdir, 20)
SYSCALL(close, 21)
