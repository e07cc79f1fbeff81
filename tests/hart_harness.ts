// Shared helpers for the hart and MMU tests: one RAM + hart reused across cases,
// code placed in RAM (bare mode by default), registers read and written as BigInt.

import { KERNBASE, Ram } from "../machine/ram.ts";
import { CSR_SATP, CSR_SCAUSE, CSR_SEPC, CSR_STVAL, Hart } from "../machine/hart.ts";
import { PageTables } from "./bench_hart.ts";

export const M64 = (1n << 64n) - 1n;
export const CODE_PA = KERNBASE + 0x1000;
export const DATA_PA = KERNBASE + 0x20000;

let shared: { ram: Ram; hart: Hart } | null = null;

/** A RAM and hart shared by the tests of one file (RAM is 128 MiB, so make it once). */
export function machine(): { ram: Ram; hart: Hart } {
  if (!shared) {
    const ram = new Ram();
    shared = { ram, hart: new Hart(ram) };
  }
  return shared;
}

/** Block-compiler threshold used by reset(): 0 = interpreter only, 1 = compile at once. */
let jitThreshold = 0;

/**
 * Register a test twice: once on the plain interpreter and once with every block
 * compiled on first execution, so both execution paths meet the same checks.
 */
export function modeTest(name: string, fn: () => void | Promise<void>): void {
  for (const [mode, thr] of [["interpreter", 0], ["compiled blocks", 1]] as const) {
    Deno.test(`${name} [${mode}]`, async () => {
      jitThreshold = thr;
      try {
        await fn();
      } finally {
        jitThreshold = 0;
      }
    });
  }
}

/** Reset registers, CSRs we use, the timer, and switch to bare mode. */
export function reset(): { ram: Ram; hart: Hart } {
  const m = machine();
  m.hart.jitThreshold = jitThreshold;
  m.hart.x.fill(0);
  m.hart.writeCsr(CSR_SATP, 0, 0);
  m.hart.sfenceVma();
  m.hart.timecmp = Infinity;
  return m;
}

export function setReg(h: Hart, i: number, v: bigint): void {
  const w = BigInt.asUintN(64, v);
  h.x[2 * i] = Number(w & 0xffffffffn) | 0;
  h.x[2 * i + 1] = Number(w >> 32n) | 0;
}

/** Register value as an unsigned 64-bit BigInt. */
export function reg(h: Hart, i: number): bigint {
  return (BigInt(h.x[2 * i + 1] >>> 0) << 32n) | BigInt(h.x[2 * i] >>> 0);
}

export function setPc(h: Hart, pc: bigint): void {
  const w = BigInt.asUintN(64, pc);
  h.pcLo = Number(w & 0xffffffffn) | 0;
  h.pcHi = Number(w >> 32n) | 0;
}

export function pc(h: Hart): bigint {
  return (BigInt(h.pcHi >>> 0) << 32n) | BigInt(h.pcLo >>> 0);
}

export function csr(h: Hart, n: number): bigint {
  return (BigInt(h.readCsrHi(n) >>> 0) << 32n) | BigInt(h.readCsrLo(n) >>> 0);
}

export const sepc = (h: Hart) => csr(h, CSR_SEPC);
export const scause = (h: Hart) => csr(h, CSR_SCAUSE);
export const stval = (h: Hart) => csr(h, CSR_STVAL);

/** Encode a mixed list of instructions: numbers > 0xffff or with low bits 11 are 32-bit. */
export function assemble(insts: number[]): Uint8Array {
  const out: number[] = [];
  for (const i of insts) {
    if ((i & 3) === 3) {
      out.push(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, (i >>> 24) & 0xff);
    } else {
      out.push(i & 0xff, (i >>> 8) & 0xff);
    }
  }
  return new Uint8Array(out);
}

/** Write code at pa (through Ram, so decoded copies are invalidated). */
export function load(ram: Ram, pa: number, insts: number[]): void {
  ram.writeBytes(pa, assemble(insts));
}

/** Place code at CODE_PA in bare mode, set pc there, run; returns the cause. */
export function runCode(insts: number[], budget = 10_000): number {
  const { ram, hart } = machine();
  load(ram, CODE_PA, insts);
  setPc(hart, BigInt(CODE_PA));
  return hart.run(budget);
}

export const sx = (v: bigint, bits: number) => BigInt.asIntN(bits, v);
export const ux = (v: bigint) => BigInt.asUintN(64, v);

/** Page-table permission bits (PTE R, W, X, U) for vm() and the tests' own maps. */
export const R = 2, W = 4, X = 8, U = 16;

/**
 * A user address space for `code` at VA `at`: its page and the next mapped (R, X, U)
 * to two fresh physical pages (pa1, pa2) in Sv39 page tables (pt), satp set.
 */
export function vm(code: number[], at: number) {
  const m = reset();
  const pt = new PageTables(m.ram, KERNBASE + 0x200_0000);
  const pa1 = pt.alloc(), pa2 = pt.alloc();
  pt.map(at & ~0xfff, pa1, R | X | U);
  pt.map((at & ~0xfff) + 0x1000, pa2, R | X | U);
  // write code that may run over into the second page
  const bytes: number[] = [];
  for (const i of code) {
    if ((i & 3) === 3) bytes.push(i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24);
    else bytes.push(i & 0xff, (i >>> 8) & 0xff);
  }
  for (let k = 0; k < bytes.length; k++) {
    const va = at + k;
    const pa = (va & ~0xfff) === (at & ~0xfff) ? pa1 + (va & 0xfff) : pa2 + (va & 0xfff);
    m.ram.write8(pa, bytes[k]);
  }
  const [lo, hi] = pt.satp();
  m.hart.writeCsr(CSR_SATP, lo, hi);
  return { ...m, pt, pa1, pa2 };
}
