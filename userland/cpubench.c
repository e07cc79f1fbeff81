// cpubench: a CPU-bound workload for measuring the hart (not placed in the file
// system). It mixes integer arithmetic with multiply and divide, loads and stores
// over arrays, data-dependent branches and function calls, then exits with the
// low byte of a checksum so a run can be checked against a native build.
#include "types.h"
#include "user.h"

#define N 2048

static uint64 arr[N];
static uint32 words[N];
static uint8 sieve[16384];

static uint64 state = 0x243f6a8885a308d3UL;

static uint64 next(void) {
  // 64-bit LCG (Knuth's MMIX constants).
  state = state * 6364136223846793005UL + 1442695040888963407UL;
  return state;
}

// Recursive calls with a small working set.
static int fib(int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// Bitwise CRC-32 over the words array: shifts, xors, branches.
static uint32 crc32(const uint32 *p, int n) {
  uint32 crc = 0xffffffffu;
  for (int i = 0; i < n; i++) {
    uint32 v = p[i];
    for (int b = 0; b < 4; b++) {
      crc ^= v & 0xff;
      v >>= 8;
      for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
  }
  return ~crc;
}

// Shell sort of the 64-bit array: loads, stores, compares.
static void shellsort(uint64 *a, int n) {
  for (int gap = n / 2; gap > 0; gap /= 2) {
    for (int i = gap; i < n; i++) {
      uint64 t = a[i];
      int j = i;
      while (j >= gap && a[j - gap] > t) {
        a[j] = a[j - gap];
        j -= gap;
      }
      a[j] = t;
    }
  }
}

// Sieve of Eratosthenes: byte stores and a counting loop.
static int primes(int n) {
  for (int i = 0; i < n; i++) sieve[i] = 1;
  sieve[0] = sieve[1] = 0;
  for (int i = 2; i * i < n; i++) {
    if (sieve[i]) {
      for (int j = i * i; j < n; j += i) sieve[j] = 0;
    }
  }
  int count = 0;
  for (int i = 0; i < n; i++) count += sieve[i];
  return count;
}

// Division and remainder heavy: 64-bit and 32-bit, signed and unsigned.
static uint64 divmix(int rounds) {
  uint64 acc = 1;
  for (int i = 1; i <= rounds; i++) {
    uint64 a = next();
    uint64 d = (a >> 40) | 1;
    long s = (long)a;
    long sd = (long)((a >> 50) + 3);
    acc += a / d + a % d;
    acc ^= (uint64)(s / sd) + (uint64)(s % sd);
    uint32 w = (uint32)a;
    int sw = (int)a;
    acc += (w / (uint32)(i | 1)) + (uint64)(sw % (i + 7));
  }
  return acc;
}

// Small integer matrix multiply with 64-bit products.
static uint64 matmul(int n) {
  static uint64 A[24][24], B[24][24], C[24][24];
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      A[i][j] = next() & 0xffff;
      B[i][j] = next() & 0xffff;
    }
  }
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      uint64 s = 0;
      for (int k = 0; k < n; k++) s += A[i][k] * B[k][j];
      C[i][j] = s;
    }
  }
  uint64 h = 0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) h = h * 31 + C[i][j];
  }
  return h;
}

int main(void) {
  uint64 sum = 0;
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < N; i++) {
      arr[i] = next();
      words[i] = (uint32)next();
    }
    shellsort(arr, N);
    for (int i = 1; i < N; i++) {
      if (arr[i - 1] > arr[i]) sum += 1000003; // never, if the sort works
    }
    sum = sum * 3 + arr[N / 2] + arr[7];
    sum ^= crc32(words, N);
    sum += (uint64)primes(16384);
    sum = sum * 5 + divmix(4000);
    sum += matmul(24);
    sum += (uint64)fib(20);
  }
  exit((int)(sum & 0xff));
}
