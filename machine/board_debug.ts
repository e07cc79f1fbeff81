// The virt board as gdb sees it: the DebugTarget (machine/debug.ts) that the gdb stub
// drives, for `xv6lazy qemu -gdb`.
//
// Registers are the hart's own (x0..x31 as lo/hi pairs, pc, the privilege mode, the
// CSR file read and written as the host); f0..f31, which the hart lacks (it has no
// FPU), are kept here for gdb alone, zeros until gdb writes them. Memory is read through the stopped hart's
// current translation without disturbing it: no TLB fills, no A/D bits (mmu_peek.ts);
// physical when satp is off or the hart (or MPRV's mode) is M. Device registers read
// like loads, except those whose read changes the device (the UART's receive buffer,
// interrupt identification, line and modem status; the PLIC's claim registers), which
// are refused so that looking at memory never eats a keystroke or an interrupt.
// Breakpoints live in one set shared by every hart, so they always agree.

import type { Board } from "./board.ts";
import { type DebugTarget, REG_F0, REG_PC, REG_PRIV, regnumCsr, type StopEvent } from "./debug.ts";
import { CSR_MSTATUS, CSR_SATP, PRV_M } from "./csr.ts";
import type { Hart } from "./hart.ts";
import { pagingOn, peekTranslate } from "./mmu_peek.ts";
import { KERNBASE } from "./ram.ts";
import * as V from "./devices/virt.ts";

const TWO32 = 0x1_0000_0000n;
/** mstatus.MPRV and the MPP field. */
const MS_MPRV = 1n << 17n;
const MPP_SHIFT = 11n;
/** UART registers whose reads have side effects: RBR, IIR, LSR, MSR. */
const UART_READ_CLEARS = [0, 2, 5, 6];
/** PLIC: the claim/complete word of each context, at 0x200004 + 0x1000 * context. */
const PLIC_CONTEXTS = 0x20_0000;
/** The counters gdb may read but not write. */
const READ_ONLY_CSRS = new Set([0xc00, 0xc01, 0xc02]);

export class BoardDebug implements DebugTarget {
  readonly harts: number;
  /** Breakpoint addresses (hi * 2^32 + lo, as the harts compare them), shared by all harts. */
  private readonly breakpoints = new Set<number>();
  /** What the board answered last time it ran ("waiting": idle until input arrives). */
  lastState = "running";
  /**
   * f0..f31 of each hart as gdb last wrote them (zeros at first). The hart has no FPU,
   * so they are only kept for gdb, which saves and restores them around a call it
   * makes in the target (`p myproc()`).
   */
  private readonly fregs: bigint[][];

  constructor(readonly board: Board) {
    this.harts = board.harts.length;
    this.fregs = board.harts.map(() => new Array<bigint>(32).fill(0n));
    for (const hart of board.harts) hart.breakpoints = this.breakpoints;
  }

  /** gdb register n of hart h, unsigned 64-bit. */
  readRegister(h: number, n: number): bigint | null {
    const hart = this.board.harts[h];
    if (hart === undefined) return null;
    if (n >= 0 && n < 32) return pair(hart.x[2 * n], hart.x[2 * n + 1]);
    if (n === REG_PC) return pair(hart.pcLo, hart.pcHi);
    if (n === REG_PRIV) return BigInt(hart.priv);
    if (n >= REG_F0 && n < REG_F0 + 32) return this.fregs[h][n - REG_F0];
    const c = regnumCsr(n);
    return c < 0 ? null : readCsr(hart, c);
  }

  /** Set gdb register n of hart h; false for a register the hart lacks or cannot take. */
  writeRegister(h: number, n: number, v: bigint): boolean {
    const hart = this.board.harts[h];
    if (hart === undefined) return false;
    const lo = Number(v & 0xffff_ffffn) | 0, hi = Number((v >> 32n) & 0xffff_ffffn) | 0;
    if (n === 0) return true; // x0 stays zero
    if (n > 0 && n < 32) {
      hart.x[2 * n] = lo;
      hart.x[2 * n + 1] = hi;
      return true;
    }
    if (n === REG_PC) {
      hart.pcLo = lo;
      hart.pcHi = hi;
      return true;
    }
    if (n === REG_PRIV) return setPriv(hart, v);
    if (n >= REG_F0 && n < REG_F0 + 32) {
      this.fregs[h][n - REG_F0] = BigInt.asUintN(64, v);
      return true;
    }
    const c = regnumCsr(n);
    if (c < 0 || READ_ONLY_CSRS.has(c) || readCsr(hart, c) === null) return false;
    hart.writeCsr(c, lo, hi);
    return true;
  }

  /** len bytes at addr as hart h sees them (see the top of the file). */
  readMemory(h: number, addr: bigint, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    return this.eachPage(h, addr, len, (pa, at, n) => this.readPhysical(pa, out, at, n))
      ? out
      : null;
  }

  /** Write data at addr as hart h sees it (RAM and device registers alike). */
  writeMemory(h: number, addr: bigint, data: Uint8Array): boolean {
    return this.eachPage(h, addr, data.length, (pa, at, n) => this.writePhysical(pa, data, at, n));
  }

  /** One instruction (or the trap it takes) on hart h; the others stand still. */
  step(h: number): StopEvent {
    this.board.debugStep(h);
    return this.haltEvent(h) ?? { kind: "step", hart: h };
  }

  /** Run the listed harts (all when omitted) until a breakpoint, a poweroff or the budget's end. */
  run(budget: number, harts?: readonly number[]): StopEvent | null {
    let only: boolean[] | null = null;
    if (harts !== undefined) {
      only = new Array<boolean>(this.harts).fill(false);
      for (const h of harts) only[h] = true;
    }
    const state = this.board.debugRun(budget, only);
    this.lastState = state;
    if (state === "break") return { kind: "breakpoint", hart: this.board.breakHart };
    return state === "halted" ? this.haltEvent(0) : null;
  }

  /** Stop every hart about to execute the instruction at addr. */
  setBreakpoint(addr: bigint): void {
    this.breakpoints.add(Number(BigInt.asUintN(64, addr)));
  }

  /** Forget the breakpoint at addr. */
  clearBreakpoint(addr: bigint): void {
    this.breakpoints.delete(Number(BigInt.asUintN(64, addr)));
  }

  /** The "halted" stop if the guest has powered off, else null. */
  private haltEvent(h: number): StopEvent | null {
    const halted = this.board.halted;
    return halted === null ? null : { kind: "halted", hart: h, exitCode: halted.code };
  }

  /** The physical address hart h reaches for a data access at va, or null if unmapped. */
  private physicalOf(h: number, va: bigint): bigint | null {
    const hart = this.board.harts[h];
    const mstatus = readCsr(hart, CSR_MSTATUS) ?? 0n;
    let mode = BigInt(hart.priv);
    if (mode === BigInt(PRV_M) && (mstatus & MS_MPRV) !== 0n) mode = (mstatus >> MPP_SHIFT) & 3n;
    const satp = readCsr(hart, CSR_SATP) ?? 0n;
    if (mode === BigInt(PRV_M) || !pagingOn(satp)) return BigInt.asUintN(64, va);
    return peekTranslate(this.board.ram, satp, va);
  }

  /** Call fn(pa, offset, length) for each page-sized piece of [addr, addr+len); false on a hole. */
  private eachPage(
    h: number,
    addr: bigint,
    len: number,
    fn: (pa: number, at: number, n: number) => boolean,
  ): boolean {
    if (this.board.harts[h] === undefined) return false;
    for (let at = 0; at < len;) {
      const va = BigInt.asUintN(64, addr + BigInt(at));
      const n = Math.min(len - at, 4096 - Number(va & 0xfffn));
      const pa = this.physicalOf(h, va);
      if (pa === null || pa + BigInt(n) > 1n << 53n) return false;
      if (!fn(Number(pa), at, n)) return false;
      at += n;
    }
    return true;
  }

  /** Copy n bytes at physical pa into out[at..]: RAM directly, devices as loads. */
  private readPhysical(pa: number, out: Uint8Array, at: number, n: number): boolean {
    const ram = this.board.ram;
    if (ram.contains(pa, n)) {
      out.set(ram.bytes.subarray(pa - KERNBASE, pa - KERNBASE + n), at);
      return true;
    }
    if (ram.contains(pa) || ram.contains(pa + n - 1)) return false; // runs off the end of RAM
    const bus = this.board.bus;
    for (let i = 0; i < n;) {
      const size = pieceSize(pa + i, n - i);
      if (readClears(pa + i, size) || !bus.read(pa + i, size)) return false;
      for (let b = 0; b < size; b++) out[at + i + b] = (bus.lo >>> (8 * b)) & 0xff;
      i += size;
    }
    return true;
  }

  /** Write data[at..at+n) at physical pa: RAM (dropping decoded code there) or device registers. */
  private writePhysical(pa: number, data: Uint8Array, at: number, n: number): boolean {
    const ram = this.board.ram;
    if (ram.contains(pa, n)) {
      ram.writeBytes(pa, data.subarray(at, at + n));
      return true;
    }
    if (ram.contains(pa) || ram.contains(pa + n - 1)) return false;
    for (let i = 0; i < n;) {
      const size = pieceSize(pa + i, n - i);
      let v = 0;
      for (let b = size - 1; b >= 0; b--) v = v * 256 + data[at + i + b];
      if (!this.board.bus.write(pa + i, size, v | 0, 0)) return false;
      i += size;
    }
    return true;
  }
}

/** A (lo, hi) pair of int32 halves as an unsigned 64-bit BigInt. */
function pair(lo: number, hi: number): bigint {
  return BigInt(hi >>> 0) * TWO32 + BigInt(lo >>> 0);
}

/** CSR c of a hart as the host reads it, or null if the hart has no such CSR. */
function readCsr(hart: Hart, c: number): bigint | null {
  const lo = hart.readCsrLo(c); // also brings the hart's clock up to date for time reads
  if (!hart.csrs.hostRead(c)) return null;
  return pair(lo, hart.csrs.hi);
}

/** Set the privilege mode (0 U, 1 S, 3 M), as QEMU lets gdb do; the MMU follows. */
function setPriv(hart: Hart, v: bigint): boolean {
  if (v !== 0n && v !== 1n && v !== 3n) return false;
  hart.csrs.priv = Number(v);
  hart.mmu.setPrivilege(hart.csrs.priv, hart.csrs.dataPriv());
  return true;
}

/** The widest naturally aligned access (4, 2 or 1 bytes) at pa that fits in left bytes. */
function pieceSize(pa: number, left: number): number {
  if (pa % 4 === 0 && left >= 4) return 4;
  if (pa % 2 === 0 && left >= 2) return 2;
  return 1;
}

/** Whether reading [pa, pa+size) would change a device (see the top of the file). */
function readClears(pa: number, size: number): boolean {
  if (pa < V.UART0 + V.UART0_REGION && pa + size > V.UART0) {
    for (const r of UART_READ_CLEARS) {
      if (pa <= V.UART0 + r && V.UART0 + r < pa + size) return true;
    }
  }
  const off = pa - V.PLIC;
  if (off + size > PLIC_CONTEXTS && off < V.PLIC_SIZE) {
    const first = Math.floor((off - PLIC_CONTEXTS) / 0x1000);
    const last = Math.floor((off + size - 1 - PLIC_CONTEXTS) / 0x1000);
    for (let ctx = Math.max(first, 0); ctx <= last; ctx++) {
      const claim = PLIC_CONTEXTS + ctx * 0x1000 + 4;
      if (off < claim + 4 && claim < off + size) return true;
    }
  }
  return false;
}
