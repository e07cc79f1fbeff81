// Building Sv39 page tables in the bare-metal test programs.

#ifndef PT_H
#define PT_H

#include "metal.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)

#define PGSIZE 4096UL
#define MEGAPAGE (PGSIZE << 9)  // 2 MiB, a level-1 leaf
#define GIGAPAGE (PGSIZE << 18) // 1 GiB, a level-2 leaf

#define PA2PTE(pa) (((uint64)(pa) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)
#define SATP_SV39 (8UL << 60)
#define MAKE_SATP(root) (SATP_SV39 | ((uint64)(root) >> 12))

typedef uint64 pte_t;

pte_t *pt_alloc(void);
pte_t *pt_walk(pte_t *root, uint64 va, int level);
void pt_map(pte_t *root, uint64 va, uint64 pa, uint64 flags, int level);
pte_t *pt_kernel(void);

static inline void sfence_vma(void) {
  asm volatile("sfence.vma zero, zero" : : : "memory");
}

#endif
