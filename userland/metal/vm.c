// Sv39 virtual memory, with page tables this program builds: user and
// supervisor pages, SUM and MXR, the hardware's accessed and dirty bits,
// 2 MiB and 1 GiB superpages (and misaligned ones), non-canonical addresses,
// page faults with stval, and access faults for memory that is not there.
//
// M-mode builds the tables, delegates page faults, access faults and U's
// ecalls to S, turns on paging and runs the checks in S-mode. Kernel memory is
// mapped at its own address (pt_kernel); the user code page (.usertext) is
// remapped for U. The test pages live at 0x4000_0000 and up:
//
//   UDATA   U, read-write            XONLY   S, execute only
//   SDATA   S, read-write            UXONLY  U, execute only (same page)
//   ADPAGE  S, read-write, A = D = 0 RDONLY  S, read only
//   NOPAGE  not mapped               USTACK  U, read-write (U's stack)
//   NORAM   S, read-write, to a physical address with no memory

#include "lib/metal.h"
#include "lib/pt.h"

#define UDATA 0x40000000UL
#define SDATA 0x40001000UL
#define XONLY 0x40002000UL
#define UXONLY 0x40003000UL
#define ADPAGE 0x40004000UL
#define RDONLY 0x40005000UL
#define NOPAGE 0x40006000UL
#define USTACK 0x40007000UL
#define NORAM 0x40008000UL
#define MEGA_OK 0x40200000UL    // 2 MiB page -> 0x8020_0000
#define MEGA_BAD 0x40400000UL   // 2 MiB page -> 0x8020_1000 (misaligned)
#define GIGA_OK 0xc0000000UL    // 1 GiB page -> 0x8000_0000
#define GIGA_BAD 0x100000000UL  // 1 GiB page -> 0x8020_0000 (misaligned)
#define BADTABLE 0x40600000UL   // its level-0 table would be outside RAM
#define NOT_CANONICAL 0x8000000000UL
#define HIGH_UNMAPPED 0xffffffc000000000UL
#define NOWHERE 0x90000000UL    // past 128 MiB of RAM, no device

static uint64 pages[5][512] __attribute__((aligned(4096)));
#define UDATA_PA pages[0]
#define SDATA_PA pages[1]
#define XONLY_PA pages[2]
#define AD_PA pages[3]
#define RDONLY_PA pages[4]
static uint64 ustack[512] __attribute__((aligned(4096)));

extern char user_text[], user_text_end[];
static pte_t *root;

// The trap hart 0 took last.
#define T last[0]

// Load and store with fixed registers (a0 = address in, value out; a1 = value).
#define LOAD(attr, name)                                   \
  attr uint64 name(uint64 va) {                            \
    register uint64 a0 asm("a0") = va;                     \
    asm volatile("ld a0, 0(a0)" : "+r"(a0) : : "memory");  \
    return a0;                                             \
  }
#define STORE(attr, name)                                          \
  attr uint64 name(uint64 va) {                                    \
    register uint64 a0 asm("a0") = va;                             \
    asm volatile("li a1, 0x77\n sd a1, 0(a0)" : : "r"(a0) : "a1", "memory"); \
    return 0;                                                      \
  }

#define USER static __attribute__((section(".usertext"), noinline))
#define KERN static __attribute__((noinline))

LOAD(KERN, sload)
STORE(KERN, sstore)
LOAD(USER, uload)
STORE(USER, ustore)

// U: return 42 (for running code from U pages in the wrong mode).
USER uint64 ucode(uint64 arg) {
  return 42;
}

// S: return 43.
KERN uint64 scode(uint64 arg) {
  return 43;
}

// Reset last[0] and run fn(arg) in U-mode on the user stack.
static uint64 user(uint64 (*fn)(uint64), uint64 arg) {
  trap_clear();
  return call_in(PRV_U, fn, arg, (uint64)USTACK + PGSIZE);
}

// Reset last[0] and run fn(arg) here (S-mode).
static uint64 here(uint64 (*fn)(uint64), uint64 arg) {
  trap_clear();
  return fn(arg);
}

// Did the last run trap once, to S, with `cause` and stval = va?
static int fault(uint64 cause, uint64 va) {
  return T.count == 1 && T.level == PRV_S && T.cause == cause && T.tval == va;
}

// Did the last run finish without a trap?
static int clean(void) {
  return T.count == 0;
}

// U and S pages; SUM.
static void permissions(void) {
  UDATA_PA[0] = 0x1111;
  SDATA_PA[0] = 0x2222;
  check(user(uload, UDATA) == 0x1111 && clean(), "U loads from a U page");
  user(ustore, UDATA);
  check(clean() && UDATA_PA[0] == 0x77, "U stores to a U page");
  user(uload, SDATA);
  check(fault(EXC_LOAD_PAGE, SDATA), "U load from an S page: page fault 13, stval = va");
  user(ustore, SDATA);
  check(fault(EXC_STORE_PAGE, SDATA), "U store to an S page: page fault 15");
  check(user(scode, 0) != 43 && fault(EXC_FETCH_PAGE, (uint64)scode),
        "U fetch from an S page: page fault 12, stval = pc");

  csrc(sstatus, MSTATUS_SUM);
  here(sload, UDATA);
  check(fault(EXC_LOAD_PAGE, UDATA), "S load from a U page with SUM = 0: page fault");
  here(sstore, UDATA);
  check(fault(EXC_STORE_PAGE, UDATA), "S store to a U page with SUM = 0: page fault");
  csrs(sstatus, MSTATUS_SUM);
  UDATA_PA[0] = 0x1111;
  check(here(sload, UDATA) == 0x1111 && clean(), "S load from a U page with SUM = 1");
  here(sstore, UDATA);
  check(clean() && UDATA_PA[0] == 0x77, "S store to a U page with SUM = 1");
  check(here(ucode, 0) != 42 && fault(EXC_FETCH_PAGE, (uint64)ucode),
        "S fetch from a U page faults even with SUM = 1");
  csrc(sstatus, MSTATUS_SUM);
  check(here(sload, SDATA) == 0x2222 && clean(), "S loads from an S page");
  here(sstore, RDONLY);
  check(fault(EXC_STORE_PAGE, RDONLY), "S store to a read-only page: page fault 15");
  check(here((uint64(*)(uint64))SDATA, 0) == 0 && fault(EXC_FETCH_PAGE, SDATA),
        "S fetch from a page without X: page fault 12");
  here(sload, NOPAGE);
  check(fault(EXC_LOAD_PAGE, NOPAGE), "load from an unmapped page: page fault, stval = va");
  here(sstore, NOPAGE);
  check(fault(EXC_STORE_PAGE, NOPAGE), "store to an unmapped page: page fault 15");
}

// MXR: loads may read execute-only pages.
static void mxr(void) {
  XONLY_PA[0] = 0x3333;
  here(sload, XONLY);
  check(fault(EXC_LOAD_PAGE, XONLY), "S load from an execute-only page with MXR = 0: fault");
  csrs(sstatus, MSTATUS_MXR);
  check(here(sload, XONLY) == 0x3333 && clean(), "S load from an execute-only page with MXR = 1");
  check(user(uload, UXONLY) == 0x3333 && clean(), "U load from a U execute-only page with MXR = 1");
  here(sstore, XONLY);
  check(fault(EXC_STORE_PAGE, XONLY), "MXR does not allow stores");
  csrc(sstatus, MSTATUS_MXR);
  user(uload, UXONLY);
  check(fault(EXC_LOAD_PAGE, UXONLY), "U load from an execute-only page with MXR = 0: fault");
}

// The accessed and dirty bits, set by the hart in the PTE in memory.
static void accessed_dirty(void) {
  pte_t *pte = pt_walk(root, ADPAGE, 0);
  check((*pte & (PTE_A | PTE_D)) == 0, "a fresh PTE has A = D = 0");
  here(sload, ADPAGE);
  check(clean() && (*pte & PTE_A) && !(*pte & PTE_D), "a load sets A only");
  here(sstore, ADPAGE);
  check(clean() && (*pte & PTE_D) && AD_PA[0] == 0x77, "a store sets D");
  pte_t *mega = pt_walk(root, MEGA_OK, 1);
  *mega &= ~(PTE_A | PTE_D);
  sfence_vma();
  here(sstore, MEGA_OK + 8);
  check(clean() && (*mega & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "A and D on a 2 MiB page's PTE");
}

// 2 MiB and 1 GiB pages, and misaligned ones.
static void superpages(void) {
  static uint64 probe = 0x5555;
  volatile uint64 *mega_pa = (uint64 *)(0x80200000UL + 0x1230);
  *mega_pa = 0x4444;
  check(here(sload, MEGA_OK + 0x1230) == 0x4444 && clean(), "a 2 MiB page maps its 2 MiB");
  *(volatile uint64 *)(0x80200000UL + 0x1ff000) = 0x4545;
  check(here(sload, MEGA_OK + 0x1ff000) == 0x4545, "the 2 MiB page's last 4 KiB");
  uint64 va = GIGA_OK + ((uint64)&probe - RAMBASE);
  check(here(sload, va) == 0x5555 && clean(), "a 1 GiB page maps RAM");
  here(sload, MEGA_BAD);
  check(fault(EXC_LOAD_PAGE, MEGA_BAD), "a misaligned 2 MiB page: page fault");
  here(sload, GIGA_BAD + 0x1000);
  check(fault(EXC_LOAD_PAGE, GIGA_BAD + 0x1000), "a misaligned 1 GiB page: page fault");
}

// Addresses that are not canonical, or lead nowhere.
static void bad_addresses(void) {
  here(sload, NOT_CANONICAL);
  check(fault(EXC_LOAD_PAGE, NOT_CANONICAL), "non-canonical address: page fault, stval = va");
  here(sstore, NOT_CANONICAL | 0x10);
  check(fault(EXC_STORE_PAGE, NOT_CANONICAL | 0x10), "non-canonical store: page fault 15");
  here(sload, HIGH_UNMAPPED);
  check(fault(EXC_LOAD_PAGE, HIGH_UNMAPPED), "canonical high address, unmapped: page fault");
  here(sload, NORAM);
  check(fault(EXC_LOAD_ACCESS, NORAM), "a page of no memory: load access fault 5, stval = va");
  here(sstore, NORAM);
  check(fault(EXC_STORE_ACCESS, NORAM), "and store access fault 7");
  // The spec makes a page-table read that no memory answers an access fault
  // (5), as this emulator does; QEMU 7.2 raises a page fault (13). Either is
  // accepted, as long as it is one fault with stval = va.
  here(sload, BADTABLE);
  check(T.count == 1 && T.level == PRV_S && T.tval == BADTABLE &&
            (T.cause == EXC_LOAD_ACCESS || T.cause == EXC_LOAD_PAGE),
        "a page table outside RAM: fault");
}

// The checks that run in S-mode with paging on.
static uint64 s_main(uint64 arg) {
  permissions();
  mxr();
  accessed_dirty();
  superpages();
  bad_addresses();
  return 0;
}

// Physical accesses in M-mode outside RAM and devices.
static void m_access_faults(void) {
  trap_clear();
  sload(NOWHERE);
  check(T.count == 1 && T.level == PRV_M && T.cause == EXC_LOAD_ACCESS && T.tval == NOWHERE,
        "M load from no memory: access fault 5, mtval = address");
  trap_clear();
  sstore(NOWHERE + 8);
  check(T.count == 1 && T.cause == EXC_STORE_ACCESS && T.tval == NOWHERE + 8,
        "M store to no memory: access fault 7");
  trap_clear();
  ((uint64(*)(uint64))NOWHERE)(0);
  check(T.count == 1 && T.cause == EXC_FETCH_ACCESS && T.epc == NOWHERE,
        "M fetch from no memory: access fault 1, mepc = address");
}

// The page tables: the kernel's identity map, the user code page, the test pages.
static void build(void) {
  uint64 ad = PTE_A | PTE_D;
  root = pt_kernel();
  for (char *p = user_text; p < user_text_end; p += PGSIZE)
    pt_map(root, (uint64)p, (uint64)p, PTE_R | PTE_X | PTE_U | ad, 0);
  pt_map(root, UDATA, (uint64)UDATA_PA, PTE_R | PTE_W | PTE_U | ad, 0);
  pt_map(root, SDATA, (uint64)SDATA_PA, PTE_R | PTE_W | ad, 0);
  pt_map(root, XONLY, (uint64)XONLY_PA, PTE_X | ad, 0);
  pt_map(root, UXONLY, (uint64)XONLY_PA, PTE_X | PTE_U | ad, 0);
  pt_map(root, ADPAGE, (uint64)AD_PA, PTE_R | PTE_W, 0);
  pt_map(root, RDONLY, (uint64)RDONLY_PA, PTE_R | ad, 0);
  pt_map(root, USTACK, (uint64)ustack, PTE_R | PTE_W | PTE_U | ad, 0);
  pt_map(root, NORAM, NOWHERE, PTE_R | PTE_W | ad, 0);
  pt_map(root, MEGA_OK, 0x80200000UL, PTE_R | PTE_W | ad, 1);
  pt_map(root, MEGA_BAD, 0x80201000UL, PTE_R | PTE_W | ad, 1);
  pt_map(root, GIGA_OK, RAMBASE, PTE_R | ad, 2);
  pt_map(root, GIGA_BAD, 0x80200000UL, PTE_R | ad, 2);
  *pt_walk(root, BADTABLE, 1) = PA2PTE(NOWHERE) | PTE_V;
}

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  m_access_faults();
  build();
  csrw(medeleg, (1 << EXC_FETCH_ACCESS) | (1 << EXC_LOAD_ACCESS) | (1 << EXC_STORE_ACCESS) |
                    (1 << EXC_FETCH_PAGE) | (1 << EXC_LOAD_PAGE) | (1 << EXC_STORE_PAGE) |
                    (1 << EXC_ECALL_U));
  csrw(satp, MAKE_SATP(root));
  sfence_vma();
  call_in(PRV_S, s_main, 0, 0);
  csrw(satp, 0);
  sfence_vma();
  printf("vm: all checks passed\n");
  return 0;
}
