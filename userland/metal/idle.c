// Harts that idle by spinning, as xv6's schedulers before 2024 do: in S-mode,
// on the stack the hart booted on, they scan a job table over and over without
// WFI. Hart 0 runs job A in U-mode, then hands job B to hart 1 (or runs it
// itself on a one-hart board) and waits for it, spinning too. The output is the
// same on any number of harts; the board's counters show what the spinning cost.
//
// Printed: each job's checksum, and how many ticks of mtime it took.

#include "lib/metal.h"

#define ROUNDS 400000  // loop rounds of each job (about 2 million instructions)

static volatile uint64 job[NCPU];   // per hart: rounds of work handed to it (0: none)
static volatile uint64 sum[NCPU];   // per hart: the checksum of its last job
static volatile uint64 took[NCPU];  // per hart: mtime ticks its last job took
static volatile int quit;
static uint8 ustack[NCPU][4096] __attribute__((aligned(16)));

// U-mode: n rounds of a linear congruential generator; returns the last value.
static uint64 ujob(uint64 n) {
  uint64 x = 1;
  for (uint64 i = 0; i < n; i++)
    x = x * 6364136223846793005UL + i;
  return x;
}

// Run n rounds of ujob in U-mode on this hart; keep its checksum and duration.
static void run_job(int h, uint64 n) {
  uint64 start = mtime();
  sum[h] = call_in(PRV_U, ujob, n, (uint64)&ustack[h][4096]);
  took[h] = mtime() - start;
}

// S-mode, harts 1..: the idle loop. Scan the job table until told to quit.
static uint64 idle(uint64 h) {
  while (!quit) {
    for (int i = 0; i < NCPU; i++) {
      if (i == (int)h && job[i] != 0) {
        run_job(h, job[i]);
        __sync_synchronize();
        job[i] = 0;
      }
    }
  }
  return 0;
}

// S-mode, hart 0: job A here, job B on hart 1 if there is one; print both.
static uint64 boss(uint64 ncpu) {
  run_job(0, ROUNDS);
  uint64 a = sum[0], ta = took[0];
  int other = ncpu > 1 ? 1 : 0;
  if (other) {
    job[1] = ROUNDS;
    while (job[1] != 0)
      ;  // spin, as the idle harts do
  } else {
    run_job(0, ROUNDS);
  }
  printf("job A on hart 0: checksum %x\n", a);
  printf("job B on hart %d: checksum %x\n", other, sum[other]);
  printf("ticks: A %d, B %d\n", ta, took[other]);
  quit = 1;
  return 0;
}

int main(int hartid) {
  if (hartid == 0) {
    int n = harts_alive(100000);
    call_in(PRV_S, boss, n, 0);
    return 0;
  }
  call_in(PRV_S, idle, hartid, 0);
  for (;;)
    asm volatile("wfi");
}
