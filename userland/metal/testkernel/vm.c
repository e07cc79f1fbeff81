// The test kernel's page table: the devices it uses, the kernel's text
// read-execute and its data read-write in 4 KiB pages, the rest of 128 MiB of
// RAM read-write in 2 MiB pages; every mapping at its own address.

#include "defs.h"
#include "lib/pt.h"

extern char data_start[];
static pte_t *kpt;

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
    pt_map(kpt, pa, pa, perm | ad, 0);
  }
  for (uint64 pa = RAMBASE + MEGAPAGE; pa < RAMBASE + (128UL << 20); pa += MEGAPAGE)
    pt_map(kpt, pa, pa, PTE_R | PTE_W | ad, 1);
}

// Turn paging on for this hart.
void kvminithart(void) {
  sfence_vma();
  csrw(satp, MAKE_SATP(kpt));
  sfence_vma();
}
