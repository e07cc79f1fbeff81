// Sv39 page tables for the bare-metal test programs: a pool of zeroed pages for
// tables, a walk that creates the tables down to a level, and the identity
// "kernel" map most programs start from.

#include "pt.h"

#define POOL 24

static pte_t pool[POOL][512] __attribute__((aligned(4096)));
static int used;

// A zeroed page for a page table (stops the program when the pool is empty).
pte_t *pt_alloc(void) {
  if (used == POOL) {
    printf("FAIL page-table pool exhausted\n");
    exit(97);
  }
  pte_t *p = pool[used++];
  memset(p, 0, PGSIZE);
  return p;
}

// The PTE for va at `level` (0: 4 KiB page, 1: 2 MiB, 2: 1 GiB), making the
// tables above it as needed.
pte_t *pt_walk(pte_t *root, uint64 va, int level) {
  pte_t *table = root;
  for (int l = 2; l > level; l--) {
    pte_t *pte = &table[(va >> (12 + 9 * l)) & 511];
    if (!(*pte & PTE_V))
      *pte = PA2PTE(pt_alloc()) | PTE_V;
    table = (pte_t *)PTE2PA(*pte);
  }
  return &table[(va >> (12 + 9 * level)) & 511];
}

// Map va to pa with a leaf at `level`; flags are R/W/X/U/A/D (V is added).
void pt_map(pte_t *root, uint64 va, uint64 pa, uint64 flags, int level) {
  *pt_walk(root, va, level) = PA2PTE(pa) | flags | PTE_V;
}

// The identity map for S-mode: devices (the first GiB) read-write, the first
// 2 MiB of RAM (this program) as 4 KiB pages read-write-execute, the rest of
// 128 MiB of RAM as 2 MiB pages. Accessed and dirty are preset.
pte_t *pt_kernel(void) {
  pte_t *root = pt_alloc();
  uint64 ad = PTE_A | PTE_D;
  pt_map(root, 0, 0, PTE_R | PTE_W | ad, 2);
  for (uint64 pa = RAMBASE; pa < RAMBASE + MEGAPAGE; pa += PGSIZE)
    pt_map(root, pa, pa, PTE_R | PTE_W | PTE_X | ad, 0);
  for (uint64 pa = RAMBASE + MEGAPAGE; pa < RAMBASE + (128UL << 20); pa += MEGAPAGE)
    pt_map(root, pa, pa, PTE_R | PTE_W | PTE_X | ad, 1);
  return root;
}
