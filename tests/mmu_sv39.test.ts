// Sv39 translation: permissions, superpages, A/D bits, malformed PTEs, faults,
// TLB flushing, switching satp between page tables, access faults outside RAM, and
// timer interrupt delivery.
import assert from "./deps.ts";
import * as E from "./encode.ts";
import { PageTables } from "./bench_hart.ts";
import { CSR_SATP, CSR_SSTATUS, IRQ_TIMER } from "../machine/hart.ts";
import { KERNBASE, PT_BIT, Ram } from "../machine/ram.ts";
import { ACC_LOAD, ACC_STORE, DATA_ENTRY_WORDS, tlbIndex } from "../machine/mmu.ts";
import {
  CODE_PA,
  load,
  machine,
  modeTest,
  pc,
  reg,
  reset,
  runCode,
  scause,
  sepc,
  setPc,
  setReg,
  stval,
} from "./hart_harness.ts";

const V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, Dbit = 128;
const PT_AREA = KERNBASE + 0x100_0000;

/** Fresh page tables with code (ecall-terminated snippets) mapped at VA 0. */
function vmSetup(code: number[]) {
  const m = reset();
  const pt = new PageTables(m.ram, PT_AREA);
  const codePa = pt.alloc();
  load(m.ram, codePa, code);
  pt.map(0, codePa, R | X | U);
  const [lo, hi] = pt.satp();
  m.hart.writeCsr(CSR_SATP, lo, hi);
  setPc(m.hart, 0n);
  return { ...m, pt };
}

/** Physical address of the leaf PTE for va (4 KiB mapping made by PageTables.map). */
function ptePa(pt: PageTables, va: number): number {
  let table = pt.root;
  for (let level = 2; level > 0; level--) {
    const idx = Math.floor(va / 2 ** (12 + 9 * level)) % 512;
    table = Math.floor(pt.ram.read64(table + idx * 8) / 1024) * 4096;
  }
  return table + (Math.floor(va / 4096) % 512) * 8;
}

function expectAllowed(perm: number, acc: "fetch" | "load" | "store", mxr: boolean): boolean {
  if (!(perm & V)) return false;
  if ((perm & W) && !(perm & R)) return false;
  if (!(perm & (R | X))) return false; // pointer at level 0
  if (!(perm & U)) return false;
  if (acc === "fetch") return (perm & X) !== 0;
  if (acc === "load") return (perm & R) !== 0 || (mxr && (perm & X) !== 0);
  return (perm & W) !== 0;
}

modeTest("permission matrix: V R W X U x fetch/load/store (and MXR)", () => {
  const TVA = 0x5000;
  for (let perm = 0; perm < 32; perm++) {
    for (const acc of ["fetch", "load", "store"] as const) {
      for (const mxr of acc === "load" ? [false, true] : [false]) {
        const code = acc === "fetch"
          ? [E.lui(1, 5), E.jalr(0, 1, 0)]
          : acc === "load"
          ? [E.lui(1, 5), E.ld(2, 1, 8), E.ecall()]
          : [E.lui(1, 5), E.addi(2, 0, 77), E.sd(2, 1, 16), E.ecall()];
        const { ram, hart, pt } = vmSetup(code);
        hart.writeCsr(CSR_SSTATUS, mxr ? 1 << 19 : 0, 0);
        const pa = pt.alloc();
        load(ram, pa, [E.ecall()]);
        ram.write32(pa + 8, 0x12345678);
        pt.map(TVA, pa, 0);
        const pte = ptePa(pt, TVA);
        ram.write64(pte, (pa / 4096) * 1024 + perm);
        const cause = hart.run(100);
        const ok = expectAllowed(perm, acc, mxr);
        const what = `perm=${perm.toString(2)} ${acc} mxr=${mxr}`;
        const entry = ram.read64(pte);
        if (acc === "fetch") {
          assert.equal(cause, ok ? 8 : 12, what);
          assert.equal(sepc(hart), 0x5000n, what);
          if (!ok) assert.equal(stval(hart), 0x5000n, what);
          assert.equal((entry & A) !== 0, ok, what);
        } else if (acc === "load") {
          assert.equal(cause, ok ? 8 : 13, what);
          if (ok) assert.equal(reg(hart, 2), 0x12345678n, what);
          else {
            assert.equal(stval(hart), 0x5008n, what);
            assert.equal(sepc(hart), 4n, what);
          }
          assert.equal((entry & A) !== 0, ok, what);
          assert.equal(entry & Dbit, 0, what);
        } else {
          assert.equal(cause, ok ? 8 : 15, what);
          if (ok) assert.equal(ram.read32(pa + 16), 77, what);
          else {
            assert.equal(stval(hart), 0x5010n, what);
            assert.equal(sepc(hart), 8n, what);
          }
          assert.equal((entry & (A | Dbit)) === (A | Dbit), ok, what);
        }
      }
    }
  }
});

modeTest("superpages: 2 MiB and 1 GiB leaves translate; misaligned ones fault", () => {
  const { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.ecall()]);
  // 2 MiB page at VA 0x400000 -> PA KERNBASE + 0x600000 (level-1 leaf)
  const l1 = pt.alloc();
  const rootIdx0 = ram.read64(pt.root); // the table that holds VA 0's level-1 entries
  const l1Table = Math.floor(rootIdx0 / 1024) * 4096;
  void l1;
  ram.write64(l1Table + 2 * 8, ((KERNBASE + 0x600000) / 4096) * 1024 + (V | R | W | U));
  ram.write32(KERNBASE + 0x600000 + 0x12340, 0xabcdef01);
  setReg(hart, 1, 0x400000n + 0x12340n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 0xabcdef01n);
  assert.ok(ram.read64(l1Table + 16) & A);
  // 1 GiB page at VA 0x80000000 -> PA 0x80000000 (root index 2)
  ram.write64(pt.root + 2 * 8, (KERNBASE / 4096) * 1024 + (V | R | U));
  ram.write32(KERNBASE + 0x345678, 0x5a5a5a5a);
  setPc(hart, 0n);
  setReg(hart, 1, 0x80345678n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 0x5a5a5a5an);
  // Misaligned megapage (PPN not a multiple of 512) -> load page fault
  ram.write64(l1Table + 3 * 8, ((KERNBASE + 0x601000) / 4096) * 1024 + (V | R | U));
  hart.sfenceVma();
  setPc(hart, 0n);
  setReg(hart, 1, 0x600000n);
  assert.equal(hart.run(10), 13);
  assert.equal(stval(hart), 0x600000n);
  // Misaligned gigapage
  ram.write64(pt.root + 3 * 8, ((KERNBASE + 0x200000) / 4096) * 1024 + (V | R | U));
  hart.sfenceVma();
  setPc(hart, 0n);
  setReg(hart, 1, 0xc0000000n);
  assert.equal(hart.run(10), 13);
  assert.equal(stval(hart), 0xc0000000n);
});

modeTest("malformed PTEs and non-canonical addresses page-fault with the exact VA", () => {
  const { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.ecall()]);
  const pa = pt.alloc();
  pt.map(0x7000, pa, R | W | U);
  const pte = ptePa(pt, 0x7000);
  const good = ram.read64(pte);
  const cases: [string, () => void][] = [
    ["reserved bit 54", () => ram.write32(pte + 4, (ram.read32(pte + 4) | (1 << 22)) >>> 0)],
    ["reserved bit 63", () => ram.write32(pte + 4, (ram.read32(pte + 4) | 0x80000000) >>> 0)],
    ["W without R", () => ram.write64(pte, good & ~R)],
    ["no R/W/X at level 0", () => ram.write64(pte, good & ~(R | W | X))],
    ["not valid", () => ram.write64(pte, good & ~V)],
  ];
  for (const [name, spoil] of cases) {
    ram.write64(pte, good);
    spoil();
    hart.sfenceVma();
    setPc(hart, 0n);
    setReg(hart, 1, 0x7008n);
    assert.equal(hart.run(10), 13, name);
    assert.equal(stval(hart), 0x7008n, name);
    assert.equal(sepc(hart), 0n, name);
  }
  ram.write64(pte, good);
  hart.sfenceVma();
  for (
    const va of [0x8000000000n, 0x4000000000n, 0xffffffc000000000n - 0x1000n, 0x123456789abcdef0n]
  ) {
    setPc(hart, 0n);
    setReg(hart, 1, va);
    assert.equal(hart.run(10), 13, va.toString(16));
    assert.equal(stval(hart), va, va.toString(16));
  }
  // A canonical negative VA that is mapped works (root index 256+)
  const hiPa = pt.alloc();
  ram.write32(hiPa + 8, 4242);
  pt.map(2 ** 38 + 0x1000, hiPa, R | U); // VA bits put it at root index 256
  // map() takes a positive VA; the canonical form of it is sign-extended from bit 38
  setPc(hart, 0n);
  setReg(hart, 1, 0xffffffc000001008n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 4242n);
});

modeTest("access faults: page-table walks and leaves outside RAM, bare-mode addresses", () => {
  let { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.ecall()]);
  // Leaf pointing below RAM.
  pt.map(0x9000, 0x1000, R | W | U);
  setReg(hart, 1, 0x9000n);
  assert.equal(hart.run(10), 5);
  assert.equal(stval(hart), 0x9000n);
  // Non-leaf pointing outside RAM (root entry 1 -> table at PA 0x2000)
  ram.write64(pt.root + 8, (0x2000 / 4096) * 1024 + V);
  setPc(hart, 0n);
  setReg(hart, 1, 0x40000000n);
  assert.equal(hart.run(10), 5);
  // store through the same walk -> 7
  ({ ram, hart, pt } = vmSetup([E.sd(2, 1, 0), E.ecall()]));
  ram.write64(pt.root + 8, (0x2000 / 4096) * 1024 + V);
  setReg(hart, 1, 0x40000010n);
  assert.equal(hart.run(10), 7);
  assert.equal(stval(hart), 0x40000010n);
  // satp root outside RAM -> fetch access fault
  hart.writeCsr(CSR_SATP, 0x10, 8 << 28);
  setPc(hart, 0x1000n);
  assert.equal(hart.run(10), 1);
  assert.equal(stval(hart), 0x1000n);
  // Bare mode: outside RAM
  ({ hart } = reset());
  setReg(hart, 1, 0x1000n);
  assert.equal(runCode([E.ld(2, 1, 0)]), 5);
  assert.equal(stval(hart), 0x1000n);
  assert.equal(runCode([E.sw(2, 1, 0)]), 7);
  setReg(hart, 1, BigInt(KERNBASE + 128 * 1024 * 1024 - 4));
  assert.equal(runCode([E.ld(2, 1, 0)]), 5); // last 4 bytes in RAM, 4 beyond
  setReg(hart, 1, 0x1_8000_0000n);
  assert.equal(runCode([E.ld(2, 1, 0)]), 5);
  assert.equal(stval(hart), 0x1_8000_0000n);
  setPc(hart, 0x1000n);
  assert.equal(hart.run(10), 1);
  assert.equal(stval(hart), 0x1000n);
});

modeTest("TLB: fresh after sfenceVma and satp change; D set again after clearing", () => {
  const { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.sd(3, 1, 8), E.ecall()]);
  const p1 = pt.alloc(), p2 = pt.alloc();
  ram.write32(p1, 111);
  ram.write32(p2, 222);
  pt.map(0xa000, p1, R | W | U);
  const pte = ptePa(pt, 0xa000);
  setReg(hart, 1, 0xa000n);
  setReg(hart, 3, 5n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 111n);
  assert.equal(ram.read64(pte) & (A | Dbit), A | Dbit);
  // Remap to p2, flush: must see p2. Clear A/D: must be set again.
  ram.write64(pte, (p2 / 4096) * 1024 + (V | R | W | U));
  hart.sfenceVma();
  setPc(hart, 0n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 222n);
  assert.equal(ram.read32(p2 + 8), 5);
  assert.equal(ram.read64(pte) & (A | Dbit), A | Dbit);
  // Make it read-only and flush: store faults.
  ram.write64(pte, (p2 / 4096) * 1024 + (V | R | U));
  hart.sfenceVma();
  setPc(hart, 0n);
  assert.equal(hart.run(10), 15);
  assert.equal(stval(hart), 0xa008n);
  // Unmap and switch satp to a different root (no explicit sfence): load faults.
  const pt2 = new PageTables(ram, PT_AREA + 0x10_0000);
  const code2 = pt2.alloc();
  load(ram, code2, [E.ld(2, 1, 0), E.ecall()]);
  pt2.map(0, code2, R | X | U);
  const [lo, hi] = pt2.satp();
  hart.writeCsr(CSR_SATP, lo, hi);
  setPc(hart, 0n);
  assert.equal(hart.run(10), 13);
  assert.equal(stval(hart), 0xa000n);
});

modeTest("a changed non-leaf PTE is seen after sfenceVma", () => {
  const { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.ecall()]);
  const p1 = pt.alloc(), p2 = pt.alloc();
  ram.write32(p1, 1);
  ram.write32(p2, 2);
  pt.map(0x40_0000, p1, R | U);
  pt.map(0x40_1000, p1, R | U);
  setReg(hart, 1, 0x40_0000n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 1n);
  // A new level-0 table mapping the same VAs to p2, swapped in at level 1.
  const t2 = pt.alloc();
  ram.write64(t2, (p2 / 4096) * 1024 + (V | R | U));
  ram.write64(t2 + 8, (p2 / 4096) * 1024 + (V | R | U));
  const l1 = Math.floor(ram.read64(pt.root) / 1024) * 4096;
  ram.write64(l1 + 2 * 8, (t2 / 4096) * 1024 + V);
  hart.sfenceVma();
  setReg(hart, 1, 0x40_1000n); // a page never translated before
  setPc(hart, 0n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 2n);
  setReg(hart, 1, 0x40_0000n);
  setPc(hart, 0n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 2n);
});

modeTest("lazy-allocation pattern: fault, map, flush, resume at sepc", () => {
  const { ram, hart, pt } = vmSetup([
    E.lui(1, 0x20),
    E.addi(2, 0, 9),
    E.sw(2, 1, 4),
    E.lw(3, 1, 4),
    E.ecall(),
  ]);
  assert.equal(hart.run(100), 15);
  assert.equal(stval(hart), 0x20004n);
  const pa = pt.alloc();
  pt.map(0x20000, pa, R | W | U);
  hart.sfenceVma();
  setPc(hart, sepc(hart));
  assert.equal(hart.run(100), 8);
  assert.equal(reg(hart, 3), 9n);
  assert.equal(ram.read32(pa + 4), 9);
});

modeTest(
  "filling an invalid PTE keeps cached translations; rewriting a used one drops them",
  () => {
    const { ram, hart, pt } = vmSetup([E.lui(1, 0x20), E.lw(3, 1, 0), E.ecall()]);
    const a = pt.alloc(), b = pt.alloc(), c = pt.alloc();
    ram.write32(a, 111);
    ram.write32(b, 222);
    pt.map(0x20000, a, R | W | U);
    hart.sfenceVma();
    const run = () => (setPc(hart, 0n), hart.run(100));
    assert.equal(run(), 8);
    assert.equal(reg(hart, 3), 111n);
    // A page fault handler's work: an invalid PTE in the same table page becomes valid.
    pt.map(0x21000, c, R | W | U);
    hart.sfenceVma();
    // Back door (no write notice): point 0x20000 at page b. A kept TLB entry still reads a.
    const pte = ptePa(pt, 0x20000);
    const moved = Math.floor(b / 4096) * 1024 + (ram.read64(pte) % 1024);
    ram.view.setUint32(pte - KERNBASE, moved % 2 ** 32, true);
    ram.view.setUint32(pte - KERNBASE + 4, Math.floor(moved / 2 ** 32), true);
    assert.equal(run(), 8);
    assert.equal(reg(hart, 3), 111n, "the translation of 0x20000 was not dropped");
    // The same PTE written as a kernel writes it, then sfence.vma: page b is seen.
    ram.write64(pte, moved);
    hart.sfenceVma();
    assert.equal(run(), 8);
    assert.equal(reg(hart, 3), 222n);
  },
);

modeTest("page-crossing accesses translate both pages", () => {
  const { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.sd(3, 1, 0), E.ecall()]);
  const p1 = pt.alloc(), p2 = pt.alloc();
  pt.map(0x30000, p1, R | W | U);
  pt.map(0x31000, p2, R | W | U);
  for (let i = 0; i < 8; i++) ram.write8(i < 3 ? p1 + 4093 + i : p2 + i - 3, 0x10 + i);
  setReg(hart, 1, 0x30ffdn);
  setReg(hart, 3, 0x0807060504030201n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 2), 0x1716151413121110n);
  assert.deepEqual([...ram.slice(p1 + 4093, 3), ...ram.slice(p2, 5)], [1, 2, 3, 4, 5, 6, 7, 8]);
  // Second page unmapped: fault on the second page's address, nothing stored.
  ram.write64(ptePa(pt, 0x31000), 0);
  hart.sfenceVma();
  setPc(hart, 4n);
  setReg(hart, 3, 0n);
  assert.equal(hart.run(10), 15);
  assert.equal(stval(hart), 0x31000n);
  assert.deepEqual([...ram.slice(p1 + 4093, 3)], [1, 2, 3]);
});

modeTest("fetch of an instruction that straddles into an unmapped page faults", () => {
  const { ram, hart, pt } = vmSetup([E.jal(0, 0x1ffe)]);
  const p = pt.alloc();
  pt.map(0x1000, p, R | X | U);
  ram.write32(p + 0xffc, (E.cLi(5, 1) | (0x13 << 16)) >>> 0); // c.li, then low half of a 32-bit op
  assert.equal(hart.run(10), 12);
  assert.equal(sepc(hart), 0x1ffen);
  assert.equal(stval(hart), 0x2000n);
});

modeTest("timer interrupt arrives after exactly N retired instructions", () => {
  for (const N of [1, 2, 7, 100, 1001]) {
    const { hart } = vmSetup([E.addi(1, 1, 1), E.jal(0, -4)]);
    hart.instret = 5000;
    hart.timecmp = 5000 + N;
    assert.equal(hart.run(1_000_000), IRQ_TIMER);
    assert.equal(hart.instret, 5000 + N);
    assert.equal(reg(hart, 1), BigInt(Math.ceil(N / 2)));
    assert.equal(scause(hart), 0x8000000000000005n);
    assert.equal(stval(hart), 0n);
    assert.equal(sepc(hart), pc(hart));
    assert.equal(sepc(hart), N % 2 === 0 ? 0n : 4n);
  }
  // Already due: interrupt before any instruction.
  const { hart } = vmSetup([E.addi(1, 1, 1), E.jal(0, -4)]);
  hart.instret = 10;
  hart.timecmp = 3;
  assert.equal(hart.run(100), IRQ_TIMER);
  assert.equal(hart.instret, 10);
  // Budget first, then timer at the same count.
  hart.timecmp = 12;
  setPc(hart, 0n);
  assert.equal(hart.run(2), -1);
  assert.equal(hart.run(2), IRQ_TIMER);
  assert.equal(hart.instret, 12);
});

modeTest("code page edited by the kernel under Sv39 runs the new code", () => {
  const { ram, hart, pt } = vmSetup([E.addi(1, 0, 1), E.ecall()]);
  assert.equal(hart.run(10), 8);
  const codePa = ptePa(pt, 0);
  const pa = Math.floor(ram.read64(codePa) / 1024) * 4096;
  ram.write32(pa, E.addi(1, 0, 2));
  setPc(hart, 0n);
  assert.equal(hart.run(10), 8);
  assert.equal(reg(hart, 1), 2n);
  void CODE_PA;
});

modeTest("illegal instructions under Sv39 report the bits, sepc is the VA", () => {
  for (const inst of [0xffffffff, 0x00000053, 0x10200073, 0x0000]) {
    const { hart } = vmSetup([E.addi(1, 0, 1), E.addi(2, 0, 2), inst, E.ecall()]);
    hart.instret = 0;
    assert.equal(hart.run(100), 2, inst.toString(16));
    assert.equal(sepc(hart), 8n);
    assert.equal(stval(hart), BigInt(inst >>> 0));
    assert.equal(scause(hart), 2n);
    assert.equal(hart.instret, 2);
  }
});

/**
 * Two page tables, each with its own code at VA 0 (sets x5 to its number, then
 * loads from x1 and stores x3 at x1 + 8) and its own data page at VA 0x5000.
 */
function twoSpaces() {
  const m = reset();
  const spaces = [1, 2].map((k) => {
    const pt = new PageTables(m.ram, PT_AREA + (k - 1) * 0x10_0000);
    const code = pt.alloc(), data = pt.alloc();
    load(m.ram, code, [E.addi(5, 0, k), E.ld(2, 1, 0), E.sd(3, 1, 8), E.ecall()]);
    m.ram.write32(data, 100 * k);
    pt.map(0, code, R | X | U);
    pt.map(0x5000, data, R | W | U);
    return { pt, data };
  });
  return { ...m, spaces };
}

/** Switch satp to pt and run its code from VA 0 with x1 = the address, x3 = the value to store. */
function runIn(pt: PageTables, x1: bigint, x3: bigint): number {
  const { hart } = machine();
  const [lo, hi] = pt.satp();
  hart.writeCsr(CSR_SATP, lo, hi);
  setPc(hart, 0n);
  setReg(hart, 1, x1);
  setReg(hart, 3, x3);
  setReg(hart, 2, 0n);
  return hart.run(10);
}

modeTest("satp switches back and forth: each page table translates its own pages", () => {
  const { ram, hart, spaces: [a, b] } = twoSpaces();
  const onlyA = a.pt.alloc();
  ram.write32(onlyA, 7);
  a.pt.map(0x6000, onlyA, R | U);
  for (let round = 1; round <= 4; round++) {
    for (const [k, s] of [[1, a], [2, b]] as const) {
      assert.equal(runIn(s.pt, 0x5000n, BigInt(10 * round + k)), 8, `round ${round} space ${k}`);
      assert.equal(reg(hart, 5), BigInt(k), "fetched from this space's code page");
      assert.equal(reg(hart, 2), BigInt(100 * k), "loaded from this space's data page");
      assert.equal(ram.read32(s.data + 8), 10 * round + k, "stored to this space's data page");
    }
    // A page mapped only in the first table: readable there, a fault in the second.
    assert.equal(runIn(a.pt, 0x6000n, 0n), 15, "the store to a read-only page faults");
    assert.equal(reg(hart, 2), 7n);
    assert.equal(runIn(b.pt, 0x6000n, 0n), 13);
    assert.equal(stval(hart), 0x6000n);
  }
});

modeTest("satp switches: nothing stale after sfenceVma, even for a table not running", () => {
  const { ram, hart, spaces: [a, b] } = twoSpaces();
  assert.equal(runIn(a.pt, 0x5000n, 1n), 8);
  assert.equal(runIn(b.pt, 0x5000n, 2n), 8);
  // While b runs, the kernel remaps a's data page to a new page and flushes.
  const moved = a.pt.alloc();
  ram.write32(moved, 300);
  const pte = ptePa(a.pt, 0x5000);
  ram.write64(pte, (moved / 4096) * 1024 + (V | R | W | U));
  hart.sfenceVma();
  assert.equal(runIn(a.pt, 0x5000n, 3n), 8);
  assert.equal(reg(hart, 2), 300n);
  assert.equal(ram.read32(moved + 8), 3);
  assert.equal(ram.read32(a.data + 8), 1, "the old page is not written");
  assert.equal(runIn(b.pt, 0x5000n, 4n), 8);
  assert.equal(reg(hart, 2), 200n);
  // Made read-only while b runs: a's store faults after the flush.
  ram.write64(pte, (moved / 4096) * 1024 + (V | R | U));
  hart.sfenceVma();
  assert.equal(runIn(a.pt, 0x5000n, 5n), 15);
  assert.equal(stval(hart), 0x5008n);
  assert.equal(reg(hart, 2), 300n, "the load before the store still works");
  // Unmapped while b runs: a's load faults after the flush.
  assert.equal(runIn(b.pt, 0x5000n, 6n), 8);
  ram.write64(pte, 0);
  hart.sfenceVma();
  assert.equal(runIn(a.pt, 0x5000n, 7n), 13);
  assert.equal(stval(hart), 0x5000n);
});

modeTest("satp switches: a root page reused for a new table after sfenceVma", () => {
  const { ram, hart, spaces: [a, b] } = twoSpaces();
  assert.equal(runIn(a.pt, 0x5000n, 1n), 8);
  assert.equal(runIn(b.pt, 0x5000n, 2n), 8);
  // The kernel frees a's table (flushing) and builds a new one in the same root page:
  // the same satp value now means a different address space.
  hart.sfenceVma();
  ram.fill(a.pt.root, 4096, 0);
  const code = a.pt.alloc(), data = a.pt.alloc();
  load(ram, code, [E.addi(5, 0, 9), E.ld(2, 1, 0), E.sd(3, 1, 8), E.ecall()]);
  ram.write32(data, 900);
  a.pt.map(0, code, R | X | U);
  a.pt.map(0x5000, data, R | W | U);
  assert.equal(runIn(a.pt, 0x5000n, 3n), 8);
  assert.equal(reg(hart, 5), 9n);
  assert.equal(reg(hart, 2), 900n);
  assert.equal(ram.read32(data + 8), 3);
  assert.equal(ram.read32(a.data + 8), 1, "the old data page is not written");
});

modeTest("upper-half addresses in different 2 MiB regions use their own level-0 tables", () => {
  const { ram, hart, pt } = vmSetup([E.ld(2, 1, 0), E.ecall()]);
  const p1 = pt.alloc(), p2 = pt.alloc();
  ram.write32(p1, 11);
  ram.write32(p2, 22);
  // map() takes the VA below 2^39; the hart sees it sign-extended from bit 38.
  pt.map(2 ** 38 + 0x1000, p1, R | U);
  pt.map(2 ** 38 + 0x20_1000, p2, R | U);
  for (const [va, want] of [[0xffffffc000001000n, 11n], [0xffffffc000201000n, 22n]]) {
    setPc(hart, 0n);
    setReg(hart, 1, va);
    assert.equal(hart.run(10), 8, va.toString(16));
    assert.equal(reg(hart, 2), want, va.toString(16));
  }
});

modeTest("address-space contexts: tables in adjacent pages keep apart across satp switches", () => {
  // Two page tables whose roots are neighbours: satp values one apart.
  const m = reset();
  const pts = [new PageTables(m.ram, PT_AREA)];
  pts.push(new PageTables(m.ram, pts[0].next));
  pts[0].next = PT_AREA + 0x8_0000; // their other tables and pages apart
  pts[1].next = PT_AREA + 0xc_0000;
  assert.equal(pts[1].root - pts[0].root, 4096);
  const datas = pts.map((pt, k) => {
    const code = pt.alloc(), data = pt.alloc();
    load(m.ram, code, [E.addi(5, 0, k + 1), E.ld(2, 1, 0), E.sd(3, 1, 8), E.ecall()]);
    m.ram.write32(data, 100 * (k + 1));
    pt.map(0, code, R | X | U);
    pt.map(0x5000, data, R | W | U);
    return data;
  });
  // No sfence between switches (none is needed: different tables).
  for (let round = 1; round <= 3; round++) {
    for (const k of [0, 1]) {
      assert.equal(runIn(pts[k], 0x5000n, BigInt(round * 10 + k)), 8);
      assert.equal(reg(m.hart, 5), BigInt(k + 1), "this table's code");
      assert.equal(reg(m.hart, 2), BigInt(100 * (k + 1)), "this table's data");
      assert.equal(m.ram.read32(datas[k] + 8), round * 10 + k);
    }
  }
});

modeTest("sfence.vma after a PTE write in another address space's table takes effect", () => {
  const { ram, hart, spaces: [a, b] } = twoSpaces();
  assert.equal(runIn(a.pt, 0x5000n, 1n), 8);
  // While b runs, a's data page goes away; the write alone is not enough to be seen
  // by a later switch back, the sfence (which real kernels do) is.
  assert.equal(runIn(b.pt, 0x5000n, 2n), 8);
  ram.write64(ptePa(a.pt, 0x5000), 0);
  hart.sfenceVma();
  assert.equal(runIn(a.pt, 0x5000n, 3n), 13);
  assert.equal(stval(hart), 0x5000n);
  assert.equal(runIn(b.pt, 0x5000n, 4n), 8, "b's mapping is untouched");
});

modeTest("address-space contexts: the top page (xv6's trampoline) in 70 address spaces", () => {
  // More address spaces than contexts, each running code in the last page below
  // 2^38 (VPN 0x3ffffff): no context's tag for it may look like an empty TLB slot.
  const m = reset();
  const TOP = 2 ** 38 - 4096;
  let next = PT_AREA;
  for (let round = 0; round < 2; round++) {
    for (let k = 0; k < 70; k++) {
      const pt = new PageTables(m.ram, next + k * 0x4000);
      const code = pt.alloc();
      load(m.ram, code, [E.addi(5, 0, k + 1), E.ecall()]);
      pt.map(TOP, code, R | X | U);
      const [lo, hi] = pt.satp();
      m.hart.writeCsr(CSR_SATP, lo, hi);
      setPc(m.hart, BigInt(TOP));
      assert.equal(m.hart.run(10), 8, `space ${k}, round ${round}`);
      assert.equal(reg(m.hart, 5), BigInt(k + 1), `space ${k}, round ${round}`);
    }
    next = PT_AREA;
  }
});

Deno.test("translated code's TLB copy: tag and addend per entry; a watched page leaves the store copy until written", () => {
  const { ram, hart, pt } = vmSetup([E.ecall()]);
  const mmu = hart.mmu;
  const VA = 0x7000, pa = pt.alloc();
  pt.map(VA, pa, R | W | U);
  const page = (pa - KERNBASE) / 4096;
  /** The tlbData entry of VA for an access kind: [tag lo, tag hi, addend]. */
  const entry = (acc: number) => {
    const data = mmu.tlbData[mmu.dataSet * 3 + acc];
    const tag = ((VA >>> 12) | mmu.state[0]) >>> 0;
    const j = tlbIndex(tag) * DATA_ENTRY_WORDS;
    return [data[j], data[j + 1], data[j + 2]];
  };
  const ctxBits = (mmu.state[0] >>> 26) << 4;
  assert.notEqual(ctxBits, 0, "a paged address space has a context number");
  for (const acc of [ACC_LOAD, ACC_STORE]) {
    assert.equal(mmu.translate(VA + 0x24, 0, acc), pa - KERNBASE + 0x24);
    // The tag: the page's VA and the context; VA + addend is the RAM offset.
    const [lo, hi, addend] = entry(acc);
    assert.deepEqual([lo, hi], [VA | ctxBits, 0]);
    assert.equal((VA + 0x24 + addend) | 0, pa - KERNBASE + 0x24);
  }
  // Decoding code there (or walking a table there) watches the page: the store copy drops it.
  ram.watch(page, PT_BIT);
  assert.deepEqual(entry(ACC_STORE).slice(0, 2), [0, 0]);
  assert.deepEqual(entry(ACC_LOAD)[0], VA | ctxBits);
  // While watched, the slow path does not put it back; once written (unwatched), it does.
  assert.equal(mmu.translate(VA, 0, ACC_STORE), pa - KERNBASE);
  assert.equal(entry(ACC_STORE)[0], 0);
  ram.codePage[page] = 0;
  assert.equal(mmu.translate(VA, 0, ACC_STORE), pa - KERNBASE);
  assert.equal(entry(ACC_STORE)[0], VA | ctxBits);
});

Deno.test("a page-table page is watched while a walk relied on an entry in it, and let go when none did", () => {
  const ram = new Ram(1 << 20, 16 << 20);
  const told: number[] = [];
  ram.listenForCodeWrites((page) => told.push(page));
  const page = 5, base = page * 4096;
  // A walk read only an invalid entry here (a lazy page fault): the first write lets it go.
  ram.watch(page, PT_BIT);
  ram.onCodeWrite(base + 64, 8);
  assert.equal(ram.codePage[page], 0);
  // A walk relied on the entry at +16: writes elsewhere keep the watch, quietly.
  ram.watch(page, PT_BIT);
  ram.markPtSlot(base + 16);
  ram.onCodeWrite(base + 64, 8);
  ram.onCodeWrite(base, 16);
  assert.deepEqual([ram.codePage[page], told], [PT_BIT, []]);
  // Writing that entry ends the watch and tells the MMUs (their TLBs may be stale).
  ram.onCodeWrite(base + 20, 1);
  assert.deepEqual([ram.codePage[page], told], [0, [page]]);
});
