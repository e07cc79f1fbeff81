// CLINT: the core-local interruptor of QEMU's virt board (SiFive's layout, which
// QEMU now calls the ACLINT). It gives each hart two machine-mode interrupts:
//
//   msip[h]      0x0000 + 4*h   software interrupt: bit 0 is hart h's mip.MSIP.
//                               Another hart writes 1 here to interrupt hart h.
//   mtimecmp[h]  0x4000 + 8*h   64-bit timer compare: hart h's mip.MTIP is set
//                               while mtime >= mtimecmp[h].
//   mtime        0xbff8         64-bit time, counting at 10 MHz on virt.
//
// xv6 (2019-2022) programs mtimecmp from machine mode: timerinit() in start.c sets
// the first deadline and timervec in kernelvec.S pushes it forward on each tick.
// Newer xv6 uses the Sstc extension's stimecmp instead and never touches the CLINT.
//
// A 64-bit register is written as two 32-bit halves (the bus splits an 8-byte
// store, low word first), so between the halves mtimecmp holds a mixed value, as
// on QEMU. At reset every mtimecmp is 0, so MTIP is already pending when the
// harts start: QEMU 7.2 shows mip = 0x80 before any device is touched.
//
// Time itself belongs to the board: `now()` gives mtime ticks as an exact integer.
// A guest may write mtime (QEMU allows it); this device then keeps the difference
// as an offset, and mtime(), mtip() and deadline() include it.

import type { MmioDevice } from "../bus.ts";
import { mergePart, readPart } from "./subword.ts";

const MTIMECMP_BASE = 0x4000;
const MTIME = 0xbff8;
/** End of the registers QEMU decodes; accesses past it are access faults there. */
const REGION_END = 0xc000;
const TWO32 = 0x1_0000_0000;

/** How the board hears about register writes that change a hart's interrupts. */
export interface ClintHooks {
  /** msip[hart] was written; level is its new bit 0 (called on every write). */
  onMsip?: (hart: number, level: boolean) => void;
  /** mtimecmp[hart] was written (each half), or mtime was: re-check MTIP and the next deadline. */
  onTimecmp?: (hart: number) => void;
}

export class Clint implements MmioDevice {
  readonly name = "clint";
  private readonly msipBits: Uint8Array;
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  /** mtime - now(): non-zero only after the guest writes mtime. */
  private offset = 0;

  constructor(
    readonly harts: number,
    private readonly now: () => number,
    private readonly hooks: ClintHooks = {},
  ) {
    this.msipBits = new Uint8Array(harts);
    this.cmpLo = new Uint32Array(harts);
    this.cmpHi = new Uint32Array(harts);
  }

  /** The current mtime (exact below 2^53); `t` is a value of now(). */
  mtime(t: number = this.now()): number {
    return t + this.offset;
  }

  /** mtimecmp[h] as a number; values of 2^53 and above are rounded but stay above any time. */
  timecmp(h: number): number {
    return this.cmpHi[h] * TWO32 + this.cmpLo[h];
  }

  /** Whether hart h's machine timer interrupt is pending at time `t` (a value of now()). */
  mtip(h: number, t: number): boolean {
    return this.mtime(t) >= this.timecmp(h);
  }

  /** The value of now() from which mip.MTIP is set for hart h. */
  deadline(h: number): number {
    return this.timecmp(h) - this.offset;
  }

  /** Whether msip[h] is set. */
  msip(h: number): boolean {
    return this.msipBits[h] !== 0;
  }

  /** Whether QEMU would accept this access (msip: 4 bytes; the timer: 4 or 8). */
  accessOk(off: number, size: number): boolean {
    if (off < MTIMECMP_BASE) return size === 4 && off + size <= MTIMECMP_BASE;
    return (size === 4 || size === 8) && off + size <= REGION_END;
  }

  /** Read a register (or part of one); holes and absent harts read as 0. */
  read(off: number, size: number): number {
    return readPart(this.word(off & ~3), off, size);
  }

  /** Write a register (or part of one); writes to holes are ignored. */
  write(off: number, size: number, value: number): void {
    const base = off & ~3;
    const v = mergePart(this.word(base), off, size, value);
    if (base < MTIMECMP_BASE) this.writeMsip(base >>> 2, v);
    else if (base === MTIME || base === MTIME + 4) this.writeMtime(base === MTIME, v);
    else if (base < MTIME) this.writeTimecmp((base - MTIMECMP_BASE) >>> 3, (base & 4) !== 0, v);
  }

  /** The 32-bit word at aligned offset `base`. */
  private word(base: number): number {
    if (base < MTIMECMP_BASE) {
      const h = base >>> 2; // msip words start at offset 0
      return h < this.harts ? this.msipBits[h] : 0;
    }
    if (base === MTIME || base === MTIME + 4) {
      const t = this.mtime();
      const hi = Math.floor(t / TWO32);
      return base === MTIME ? t - hi * TWO32 : hi >>> 0;
    }
    if (base < MTIME) {
      const h = (base - MTIMECMP_BASE) >>> 3;
      if (h >= this.harts) return 0;
      return base & 4 ? this.cmpHi[h] : this.cmpLo[h];
    }
    return 0;
  }

  /** msip[h] = bit 0 of v; tell the board. */
  private writeMsip(h: number, v: number): void {
    if (h >= this.harts) return;
    this.msipBits[h] = v & 1;
    this.hooks.onMsip?.(h, (v & 1) !== 0);
  }

  /** Replace one half of mtimecmp[h]; tell the board. */
  private writeTimecmp(h: number, high: boolean, v: number): void {
    if (h >= this.harts) return;
    if (high) this.cmpHi[h] = v;
    else this.cmpLo[h] = v;
    this.hooks.onTimecmp?.(h);
  }

  /** Replace one half of mtime by moving the offset; every hart's MTIP may change. */
  private writeMtime(low: boolean, v: number): void {
    const t = this.now();
    const cur = this.mtime(t);
    const hi = Math.floor(cur / TWO32);
    const lo = cur - hi * TWO32;
    const next = low ? hi * TWO32 + v : v * TWO32 + lo;
    this.offset = next - t;
    for (let h = 0; h < this.harts; h++) this.hooks.onTimecmp?.(h);
  }
}
