// vmtest: a scriptable probe of the kernel's memory system, for the test suite.
//
// Each argument is one step, run in order:
//   s<N>   sbrk(N) (N may be negative); prints "sbrk <old break>" or "sbrk -1"
//   t<O>   store one byte at heap base + O (heap base = the break at start)
//   r<O>   load one byte at heap base + O and print "read <value>"
//   w      wait for a line on stdin, so the test can inspect the page table
//   f      fork; the child keeps running the remaining steps, the parent waits
//          for it, prints "child <status>" and exits with 0
//   x<N>   exit with status N
//   i      execute an illegal instruction
//   b      execute ebreak
//   j<A>   jump to absolute address A
// Afterwards it prints "done" and exits 0.
#include "user.h"

static char *base;

// Parse a decimal number with an optional leading minus sign.
static long number(const char *s) {
  int neg = *s == '-';
  if (neg)
    s++;
  long n = 0;
  while (*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return neg ? -n : n;
}

// Block until the test driver types a line.
static void pause_for_line(void) {
  char c;
  while (read(0, &c, 1) == 1 && c != '\n')
    ;
}

int main(int argc, char *argv[]) {
  base = sbrk(0);
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    long n = number(a + 1);
    if (a[0] == 's') {
      char *old = sbrk((int)n);
      printf("sbrk %ld\n", (long)old);
    } else if (a[0] == 't') {
      *(volatile char *)(base + n) = 1;
    } else if (a[0] == 'r') {
      printf("read %d\n", *(volatile char *)(base + n));
    } else if (a[0] == 'w') {
      pause_for_line();
    } else if (a[0] == 'f') {
      int pid = fork();
      if (pid > 0) {
        int status = 0;
        wait(&status);
        printf("child %d\n", status);
        exit(0);
      }
    } else if (a[0] == 'i') {
      asm volatile(".word 0xffffffff");
    } else if (a[0] == 'b') {
      asm volatile("ebreak");
    } else if (a[0] == 'j') {
      ((void (*)(void))(uint64)n)();
    } else if (a[0] == 'x') {
      exit((int)n);
    }
  }
  printf("done\n");
  exit(0);
}
