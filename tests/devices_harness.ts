// Helpers for the device tests: a bus with named accessors, and an interrupt sink
// that remembers every call, so a test can check both levels and raise events.

import { Bus, type IrqSink, type MmioDevice } from "../machine/bus.ts";

/** An IrqSink that keeps the current level of each line and a log of every call. */
export class RecordingIrq implements IrqSink {
  readonly levels = new Map<number, boolean>();
  readonly calls: Array<[number, boolean]> = [];

  setIrq(irq: number, level: boolean): void {
    this.levels.set(irq, level);
    this.calls.push([irq, level]);
  }

  /** Current level of line irq (low if never driven). */
  level(irq: number): boolean {
    return this.levels.get(irq) ?? false;
  }

  /** How many times line irq was raised since the log was last cleared. */
  raises(irq: number): number {
    return this.calls.filter(([i, l]) => i === irq && l).length;
  }

  clear(): void {
    this.calls.length = 0;
  }
}

/**
 * A bus with one device mapped at `base`, and typed accessors on physical addresses.
 * The device is reached at any access size (its accessOk is not consulted), so these
 * tests see what each byte does; tests/bus.test.ts checks that the board's Bus refuses
 * the sizes QEMU refuses.
 */
export class TestBus {
  readonly bus = new Bus();

  constructor(readonly base: number, size: number, dev: MmioDevice) {
    this.bus.map(base, size, {
      name: dev.name,
      read: (off, sz) => dev.read(off, sz),
      write: (off, sz, v) => dev.write(off, sz, v),
    });
  }

  /** Read `size` bytes at base + off, unsigned. */
  read(off: number, size: 1 | 2 | 4): number {
    if (!this.bus.read(this.base + off, size)) throw new Error(`access fault at +${off}`);
    return this.bus.lo >>> 0;
  }

  /** Read 8 bytes at base + off as a BigInt. */
  read64(off: number): bigint {
    if (!this.bus.read(this.base + off, 8)) throw new Error(`access fault at +${off}`);
    return (BigInt(this.bus.hi >>> 0) << 32n) | BigInt(this.bus.lo >>> 0);
  }

  /** Write `size` bytes at base + off. */
  write(off: number, size: 1 | 2 | 4, value: number): void {
    if (!this.bus.write(this.base + off, size, value, 0)) {
      throw new Error(`access fault at +${off}`);
    }
  }

  /** Write 8 bytes at base + off (low word first, as the bus does). */
  write64(off: number, value: bigint): void {
    const lo = Number(value & 0xffff_ffffn);
    const hi = Number((value >> 32n) & 0xffff_ffffn);
    if (!this.bus.write(this.base + off, 8, lo, hi)) throw new Error(`access fault at +${off}`);
  }

  r32(off: number): number {
    return this.read(off, 4);
  }

  w32(off: number, value: number): void {
    this.write(off, 4, value);
  }

  r8(off: number): number {
    return this.read(off, 1);
  }

  w8(off: number, value: number): void {
    this.write(off, 1, value);
  }
}
