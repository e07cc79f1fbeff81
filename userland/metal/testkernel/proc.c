// Running the test kernel's U-mode programs (user.c), one at a time, on the
// shell's hart: a fresh trap frame, the program's pc, argument and stack,
// then uenter() until it exits or is killed; then its memory is freed.

#include "defs.h"
#include "lib/pt.h"

static struct utrapframe tf;
// How the program ended: its exit value, and whether it was killed.
static uint64 value;
static int killed;
// Page faults served for the program running (or the last one).
uint64 ufaults;

// Run fn(arg) in U-mode; stores its exit value in *result and returns 0, or
// returns -1 if it was killed.
int run_user(void (*fn)(uint64), uint64 arg, uint64 *result) {
  memset(&tf, 0, sizeof(tf));
  tf.epc = (uint64)fn;
  tf.x[TF_A0] = arg;
  tf.x[TF_SP] = UTOP;
  value = 0;
  killed = 0;
  ufaults = 0;
  uenter(&tf);
  uvmfree();
  *result = value;
  return killed ? -1 : 0;
}

// End the program for a reason; always 1 (done), for usertrap to return.
int user_kill(struct utrapframe *tf, const char *why) {
  printf("user: killed by %s: scause %p sepc %p stval %p\n", why, csrr(scause), tf->epc,
         csrr(stval));
  killed = 1;
  return 1;
}

// Copy n bytes from user address va to dst, a page at a time, faulting in
// pages the program has not touched yet; -1 if one cannot be mapped.
static int copyin(uint8 *dst, uint64 va, uint64 n) {
  while (n > 0) {
    uint8 *p = uvmaddr(va);
    if (p == 0)
      return -1;
    uint64 len = PGSIZE - (va & (PGSIZE - 1));
    if (len > n)
      len = n;
    memcpy(dst, p, len);
    dst += len;
    va += len;
    n -= len;
  }
  return 0;
}

// sum(buf, n): the FNV-1a checksum of n bytes of user memory; -1 for a bad
// buffer.
static uint64 sys_sum(uint64 va, uint64 n) {
  static uint8 kbuf[512];
  if (n > sizeof(kbuf) || copyin(kbuf, va, n) < 0)
    return -1;
  return fnv1a(kbuf, n);
}

// A system call (number in a7, arguments in a0, a1, result in a0); 1 when
// the program is done.
int syscall(struct utrapframe *tf) {
  uint64 n = tf->x[TF_A7];
  tf->epc += 4;
  if (n == SYS_EXIT) {
    value = tf->x[TF_A0];
    return 1;
  }
  if (n == SYS_SUM)
    tf->x[TF_A0] = sys_sum(tf->x[TF_A0], tf->x[TF_A0 + 1]);
  else
    tf->x[TF_A0] = -1;
  return 0;
}
