// sbrk2025: the two-argument sbrk of the 2025 revision of xv6-riscv, from a
// program built for it. There, system call 12 is sbrk(n, type): SBRK_EAGER
// allocates the pages at once, so growing past free memory fails with -1 and the
// process lives on; SBRK_LAZY only raises the size, so more than all of memory can
// be reserved and pages arrive as they are touched.
//
// Prints one line per part and "sbrk2025: OK"; on a failure, the reason and exit 1.
#include "user.h"

#define SBRK_EAGER 1
#define SBRK_LAZY 2
#define MB (1024 * 1024)
#define EAGER_CAP 1024 // MiB; more than the machine has
#define LAZY_MB 1024 // reserved lazily
#define TOUCHES 16 // pages touched in the lazy region, spread over it

// The system call stub under its 2025 name: a0 = n, a1 = type.
char *sys_sbrk(int n, int type);
asm(".text\n"
    ".globl sys_sbrk\n"
    "sys_sbrk:\n"
    "  li a7, 12\n"
    "  ecall\n"
    "  ret\n");

// 2025's library wrappers: the type goes into a1 right before the stub is called.
__attribute__((noinline)) char *sbrkeager(int n) { return sys_sbrk(n, SBRK_EAGER); }
__attribute__((noinline)) char *sbrklazy(int n) { return sys_sbrk(n, SBRK_LAZY); }

// Print why and exit 1.
static void fail(const char *why) {
  printf("sbrk2025: %s\n", why);
  exit(1);
}

// Eager growth one MiB at a time until the kernel refuses; the size must not move
// on the refusal, and giving it all back must restore the start.
static void eager(void) {
  char *start = sbrkeager(0);
  int mb = 0;
  while (mb < EAGER_CAP && sbrkeager(MB) != (char *)-1)
    mb++;
  if (mb == EAGER_CAP)
    fail("eager sbrk never failed");
  if (sbrkeager(0) != start + (uint64)mb * MB)
    fail("a failed eager sbrk moved the break");
  printf("eager: %d MiB, then -1\n", mb);
  sbrkeager(-mb * MB);
  if (sbrkeager(0) != start)
    fail("shrinking did not restore the break");
}

// A lazy reservation larger than memory, a few pages written and read back.
static void lazy(void) {
  char *p = sbrklazy(LAZY_MB * MB);
  if (p == (char *)-1)
    fail("sbrklazy failed");
  for (int i = 0; i < TOUCHES; i++)
    p[(uint64)i * (LAZY_MB / TOUCHES) * MB] = 'a' + i;
  for (int i = 0; i < TOUCHES; i++)
    if (p[(uint64)i * (LAZY_MB / TOUCHES) * MB] != 'a' + i)
      fail("a lazy page lost its byte");
  printf("lazy: %d MiB reserved, %d pages touched\n", LAZY_MB, TOUCHES);
  sbrklazy(-LAZY_MB * MB);
  if (sbrkeager(0) != p)
    fail("shrinking the lazy region did not restore the break");
}

// In 2025's kernel a shrink past zero is ignored: the old break comes back unchanged.
static void overshrink(void) {
  char *top = sbrkeager(0);
  if (sbrkeager(-((int)(uint64)top + 1)) != top || sbrkeager(0) != top)
    fail("a shrink past zero changed the break");
}

int main(void) {
  eager();
  lazy();
  overshrink();
  printf("sbrk2025: OK\n");
  exit(0);
}
