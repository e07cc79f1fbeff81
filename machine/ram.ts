// Physical memory: 128 MiB of RAM at KERNBASE, shared by the hart and the kernel.
//
// The kernel reads RAM freely through `bytes` and `view`, but every write it makes
// goes through the methods below, so that the hart's decoded-instruction cache can
// be told when a page that holds decoded code changes.

export const KERNBASE = 0x8000_0000;
export const RAM_SIZE = 128 * 1024 * 1024;
export const PHYSTOP = KERNBASE + RAM_SIZE;
export const PAGE_SIZE = 4096;
export const RAM_PAGES = RAM_SIZE / PAGE_SIZE;

export class Ram {
  /** Byte view of RAM; index = physical address - KERNBASE. */
  readonly bytes: Uint8Array;
  /** Little-endian access to RAM; offset = physical address - KERNBASE. */
  readonly view: DataView;
  /** RAM as 32-bit words (index = offset / 4), for fast aligned copies and fills (little-endian hosts). */
  readonly words: Int32Array;
  /** One flag per page: 1 when the hart holds decoded instructions from that page. */
  readonly codePage: Uint8Array;
  /** Called (by page index) when a write touches a page flagged in codePage. */
  onCodeWrite: (page: number) => void = () => {};

  constructor() {
    const buf = new ArrayBuffer(RAM_SIZE);
    this.bytes = new Uint8Array(buf);
    this.view = new DataView(buf);
    this.words = new Int32Array(buf);
    this.codePage = new Uint8Array(RAM_PAGES);
  }

  /** True when [pa, pa+len) lies inside RAM. */
  contains(pa: number, len = 1): boolean {
    return pa >= KERNBASE && pa + len <= PHYSTOP && len >= 0;
  }

  /** Tell the hart about writes to pages it has decoded code from. */
  touched(pa: number, len: number): void {
    const first = (pa - KERNBASE) >>> 12;
    const last = (pa - KERNBASE + Math.max(len, 1) - 1) >>> 12;
    for (let p = first; p <= last; p++) {
      if (this.codePage[p]) this.onCodeWrite(p);
    }
  }

  /** Read one unsigned byte. */
  read8(pa: number): number {
    return this.bytes[pa - KERNBASE];
  }

  /** Read an unsigned 32-bit little-endian word. */
  read32(pa: number): number {
    return this.view.getUint32(pa - KERNBASE, true);
  }

  /** Read a 64-bit word as a JS number (exact below 2^53; PTEs and user pointers fit). */
  read64(pa: number): number {
    const o = pa - KERNBASE;
    return this.view.getUint32(o + 4, true) * 0x1_0000_0000 + this.view.getUint32(o, true);
  }

  /** Write one byte. */
  write8(pa: number, v: number): void {
    this.touched(pa, 1);
    this.bytes[pa - KERNBASE] = v;
  }

  /** Write a 32-bit little-endian word. */
  write32(pa: number, v: number): void {
    this.touched(pa, 4);
    this.view.setUint32(pa - KERNBASE, v >>> 0, true);
  }

  /** Write a non-negative JS number (< 2^53) as a 64-bit little-endian word. */
  write64(pa: number, v: number): void {
    this.touched(pa, 8);
    const o = pa - KERNBASE;
    this.view.setUint32(o, v >>> 0, true);
    this.view.setUint32(o + 4, Math.floor(v / 0x1_0000_0000) >>> 0, true);
  }

  /** Copy host bytes into RAM at pa. */
  writeBytes(pa: number, src: Uint8Array): void {
    this.touched(pa, src.length);
    this.bytes.set(src, pa - KERNBASE);
  }

  /** Fill len bytes at pa with one value (memset). */
  fill(pa: number, len: number, value: number): void {
    this.touched(pa, len);
    const o = pa - KERNBASE;
    if ((o | len) & 3) this.bytes.fill(value, o, o + len);
    else this.words.fill((value & 0xff) * 0x01010101, o >> 2, (o + len) >> 2); // word at a time
  }

  /** Copy len bytes from physical src to physical dst (memmove). */
  copy(dst: number, src: number, len: number): void {
    this.touched(dst, len);
    this.bytes.copyWithin(dst - KERNBASE, src - KERNBASE, src - KERNBASE + len);
  }

  /** A read-only window on RAM (no copy): for reading file contents out of user pages. */
  slice(pa: number, len: number): Uint8Array {
    return this.bytes.subarray(pa - KERNBASE, pa - KERNBASE + len);
  }
}
