// The privileged architecture at the hart level (full-system mode): M, S and U,
// mret/sret, delegation, trap CSRs, interrupts and their priorities, WFI, vectored
// traps, counters, SUM / MXR / MPRV and the TSR / TVM / TW traps. Each test builds a
// small program with the encoder and runs it on a fresh hart whose traps go to the
// guest's own vectors.

import assert from "./deps.ts";
import * as E from "./encode.ts";
import { KERNBASE, Ram } from "../machine/ram.ts";
import { Hart, RUN_WFI } from "../machine/hart.ts";
import {
  CSR_MCAUSE,
  CSR_MEPC,
  CSR_MSTATUS,
  CSR_MTVAL,
  CSR_SCAUSE,
  CSR_SEPC,
  CSR_STVAL,
  MIP_MEIP,
  MIP_SEIP,
  PRV_M,
  PRV_S,
  PRV_U,
} from "../machine/csr.ts";
import { assemble, csr, pc, reg, setPc, setReg } from "./hart_harness.ts";

const K = BigInt(KERNBASE);
/** Where each test's pieces of code go. */
const M_CODE = KERNBASE, S_CODE = KERNBASE + 0x100, U_CODE = KERNBASE + 0x200;
const S_TRAP = KERNBASE + 0x300, M_TRAP = KERNBASE + 0x400;
const SPIN = E.jal(0, 0); // stay here (the test's budget ends the run)

// CSR numbers used by the programs.
const MSTATUS = 0x300, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305;
const MEPC = 0x341, MCAUSE = 0x342, MIP = 0x344, MENVCFG = 0x30a, MCOUNTEREN = 0x306;
const SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105, SEPC = 0x141, SCAUSE = 0x142;
const SIP = 0x144, STIMECMP = 0x14d, SATP = 0x180, TIME = 0xc01;

/** 0: interpret everything; 1: translate each page to WebAssembly as soon as it runs. */
let jitThreshold = 0;

/** Register a test twice: interpreted, and translated at once (both must pass alike). */
function privTest(name: string, fn: () => void): void {
  for (const [mode, thr] of [["interpreter", 0], ["translated", 1]] as const) {
    Deno.test(`${name} [${mode}]`, () => {
      jitThreshold = thr;
      try {
        fn();
      } finally {
        jitThreshold = 0;
      }
    });
  }
}

/** A fresh full-system hart on its own RAM, at M_CODE in M-mode, with code placed. */
function boot(pieces: [number, number[]][], regs: Record<number, bigint> = {}): Hart {
  const ram = new Ram(1024 * 1024, 16 * 1024 * 1024);
  for (const [pa, insts] of pieces) ram.writeBytes(pa, assemble(insts));
  const hart = new Hart(ram, { hostTraps: false });
  hart.jitThreshold = jitThreshold;
  for (const [r, v] of Object.entries(regs)) setReg(hart, Number(r), v);
  setPc(hart, BigInt(M_CODE));
  return hart;
}

/** Code that goes from M to S at S_CODE (mepc, MPP = S, mret). x5 is scratch. */
function toS(): number[] {
  return [
    E.lui(5, 1), // x5 = 0x1000
    E.srli(5, 5, 1), // 0x800 = MPP S
    E.csrrs(0, MSTATUS, 5),
    E.csrrw(0, MEPC, 30), // x30 = S_CODE
    0x30200073, // mret
  ];
}

privTest("reset: M-mode, misa RV64IMACSU, mhartid, mstatus UXL=SXL=2", () => {
  const ram = new Ram(1024 * 1024);
  const hart = new Hart(ram, { hostTraps: false, hartid: 2 });
  assert.equal(hart.priv, PRV_M);
  assert.equal(csr(hart, 0x301), (2n << 62n) | 0x141105n);
  assert.equal(csr(hart, 0xf14), 2n);
  assert.equal(csr(hart, MSTATUS), 0xa00000000n);
});

privTest("M -> S -> U and back: mret, sret, a delegated ecall, an undelegated ebreak", () => {
  const hart = boot([
    [M_CODE, [
      E.csrrw(0, MEDELEG, 7), // x7 = 1 << 8: ecall from U goes to S
      E.csrrw(0, STVEC, 9),
      E.csrrw(0, MTVEC, 8),
      ...toS(),
    ]],
    [S_CODE, [E.csrrw(0, SEPC, 31), 0x10200073]], // sepc = U_CODE; sret (SPP = U)
    [U_CODE, [E.addi(10, 0, 42), E.ecall()]],
    [S_TRAP, [E.csrrs(11, SCAUSE, 0), E.csrrs(12, SEPC, 0), E.csrrs(13, SSTATUS, 0), E.ebreak()]],
    [M_TRAP, [SPIN]],
  ], {
    7: 1n << 8n,
    8: BigInt(M_TRAP),
    9: BigInt(S_TRAP),
    30: BigInt(S_CODE),
    31: BigInt(U_CODE),
  });
  hart.run(200);
  assert.equal(reg(hart, 10), 42n);
  assert.equal(reg(hart, 11), 8n, "scause: ecall from U");
  assert.equal(reg(hart, 12), BigInt(U_CODE + 4), "sepc: the ecall");
  assert.equal(reg(hart, 13) & 0x100n, 0n, "sstatus.SPP = U");
  assert.equal(hart.priv, PRV_M);
  assert.equal(csr(hart, CSR_MCAUSE), 3n, "ebreak is not delegated");
  assert.equal(csr(hart, CSR_MEPC), BigInt(S_TRAP + 12));
  assert.equal(csr(hart, CSR_MTVAL), BigInt(S_TRAP + 12), "tval = pc for ebreak");
  assert.equal((csr(hart, CSR_MSTATUS) >> 11n) & 3n, 1n, "MPP = S");
  assert.equal(pc(hart), BigInt(M_TRAP));
});

privTest(
  "S-mode trap CSRs: read-write, set and clear bits, sepc's bit 0, stvec's reserved modes",
  () => {
    const SSCRATCH = 0x140, STVAL = 0x143;
    const hart = boot([
      [M_CODE, toS()],
      [S_CODE, [
        E.csrrw(10, SSCRATCH, 24), // x10 = 0 (old); sscratch = x24
        E.csrrs(11, SSCRATCH, 6), // x11 = x24; sscratch |= x6
        E.csrrc(12, SSCRATCH, 7), // x12 = x24 | x6; sscratch &= ~x7
        E.csrrs(13, SSCRATCH, 0), // x13 = (x24 | x6) & ~x7 (no write)
        E.csrrw(0, SEPC, 8), // sepc = x8 with bit 0 cleared
        E.csrrs(14, SEPC, 0),
        E.csrrw(0, STVEC, 9), // stvec = x9 (mode 1: vectored)
        E.csrrw(15, STVEC, 16), // x16 has mode 2 (reserved): stvec keeps x9
        E.csrrs(17, STVEC, 0),
        E.csrrwi(18, STVAL, 21), // stval = 21
        E.csrrci(19, STVAL, 5), // x19 = 21; stval = 16
        E.csrrs(20, STVAL, 0),
        E.csrrw(21, SCAUSE, 9),
        E.csrrs(22, SCAUSE, 0),
        SPIN,
      ]],
    ], {
      24: 0x1234_5678_9abc_def0n,
      6: 0xf0n,
      7: 0x0fn,
      8: 0x8000_1235n,
      9: 0x8000_2001n,
      16: 0x8000_3002n,
      30: BigInt(S_CODE),
    });
    hart.run(100);
    assert.equal(hart.priv, PRV_S);
    assert.equal(reg(hart, 10), 0n);
    assert.equal(reg(hart, 11), 0x1234_5678_9abc_def0n);
    assert.equal(reg(hart, 12), 0x1234_5678_9abc_def0n | 0xf0n);
    assert.equal(reg(hart, 13), (0x1234_5678_9abc_def0n | 0xf0n) & ~0x0fn);
    assert.equal(reg(hart, 14), 0x8000_1234n, "sepc bit 0 is zero");
    assert.equal(reg(hart, 15), 0x8000_2001n);
    assert.equal(reg(hart, 17), 0x8000_2001n, "a reserved stvec mode leaves stvec as it was");
    assert.equal(reg(hart, 19), 21n);
    assert.equal(reg(hart, 20), 16n);
    assert.equal(reg(hart, 22), 0x8000_2001n);
    assert.equal(csr(hart, CSR_STVAL), 16n);
    assert.equal(csr(hart, CSR_SEPC), 0x8000_1234n);
  },
);

privTest(
  "a trap handler returning into the middle of a translated block translates nothing again",
  () => {
    // Eight loads that fault (no memory at 0x10), each followed by a count; the handler
    // skips the load, so every mret lands inside the loop's block, at eight places.
    const body: number[] = [];
    for (let i = 0; i < 8; i++) body.push(E.ld(0, 6, 0), E.addi(10, 10, 1));
    const hart = boot([
      [M_CODE, [
        E.csrrw(0, MTVEC, 8),
        ...body,
        E.addi(11, 11, -1),
        E.bne(11, 0, -4 * body.length - 4),
        SPIN,
      ]],
      [M_TRAP, [E.csrrs(5, MEPC, 0), E.addi(5, 5, 4), E.csrrw(0, MEPC, 5), 0x30200073]],
    ], { 6: 0x10n, 8: BigInt(M_TRAP), 11: 50n });
    hart.run(100_000);
    assert.equal(reg(hart, 10), 400n);
    assert.equal(reg(hart, 11), 0n);
    assert.equal(pc(hart), BigInt(M_CODE + 4 + 4 * body.length + 8));
    // The first translation, then the handler and the exit path once each has run.
    assert.ok(hart.regionsCompiled <= 3, `${hart.regionsCompiled} translations of one page`);
  },
);

privTest("ecall causes by mode: 8 from U, 9 from S, 11 from M; medeleg cannot delegate 11", () => {
  const hart = boot([
    [M_CODE, [E.csrrw(0, MEDELEG, 7), E.csrrs(6, MEDELEG, 0), E.csrrw(0, MTVEC, 8), E.ecall()]],
    [M_TRAP, [SPIN]],
  ], { 7: 0xffffn, 8: BigInt(M_TRAP) });
  hart.run(50);
  assert.equal(reg(hart, 6), 0xb3ffn, "medeleg keeps only delegable exceptions");
  assert.equal(csr(hart, CSR_MCAUSE), 11n);
  const s = boot([
    [M_CODE, [E.csrrw(0, MTVEC, 8), ...toS()]],
    [S_CODE, [E.ecall()]],
    [M_TRAP, [SPIN]],
  ], { 8: BigInt(M_TRAP), 30: BigInt(S_CODE) });
  s.run(50);
  assert.equal(csr(s, CSR_MCAUSE), 9n);
  assert.equal(csr(s, CSR_MEPC), BigInt(S_CODE));
});

privTest(
  "CSR privilege: U and S touching M CSRs trap as illegal with tval = the instruction",
  () => {
    const bad = E.csrrs(10, MSTATUS, 0);
    const hart = boot([
      [M_CODE, [E.csrrw(0, MEDELEG, 7), E.csrrw(0, STVEC, 9), E.csrrw(0, MTVEC, 8), ...toS()]],
      [S_CODE, [bad]],
      [S_TRAP, [SPIN]],
      [M_TRAP, [SPIN]],
    ], { 7: 1n << 2n, 8: BigInt(M_TRAP), 9: BigInt(S_TRAP), 30: BigInt(S_CODE) });
    hart.run(50);
    assert.equal(hart.priv, PRV_S, "illegal instruction delegated to S");
    assert.equal(csr(hart, CSR_SCAUSE), 2n);
    assert.equal(csr(hart, CSR_STVAL), BigInt(bad));
    assert.equal(csr(hart, CSR_SEPC), BigInt(S_CODE));
  },
);

privTest("mstatus.MPRV: M-mode loads use MPP's translation; mret to S clears MPRV", () => {
  const hart = boot([
    [M_CODE, [
      E.lui(5, 0x20), // MPRV (bit 17) = 0x20000
      E.csrrs(0, MSTATUS, 5),
      E.csrrw(0, MEPC, 30),
      E.lui(5, 1),
      E.srli(5, 5, 1),
      E.csrrs(0, MSTATUS, 5), // MPP = S
      0x30200073,
    ]],
    [S_CODE, [E.csrrs(10, SSTATUS, 0), SPIN]],
  ], { 30: BigInt(S_CODE) });
  hart.run(50);
  assert.equal(hart.priv, PRV_S);
  assert.equal(csr(hart, CSR_MSTATUS) & (1n << 17n), 0n, "MPRV cleared by mret to S");
});

privTest("timer interrupt in M (vectored mtvec): cause, mepc, MPIE, handler at base + 4*7", () => {
  const hart = boot([
    [M_CODE, [
      E.csrrw(0, MTVEC, 8), // vectored
      E.addi(5, 0, 0x80),
      E.csrrs(0, MIE, 5), // MTIE
      E.csrrsi(0, MSTATUS, 8), // MIE
      E.addi(10, 10, 1), // count
      E.jal(0, -4),
    ]],
    [M_TRAP + 28, [E.csrrs(11, MCAUSE, 0), E.csrrs(12, MEPC, 0), E.csrrs(13, MSTATUS, 0), SPIN]],
  ], { 8: BigInt(M_TRAP) | 1n });
  hart.csrs.mtimecmp = 100;
  hart.run(300);
  assert.equal(reg(hart, 11), (1n << 63n) | 7n);
  const epc = reg(hart, 12);
  assert.ok(epc === BigInt(M_CODE + 16) || epc === BigInt(M_CODE + 20), `mepc ${epc}`);
  assert.equal(reg(hart, 13) & 0x88n, 0x80n, "MIE off, MPIE on");
  assert.equal(pc(hart), BigInt(M_TRAP + 28 + 12), "the handler ran");
  // The interrupt came at time 100: steps 0..99 ran first.
  assert.ok(reg(hart, 10) >= 45n && reg(hart, 10) <= 48n, `loop count ${reg(hart, 10)}`);
});

privTest("Sstc: stimecmp raises a delegated S timer interrupt; time is readable with TM", () => {
  const hart = boot([
    [M_CODE, [
      E.addi(5, 0, 0x20),
      E.csrrw(0, MIDELEG, 5), // delegate STI
      E.csrrs(0, MIE, 5), // STIE
      E.csrrw(0, MCOUNTEREN, 6), // x6 = 2: time readable from S
      E.csrrw(0, MENVCFG, 7), // x7 = STCE
      E.csrrw(0, STVEC, 9),
      ...toS(),
    ]],
    [S_CODE, [
      E.csrrs(10, TIME, 0),
      E.addi(11, 10, 50),
      E.csrrw(0, STIMECMP, 11),
      E.csrrsi(0, SSTATUS, 2), // SIE
      SPIN,
    ]],
    [S_TRAP, [E.csrrs(12, SCAUSE, 0), E.csrrs(13, TIME, 0), E.csrrs(14, SIP, 0), SPIN]],
  ], { 6: 2n, 7: 1n << 63n, 9: BigInt(S_TRAP), 30: BigInt(S_CODE) });
  hart.run(200);
  assert.equal(hart.priv, PRV_S);
  assert.equal(reg(hart, 12), (1n << 63n) | 5n);
  assert.ok(reg(hart, 13) >= reg(hart, 11), "the interrupt came at stimecmp");
  assert.equal(reg(hart, 14) & 0x20n, 0x20n, "sip.STIP while time >= stimecmp");
});

privTest("without mcounteren.TM, reading time from S is illegal", () => {
  const hart = boot([
    [M_CODE, [E.csrrw(0, MTVEC, 8), ...toS()]],
    [S_CODE, [E.csrrs(10, TIME, 0)]],
    [M_TRAP, [SPIN]],
  ], { 8: BigInt(M_TRAP), 30: BigInt(S_CODE) });
  hart.run(50);
  assert.equal(csr(hart, CSR_MCAUSE), 2n);
});

privTest("software interrupt through sip.SSIP, taken when S enables it", () => {
  const hart = boot([
    [M_CODE, [
      E.addi(5, 0, 2),
      E.csrrw(0, MIDELEG, 5),
      E.csrrw(0, STVEC, 9),
      ...toS(),
    ]],
    [S_CODE, [
      E.csrrs(0, SIE, 6), // SSIE
      E.csrrs(0, SIP, 6), // SSIP pending, SIE still off: not taken
      E.addi(10, 0, 1),
      E.csrrsi(0, SSTATUS, 2), // SIE on: taken here
      E.addi(10, 0, 2),
      SPIN,
    ]],
    [S_TRAP, [E.csrrs(12, SCAUSE, 0), E.csrrs(13, SEPC, 0), SPIN]],
  ], { 6: 2n, 9: BigInt(S_TRAP), 30: BigInt(S_CODE) });
  hart.run(100);
  assert.equal(reg(hart, 10), 1n, "taken right after SIE was set");
  assert.equal(reg(hart, 12), (1n << 63n) | 1n);
  assert.equal(reg(hart, 13), BigInt(S_CODE + 16));
});

privTest("interrupt priority: as QEMU 7.2, the lowest number first (SSI before MTI, MEI)", () => {
  const hart = boot([
    [M_CODE, [
      E.csrrw(0, MTVEC, 8),
      E.csrrw(0, MIE, 6), // MEIE | MTIE | SSIE
      E.csrrsi(0, MSTATUS, 8),
      SPIN,
    ]],
    [M_TRAP, [E.csrrs(11, MCAUSE, 0), SPIN]],
  ], { 6: 0x882n, 8: BigInt(M_TRAP) });
  hart.csrs.mtimecmp = 0;
  hart.csrs.mipSoft = 2;
  hart.csrs.mipLines = MIP_MEIP;
  hart.run(20);
  assert.equal(reg(hart, 11), (1n << 63n) | 1n);
  assert.equal(csr(hart, MIP) & 0xaaan, 0x882n);
});

privTest("WFI: the hart waits until an interrupt is pending and enabled, even with MIE off", () => {
  const hart = boot([
    [M_CODE, [E.addi(5, 0, 0x800), E.csrrw(0, MIE, 5), 0x10500073, E.addi(10, 0, 7), SPIN]],
  ]);
  assert.equal(hart.run(100), RUN_WFI);
  assert.equal(hart.waiting, true);
  assert.equal(reg(hart, 10), 0n);
  assert.equal(hart.run(100), RUN_WFI, "still nothing pending");
  hart.csrs.mipLines = MIP_MEIP;
  hart.poke();
  hart.run(10);
  assert.equal(reg(hart, 10), 7n, "resumes after wfi without trapping (MIE is off)");
  assert.equal(hart.priv, PRV_M);
});

privTest("TW, TSR, TVM: wfi, sret, satp and sfence.vma trap in S when M says so", () => {
  for (
    const [bit, inst] of [
      [21, 0x10500073], // TW: wfi
      [22, 0x10200073], // TSR: sret
      [20, E.csrrs(10, SATP, 0)], // TVM: satp
      [20, 0x12000073], // TVM: sfence.vma
    ] as const
  ) {
    const hart = boot([
      [M_CODE, [E.lui(5, 1 << (bit - 12)), E.csrrs(0, MSTATUS, 5), E.csrrw(0, MTVEC, 8), ...toS()]],
      [S_CODE, [inst]],
      [M_TRAP, [SPIN]],
    ], { 8: BigInt(M_TRAP), 30: BigInt(S_CODE) });
    hart.run(50);
    assert.equal(csr(hart, CSR_MCAUSE), 2n, `bit ${bit}: ${inst.toString(16)}`);
    assert.equal(csr(hart, CSR_MTVAL), BigInt(inst));
  }
  // mret from S and anything privileged from U are illegal too.
  const u = boot([
    [M_CODE, [E.csrrw(0, MTVEC, 8), E.csrrw(0, MEPC, 31), 0x30200073]], // MPP = U
    [U_CODE, [0x10500073]],
    [M_TRAP, [SPIN]],
  ], { 8: BigInt(M_TRAP), 31: BigInt(U_CODE) });
  u.run(50);
  assert.equal(u.priv, PRV_M);
  assert.equal(csr(u, CSR_MCAUSE), 2n, "wfi in U");
  assert.equal((csr(u, CSR_MSTATUS) >> 11n) & 3n, BigInt(PRV_U), "MPP = U");
  void K;
  void CSR_SEPC;
  void PRV_S;
});

privTest(
  "an interrupt pending while SIE is off is taken right after csrs sstatus turns SIE on",
  () => {
    const hart = boot([
      [M_CODE, [
        E.addi(5, 0, 0x200),
        E.csrrw(0, MIDELEG, 5), // delegate SEI
        E.csrrw(0, MIE, 5), // SEIE
        E.csrrw(0, STVEC, 9),
        ...toS(),
      ]],
      [S_CODE, [
        E.addi(11, 0, 100), // a loop first, so translated code is running when SIE goes on
        E.addi(11, 11, -1),
        E.bne(11, 0, -4),
        E.addi(15, 0, 2),
        E.csrrs(0, SSTATUS, 15),
        E.addi(10, 10, 1), // must not run before the interrupt is taken
        SPIN,
      ]],
      [S_TRAP, [E.csrrs(12, SCAUSE, 0), E.csrrs(13, SEPC, 0), SPIN]],
    ], { 9: BigInt(S_TRAP), 30: BigInt(S_CODE) });
    hart.csrs.mipLines = MIP_SEIP;
    hart.run(1000);
    assert.equal(reg(hart, 10), 0n);
    assert.equal(reg(hart, 12), (1n << 63n) | 9n);
    assert.equal(reg(hart, 13), BigInt(S_CODE + 20));
  },
);
