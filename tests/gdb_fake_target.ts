// A tiny machine behind the DebugTarget interface, for the gdb stub's tests.
//
// Each hart runs the same loop of real RISC-V code at 0x80000000: fifteen
// `addi t0, t0, 1` and a `jal zero, -60` back to the top, so t0 counts the
// instructions a hart executed (minus one per lap), and gdb's own view of the code
// (it reads instructions to single-step) matches what the machine does. Harts take
// turns instruction by instruction, in a fixed order: runs are deterministic.

import {
  CSR_REGNUM_BASE,
  type DebugTarget,
  REG_PC,
  REG_PRIV,
  type StopEvent,
} from "../machine/debug.ts";
import { GDB_CSRS } from "../machine/gdb_target_xml.ts";

export const RAM_BASE = 0x8000_0000n;
export const RAM_SIZE = 0x1_0000;
/** addi t0, t0, 1 */
export const ADDI_T0 = 0x00128293;
/** jal zero, -60: back to RAM_BASE from RAM_BASE + 0x3c */
export const JAL_BACK = 0xfc5ff06f;
export const LOOP_LEN = 16;

/** One run() call, as the stub made it. */
export interface RunCall {
  budget: number;
  harts: readonly number[] | undefined;
}

export class CounterMachine implements DebugTarget {
  readonly x: bigint[][];
  readonly pc: bigint[];
  readonly csr: Map<number, bigint>[];
  readonly ram = new Uint8Array(RAM_SIZE);
  readonly breakpoints = new Set<bigint>();
  readonly runs: RunCall[] = [];
  /** Instructions executed by all harts. */
  executed = 0;
  /** When executed reaches this, the guest powers off with haltCode. */
  haltAt = Infinity;
  haltCode = 0;
  private turn = 0;

  constructor(readonly harts: number) {
    this.x = Array.from({ length: harts }, (_, h) => {
      const r = new Array<bigint>(32).fill(0n);
      r[10] = BigInt(h); // a0 = hartid, as at boot
      return r;
    });
    this.pc = new Array<bigint>(harts).fill(RAM_BASE);
    this.csr = Array.from({ length: harts }, (_, h) => {
      const m = new Map<number, bigint>(GDB_CSRS.map(([, c]) => [c, 0n]));
      m.set(0xf14, BigInt(h));
      m.set(0x301, 0x8000_0000_0014_1105n); // misa: RV64 ACIMSU
      return m;
    });
    const dv = new DataView(this.ram.buffer);
    for (let i = 0; i < LOOP_LEN - 1; i++) dv.setUint32(4 * i, ADDI_T0, true);
    dv.setUint32(4 * (LOOP_LEN - 1), JAL_BACK, true);
  }

  /** gdb register n of hart h. */
  readRegister(h: number, n: number): bigint | null {
    if (n === 0) return 0n;
    if (n < 32) return this.x[h][n];
    if (n === REG_PC) return this.pc[h];
    if (n === REG_PRIV) return 3n;
    return this.csr[h].get(n - CSR_REGNUM_BASE) ?? null;
  }

  /** Set gdb register n of hart h. */
  writeRegister(h: number, n: number, v: bigint): boolean {
    if (n === 0) return true;
    if (n < 32) this.x[h][n] = v;
    else if (n === REG_PC) this.pc[h] = v;
    else if (this.csr[h].has(n - CSR_REGNUM_BASE)) this.csr[h].set(n - CSR_REGNUM_BASE, v);
    else return false;
    return true;
  }

  /** The RAM offset of [addr, addr+len), or -1 if it is not all RAM. */
  private offset(addr: bigint, len: number): number {
    const off = addr - RAM_BASE;
    return off >= 0n && off + BigInt(len) <= BigInt(RAM_SIZE) ? Number(off) : -1;
  }

  /** len bytes at addr (physical: this machine has no MMU). */
  readMemory(_h: number, addr: bigint, len: number): Uint8Array | null {
    const off = this.offset(addr, len);
    return off < 0 ? null : this.ram.slice(off, off + len);
  }

  /** Write bytes at addr. */
  writeMemory(_h: number, addr: bigint, data: Uint8Array): boolean {
    const off = this.offset(addr, data.length);
    if (off < 0) return false;
    this.ram.set(data, off);
    return true;
  }

  /** Execute hart h's next instruction: the two the loop uses; anything else is a no-op. */
  private exec(h: number): StopEvent | null {
    const off = this.offset(this.pc[h], 4);
    const insn = off < 0 ? 0 : new DataView(this.ram.buffer).getUint32(off, true);
    if (insn === JAL_BACK) this.pc[h] -= 60n;
    else {
      if (insn === ADDI_T0) this.x[h][5] = BigInt.asUintN(64, this.x[h][5] + 1n);
      this.pc[h] += 4n;
    }
    this.executed++;
    return this.executed >= this.haltAt
      ? { kind: "halted", hart: h, exitCode: this.haltCode }
      : null;
  }

  /** One instruction on hart h. */
  step(h: number): StopEvent {
    return this.exec(h) ?? { kind: "step", hart: h };
  }

  /** Run the given harts in turn until a breakpoint, a halt, or the budget is spent. */
  run(budget: number, harts?: readonly number[]): StopEvent | null {
    this.runs.push({ budget, harts });
    const order = harts ?? Array.from({ length: this.harts }, (_, h) => h);
    for (let i = 0; i < budget; i++) {
      const h = order[this.turn++ % order.length];
      if (this.breakpoints.has(this.pc[h])) return { kind: "breakpoint", hart: h };
      const ev = this.exec(h);
      if (ev !== null) return ev;
    }
    return null;
  }

  /** Stop harts at addr. */
  setBreakpoint(addr: bigint): void {
    this.breakpoints.add(addr);
  }

  /** Forget the breakpoint at addr. */
  clearBreakpoint(addr: bigint): void {
    this.breakpoints.delete(addr);
  }
}
