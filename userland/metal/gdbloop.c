// The program the gdb stub's tests debug (tests/gdbstub_board.test.ts).
//
// Hart 0 builds an Sv39 page table, enters S-mode with paging on, and calls
// heartbeat(n) for n = 1, 2, 3, ... for ever: a function for gdb to break on, with
// a counter to watch. The table maps RAM and the devices one to one with gigapages,
// and one more page, `peekpage`, at virtual address PEEK_VA only, with its A and D
// bits clear (the program never touches it there), so a test can read memory
// through the table and check that the debugger's reads set no bit. When gdb sets
// beat_limit, hart 0 powers the board off after that many beats with status 5.
// The other harts wait in WFI for ever.

#include "lib/metal.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_FOR(pa) (((uint64)(pa) >> 12) << 10)
#define SATP_SV39 (8UL << 60)
#define MSTATUS_MPP_MASK (3UL << 11)
#define MSTATUS_MPP_S (1UL << 11)

// Where peekpage appears: 4 GiB, outside the one-to-one mappings.
#define PEEK_VA 0x100000000UL
// What powering off after beat_limit beats reports.
#define LIMIT_STATUS 5

static uint64 root[512] __attribute__((aligned(4096)));
static uint64 middle[512] __attribute__((aligned(4096)));
static uint64 leaf[512] __attribute__((aligned(4096)));
char peekpage[4096] __attribute__((aligned(4096))) = "seen through the page table";

// heartbeat() calls so far, and the number after which to power off (0: never).
volatile uint64 beats;
volatile uint64 beat_limit;

// The function the tests break on: records the beat.
__attribute__((noinline)) void heartbeat(uint64 n) {
  beats = n;
}

// S-mode, paging on: beat until gdb sets a limit and it is reached.
static void beat_forever(void) {
  printf("gdbloop: beating in S-mode, satp %p\n", csrr(satp));
  for (uint64 n = 1;; n++) {
    heartbeat(n);
    if (beat_limit != 0 && n >= beat_limit)
      exit(LIMIT_STATUS);
  }
}

// The page table: devices (first GiB) and RAM (third GiB) one to one, peekpage at PEEK_VA.
static void map_memory(void) {
  root[0] = PTE_FOR(0) | PTE_V | PTE_R | PTE_W;
  root[2] = PTE_FOR(0x80000000UL) | PTE_V | PTE_R | PTE_W | PTE_X;
  root[(PEEK_VA >> 30) & 0x1ff] = PTE_FOR(middle) | PTE_V;
  middle[(PEEK_VA >> 21) & 0x1ff] = PTE_FOR(leaf) | PTE_V;
  leaf[(PEEK_VA >> 12) & 0x1ff] = PTE_FOR(peekpage) | PTE_V | PTE_R | PTE_W;
}

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  map_memory();
  csrw(pmpaddr0, 0x3fffffffffffffUL); // let S-mode reach all memory (QEMU checks PMP)
  csrw(pmpcfg0, 0xf);
  csrw(satp, SATP_SV39 | ((uint64)root >> 12));
  asm volatile("sfence.vma");
  csrw(mstatus, (csrr(mstatus) & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S);
  csrw(mepc, (uint64)beat_forever);
  asm volatile("mret");
  return 1; // not reached
}
