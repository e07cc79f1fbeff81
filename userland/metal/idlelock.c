// Harts that idle as xv6's schedulers before 2024 do, locks included: in S-mode on
// the stack they booted on, without WFI, they scan a table of slots over and over,
// taking each slot's spinlock with interrupts off (acquire's push_off) and turning
// interrupts on as they let it go (release's pop_off). Hart 0 runs job A in U-mode
// in chunks, and after each chunk takes every slot's lock in turn, as xv6's wakeup()
// does; then it holds one slot's lock through a long S-mode loop, as xv6's fork
// holds a new process's lock while it copies memory; then it hands job B to hart 1
// (or runs it itself on a one-hart board).
// The output is the same on any number of harts but for the ticks line; the
// board's counters show what the idle harts cost, and job A's ticks whether hart 0
// ever had to wait long for a lock an idle hart held.

#include "lib/metal.h"

#define SLOTS 16      // spinlocks in the table
#define CHUNKS 200    // U-mode chunks of a job, with a sweep of the locks after each
#define CHUNK 2000    // loop rounds per chunk
#define HOLD 1000000  // loop rounds of S-mode work done holding slot 0's lock

static volatile uint32 locked[SLOTS];  // the slots' spinlocks
static volatile uint64 job[NCPU];      // per hart: a job handed to it (0: none)
static volatile uint64 sum[NCPU];      // per hart: its last job's checksum
static volatile int quit;
static uint8 ustack[NCPU][4096] __attribute__((aligned(16)));

// Take slot i's lock with interrupts off, as xv6's acquire() does.
static void acquire(int i) {
  csrc(sstatus, MSTATUS_SIE);
  while (__sync_lock_test_and_set(&locked[i], 1))
    ;
  __sync_synchronize();
}

// Let slot i's lock go and turn interrupts back on, as xv6's release() does.
static void release(int i) {
  __sync_synchronize();
  __sync_lock_release(&locked[i]);
  csrs(sstatus, MSTATUS_SIE);
}

// U-mode: CHUNK more rounds of a linear congruential generator from x.
static uint64 uchunk(uint64 x) {
  for (uint64 i = 0; i < CHUNK; i++)
    x = x * 6364136223846793005UL + i;
  return x;
}

// S-mode: a job on hart h, in U-mode chunks with a sweep of every lock after each.
static uint64 run_job(int h) {
  uint64 x = 1;
  for (int c = 0; c < CHUNKS; c++) {
    x = call_in(PRV_U, uchunk, x, (uint64)&ustack[h][4096]);
    for (int i = 0; i < SLOTS; i++) {
      acquire(i);
      release(i);
    }
  }
  return x;
}

// S-mode, harts 1..: the idle loop. Scan the slots, under their locks, until told to quit.
static uint64 idle(uint64 h) {
  while (!quit) {
    for (int i = 0; i < SLOTS; i++) {
      acquire(i);
      int mine = i == (int)h && job[h] != 0;
      release(i);
      if (mine) {
        sum[h] = run_job(h);
        __sync_synchronize();
        job[h] = 0;
      }
    }
  }
  return 0;
}

// S-mode: HOLD rounds of work with slot 0's lock held (the idle harts find it taken).
static uint64 hold_lock(void) {
  acquire(0);
  uint64 x = 7;
  for (uint64 i = 0; i < HOLD; i++)
    x = x * 2862933555777941757UL + i;
  release(0);
  return x;
}

// S-mode, hart 0: job A here, job B on hart 1 if there is one; print both.
static uint64 boss(uint64 ncpu) {
  uint64 start = mtime();
  sum[0] = run_job(0);
  uint64 ta = mtime() - start;
  int other = ncpu > 1 ? 1 : 0;
  uint64 a = sum[0];
  uint64 held = hold_lock();
  if (other) {
    job[1] = 1;
    while (job[1] != 0)
      ;  // spin, as the idle harts do
  } else {
    sum[0] = run_job(0);
  }
  printf("job A on hart 0: checksum %x after %d lock sweeps\n", a, CHUNKS * SLOTS);
  printf("job B on hart %d: checksum %x\n", other, sum[other]);
  printf("slot 0 held for work with checksum %x\n", held);
  printf("ticks: A %d\n", ta);
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
