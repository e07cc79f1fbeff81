// Physical memory: RAM at KERNBASE (128 MiB unless a board asks for another size),
// shared by the harts, the devices that do DMA, and the built-in kernel.
//
// The kernel reads RAM freely through `bytes` and `view`, but every write it makes
// goes through the methods below, so that the hart's decoded-instruction cache can
// be told when a page that holds decoded code changes.

export const KERNBASE = 0x8000_0000;
export const RAM_SIZE = 128 * 1024 * 1024;
export const PHYSTOP = KERNBASE + RAM_SIZE;
export const PAGE_SIZE = 4096;
export const RAM_PAGES = RAM_SIZE / PAGE_SIZE;
/** Memory above RAM for one hart's fixed state (registers, CSRs, TLBs: 11 MiB). */
export const HART_STATE_BYTES = 12 * 1024 * 1024;
/**
 * Memory above RAM for the state of `harts` harts and what RAM itself keeps there
 * (per RAM page: 2 bytes of flags, and 15 per hart for its translated regions), for
 * RAM of `size` bytes. No more than that: the built-in kernel, whose one hart shares
 * the process with a TypeScript kernel, ran its grade 2-4% slower with room for eight.
 */
export function stateBytes(harts: number, size = RAM_SIZE): number {
  return 1024 * 1024 + size / 2048 + harts * (HART_STATE_BYTES + size / 256);
}
/** Room for 8 harts (the most a board has) with the default RAM. */
export const STATE_BYTES = stateBytes(8);
/**
 * A translated region one hart compiled for a page and mode, offered to the other harts
 * on the same RAM (their state is laid out alike, so the module fits them too): the
 * module, the block starts it translates (not just exits), its entry points, the other
 * pages it copied code from, and the hart layout it was built for.
 */
export interface SharedRegion {
  module: WebAssembly.Module;
  hot: Set<number>;
  entries: number[];
  deps: number[];
  layout: string;
}

/** Counters of entries into translated code (a power of two; see Ram.entryCounts). */
export const ENTRY_COUNT_SLOTS = 1 << 16;

/** The bit of codePage that marks a page an MMU walk read a page-table entry from. */
export const PT_BIT = 0x100;

export class Ram {
  /** Byte view of RAM; index = physical address - KERNBASE. */
  readonly bytes: Uint8Array;
  /** Little-endian access to RAM; offset = physical address - KERNBASE. */
  readonly view: DataView;
  /** RAM as 32-bit words (index = offset / 4), for fast aligned copies and fills (little-endian hosts). */
  readonly words: Int32Array;
  /**
   * Pages whose writes must be reported, 16 bits each: bit h (0..7) when hart h holds
   * decoded instructions from the page, bit 8 when an MMU read a page-table entry
   * from it. In WebAssembly memory, where translated stores check it.
   */
  readonly codePage: Uint16Array;
  /**
   * How often translated code was entered at each RAM halfword (folded onto
   * ENTRY_COUNT_SLOTS counters), counted by every hart's dispatcher: the returns of
   * calls that leave a region, which the translator inlines once they are hot.
   */
  readonly entryCounts: Int32Array<ArrayBuffer>;
  /**
   * The latest region translated for each key (page * 3 + TLB set) by any hart, until
   * a hart drops it: a hart about to translate the same code runs this one instead.
   */
  readonly sharedRegions = new Map<number, SharedRegion>();
  /**
   * One bit per 8-byte slot of RAM: set when an MMU walk found a valid page-table entry
   * there, so a cached translation may depend on it. A write elsewhere in a page-table
   * page (filling an invalid entry, as a page fault does) leaves every TLB as it is.
   */
  readonly ptSlots: Int32Array;
  /** Who to tell (page index, and the page's bits) when a write touches a flagged page. */
  private readonly codeListeners: ((page: number, bits: number) => void)[] = [];
  /** Who to tell when a page starts being watched (the MMUs, whose store TLBs skip such pages). */
  private readonly watchListeners: ((page: number) => void)[] = [];

  /** Size in bytes (a multiple of the page size), and the first address past RAM. */
  readonly size: number;
  readonly end: number;

  /**
   * The WebAssembly memory RAM lives in, at offset 0, so code translated to
   * WebAssembly reaches guest RAM with plain loads and stores. Above RAM sit the
   * harts' registers, CSRs and TLBs (see alloc), for the same reason.
   */
  readonly memory: WebAssembly.Memory;
  /** The next free byte above RAM for alloc(), and the end of the memory. */
  private top: number;
  private readonly limit: number;

  /** Fresh zeroed RAM of `size` bytes at KERNBASE, with `extra` bytes above it for hart state. */
  constructor(size = RAM_SIZE, extra = STATE_BYTES) {
    const pages = Math.ceil((size + extra) / 65536);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buf = this.memory.buffer;
    this.size = size;
    this.end = KERNBASE + size;
    this.top = size;
    this.limit = pages * 65536;
    this.bytes = new Uint8Array(buf, 0, size);
    this.view = new DataView(buf, 0, size);
    this.words = new Int32Array(buf, 0, size / 4);
    this.ptSlots = new Int32Array(size / 256);
    this.codePage = new Uint16Array(
      buf as ArrayBuffer,
      this.alloc(2 * (size / PAGE_SIZE)),
      size / PAGE_SIZE,
    );
    this.entryCounts = this.allocInt32(ENTRY_COUNT_SLOTS);
  }

  /** Zero the entry counters of a RAM page (its code changed: what was hot says nothing now). */
  forgetEntries(page: number): void {
    const first = ((page * PAGE_SIZE) >>> 1) & (ENTRY_COUNT_SLOTS - 1);
    this.entryCounts.fill(0, first, first + PAGE_SIZE / 2);
  }

  /** The entryCounts counter of RAM offset off (entries there, and at others folded onto it). */
  entriesAt(off: number): number {
    return this.entryCounts[(off >>> 1) & (ENTRY_COUNT_SLOTS - 1)] >>> 0;
  }

  /** Reserve `bytes` of zeroed memory above RAM (8-byte aligned); returns its offset. */
  alloc(bytes: number): number {
    const at = (this.top + 7) & ~7;
    if (at + bytes > this.limit) throw new Error("out of memory for hart state");
    this.top = at + bytes;
    return at;
  }

  /** The offset the next alloc() returns (where a hart's state will start). */
  mark(): number {
    return (this.top + 7) & ~7;
  }

  /** An Int32Array over `count` words of fresh state memory above RAM. */
  allocInt32(count: number): Int32Array<ArrayBuffer> {
    return new Int32Array(this.memory.buffer as ArrayBuffer, this.alloc(count * 4), count);
  }

  /**
   * Watch RAM page `page` for writes: set `bit` (a hart's code bit, or PT_BIT) in its
   * codePage flags (nothing to do if it is set). When the page was not watched before,
   * every watcher hears of it at once, so that no fast path that skips the check keeps
   * writing to it unseen.
   */
  watch(page: number, bit: number): void {
    const was = this.codePage[page];
    if ((was & bit) !== 0) return;
    this.codePage[page] = was | bit;
    if (was === 0) { for (const fn of this.watchListeners) fn(page); }
  }

  /** Register a handler for pages that start being watched (see watch). */
  listenForWatch(fn: (page: number) => void): void {
    this.watchListeners.push(fn);
  }

  /** Register a hart's handler for writes to pages it decoded code from. */
  listenForCodeWrites(fn: (page: number, bits: number) => void): void {
    this.codeListeners.push(fn);
  }

  /**
   * A write of len bytes at RAM offset off (within one page) hit a page flagged in
   * codePage: tell every hart (and its MMU), then unflag the page. A page only MMUs
   * watch, written where no walk found a valid entry, tells nobody: it stays watched
   * while some walk relied on an entry in it, and is let go (silently: no cached
   * translation depends on it) when none did, as when a walk found only an invalid
   * entry there (a lazy page fault) or the page is a freed page table being reused.
   */
  onCodeWrite(off: number, len: number): void {
    const page = off >>> 12;
    const bits = this.codePage[page];
    if (bits === PT_BIT && !this.ptSlotsHit(off, len)) {
      if (!this.anyPtSlot(page)) this.codePage[page] = 0;
      return;
    }
    this.codePage[page] = 0;
    this.ptSlots.fill(0, page * 16, page * 16 + 16);
    for (const fn of this.codeListeners) fn(page, bits);
  }

  /** Does any slot of RAM page `page` hold a page-table entry a walk relied on? */
  private anyPtSlot(page: number): boolean {
    for (let w = page * 16; w < page * 16 + 16; w++) if (this.ptSlots[w] !== 0) return true;
    return false;
  }

  /** Does [off, off+len) overlap a slot holding a page-table entry a walk relied on? */
  private ptSlotsHit(off: number, len: number): boolean {
    const first = off >>> 3, last = (off + len - 1) >>> 3;
    for (let s = first; s <= last; s++) {
      if ((this.ptSlots[s >>> 5] & (1 << (s & 31))) !== 0) return true;
    }
    return false;
  }

  /** An MMU walk found a valid page-table entry at RAM offset off (see ptSlots). */
  markPtSlot(off: number): void {
    const s = off >>> 3;
    this.ptSlots[s >>> 5] |= 1 << (s & 31);
  }

  /** True when [pa, pa+len) lies inside RAM. */
  contains(pa: number, len = 1): boolean {
    return pa >= KERNBASE && pa + len <= this.end && len >= 0;
  }

  /** Tell the hart about writes to pages it has decoded code from. */
  touched(pa: number, len: number): void {
    const start = pa - KERNBASE, end = start + Math.max(len, 1);
    for (let p = start >>> 12; p <= (end - 1) >>> 12; p++) {
      if (this.codePage[p] === 0) continue;
      const from = Math.max(start, p * PAGE_SIZE), to = Math.min(end, (p + 1) * PAGE_SIZE);
      this.onCodeWrite(from, to - from);
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
