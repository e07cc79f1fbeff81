// The physical address space of the virt board: RAM plus memory-mapped devices.
//
// RAM is reached directly (the MMU hands the hart RAM offsets); everything else
// goes through the bus, which finds the device whose window holds the address and
// calls it. MMIO is the slow path: the hart comes here only after a TLB miss shows
// that an address is not RAM. An address that no device claims is an access fault.

/** A device on the bus, seen through its window of registers. */
export interface MmioDevice {
  /** Short name, for messages and the gdb stub's memory map. */
  readonly name: string;
  /** Read `size` bytes (1, 2 or 4) at byte offset `off` of the window: unsigned, zero-extended. */
  read(off: number, size: number): number;
  /** Write the low `size` bytes (1, 2 or 4) of `value` at byte offset `off`. */
  write(off: number, size: number, value: number): void;
  /** Whether the device answers an access of this size at off (else it is an access fault). */
  accessOk?(off: number, size: number): boolean;
}

/** Something that takes interrupt request lines (the PLIC): level-triggered. */
export interface IrqSink {
  setIrq(irq: number, level: boolean): void;
}

interface Window {
  base: number;
  size: number;
  dev: MmioDevice;
}

export class Bus {
  private readonly windows: Window[] = [];
  /** The value of the last successful read (lo, hi: hi is non-zero only for 8-byte reads). */
  lo = 0;
  hi = 0;

  /** Put a device's window at [base, base + size). */
  map(base: number, size: number, dev: MmioDevice): void {
    this.windows.push({ base, size, dev });
  }

  /** The window holding physical address pa, or undefined. */
  private find(pa: number, size: number): Window | undefined {
    for (const w of this.windows) {
      if (pa >= w.base && pa + size <= w.base + w.size) {
        const ok = w.dev.accessOk === undefined || w.dev.accessOk(pa - w.base, size);
        return ok ? w : undefined;
      }
    }
    return undefined;
  }

  /** Whether pa lies in some device's window (for the gdb stub and the MMU). */
  claims(pa: number): boolean {
    for (const w of this.windows) if (pa >= w.base && pa < w.base + w.size) return true;
    return false;
  }

  /**
   * Read size bytes (1, 2, 4 or 8) at physical address pa into this.lo / this.hi.
   * An 8-byte read is two 4-byte reads, low word first. Returns false for an access fault.
   */
  read(pa: number, size: number): boolean {
    const w = this.find(pa, size);
    if (w === undefined) return false;
    const off = pa - w.base;
    if (size === 8) {
      this.lo = w.dev.read(off, 4) | 0;
      this.hi = w.dev.read(off + 4, 4) | 0;
    } else {
      this.lo = w.dev.read(off, size) | 0;
      this.hi = 0;
    }
    return true;
  }

  /** Write size bytes (1, 2, 4 or 8) of (lo, hi) at pa; false for an access fault. */
  write(pa: number, size: number, lo: number, hi: number): boolean {
    const w = this.find(pa, size);
    if (w === undefined) return false;
    const off = pa - w.base;
    if (size === 8) {
      w.dev.write(off, 4, lo >>> 0);
      w.dev.write(off + 4, 4, hi >>> 0);
    } else {
      w.dev.write(off, size, size === 4 ? lo >>> 0 : lo & (size === 1 ? 0xff : 0xffff));
    }
    return true;
  }
}
