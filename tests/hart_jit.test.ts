// Cases aimed at the block compiler (each runs on the interpreter too): faults and
// timer interrupts in the middle of a block, blocks running off a page, one
// physical page mapped at two addresses, code patching itself inside a block.
import assert from "./deps.ts";
import * as E from "./encode.ts";
import { CAUSE_ECALL_U, CAUSE_STORE_PAGE_FAULT, Hart, IRQ_TIMER } from "../machine/hart.ts";
import { KERNBASE, Ram } from "../machine/ram.ts";
import { decode32, decodedImm } from "../machine/decode.ts";
import { buildRegion, findBlocks, HOT_RETURNS } from "../machine/translate.ts";
import { div64, divu64, mul64, mulh64, mulhsu64, mulhu64, res } from "../machine/arith.ts";
import {
  CODE_PA,
  load,
  modeTest,
  pc,
  R,
  reg,
  reset,
  runCode,
  sepc,
  setPc,
  setReg,
  stval,
  sx,
  U,
  ux,
  vm,
  W,
  X,
} from "./hart_harness.ts";

const C = BigInt(CODE_PA);

modeTest("a fault in the middle of a block retires exactly the instructions before it", () => {
  for (let round = 0; round < 3; round++) {
    const { hart } = reset();
    hart.instret = 100;
    setReg(hart, 4, 0x10n); // outside RAM: load access fault
    assert.equal(
      runCode([E.addi(1, 1, 1), E.addi(2, 0, 5), E.ld(3, 4, 0), E.addi(5, 0, 1), E.ecall()]),
      5,
    );
    assert.equal(hart.instret, 102);
    assert.equal(reg(hart, 1), 1n);
    assert.equal(reg(hart, 2), 5n);
    assert.equal(reg(hart, 5), 0n);
    assert.equal(sepc(hart), C + 8n);
    assert.equal(stval(hart), 0x10n);
  }
});

modeTest("timer and budget stop a long straight block at exactly N", () => {
  const body: number[] = [];
  for (let i = 1; i <= 20; i++) body.push(E.addi(i % 8 + 1, i % 8 + 1, i));
  body.push(E.jal(0, -80));
  for (const N of [1, 5, 20, 21, 22, 40, 63, 64, 65, 500]) {
    // Run the loop a few times first so it is compiled, then measure from a fresh state.
    const { hart } = reset();
    runCode(body, 300);
    hart.x.fill(0);
    hart.instret = 0;
    setPc(hart, C);
    hart.timecmp = N;
    assert.equal(hart.run(1_000_000), IRQ_TIMER, `N=${N}`);
    assert.equal(hart.instret, N);
    // Expected registers from the ISA: instruction k (0-based) of the loop body.
    const want = new Array(9).fill(0n);
    for (let k = 0; k < N; k++) {
      const j = k % 21;
      if (j < 20) want[(j + 1) % 8 + 1] += BigInt(j + 1);
    }
    for (let r = 1; r <= 8; r++) assert.equal(reg(hart, r), want[r], `N=${N} x${r}`);
    const j = N % 21;
    assert.equal(pc(hart), C + BigInt(4 * j));
    // And the budget
    hart.x.fill(0);
    hart.instret = 0;
    hart.timecmp = Infinity;
    setPc(hart, C);
    assert.equal(hart.run(N), -1);
    assert.equal(hart.instret, N);
    for (let r = 1; r <= 8; r++) assert.equal(reg(hart, r), want[r], `budget N=${N} x${r}`);
  }
});

/**
 * Nested loops as a compiler lays them out: an outer loop (12..60) around an inner one
 * (20..40) entered at its condition (40), and a jump (56) back into the middle of the
 * inner loop from outside it. As pcs: the program, and the same as a JS state machine.
 */
const NESTED = [
  E.addi(6, 0, 7), // 0: inner bound
  E.addi(7, 0, 0), // 4: j = 0
  E.addi(8, 0, 6), // 8: outer bound
  E.addi(1, 0, 0), // 12: outer head: i = 0
  E.jal(0, 24), // 16: to the inner loop's condition (40)
  E.add(2, 2, 1), // 20: inner body: acc += i
  E.andi(5, 2, 1), // 24
  E.beq(5, 0, 8), // 28: even: skip
  E.addi(3, 3, 1), // 32: odd count
  E.addi(1, 1, 1), // 36: i++
  E.blt(1, 6, -20), // 40: inner condition: back to 20
  E.addi(7, 7, 1), // 44: j++
  E.andi(5, 7, 3), // 48
  E.bne(5, 0, 8), // 52
  E.jal(0, -24), // 56: every 4th j: back into the inner loop at 32
  E.blt(7, 8, -48), // 60: outer condition: back to 12
  E.ecall(), // 64
];

/** Run NESTED in JS for `budget` instructions: registers x1..x8, the pc, instructions run. */
function nestedModel(budget: number): { x: number[]; pc: number; n: number } {
  const x = new Array(9).fill(0);
  let pc = 0, n = 0;
  const step: Record<number, () => number> = {
    0: () => (x[6] = 7, 4),
    4: () => (x[7] = 0, 8),
    8: () => (x[8] = 6, 12),
    12: () => (x[1] = 0, 16),
    16: () => 40,
    20: () => (x[2] += x[1], 24),
    24: () => (x[5] = x[2] & 1, 28),
    28: () => x[5] === 0 ? 36 : 32,
    32: () => (x[3]++, 36),
    36: () => (x[1]++, 40),
    40: () => x[1] < x[6] ? 20 : 44,
    44: () => (x[7]++, 48),
    48: () => (x[5] = x[7] & 3, 52),
    52: () => x[5] !== 0 ? 60 : 56,
    56: () => 32,
    60: () => x[7] < x[8] ? 12 : 64,
  };
  while (n < budget && pc !== 64) {
    pc = step[pc]();
    n++;
  }
  return { x, pc, n };
}

modeTest(
  "nested loops, one entered at its condition and one jumped into, stop exactly at any budget",
  () => {
    const total = nestedModel(Infinity).n;
    for (let N = 1; N <= total + 1; N += N < 40 ? 1 : 7) {
      for (const timer of [false, true]) {
        const { hart } = reset();
        runCode(NESTED, 1000); // translated (in that mode) before the measured run
        hart.x.fill(0);
        hart.instret = 0;
        setPc(hart, C);
        hart.timecmp = timer ? N : Infinity;
        const r = hart.run(timer ? 1_000_000 : N);
        const want = nestedModel(N);
        const what = `N=${N} ${timer ? "timer" : "budget"}`;
        if (want.pc === 64) assert.equal(r, 8, what); // the ecall
        else assert.equal(r, timer ? IRQ_TIMER : -1, what);
        assert.equal(hart.instret, want.n, what);
        assert.equal(pc(hart), C + BigInt(want.pc), what);
        for (let i = 1; i <= 8; i++) assert.equal(reg(hart, i), BigInt(want.x[i]), `${what} x${i}`);
      }
    }
  },
);

modeTest("a block patching its own later instruction runs the new one", () => {
  for (let round = 0; round < 3; round++) {
    const { hart } = reset();
    setReg(hart, 1, C);
    setReg(hart, 2, BigInt(E.addi(7, 0, 42)));
    // 0: sw x2, 12(x1)  4: addi x6,x6,1  8: addi x6,x6,1  12: addi x7,x0,1  16: ecall
    assert.equal(
      runCode([E.sw(2, 1, 12), E.addi(6, 6, 1), E.addi(6, 6, 1), E.addi(7, 0, 1), E.ecall()]),
      8,
    );
    assert.equal(reg(hart, 7), 42n);
    assert.equal(reg(hart, 6), 2n);
    assert.equal(hart.instret >= 4, true);
  }
});

modeTest("a store to a page cached before the page held code reaches the code run there", () => {
  // Code page A stores an instruction to page B, calls it, stores another, calls again.
  // The first store caches B for stores while B is plain data; B then starts holding
  // decoded code, and the second store must still drop that code (x7 = 1 + 100).
  for (let round = 0; round < 3; round++) {
    const { ram, hart } = reset();
    const b = CODE_PA + 0x3000;
    ram.write32(b + 4, E.jalr(0, 9, 0));
    setReg(hart, 1, BigInt(b));
    setReg(hart, 2, BigInt(E.addi(7, 7, 1)));
    setReg(hart, 3, BigInt(E.addi(7, 7, 100)));
    const code = [E.sw(2, 1, 0), E.jalr(9, 1, 0), E.sw(3, 1, 0), E.jalr(9, 1, 0), E.ecall()];
    hart.instret = 0;
    assert.equal(runCode(code), 8);
    assert.equal(reg(hart, 7), 101n, `round ${round}`);
    assert.equal(hart.instret, 8);
  }
});

modeTest("a page written after an invalidation still reports later writes", () => {
  const { ram, hart } = reset();
  setReg(hart, 1, C);
  // 0: sw x2, 64(x1) (data on the code page)  4: jal +12  16: addi x3,x3,1  20: ecall
  assert.equal(
    runCode([E.sw(2, 1, 64), E.jal(0, 12), E.ecall(), E.ecall(), E.addi(3, 3, 1), E.ecall()]),
    8,
  );
  assert.equal(reg(hart, 3), 1n);
  ram.write32(CODE_PA + 16, E.addi(3, 3, 5));
  setPc(hart, C + 16n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 3), 6n);
});

modeTest("code spread over more pages than the decode cache holds still runs right", () => {
  const { ram, hart } = reset();
  const base = KERNBASE + 0x80_0000;
  const PAGES = 1100; // more than the hart's pool of decoded pages
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < PAGES; i++) {
      const pa = base + i * 4096;
      if (round === 0) load(ram, pa, [E.addi(1, 1, i & 0x3ff), E.addi(2, 2, 1), E.ecall()]);
      setPc(hart, BigInt(pa));
      hart.x.fill(0);
      assert.equal(hart.run(10), 8);
      assert.equal(reg(hart, 1), BigInt(i & 0x3ff), `page ${i}`);
    }
  }
  // Rewrite the first page through Ram after the cache has wrapped: the new code runs.
  load(ram, base, [E.addi(1, 0, 99), E.ecall()]);
  setPc(hart, BigInt(base));
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 1), 99n);
});

modeTest("straight-line code running off the end of a page continues on the next", () => {
  const at = 0x5ff0;
  const code = [
    E.addi(1, 0, 1),
    E.addi(1, 1, 1),
    E.cAddi(1, 1),
    E.addi(1, 1, 1),
    E.addi(1, 1, 1), // crosses: at 0x5ffe..0x6001
    E.addi(1, 1, 1),
    E.ecall(),
  ];
  for (let round = 0; round < 3; round++) {
    const { hart } = vm(code, at);
    setPc(hart, BigInt(at));
    assert.equal(hart.run(100), 8);
    assert.equal(reg(hart, 1), 6n);
    assert.equal(sepc(hart), BigInt(at + 22));
  }
});

modeTest("a call inlined into its caller's region follows its page when that is remapped", () => {
  // 0x3000 calls f at 0x4000 twice. f is copied into the caller's translation; after
  // 0x4000 is mapped to another physical page (and sfence.vma), the new f must run.
  // f1 is the physical page after the caller's (where the translator reads callees).
  const { ram, hart, pt, pa2: f1 } = vm(
    [E.jal(1, 0x1000), E.jal(1, 0x1000 - 4), E.ecall()],
    0x3000,
  );
  const f2 = pt.alloc();
  load(ram, f1, [E.addi(7, 7, 1), E.jalr(0, 1, 0)]);
  load(ram, f2, [E.addi(7, 7, 10), E.jalr(0, 1, 0)]);
  // Interpret one run first: only code that has run is copied into a caller.
  const threshold = hart.jitThreshold;
  hart.jitThreshold = 0;
  setPc(hart, 0x3000n);
  assert.equal(hart.run(100), 8);
  hart.jitThreshold = threshold;
  for (const [pa, each] of [[f1, 1], [f2, 10], [f1, 1]]) {
    pt.map(0x4000, pa, R | X | U);
    hart.sfenceVma();
    for (let run = 0; run < 3; run++) {
      setReg(hart, 7, 0n);
      setPc(hart, 0x3000n);
      assert.equal(hart.run(100), 8);
      assert.equal(reg(hart, 7), BigInt(2 * each), `f at ${pa.toString(16)}, run ${run}`);
    }
  }
});

modeTest("a store that faults inside a block goes on translated once the fault is hot", () => {
  // A lazy allocator's loop (usertests' execout): each pass stores a byte at x1 and
  // moves x1 a quarter page on, so every fourth store finds its page unmapped. The
  // host maps it, as a fault handler would, and resumes at the store, which is inside
  // the loop's block (it starts at the addi before it).
  const pages = 60;
  const { hart, pt, ram } = vm([
    E.addi(5, 5, 1),
    E.sb(2, 1, 0),
    E.addi(1, 1, 1024),
    E.bne(5, 6, -12),
    E.ecall(),
  ], 0x3000);
  const base = 0x40_0000;
  setReg(hart, 1, BigInt(base));
  setReg(hart, 2, 0x77n);
  setReg(hart, 6, BigInt(4 * pages));
  setPc(hart, 0x3000n);
  hart.instret = 0;
  const mapped: number[] = [];
  let cause = -1, late = 0;
  for (;;) {
    const before = hart.interpreted;
    cause = hart.run(100_000);
    if (mapped.length > 10) late += hart.interpreted - before;
    if (cause !== CAUSE_STORE_PAGE_FAULT) break;
    assert.equal(sepc(hart), 0x3004n);
    assert.equal(stval(hart), BigInt(base + 4096 * mapped.length));
    const pa = pt.alloc();
    pt.map(base + 4096 * mapped.length, pa, R | W | U);
    mapped.push(pa);
    setPc(hart, 0x3004n);
  }
  assert.equal(cause, CAUSE_ECALL_U);
  assert.equal(mapped.length, pages);
  assert.equal(hart.instret, 16 * pages);
  for (const pa of mapped) {
    for (let q = 0; q < 4096; q += 1024) assert.equal(ram.read8(pa + q), 0x77);
  }
  // Translated, the resumed store gets a block of its own: the interpreter does not
  // run the rest of the loop's block after each fault (three instructions each).
  if (hart.jitThreshold > 0) assert.equal(late, 0);
});

/**
 * xv6's memset loop at 0x3000 (sb x2, 0(x1); addi x1, x1, 1; bne x1, x3, loop; ecall),
 * which translated code runs in bulk, with data pages at 0x8000 (read-write) and
 * nothing at 0x9000.
 */
function fillSetup(from: number, to: number, value: number) {
  const m = vm([E.sb(2, 1, 0), E.addi(1, 1, 1), E.bne(1, 3, -8), E.ecall()], 0x3000);
  const data = m.pt.alloc();
  m.pt.map(0x8000, data, R | W | U);
  m.hart.sfenceVma();
  m.ram.bytes.fill(0x5a, data - KERNBASE, data - KERNBASE + 4096);
  setReg(m.hart, 1, BigInt(from));
  setReg(m.hart, 2, BigInt(value));
  setReg(m.hart, 3, BigInt(to));
  setPc(m.hart, 0x3000n);
  m.hart.instret = 0;
  return { ...m, data };
}

modeTest(
  "a byte-fill loop stops at exactly N instructions, every byte and register as stepped",
  () => {
    const from = 0x8000 + 1000, to = 0x8000 + 1700;
    for (const N of [1, 2, 3, 4, 5, 299, 300, 301, 302, 1000, 2099, 2100, 2101, 5000]) {
      const { ram, hart, data } = fillSetup(from, to, 0xc3);
      const r = hart.run(N);
      const whole = Math.min(Math.floor(N / 3), to - from), part = N - 3 * whole;
      const done = N >= 3 * (to - from) + 1;
      assert.equal(r, done ? 8 : -1, `N=${N}`);
      assert.equal(hart.instret, done ? 3 * (to - from) : N, `N=${N}`);
      const stored = whole + (!done && part >= 1 ? 1 : 0);
      assert.equal(reg(hart, 1), BigInt(from + whole + (!done && part === 2 ? 1 : 0)), `N=${N}`);
      // (After the last byte the branch falls through to the ecall.)
      const at = whole === to - from ? 0x300c : 0x3000 + 4 * part;
      if (!done) assert.equal(pc(hart), BigInt(at), `N=${N}`);
      const first = data - KERNBASE + (from - 0x8000);
      assert.equal(ram.bytes[first - 1], 0x5a, `N=${N}: before`);
      for (let k = 0; k < stored; k++) assert.equal(ram.bytes[first + k], 0xc3, `N=${N} byte ${k}`);
      assert.equal(ram.bytes[first + stored], 0x5a, `N=${N}: after the last store`);
    }
  },
);

modeTest(
  "a byte-fill loop running into an unmapped page faults at its first byte, as stepped",
  () => {
    const from = 0x8000 + 3000;
    const { ram, hart, data } = fillSetup(from, 0x9000 + 100, 7);
    assert.equal(hart.run(100_000), 15); // store page fault
    assert.equal(stval(hart), 0x9000n);
    assert.equal(sepc(hart), 0x3000n);
    assert.equal(reg(hart, 1), 0x9000n);
    assert.equal(hart.instret, 3 * (0x9000 - from));
    const at = data - KERNBASE;
    assert.deepEqual([ram.bytes[at + 2999], ram.bytes[at + 3000], ram.bytes[at + 4095]], [
      0x5a,
      7,
      7,
    ]);
  },
);

modeTest("a byte-fill loop over code that ran drops it: the new bytes run", () => {
  // 0x4000 (the second code page) holds 8 x addi x7 and an ecall; it runs, then the
  // loop fills its first 32 bytes with 0 (an illegal instruction), then it runs again.
  const { ram, hart, pt, pa2 } = fillSetup(0x4000, 0x4000 + 32, 0);
  load(ram, pa2, [...Array(8).fill(E.addi(7, 7, 1)), E.ecall()]);
  pt.map(0x4000, pa2, R | W | X | U);
  hart.sfenceVma();
  for (let run = 0; run < 3; run++) {
    setPc(hart, 0x4000n);
    assert.equal(hart.run(100), 8);
  }
  assert.equal(reg(hart, 7), 24n);
  setPc(hart, 0x3000n);
  assert.equal(hart.run(1000), 8);
  assert.equal(reg(hart, 1), 0x4020n);
  setPc(hart, 0x4000n);
  assert.equal(hart.run(100), 2); // illegal instruction: the filled bytes, not the old addi
  assert.equal(sepc(hart), 0x4000n);
  assert.equal(reg(hart, 7), 24n);
});

modeTest("one physical page mapped at two addresses: pc-relative results follow the VA", () => {
  const { ram, hart, pt, pa1 } = vm([E.auipc(5, 1), E.jal(6, 8), E.ecall(), E.ecall()], 0x3000);
  pt.map(0x9000, pa1, R | X | U);
  void ram;
  for (const base of [0x3000n, 0x9000n, 0x3000n, 0x9000n, 0x9000n]) {
    setPc(hart, base);
    assert.equal(hart.run(10), 8);
    assert.equal(reg(hart, 5), base + 0x1000n);
    assert.equal(reg(hart, 6), base + 8n);
    assert.equal(sepc(hart), base + 12n);
  }
});

// The multiply/divide helpers on many random operands of every magnitude.
Deno.test("64-bit multiply and divide helpers agree with BigInt", () => {
  let s = 0x243f6a8885a308d3n;
  const M = (1n << 64n) - 1n;
  const next = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & M;
    const shift = (s >> 58n) & 63n; // vary the magnitude
    return (s ^ (s << 17n) & M) >> shift;
  };
  const lo = (v: bigint) => Number(v & 0xffffffffn) | 0;
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn) | 0;
  const got = (l: number, h: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  for (let i = 0; i < 20000; i++) {
    const a = next(), b = next() | (i & 1 ? 0n : 1n);
    const sa = sx(a, 64), sb = sx(b, 64);
    mul64(lo(a), hi(a), lo(b), hi(b));
    assert.equal(got(res.lo, res.hi), (a * b) & M);
    mulhu64(lo(a), hi(a), lo(b), hi(b));
    assert.equal(got(res.lo, res.hi), (a * b) >> 64n);
    mulh64(lo(a), hi(a), lo(b), hi(b));
    assert.equal(got(res.lo, res.hi), ux((sa * sb) >> 64n));
    mulhsu64(lo(a), hi(a), lo(b), hi(b));
    assert.equal(got(res.lo, res.hi), ux((sa * b) >> 64n));
    if (b !== 0n) {
      divu64(lo(a), hi(a), lo(b), hi(b));
      assert.equal(got(res.lo, res.hi), a / b, `${a} / ${b}`);
      assert.equal(got(res.rlo, res.rhi), a % b, `${a} % ${b}`);
      div64(lo(a), hi(a), lo(b), hi(b));
      if (!(sa === -(1n << 63n) && sb === -1n)) {
        assert.equal(got(res.lo, res.hi), ux(sa / sb));
        assert.equal(got(res.rlo, res.rhi), ux(sa % sb));
      }
    }
  }
});

Deno.test("translator: a block starts after a satp or mstatus write, where the region goes on", () => {
  // xv6's trampoline: csrw satp, t1; sfence.vma; jr t0. The region leaves after the
  // satp write and the dispatcher re-enters it at the sfence.vma: a block must be there.
  const t0 = 5, t1 = 6;
  const code = [
    E.csrrw(0, 0x180, t1), // csrw satp, t1
    0x12000073, // sfence.vma
    E.jalr(0, t0, 0), // jr t0
    E.csrrs(0, 0x300, t1), // csrs mstatus, t1
    E.addi(t1, t1, 1),
    E.csrrs(0, 0x100, t1), // csrs sstatus, t1: done inline, the block goes on
    E.addi(t1, t1, 1),
    E.jalr(0, t0, 0),
  ];
  const read = (off: number) => {
    const i = off >> 2;
    if (i >= code.length) return null;
    const w = decode32(code[i]);
    return [w, decodedImm] as const;
  };
  const starts = findBlocks([0], [], read).map((b) => b.slot);
  assert.deepEqual(starts, [0, 4, 8, 12, 16]); // without the rule: [0, 8, 12]
});

Deno.test("translator: harts on one board, and code at two places in RAM, get the same region bytes", () => {
  // A loop with a load, a store and a branch, then a return: everything that reaches
  // the hart's state (registers, TLBs, pc) or the page's own RAM offset (a jalr checks
  // that its target's page is this one).
  const code = [
    E.ld(5, 10, 0),
    E.sd(5, 11, 8),
    E.addi(10, 10, 8),
    E.bne(10, 12, -12),
    E.jalr(0, 1, 0),
  ];
  const read = (off: number) => {
    const i = off >> 2;
    if (i >= code.length) return null;
    return [decode32(code[i]), decodedImm] as const;
  };
  const blocks = findBlocks([0], [], read);
  const ram = new Ram(1 << 20);
  const harts = [
    new Hart(ram, { hartid: 0, hostTraps: false }),
    new Hart(ram, { hartid: 1, hostTraps: false }),
  ];
  const [a, b] = harts.map((h) => h.regionLayout(1));
  assert.deepEqual(a, b);
  const bytes = (groupRam: number, layout: typeof a) => buildRegion(blocks, groupRam, layout, 64);
  assert.deepEqual(bytes(0x3000, a), bytes(0x7000, b));
});

/**
 * Page `a` calls f on the next page from four places: three once, then one in a loop of
 * `iterations`. f (39 instructions) is too big to copy to four places up front, so each
 * iteration leaves a's region and comes back through the dispatcher, which counts the
 * return (at a + 24). x7 ends as (iterations + 3) * 38.
 */
function hotCallProgram(ram: Ram, a: number, iterations: number): number {
  const f = [...Array(38).fill(E.addi(7, 7, 1)), E.jalr(0, 1, 0)];
  const main = [
    E.jal(1, 0x1000), // 0: f, once each from three places
    E.jal(1, 0x1000 - 4), // 4
    E.jal(1, 0x1000 - 8), // 8
    E.lui(6, (iterations >>> 12) + ((iterations & 0x800) ? 1 : 0)), // 12: x6 = iterations
    E.addi(6, 6, ((iterations & 0xfff) << 20) >> 20), // 16
    E.jal(1, 0x1000 - 20), // 20: the loop's call
    E.addi(5, 5, 1), // 24: its return
    E.bne(5, 6, -8), // 28
    E.ecall(), // 32
  ];
  load(ram, a, main);
  load(ram, a + 0x1000, f);
  return a + 24 - KERNBASE;
}

Deno.test("translator: a hot call to another page is inlined once its returns are counted, with exact results", () => {
  // At HOT_RETURNS the page is translated again with the loop's call inlined: the count stops.
  const { ram, hart } = reset();
  hart.jitThreshold = 1;
  const a = CODE_PA + 0x4000, iterations = HOT_RETURNS + 100_000;
  const back = hotCallProgram(ram, a, iterations);
  const before = ram.entriesAt(back);
  hart.instret = 0;
  setPc(hart, BigInt(a));
  assert.equal(hart.run(100_000_000), 8); // ecall from U-mode
  assert.equal(reg(hart, 7), BigInt((iterations + 3) * 38));
  assert.equal(reg(hart, 5), BigInt(iterations));
  assert.equal(hart.instret, 3 * 40 + 2 + iterations * (40 + 2)); // the ecall traps: not retired
  const counted = ram.entriesAt(back) - before;
  assert.ok(counted >= HOT_RETURNS - before, `${counted} returns counted`);
  assert.ok(counted < iterations - 50_000, `${counted} returns counted: not inlined`);
});

/** Instructions that set x6 to n (below 2^31). */
function setX6(n: number): number[] {
  return [E.lui(6, (n >>> 12) + ((n & 0x800) ? 1 : 0)), E.addi(6, 6, ((n & 0xfff) << 20) >> 20)];
}

Deno.test("translator: a call that gets hot after its page was translated for hot calls is inlined at the next level", () => {
  // As hotCallProgram, with a second loop calling f after the first: when the page is
  // translated for the first loop's call, the second's has no returns yet. It must be
  // inlined once its own count reaches the next level (4 * HOT_RETURNS), not counted
  // through the dispatcher for the rest of the run.
  const { ram, hart } = reset();
  hart.jitThreshold = 1;
  const a = CODE_PA + 0x4000, first = HOT_RETURNS + 50_000, second = 4 * HOT_RETURNS + 200_000;
  const f = [...Array(38).fill(E.addi(7, 7, 1)), E.jalr(0, 1, 0)];
  const main = [
    E.jal(1, 0x1000), // 0: f, once each from three places
    E.jal(1, 0x1000 - 4), // 4
    E.jal(1, 0x1000 - 8), // 8
    ...setX6(first), // 12
    E.jal(1, 0x1000 - 20), // 20: the first loop's call
    E.addi(5, 5, 1), // 24
    E.bne(5, 6, -8), // 28
    ...setX6(first + second), // 32
    E.jal(1, 0x1000 - 40), // 40: the second loop's call
    E.addi(5, 5, 1), // 44: its return
    E.bne(5, 6, -8), // 48
    E.ecall(), // 52
  ];
  load(ram, a, main);
  load(ram, a + 0x1000, f);
  const back = a + 44 - KERNBASE, before = ram.entriesAt(back);
  setPc(hart, BigInt(a));
  assert.equal(hart.run(500_000_000), 8); // ecall from U-mode
  assert.equal(reg(hart, 7), BigInt((first + second + 3) * 38));
  assert.equal(reg(hart, 5), BigInt(first + second));
  const counted = ram.entriesAt(back) - before;
  assert.ok(counted >= 4 * HOT_RETURNS - before, `${counted} returns counted`);
  assert.ok(counted < second - 100_000, `${counted} returns counted: not inlined`);
});

Deno.test("translator: every hart moves to the hot translation, not just the one that counted the call hot", () => {
  const ram = new Ram(1 << 20);
  const harts = [new Hart(ram), new Hart(ram)];
  const a = KERNBASE + 0x4000, iterations = HOT_RETURNS + 100_000;
  const back = hotCallProgram(ram, a, iterations);
  for (const h of harts) {
    h.jitThreshold = 1;
    setPc(h, BigInt(a));
  }
  const [h0, h1] = harts;
  // Both harts translate the page (h1 takes h0's region) and run 100,000 iterations each.
  assert.equal(h0.run(42 * 100_000), -1);
  assert.equal(h1.run(42 * 100_000), -1);
  // h0 runs to the end: the count passes HOT_RETURNS and h0 translates the page again.
  assert.equal(h0.run(100_000_000), 8);
  // h1 still runs its old region: its first return since leaves, and it moves over.
  const before = ram.entriesAt(back);
  assert.equal(h1.run(100_000_000), 8);
  assert.ok(ram.entriesAt(back) - before < 1000, `${ram.entriesAt(back) - before} returns counted`);
  for (const h of harts) assert.equal(reg(h, 7), BigInt((iterations + 3) * 38));
});

Deno.test("translator: a hart runs the region another hart on the same RAM compiled, until the code changes", () => {
  const ram = new Ram(1 << 20);
  const [a, b] = [new Hart(ram), new Hart(ram)];
  const at = KERNBASE + 0x3000;
  // x6 = 1 + 2 + ... + 1000, in a loop; then ecall.
  const code = [E.addi(5, 0, 1000), E.add(6, 6, 5), E.addi(5, 5, -1), E.bne(5, 0, -8), E.ecall()];
  load(ram, at, code);
  const runOn = (h: Hart) => {
    h.jitThreshold = 1;
    h.x.fill(0);
    setPc(h, BigInt(at));
    assert.equal(h.run(1_000_000), 8);
    assert.equal(reg(h, 6), 500500n);
  };
  runOn(a);
  assert.ok(a.regionsCompiled >= 1);
  assert.equal(a.regionsAdopted, 0);
  runOn(b);
  assert.ok(b.regionsAdopted >= 1, "b compiled its own region");
  // A write to the code drops every hart's region and the shared one: b compiles anew.
  const adopted = b.regionsAdopted, compiled = b.regionsCompiled;
  load(ram, at, [...code.slice(0, 4), E.addi(6, 6, 0), E.ecall()]);
  runOn(b);
  assert.equal(b.regionsAdopted, adopted);
  assert.ok(b.regionsCompiled > compiled);
});

/**
 * Data pages for the access-run tests: 0x8000, 0xa000 and 0xb000 read-write, nothing
 * at 0x9000; `at(va)` is the byte of RAM behind va, `read64(va)` a doubleword there.
 */
function runSetup(code: number[]) {
  const m = vm(code, 0x3000);
  const pa = new Map<number, number>();
  for (const va of [0x8000, 0xa000, 0xb000]) {
    const p = m.pt.alloc();
    m.pt.map(va, p, R | W | U);
    m.ram.bytes.fill(0, p - KERNBASE, p - KERNBASE + 4096);
    pa.set(va, p);
  }
  m.hart.sfenceVma();
  const at = (va: number) => pa.get(va & ~0xfff)! - KERNBASE + (va & 0xfff);
  const read64 = (va: number) => {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(m.ram.bytes[at(va + i)]);
    return v;
  };
  return { ...m, at, read64 };
}

// A prologue and an epilogue: stores, then loads, off x10, with arithmetic between.
const PROLOGUE = [
  E.sd(1, 10, 0),
  E.sd(2, 10, 8),
  E.addi(5, 5, 1),
  E.sw(3, 10, 16),
  E.sd(4, 10, 24),
  E.ld(11, 10, 24),
  E.lw(12, 10, 16),
  E.ld(13, 10, 8),
  E.ld(14, 10, 0),
  E.ecall(),
];
const SAVED = [0x1111_2222_3333_4444n, 0x5555_6666_7777_8888n, 0x9999_aaaa_bbbb_ccccn, 7n];

modeTest("a run of stores and loads off one base gives stepped results at any base", () => {
  // Inside a page, misaligned (done byte by byte), and across two mapped pages.
  for (const base of [0x8100, 0x8104, 0xaffc, 0xaff0, 0xaff4, 0x8100]) {
    const { hart, read64 } = runSetup(PROLOGUE);
    // Run after run: the first fills the TLB, the later ones find it filled.
    for (let round = 0; round < 3; round++) {
      SAVED.forEach((v, i) => setReg(hart, i + 1, v + BigInt(round)));
      setReg(hart, 10, BigInt(base));
      setPc(hart, 0x3000n);
      hart.instret = 0;
      const what = `base ${base.toString(16)} round ${round}`;
      assert.equal(hart.run(100), 8, what);
      assert.equal(hart.instret, 9, what);
      const want = SAVED.map((v) => v + BigInt(round));
      assert.equal(reg(hart, 5), BigInt(round + 1), what);
      assert.deepEqual([reg(hart, 14), reg(hart, 13), reg(hart, 11)], [want[0], want[1], want[3]]);
      assert.equal(reg(hart, 12), ux(sx(want[2] & 0xffffffffn, 32)), what);
      assert.deepEqual([read64(base), read64(base + 8), read64(base + 24)], [
        want[0],
        want[1],
        want[3],
      ], what);
    }
  }
});

modeTest(
  "a run of stores reaching an unmapped page faults at that store, the earlier ones done",
  () => {
    const { hart, read64 } = runSetup(PROLOGUE);
    for (let round = 0; round < 3; round++) {
      SAVED.forEach((v, i) => setReg(hart, i + 1, v));
      setReg(hart, 5, 0n);
      setReg(hart, 10, 0x8fe0n); // all in 0x8000 (the TLB has it from here on)
      setPc(hart, 0x3000n);
      assert.equal(hart.run(100), 8);
      setReg(hart, 5, 0n);
      setReg(hart, 10, 0x8ff0n); // the sw at 16(x10) is the first byte of 0x9000
      setPc(hart, 0x3000n);
      hart.instret = 0;
      assert.equal(hart.run(100), 15); // store page fault
      assert.equal(hart.instret, 3);
      assert.equal(sepc(hart), 0x300cn);
      assert.equal(stval(hart), 0x9000n);
      assert.equal(reg(hart, 5), 1n);
      assert.deepEqual([read64(0x8ff0), read64(0x8ff8)], [SAVED[0], SAVED[1]]);
    }
  },
);

modeTest("a run of loads stops at a fault, and a load into its base moves the next one", () => {
  const code = [E.ld(11, 10, 0), E.ld(10, 10, 8), E.ld(12, 10, 0), E.ld(13, 10, 8), E.ecall()];
  const { hart, ram, at } = runSetup(code);
  ram.view.setBigUint64(at(0x8100), 41n, true);
  ram.view.setBigUint64(at(0x8108), 0xb200n, true);
  ram.view.setBigUint64(at(0xb200), 42n, true);
  ram.view.setBigUint64(at(0xb208), 43n, true);
  for (let round = 0; round < 3; round++) {
    setReg(hart, 10, 0x8100n);
    setPc(hart, 0x3000n);
    assert.equal(hart.run(100), 8);
    assert.deepEqual([reg(hart, 11), reg(hart, 10), reg(hart, 12), reg(hart, 13)], [
      41n,
      0xb200n,
      42n,
      43n,
    ]);
    // The second load is the first doubleword of the unmapped page.
    setReg(hart, 10, 0x8ff8n);
    setReg(hart, 11, 0n);
    setPc(hart, 0x3000n);
    hart.instret = 0;
    assert.equal(hart.run(100), 13); // load page fault
    assert.equal(hart.instret, 1);
    assert.equal(sepc(hart), 0x3004n);
    assert.equal(stval(hart), 0x9000n);
    assert.equal(reg(hart, 10), 0x8ff8n);
  }
});

modeTest("a run of stores into the code that follows it runs the new code", () => {
  // 0: sw x2, 16(x1)  4: sw x3, 20(x1)  8..12: addi x6  16: addi x7,x0,1  20: addi x8,x0,1
  for (let round = 0; round < 3; round++) {
    const { hart } = reset();
    setReg(hart, 1, C);
    setReg(hart, 2, BigInt(E.addi(7, 0, 42)));
    setReg(hart, 3, BigInt(E.addi(8, 0, 43)));
    const code = [
      E.sw(2, 1, 16),
      E.sw(3, 1, 20),
      E.addi(6, 6, 1),
      E.addi(6, 6, 1),
      E.addi(7, 0, 1),
      E.addi(8, 0, 1),
      E.ecall(),
    ];
    assert.equal(runCode(code), 8);
    assert.deepEqual([reg(hart, 6), reg(hart, 7), reg(hart, 8)], [2n, 42n, 43n]);
  }
});
