// The test kernel's U-mode programs, started by the shell's touch, cpu and
// sys commands (main.c) through run_user() (proc.c):
//
//   utouch(n)  store to n fresh pages of user memory, one fault each, then
//              read them back; exits with the sum of what it read
//   ucpu(n)    n rounds of cpubench's workload (userland/cpubench.c): sort,
//              CRC-32, sieve, division, matrix multiply, recursion; exits
//              with the checksum
//   usys(n)    n sum() system calls over a 64-byte buffer; exits with a
//              checksum of the answers
//
// Their code is in .usertext, the only kernel pages mapped for U. So they use
// no globals and no constants the compiler would keep in .rodata: data lives
// in user memory from UBASE up (and on the stack below UTOP), and 64-bit
// constants are built in code with li (K64).

#include "defs.h"
#include "lib/pt.h"

#define USER __attribute__((section(".usertext"), noinline))
// A 64-bit constant made by instructions, never loaded from .rodata.
#define K64(v) ({ uint64 k_; asm("li %0, " #v : "=r"(k_)); k_; })

// System call n with two arguments.
USER static uint64 ecall2(uint64 n, uint64 a, uint64 b) {
  register uint64 a0 asm("a0") = a;
  register uint64 a1 asm("a1") = b;
  register uint64 a7 asm("a7") = n;
  asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
  return a0;
}

// Leave with a value for the kernel to print.
USER static void uexit(uint64 value) {
  ecall2(SYS_EXIT, value, 0);
  for (;;)
    ;
}

USER void utouch(uint64 npages) {
  uint64 *p = (uint64 *)UBASE;
  uint64 words = PGSIZE / sizeof(uint64);
  for (uint64 i = 0; i < npages; i++)
    p[i * words] = 3 * i + 1;
  uint64 sum = 0;
  for (uint64 i = 0; i < npages; i++)
    sum += p[i * words];
  uexit(sum);
}

USER void usys(uint64 ncalls) {
  uint8 *buf = (uint8 *)UBASE;
  uint64 sum = 0;
  for (uint64 i = 0; i < ncalls; i++) {
    buf[i % 64] = i;
    sum = sum * 31 + ecall2(SYS_SUM, (uint64)buf, 64);
  }
  uexit(sum);
}

// cpubench's workload, its arrays in user memory.
#define N 2048
#define SIEVE 16384
#define M 24
struct cpu {
  uint64 state;
  uint64 arr[N];
  uint32 words[N];
  uint8 sieve[SIEVE];
  uint64 a[M][M], b[M][M], c[M][M];
};

// The next number of a 64-bit LCG (Knuth's MMIX constants).
USER static uint64 next(struct cpu *c) {
  c->state = c->state * K64(6364136223846793005) + K64(1442695040888963407);
  return c->state;
}

// Recursive calls, a small working set.
USER static int fib(int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// CRC-32 a bit at a time over the words' bytes: shifts, xors, branches.
USER static uint32 crc32(const uint32 *w, int n) {
  uint32 crc = ~0u;
  for (int i = 0; i < n; i++) {
    for (uint32 v = w[i], byte = 0; byte < 4; byte++, v >>= 8) {
      crc ^= v & 0xff;
      for (int bit = 0; bit < 8; bit++)
        crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
  }
  return ~crc;
}

// Shell sort: loads, stores, compares.
USER static void shellsort(uint64 *a, int n) {
  for (int gap = n / 2; gap > 0; gap /= 2) {
    for (int i = gap; i < n; i++) {
      uint64 t = a[i];
      int j = i;
      for (; j >= gap && a[j - gap] > t; j -= gap)
        a[j] = a[j - gap];
      a[j] = t;
    }
  }
}

// Count the primes below n with a sieve: byte stores, a counting loop.
USER static int primes(uint8 *sieve, int n) {
  for (int i = 0; i < n; i++)
    sieve[i] = 1;
  sieve[0] = sieve[1] = 0;
  for (int i = 2; i * i < n; i++) {
    if (sieve[i]) {
      for (int j = i * i; j < n; j += i)
        sieve[j] = 0;
    }
  }
  int count = 0;
  for (int i = 0; i < n; i++)
    count += sieve[i];
  return count;
}

// Division and remainder, 64 and 32 bits, signed and unsigned.
USER static uint64 divmix(struct cpu *c, int rounds) {
  uint64 acc = 1;
  for (int i = 1; i <= rounds; i++) {
    uint64 x = next(c);
    uint64 d = (x >> 40) | 1;
    int64 sx = (int64)x, sd = (int64)((x >> 50) + 3);
    acc += x / d + x % d;
    acc ^= (uint64)(sx / sd) + (uint64)(sx % sd);
    acc += (uint32)x / (uint32)(i | 1) + (uint64)((int)x % (i + 7));
  }
  return acc;
}

// An M x M matrix product with 64-bit sums, hashed.
USER static uint64 matmul(struct cpu *c) {
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < M; j++) {
      c->a[i][j] = next(c) & 0xffff;
      c->b[i][j] = next(c) & 0xffff;
    }
  }
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < M; j++) {
      uint64 s = 0;
      for (int k = 0; k < M; k++)
        s += c->a[i][k] * c->b[k][j];
      c->c[i][j] = s;
    }
  }
  uint64 h = 0;
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < M; j++)
      h = h * 31 + c->c[i][j];
  }
  return h;
}

USER void ucpu(uint64 rounds) {
  struct cpu *c = (struct cpu *)UBASE;
  uint64 sum = 0;
  c->state = K64(0x243f6a8885a308d3);
  for (uint64 r = 0; r < rounds; r++) {
    for (int i = 0; i < N; i++) {
      c->arr[i] = next(c);
      c->words[i] = next(c);
    }
    shellsort(c->arr, N);
    for (int i = 1; i < N; i++) {
      if (c->arr[i - 1] > c->arr[i])
        sum += 1000003;  // never, if the sort works
    }
    sum = sum * 3 + c->arr[N / 2] + c->arr[7];
    sum ^= crc32(c->words, N);
    sum += primes(c->sieve, SIEVE);
    sum = sum * 5 + divmix(c, 4000);
    sum += matmul(c);
    sum += fib(20);
  }
  uexit(sum);
}
