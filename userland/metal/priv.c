// The privileged architecture, mode by mode: M -> S -> U with mret and sret,
// what traps record (cause, epc, tval, the status bits), delegation with
// medeleg, the sstatus / sie views, the ID registers, the counters and who may
// read them, the trap-virtualisation bits TSR / TVM / TW, MPRV, sfence.vma,
// satp's and the PMP registers' write rules, and floating point while FS = 0.
//
// Each piece of lower-mode code is a small function run with call_in; an
// exception it raises is recorded in last[0] by trap.c and stepped over, so the
// check afterwards looks at what the trap recorded. Hart 0 does everything;
// other harts wait.

#include "lib/metal.h"
#include "lib/pt.h"

// Encodings of the instructions whose bits an illegal-instruction trap reports.
#define CSRRS(rd, csr, rs1) \
  ((uint32)(((csr) << 20) | ((rs1) << 15) | (2 << 12) | ((rd) << 7) | 0x73))
#define A0 10
#define INSN_SRET 0x10200073
#define INSN_MRET 0x30200073
#define INSN_WFI 0x10500073
#define INSN_SFENCE_VMA 0x12000073
#define INSN_FLD_FA0 0x00053507  // fld fa0, 0(a0)
#define INSN_FADD_D 0x02a57553   // fadd.d fa0, fa0, fa0

// A function for call_in made of one instruction that may trap. a0 carries the
// argument in and the result out, so "unchanged" means the instruction trapped
// (for instructions that write a0).
#define INSN_FN(name, insn)                                  \
  static uint64 name(uint64 arg) {                           \
    register uint64 a0 asm("a0") = arg;                      \
    asm volatile(insn : "+r"(a0) : : "a7", "memory");        \
    return a0;                                               \
  }

INSN_FN(read_mstatus, "csrr a0, mstatus")
INSN_FN(read_sstatus, "csrr a0, sstatus")
INSN_FN(read_time, "csrr a0, time")
INSN_FN(read_cycle, "csrr a0, cycle")
INSN_FN(read_instret, "csrr a0, instret")
INSN_FN(read_satp, "csrr a0, satp")
INSN_FN(do_ecall, "li a7, 0\n ecall")
INSN_FN(do_ebreak, "ebreak")
INSN_FN(do_sret, "la a7, 1f\n csrw sepc, a7\n sret\n 1:")
INSN_FN(do_sret_only, "sret")
INSN_FN(do_mret_only, "mret")
INSN_FN(do_wfi, "wfi")
INSN_FN(do_sfence, "sfence.vma zero, zero")
INSN_FN(do_fld, ".word 0x00053507")
INSN_FN(do_fadd, ".word 0x02a57553")
INSN_FN(read_fcsr, "csrr a0, fcsr")
INSN_FN(load_word, "ld a0, 0(a0)")

// The trap hart 0 took last.
#define T last[0]

// Reset last[0], then run fn(arg) in `mode` and return its result.
static uint64 run(int mode, uint64 (*fn)(uint64), uint64 arg) {
  trap_clear();
  return call_in(mode, fn, arg, 0);
}

// Did the last run trap exactly once, to `level`, with `cause` from `prev`?
static int trapped(int level, uint64 cause, int prev) {
  return T.count == 1 && T.level == level && T.cause == cause && T.prev == prev;
}

// misa, the ID registers, mhartid and mstatus as reset leaves them.
static void ids(int hartid) {
  uint64 misa = csrr(misa);
  uint64 want = (1 << ('I' - 'A')) | (1 << ('M' - 'A')) | (1 << ('A' - 'A')) |
                (1 << ('C' - 'A')) | (1 << ('S' - 'A')) | (1 << ('U' - 'A'));
  check((misa >> 62) == 2 && (misa & want) == want, "misa: RV64 with I, M, A, C, S and U");
  trap_clear();
  uint64 vendor = csrr(mvendorid);
  csrr(marchid);
  csrr(mimpid);
  check(vendor == 0 && T.count == 0, "mvendorid reads 0; marchid and mimpid read");
  check(csrr(mhartid) == (uint64)hartid, "mhartid is the hart id a0 held at entry");
  uint64 s = csrr(mstatus);
  check((s & (MSTATUS_MIE | MSTATUS_SIE | MSTATUS_MPRV | MSTATUS_FS)) == 0 &&
            ((s >> 32) & 0xf) == 0xa,
        "mstatus at reset: MIE, SIE, MPRV and FS clear, UXL = SXL = 64 bits");
  checkv(csrr(0x14d) == 0, "stimecmp reads 0 at reset", csrr(0x14d));
}

// mret and sret down to S and U; what traps up to M record.
static void transitions(void) {
  run(PRV_S, read_sstatus, 0);
  check(T.count == 0, "mret to S: S reads sstatus");
  uint64 v = run(PRV_S, read_mstatus, 0x5a);
  check(v == 0x5a && trapped(PRV_M, EXC_ILLEGAL, PRV_S), "S reading mstatus: illegal, to M");
  check(T.tval == CSRRS(A0, 0x300, 0), "mtval holds the illegal instruction's bits");
  check((T.status & MSTATUS_MPP) >> MPP_SHIFT == PRV_S, "mstatus.MPP = S after a trap from S");

  csrs(mstatus, MSTATUS_MPIE);  // call_in's mret makes this S's MIE
  run(PRV_S, read_mstatus, 0);
  int mpie1 = (T.status & MSTATUS_MPIE) != 0 && (T.status & MSTATUS_MIE) == 0;
  csrc(mstatus, MSTATUS_MPIE);
  run(PRV_S, read_mstatus, 0);
  int mpie0 = (T.status & MSTATUS_MPIE) == 0;
  check(mpie1 && mpie0, "trap to M: MPIE = the MIE it had, MIE = 0");

  run(PRV_U, read_sstatus, 0x5a);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_U), "U reading sstatus: illegal, to M");
  check((T.status & MSTATUS_MPP) == 0, "mstatus.MPP = U after a trap from U");

  // mret within M: MIE <- MPIE, MPIE <- 1, MPP <- U (the least-privileged mode).
  csrc(mstatus, MSTATUS_MIE);
  csrs(mstatus, MSTATUS_MPIE | MSTATUS_MPP);
  asm volatile("la t0, 1f\n csrw mepc, t0\n mret\n 1:" : : : "t0", "memory");
  uint64 s = csrr(mstatus);
  check((s & MSTATUS_MIE) && (s & MSTATUS_MPIE) && (s & MSTATUS_MPP) == 0,
        "mret: MIE = MPIE, MPIE = 1, MPP = U");
  csrc(mstatus, MSTATUS_MIE);
}

// An S-mode function: sret within S with SPP = S and SPIE = 1, SIE = 0; return sstatus after.
static uint64 sret_in_s(uint64 arg) {
  csrc(sstatus, MSTATUS_SIE);
  csrs(sstatus, MSTATUS_SPIE | MSTATUS_SPP);
  do_sret(0);
  return csrr(sstatus);
}

// An S-mode function: run a U ecall (delegated to S), with SIE = 1 in U
// (call_in's sret sets SIE from SPIE).
static uint64 s_calls_u_ecall(uint64 arg) {
  csrs(sstatus, MSTATUS_SPIE);
  call_in(PRV_U, do_ecall, 0, 0);
  return 0;
}

// ecall from each mode; ebreak; medeleg / mideleg and delegated traps.
static void ecalls_and_delegation(void) {
  run(PRV_U, do_ecall, 0);
  check(trapped(PRV_M, EXC_ECALL_U, PRV_U), "ecall from U: cause 8");
  check(T.epc >= (uint64)do_ecall && T.epc < (uint64)do_ecall + 16, "mepc is the ecall's pc");
  run(PRV_S, do_ecall, 0);
  check(trapped(PRV_M, EXC_ECALL_S, PRV_S), "ecall from S: cause 9");
  trap_clear();
  do_ecall(0);
  check(trapped(PRV_M, EXC_ECALL_M, PRV_M), "ecall from M: cause 11");
  trap_clear();
  do_ebreak(0);
  check(trapped(PRV_M, EXC_BREAKPOINT, PRV_M), "ebreak: cause 3");

  csrw(medeleg, ~0UL);
  uint64 med = csrr(medeleg);
  csrw(medeleg, 0);
  // QEMU 7.2 reads back 0xf0bfff: also ecall from M (11, which can never be
  // delegated: M traps stay in M), 10 and the hypervisor's 20-23. Only the
  // exceptions that lower modes can raise are checked.
  checkv((med & 0xb3ff) == 0xb3ff, "medeleg: exceptions 0-9, 12, 13, 15 delegable", med);
  csrw(mideleg, ~0UL);
  uint64 mid = csrr(mideleg);
  csrw(mideleg, 0);
  // QEMU 7.2 reads back 0x3666: also the hypervisor's and Sscofpmf's bits.
  uint64 sints = (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI);
  uint64 mints = (1 << IRQ_MSI) | (1 << IRQ_MTI) | (1 << IRQ_MEI);
  checkv((mid & sints) == sints && (mid & mints) == 0,
         "mideleg: SSI, STI and SEI delegable, M interrupts not", mid);

  csrw(medeleg, (1 << EXC_ECALL_U) | (1 << EXC_ILLEGAL));
  run(PRV_S, s_calls_u_ecall, 0);
  check(trapped(PRV_S, EXC_ECALL_U, PRV_U), "delegated ecall from U goes to S");
  checkv((T.status & (MSTATUS_SPP | MSTATUS_SIE)) == 0 && (T.status & MSTATUS_SPIE),
         "trap to S: SPP = U, SPIE = the SIE it had, SIE = 0", T.status);
  check(T.epc >= (uint64)do_ecall && T.epc < (uint64)do_ecall + 16, "sepc is the ecall's pc");
  run(PRV_S, read_mstatus, 0);
  check(trapped(PRV_S, EXC_ILLEGAL, PRV_S), "delegated illegal instruction in S stays in S");
  check(T.tval == CSRRS(A0, 0x300, 0) && (T.status & MSTATUS_SPP),
        "stval holds the instruction, SPP = S");
  trap_clear();
  read_mstatus(0);
  check(T.count == 0, "M reads mstatus even with illegal instructions delegated");
  csrw(medeleg, ~0UL);
  trap_clear();
  do_ecall(0);
  check(trapped(PRV_M, EXC_ECALL_M, PRV_M), "traps from M stay in M whatever medeleg says");
  csrw(medeleg, 0);

  uint64 s = run(PRV_S, sret_in_s, 0);
  check(T.count == 0 && (s & MSTATUS_SIE) && (s & MSTATUS_SPIE) && !(s & MSTATUS_SPP),
        "sret: SIE = SPIE, SPIE = 1, SPP = U");
}

// sstatus is a window on mstatus; sie and sip on mie and mip through mideleg.
static void views(void) {
  csrs(mstatus, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TSR);
  uint64 ss = csrr(sstatus);
  check((ss & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM |
               MSTATUS_TW | MSTATUS_TSR)) == 0,
        "sstatus hides the M-only fields of mstatus");
  csrs(sstatus, MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPIE);
  uint64 ms = csrr(mstatus);
  check((ms & (MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPIE)) ==
            (MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPIE),
        "sstatus writes land in mstatus");
  csrw(sstatus, 0);
  ms = csrr(mstatus);
  check((ms & (MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TSR)) ==
                (MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TSR) &&
            (ms & (MSTATUS_SUM | MSTATUS_MXR | MSTATUS_SPIE)) == 0,
        "sstatus writes leave the M-only fields alone");
  check(((csrr(sstatus) >> 32) & 3) == 2, "sstatus.UXL = 64 bits");
  csrc(mstatus, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TSR);

  uint64 all = (1 << IRQ_SSI) | (1 << IRQ_MSI) | (1 << IRQ_STI) | (1 << IRQ_MTI) |
               (1 << IRQ_SEI) | (1 << IRQ_MEI);
  uint64 sbits = (1 << IRQ_SSI) | (1 << IRQ_STI) | (1 << IRQ_SEI);
  csrw(mie, all);
  check(csrr(mie) == all, "mie: the six interrupt enables");
  check(csrr(sie) == 0, "sie reads 0 with nothing delegated");
  csrw(mideleg, sbits);
  check(csrr(sie) == sbits, "sie shows the delegated enables");
  csrw(sie, 0);
  check(csrr(mie) == (all & ~sbits), "sie writes clear only delegated enables");
  csrw(mie, 0);
  csrw(sip, 1 << IRQ_SSI);
  check((csrr(mip) & (1 << IRQ_SSI)) && (csrr(sip) & (1 << IRQ_SSI)),
        "sip.SSIP write shows in mip and sip");
  csrc(sip, 1 << IRQ_SSI);
  csrw(mideleg, 0);
  csrw(sip, 1 << IRQ_SSI);
  check((csrr(mip) & (1 << IRQ_SSI)) == 0, "sip.SSIP is read-only zero when not delegated");
}

// Who may read cycle, time and instret.
static void counters(void) {
  uint64 t0 = csrr(time), c0 = csrr(cycle), i0 = csrr(instret);
  for (volatile int i = 0; i < 100; i++)
    ;
  uint64 t1 = csrr(time), c1 = csrr(cycle), i1 = csrr(instret);
  check(t1 > t0 && c1 > c0 && i1 >= i0 + 100, "M reads time, cycle and instret; they advance");
  check(csrr(mcycle) >= c1 && csrr(minstret) >= i1, "mcycle and minstret read");
  csrw(mcounteren, 0);
  csrw(scounteren, 0);
  uint64 v = run(PRV_S, read_time, 0x5a);
  check(v == 0x5a && trapped(PRV_M, EXC_ILLEGAL, PRV_S) && T.tval == CSRRS(A0, 0xc01, 0),
        "S reading time with mcounteren.TM = 0: illegal");
  run(PRV_S, read_cycle, 0);
  int cy = trapped(PRV_M, EXC_ILLEGAL, PRV_S);
  run(PRV_S, read_instret, 0);
  check(cy && trapped(PRV_M, EXC_ILLEGAL, PRV_S), "and cycle and instret likewise");
  csrw(mcounteren, 7);
  v = run(PRV_S, read_time, 0);
  uint64 now = csrr(time);
  check(T.count == 0 && v > 0 && v <= now, "S reads time with mcounteren.TM = 1");
  run(PRV_S, read_instret, 0);
  check(T.count == 0, "S reads instret with mcounteren.IR = 1");
  run(PRV_U, read_time, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_U), "U reading time needs scounteren.TM too");
  csrw(scounteren, 7);
  run(PRV_U, read_time, 0);
  int ut = T.count == 0;
  run(PRV_U, read_cycle, 0);
  check(ut && T.count == 0, "U reads time and cycle with both counter enables set");
  csrw(mcounteren, 0);
  run(PRV_U, read_time, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_U), "U reading time with only scounteren: illegal");
  csrw(scounteren, 0);
}

// The S-mode instructions M can forbid: sret (TSR), satp and sfence.vma (TVM), wfi (TW).
static void virtualisation(void) {
  csrs(mstatus, MSTATUS_TSR);
  run(PRV_S, do_sret_only, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_S) && T.tval == INSN_SRET, "TSR: sret in S is illegal");
  csrc(mstatus, MSTATUS_TSR);
  run(PRV_S, read_satp, 0);
  check(T.count == 0, "S reads satp with TVM = 0");
  run(PRV_S, do_sfence, 0);
  check(T.count == 0, "S runs sfence.vma with TVM = 0");
  csrs(mstatus, MSTATUS_TVM);
  run(PRV_S, read_satp, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_S) && T.tval == CSRRS(A0, 0x180, 0),
        "TVM: satp in S is illegal");
  run(PRV_S, do_sfence, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_S) && T.tval == INSN_SFENCE_VMA,
        "TVM: sfence.vma in S is illegal");
  csrc(mstatus, MSTATUS_TVM);
  csrs(mstatus, MSTATUS_TW);
  run(PRV_S, do_wfi, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_S) && T.tval == INSN_WFI, "TW: wfi in S is illegal");
  csrc(mstatus, MSTATUS_TW);
  run(PRV_U, do_wfi, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_U), "wfi in U is illegal");
  run(PRV_U, do_sret_only, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_U), "sret in U is illegal");
  run(PRV_S, do_mret_only, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_S) && T.tval == INSN_MRET, "mret in S is illegal");
  run(PRV_U, do_sfence, 0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_U), "sfence.vma in U is illegal");
}

// Three data pages for the translation checks: x is remapped to y, then to z.
static uint64 page_x[512] __attribute__((aligned(4096)));
static uint64 page_y[512] __attribute__((aligned(4096)));
static uint64 page_z[512] __attribute__((aligned(4096)));

// Load va with MPRV set and MPP = mpp (nothing else touches memory meanwhile).
static uint64 mprv_load(uint64 va, int mpp, uint64 fallback) {
  uint64 v = fallback, set = MSTATUS_MPRV | ((uint64)mpp << MPP_SHIFT);
  csrc(mstatus, MSTATUS_MPP);
  asm volatile("csrs mstatus, %1\n ld %0, 0(%2)\n csrc mstatus, %1"
               : "+r"(v) : "r"(set), "r"(va) : "memory");
  return v;
}

// satp, MPRV and sfence.vma with a page table that moves one page.
static void translation(void) {
  page_x[0] = 0x1111;
  page_y[0] = 0x2222;
  page_z[0] = 0x3333;
  pte_t *root = pt_kernel();
  pte_t *pte = pt_walk(root, (uint64)page_x, 0);
  *pte = PA2PTE(page_y) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
  csrw(satp, MAKE_SATP(root));
  sfence_vma();
  check(csrr(satp) == MAKE_SATP(root), "satp takes Sv39 (mode 8)");
  csrw(satp, (5UL << 60) | 1234);
  check(csrr(satp) == MAKE_SATP(root), "satp ignores a write with a reserved mode");
  csrw(satp, MAKE_SATP(root) | (0xffffUL << 44));
  checkv(csrr(satp) == (MAKE_SATP(root) | (0xffffUL << 44)), "satp keeps a 16-bit ASID",
         csrr(satp));
  csrw(satp, MAKE_SATP(root));
  check(page_x[0] == 0x1111, "M ignores satp (MPRV = 0)");
  check(mprv_load((uint64)page_x, PRV_S, 0) == 0x2222, "MPRV with MPP = S: M loads through satp");
  check(mprv_load((uint64)page_x, PRV_M, 0) == 0x1111, "MPRV with MPP = M: no translation");
  trap_clear();
  uint64 v = mprv_load((uint64)page_x, PRV_U, 0x5a);
  check(v == 0x5a && trapped(PRV_M, EXC_LOAD_PAGE, PRV_M) && T.tval == (uint64)page_x,
        "MPRV with MPP = U: an S page faults (cause 13, mtval = va)");

  check(run(PRV_S, load_word, (uint64)page_x) == 0x2222 && T.count == 0,
        "S loads through the page table");
  *pte = PA2PTE(page_z) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
  run(PRV_S, do_sfence, 0);
  check(run(PRV_S, load_word, (uint64)page_x) == 0x3333, "sfence.vma: S sees the new mapping");

  csrw(satp, 0);
  sfence_vma();
  check(csrr(satp) == 0, "satp back to bare");
  // Not checked: whether mret to S clears MPRV. The privileged spec (1.12) says
  // it does, and this hart does; QEMU 7.2 leaves it set.
}

// PMP registers are accepted and read back; RV64 has only even pmpcfg registers.
static void pmp(void) {
  check(csrr(pmpaddr0) == 0x3fffffffffffffUL && (csrr(pmpcfg0) & 0xff) == 0xf,
        "pmpaddr0 and pmpcfg0 read back the whole-memory entry");
  csrw(pmpaddr1, 0x12345);
  csrw(pmpcfg0, 0x0d0f);  // entry 1: TOR, read and execute
  check(csrr(pmpaddr1) == 0x12345 && (csrr(pmpcfg0) & 0xffff) == 0x0d0f,
        "pmpaddr1 and pmpcfg0 entry 1 read back");
  csrw(pmpcfg0, 0xf);
  trap_clear();
  asm volatile("csrr a0, pmpcfg2" : : : "a0");
  check(T.count == 0, "pmpcfg2 reads");
  asm volatile(".word 0x3a102573" : : : "a0");  // csrr a0, pmpcfg1
  check(T.count == 1 && T.cause == EXC_ILLEGAL, "pmpcfg1 is illegal in RV64");
}

// No floating point while mstatus.FS = 0.
static void floating(void) {
  check((csrr(mstatus) & MSTATUS_FS) == 0, "mstatus.FS = 0 (off)");
  trap_clear();
  do_fld((uint64)page_y);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_M) && T.tval == INSN_FLD_FA0, "fld is illegal while FS = 0");
  trap_clear();
  do_fadd(0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_M) && T.tval == INSN_FADD_D, "fadd.d is illegal");
  trap_clear();
  read_fcsr(0);
  check(trapped(PRV_M, EXC_ILLEGAL, PRV_M), "fcsr is illegal");
}

int main(int hartid) {
  if (hartid != 0)
    for (;;)
      asm volatile("wfi");
  ids(hartid);
  transitions();
  ecalls_and_delegation();
  views();
  counters();
  virtualisation();
  translation();
  pmp();
  floating();
  printf("priv: all checks passed\n");
  return 0;
}
