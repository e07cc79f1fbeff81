// The test kernel's memory. The page table: the devices it uses, the kernel's
// text read-execute and its data read-write in 4 KiB pages, the rest of 128 MiB
// of RAM read-write in 2 MiB pages; every mapping at its own address. The pages
// of .usertext are mapped for U instead (the U-mode programs' code).
//
// Physical pages for user memory and its page tables come from kalloc: freed
// pages first, else the next page after the kernel image. User memory, in
// [UBASE, UTOP), is mapped only when a program faults on it (uvmfault), and
// all of it is unmapped and freed when the program is done (uvmfree).

#include "defs.h"
#include "lib/pt.h"

extern char data_start[], user_text[], user_text_end[], end[];
static pte_t *kpt;

// Freed pages, linked through their first word.
struct run {
  struct run *next;
};
static struct run *freelist;
// The first page never handed out.
static uint64 fresh;

// Index of va's PTE in a table of `level`.
#define PX(level, va) (((uint64)(va) >> (12 + 9 * (level))) & 511)

// Build the kernel page table (hart 0, once).
void kvminit(void) {
  uint64 ad = PTE_A | PTE_D;
  kpt = pt_alloc();
  pt_map(kpt, FINISHER, FINISHER, PTE_R | PTE_W | ad, 0);
  pt_map(kpt, UART0, UART0, PTE_R | PTE_W | ad, 0);
  pt_map(kpt, VIRTIO0, VIRTIO0, PTE_R | PTE_W | ad, 0);
  pt_map(kpt, PLIC, PLIC, PTE_R | PTE_W | ad, 1);
  pt_map(kpt, PLIC + MEGAPAGE, PLIC + MEGAPAGE, PTE_R | PTE_W | ad, 1);
  for (uint64 pa = RAMBASE; pa < RAMBASE + MEGAPAGE; pa += PGSIZE) {
    uint64 perm = pa < (uint64)data_start ? PTE_R | PTE_X : PTE_R | PTE_W;
    if (pa >= (uint64)user_text && pa < (uint64)user_text_end)
      perm = PTE_R | PTE_X | PTE_U;
    pt_map(kpt, pa, pa, perm | ad, 0);
  }
  for (uint64 pa = RAMBASE + MEGAPAGE; pa < PHYSTOP; pa += MEGAPAGE)
    pt_map(kpt, pa, pa, PTE_R | PTE_W | ad, 1);
  fresh = ((uint64)end + PGSIZE - 1) & ~(PGSIZE - 1);
}

// Turn paging on for this hart.
void kvminithart(void) {
  sfence_vma();
  csrw(satp, MAKE_SATP(kpt));
  sfence_vma();
}

// A zeroed physical page, or 0 when memory is used up.
void *kalloc(void) {
  void *pa = 0;
  if (freelist) {
    pa = freelist;
    freelist = freelist->next;
  } else if (fresh < PHYSTOP) {
    pa = (void *)fresh;
    fresh += PGSIZE;
  }
  if (pa)
    memset(pa, 0, PGSIZE);
  return pa;
}

// Give a page back.
void kfree(void *pa) {
  struct run *r = pa;
  r->next = freelist;
  freelist = r;
}

// The level-0 PTE for user address va, making the tables above it if `alloc`;
// 0 if there is none (or no memory for a table).
static pte_t *uwalk(uint64 va, int alloc) {
  pte_t *table = kpt;
  for (int level = 2; level > 0; level--) {
    pte_t *pte = &table[PX(level, va)];
    if (*pte & PTE_V) {
      table = (pte_t *)PTE2PA(*pte);
      continue;
    }
    if (!alloc || (table = kalloc()) == 0)
      return 0;
    *pte = PA2PTE(table) | PTE_V;
  }
  return &table[PX(0, va)];
}

// Serve a page fault at user address va: map a fresh zeroed page there.
// Returns 0, or -1 if va is not user memory, is mapped already, or memory
// has run out.
int uvmfault(uint64 va) {
  if (va < UBASE || va >= UTOP)
    return -1;
  pte_t *pte = uwalk(va, 1);
  if (pte == 0 || (*pte & PTE_V))
    return -1;
  void *pa = kalloc();
  if (pa == 0)
    return -1;
  *pte = PA2PTE(pa) | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D | PTE_V;
  asm volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
  ufaults++;
  return 0;
}

// The kernel's address of user byte va, mapping its page first if the
// program has not touched it yet (as a fault would); 0 if it cannot be.
uint8 *uvmaddr(uint64 va) {
  if (va < UBASE || va >= UTOP)
    return 0;
  pte_t *pte = uwalk(va, 0);
  if ((pte == 0 || !(*pte & PTE_V)) && uvmfault(va) == 0)
    pte = uwalk(va, 0);
  if (pte == 0 || !(*pte & PTE_V))
    return 0;
  return (uint8 *)(PTE2PA(*pte) + (va & (PGSIZE - 1)));
}

// Unmap and free all user memory and the tables that mapped it.
void uvmfree(void) {
  pte_t *top = &kpt[PX(2, UBASE)];
  if (!(*top & PTE_V))
    return;
  pte_t *mid = (pte_t *)PTE2PA(*top);
  for (int i = 0; i < 512; i++) {
    if (!(mid[i] & PTE_V))
      continue;
    pte_t *leaf = (pte_t *)PTE2PA(mid[i]);
    for (int j = 0; j < 512; j++) {
      if (leaf[j] & PTE_V)
        kfree((void *)PTE2PA(leaf[j]));
    }
    kfree(leaf);
  }
  kfree(mid);
  *top = 0;
  sfence_vma();
}
