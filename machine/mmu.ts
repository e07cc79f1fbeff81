// The Sv39 MMU: turns a virtual address into an offset in RAM, a device address, or
// a fault.
//
// Sv39 in brief. A virtual address has 39 significant bits; bits 63..39 must all
// equal bit 38, or the address is invalid. Bits 11..0 are the offset in a 4 KiB
// page and bits 38..12 are the virtual page number, split into three 9-bit
// indexes VPN[2], VPN[1], VPN[0]. satp holds the mode (8 = Sv39, 0 = bare: no
// translation) and the physical page number (PPN) of the root page table. A page
// table is one 4 KiB page of 512 eight-byte PTEs. The walk starts at the root, uses
// VPN[2] to pick a PTE, and follows it to the next table (VPN[1]), and then to the
// last one (VPN[0]). A PTE is:
//   bit 0 V valid, 1 R read, 2 W write, 3 X execute, 4 U user, 6 A accessed,
//   7 D dirty, 53..10 the PPN it points at, 63..54 reserved (must be 0).
// A valid PTE with none of R, W, X points at the next table; one with R or X is a
// leaf. A leaf found early maps a superpage (2 MiB at level 1, 1 GiB at level 2),
// whose PPN must then be aligned to that size. User mode may use a leaf only if U
// is set; supervisor mode may use one only if U is clear, except that with
// sstatus.SUM it may load and store (never fetch) through U pages. Then a fetch
// needs X, a load R (or X when sstatus.MXR is set), a store W. Like QEMU, the MMU
// sets A on every use and D on a store, writing the PTE back to RAM. Failures raise
// a page fault (12 fetch, 13 load, 15 store), or an access fault (1, 5, 7) when a
// table or the page lies outside RAM and no device; the faulting virtual address
// is kept for stval.
//
// Which mode's rules apply. Fetches use the hart's mode; loads and stores use it
// too, except that M-mode with mstatus.MPRV set uses the mode in MPP. M-mode (and
// any mode while satp is bare) does no translation: the address is physical.
//
// The TLB. Walking three levels on every access would be slow, so translations are
// cached in software TLBs, one per mode (U, S, M) and access kind (fetch, load,
// store), so that a hit needs no permission check and a trap between user and
// kernel code keeps both sides' entries. Each is direct mapped with 65536 entries.
// An entry's tag is the VPN (26 bits: only addresses below 2^38 are cached) with a
// context number in bits 31..26, and its payload the RAM offset of the page. The
// index is the VPN's low 16 bits with the context mixed in (tlbIndex), so that the
// same VPN in two contexts lands in different slots. For speed the hart reads
// tlbTag / tlbBase itself (its interpreter loop compares one tag per load or store);
// only a miss calls into this file (translate, then walk). Only RAM is cached:
// device addresses always take the slow path, so every device access reaches the bus.
//
// Translated code reads a second copy of the load and store TLBs (tlbData), laid
// out for WebAssembly as QEMU lays out its own: one 16-byte entry per slot holding
// an i64 tag (the page's VA with the context number in bits 9..4, where no page
// address has bits; see dataContext) and an addend (the page's RAM offset minus its
// VA); an entry of zeros is empty. A load masks the VA down to its page plus the
// bits that would make it misaligned, ORs in the context, and compares once: equal
// means cached, in this context, below 2^38 and aligned (anything else takes the slow
// path). The RAM offset is then the VA plus the addend. Both copies fill and empty
// together, slot for slot, with one exception that spares translated stores a check:
// the store copy never maps a watched page (ram.codePage: code or page tables), so
// its stores go the slow way, which reports them. A page that starts being watched
// is dropped from it at once (each filled store entry is listed under its page:
// unmapStores), and the slow path puts an entry back (translate) once its page is no
// longer watched.
//
// Contexts, so that switching page tables does not cost a refill. Each satp value
// the hart runs under gets a context number (1..63; 0 is the bare mapping of M-mode
// and satp = 0, which never changes), like an ASID that the hardware assigns itself.
// Writing satp switches contexts and flushes nothing.
//
// sfence.vma, so that it costs nothing when nothing changed. The MMU marks every
// page a walk reads a PTE from (ram.codePage's PT bit, so that any store to it,
// from a hart, a device or the host, is reported) and remembers which contexts
// walked through it. A write to such a page marks those contexts dirty; sfence.vma
// (and switching to a dirty context) then drops the dirty contexts' entries. Until
// then the old translations may still be used, as on real hardware. The MMU's own
// A/D updates do not count: no cached translation depends on them. A list of the
// entries each context filled makes dropping it cost what it used. A one-entry
// walk cache remembers the last level-0 table reached, keyed by the 2 MiB region
// of the address, so consecutive misses nearby read one PTE, not three.

import { KERNBASE, PAGE_SIZE, PT_BIT, Ram } from "./ram.ts";
import type { Bus } from "./bus.ts";

/** Access kinds: which TLB, permission and fault cause apply. */
export const ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2;

export const CAUSE_FETCH_ACCESS = 1,
  CAUSE_LOAD_ACCESS = 5,
  CAUSE_STORE_ACCESS = 7,
  CAUSE_FETCH_PAGE_FAULT = 12,
  CAUSE_LOAD_PAGE_FAULT = 13,
  CAUSE_STORE_PAGE_FAULT = 15;
const PAGE_FAULT = [CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT];
const ACCESS_FAULT = [CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS];

/** translate() result for an address that belongs to a device (see mmioPa). */
export const MMIO = -2;

/** Index mask of each TLB (direct mapped, 65536 entries: see above). */
export const TLB_MASK = 65535;
const TLB_SIZE = TLB_MASK + 1;

/**
 * The TLB slot of a tag (VPN | context << 26): the VPN's low 16 bits XOR the context
 * << 6. (The hart's interpreter and translate.ts compute the same inline.)
 */
export function tlbIndex(tag: number): number {
  return (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
}

/** Words per tlbData entry: tag low, tag high, addend, unused. */
export const DATA_ENTRY_WORDS = 4;

/**
 * The context number in a tlbData tag: the context, but 63 (which no address space
 * gets) for context 0 (the M set, and satp = 0). So no tag is 0, and an all-zero
 * entry (fresh memory) is empty.
 */
export function dataContext(c: number): number {
  return c === 0 ? DATA_CONTEXT_BARE : c;
}
export const DATA_CONTEXT_BARE = 63;

/** Context numbers (0..63) the dirty and page-table bit masks can hold. */
const CONTEXTS = 64;
/**
 * Contexts handed out: 1..62 (0 is the bare mapping). Not 63: its tag for the top
 * page of the 2^38 range (VPN 0x3ffffff, where xv6 maps its trampoline) would be
 * 0xffffffff, the empty-slot mark, so an empty slot would hit.
 */
const LAST_CONTEXT = 62;
/** Records of filled entries before a full flush starts over. */
const LOG_SIZE = 2 * TLB_SIZE;
/** Records of filled store tlbData entries (listed by page) before they all start over. */
const STORE_LOG_SIZE = 2 * TLB_SIZE;

/** TLB sets by mode: user, supervisor, machine (physical). */
export const SET_U = 0, SET_S = 1, SET_M = 2;
const SET_OF_PRIV = [SET_U, SET_S, SET_M, SET_M];

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;
const TWO32 = 4294967296;

export class Mmu {
  /** Per set * 3 + access kind: the VPN cached in each entry, or -1. Read directly by the hart. */
  readonly tlbTag: Int32Array[] = [];
  /** Per set * 3 + access kind: the RAM offset of the physical page of each entry. */
  readonly tlbBase: Int32Array[] = [];
  /**
   * Per set * 3 + access kind, loads and stores only (fetch slots are empty arrays):
   * the entries translated code reads (see above), DATA_ENTRY_WORDS words each.
   */
  readonly tlbData: Int32Array[] = [];

  /** Why the last translation failed: the cause and the virtual address (lo, hi). */
  faultCause = 0;
  faultLo = 0;
  faultHi = 0;
  /** The physical address of the last MMIO result. */
  mmioPa = 0;

  /** The TLB set fetches use, and the one loads and stores use (SET_U, SET_S or SET_M). */
  fetchSet = SET_M;
  dataSet = SET_M;
  /**
   * state[0]: the current context's tag bits (context << 26) for the U and S sets
   * (the M set always uses 0); state[2] and state[3]: the context's bits in a tlbData
   * tag (dataContext(c) << 4) and in a tlbData entry's byte offset (c << 10). In WebAssembly
   * memory, where translated code reads them.
   */
  readonly state: Int32Array;

  private readonly ram: Ram;
  private readonly view: DataView;
  /** Devices, for addresses outside RAM (none: every such address is an access fault). */
  bus: Bus | null = null;
  /** satp as last written, whether it asks for translation, and its root table's address. */
  private satpLo = 0;
  private satpHi = 0;
  private paging = false;
  private root = 0;
  /** sstatus.MXR: loads may read execute-only pages; sstatus.SUM: S may load/store U pages. */
  private mxr = false;
  private sum = false;

  /**
   * Which entries each context filled, so that dropping a context costs its own
   * entries: a list per context (head[c]) through a pool of records (tlb << 16 |
   * index, and the next record). A record may outlive its entry (refilled by another
   * context); dropping checks the entry still belongs to the context.
   */
  private readonly recEntry = new Int32Array(LOG_SIZE);
  private readonly recNext = new Int32Array(LOG_SIZE);
  /**
   * The store tlbData entries filled for each RAM page (so that watching the page can
   * drop them): per page the first record, or -1; per record its entry (t << 16 | slot)
   * and the next record. Records are never freed one by one: when they run out, every
   * store entry of tlbData is emptied and the lists start over.
   */
  private readonly storeHead: Int32Array;
  private readonly storeRecEntry = new Int32Array(STORE_LOG_SIZE);
  private readonly storeRecNext = new Int32Array(STORE_LOG_SIZE);
  private storeRecUsed = 0;
  private readonly head = new Int32Array(CONTEXTS).fill(-1);
  private freeRec = -1;
  private recUsed = 0;
  /** Context numbers by root page table (satp's PPN), and the next one to hand out. */
  private readonly contexts = new Map<number, number>();
  private nextContext = 1;
  private ctx = 0;
  /** Per RAM page: the contexts (bit masks, low and high 32) whose walks read it. */
  private readonly ptLo: Int32Array;
  private readonly ptHi: Int32Array;
  /** Contexts whose page tables were written since their entries were last dropped. */
  private dirtyLo = 0;
  private dirtyHi = 0;
  /** Walk cache: the 2 MiB region (VA >> 21) of the last level-0 table reached, or -1. */
  private walkRegion = -1;
  private walkTable = 0;

  /** The leaf PTE found by findLeaf: its two halves, RAM offset and level. */
  private leafLo = 0;
  private leafHi = 0;
  private leafOff = 0;
  private leafLevel = 0;

  constructor(ram: Ram) {
    this.ram = ram;
    this.view = ram.view;
    this.state = ram.allocInt32(4);
    this.ptLo = new Int32Array(ram.size / PAGE_SIZE);
    this.ptHi = new Int32Array(ram.size / PAGE_SIZE);
    this.storeHead = new Int32Array(ram.size / PAGE_SIZE).fill(-1);
    ram.listenForWatch((page) => this.unmapStores(page));
    this.useContext(0);
    for (let i = 0; i < 9; i++) {
      this.tlbTag.push(ram.allocInt32(TLB_SIZE).fill(-1));
      this.tlbBase.push(ram.allocInt32(TLB_SIZE));
      const words = i % 3 === ACC_FETCH ? 0 : TLB_SIZE * DATA_ENTRY_WORDS;
      this.tlbData.push(ram.allocInt32(words)); // zeroed: every entry empty
    }
  }

  // ---------------------------------------------------------------- control

  /** satp was written: use the new page table (its context; nothing is flushed). */
  setSatp(lo: number, hi: number): void {
    if (lo === this.satpLo && hi === this.satpHi) {
      if (this.isDirty(this.ctx)) this.sfence();
      return;
    }
    this.satpLo = lo;
    this.satpHi = hi;
    this.paging = (hi >>> 28) !== 0;
    this.root = ((hi & 0xfff) * TWO32 + (lo >>> 0)) * PAGE_SIZE;
    this.walkRegion = -1;
    if (!this.paging) return this.useContext(0);
    const key = (hi & 0xfff) * TWO32 + (lo >>> 0); // the root's page number (exact below 2^53)
    let c = this.contexts.get(key);
    if (c === undefined) {
      if (this.nextContext > LAST_CONTEXT) {
        // Every context is taken: start again with an empty TLB.
        this.contexts.clear();
        this.nextContext = 1;
        this.flush();
      }
      c = this.nextContext++;
      this.contexts.set(key, c);
    }
    this.useContext(c);
    // A context whose tables were written since: drop its entries now.
    if (this.isDirty(c)) this.sfence();
  }

  /** Make context c current. */
  private useContext(c: number): void {
    this.ctx = c;
    this.state[0] = c << 26;
    this.state[2] = dataContext(c) << 4;
    this.state[3] = c << 10;
  }

  /** Is context c marked dirty? */
  private isDirty(c: number): boolean {
    return c < 32 ? (this.dirtyLo & (1 << c)) !== 0 : (this.dirtyHi & (1 << (c - 32))) !== 0;
  }

  /** A page the MMU walked through (PT_BIT) was written: its contexts become dirty. */
  pageWritten(page: number): void {
    this.dirtyLo |= this.ptLo[page];
    this.dirtyHi |= this.ptHi[page];
    this.ptLo[page] = 0;
    this.ptHi[page] = 0;
    this.walkRegion = -1;
  }

  /**
   * sfence.vma: drop the entries of every context whose page tables were written
   * since (nothing, when none were).
   */
  sfence(): void {
    if ((this.dirtyLo | this.dirtyHi) === 0) return;
    const lo = this.dirtyLo, hi = this.dirtyHi;
    this.dirtyLo = 0;
    this.dirtyHi = 0;
    this.walkRegion = -1;
    for (let c = 0; c < CONTEXTS; c++) {
      if ((c < 32 ? lo & (1 << c) : hi & (1 << (c - 32))) !== 0) this.dropContext(c);
    }
  }

  /** Clear every entry context c filled (that is still c's), and free its records. */
  private dropContext(c: number): void {
    let r = this.head[c];
    while (r !== -1) {
      const e = this.recEntry[r];
      const tags = this.tlbTag[e >>> 16];
      const i = e & 0xffff;
      if (tags[i] !== -1 && (tags[i] >>> 26) === c) this.empty(e >>> 16, i);
      const next = this.recNext[r];
      this.recNext[r] = this.freeRec;
      this.freeRec = r;
      r = next;
    }
    this.head[c] = -1;
  }

  /** Empty slot i of TLB t (and its tlbData copy). */
  private empty(t: number, i: number): void {
    this.tlbTag[t][i] = -1;
    this.emptyData(t, i);
  }

  /** Empty slot i of TLB t's tlbData copy (a fetch TLB has none). */
  private emptyData(t: number, i: number): void {
    const data = this.tlbData[t];
    if (data.length !== 0) data[i * DATA_ENTRY_WORDS] = data[i * DATA_ENTRY_WORDS + 1] = 0;
  }

  /** sstatus.MXR was written: cached load permissions may change, so flush if it did. */
  setMxr(on: boolean): void {
    if (on === this.mxr) return;
    this.mxr = on;
    this.flush();
  }

  /** sstatus.SUM was written: S-mode's cached permissions may change, so flush if it did. */
  setSum(on: boolean): void {
    if (on === this.sum) return;
    this.sum = on;
    this.flush();
  }

  /** The hart's mode (for fetches) and the mode loads and stores use changed. */
  setPrivilege(fetchPriv: number, dataPriv: number): void {
    this.fetchSet = SET_OF_PRIV[fetchPriv];
    this.dataSet = SET_OF_PRIV[dataPriv];
  }

  /** Forget every cached translation of every context. */
  flush(): void {
    for (let c = 0; c < CONTEXTS; c++) this.dropContext(c);
    this.walkRegion = -1;
  }

  /** Start over: every TLB empty and every record free (when the record pool runs out). */
  private reset(): void {
    for (const t of this.tlbTag) t.fill(-1);
    for (const d of this.tlbData) d.fill(0);
    this.storeHead.fill(-1);
    this.storeRecUsed = 0;
    this.head.fill(-1);
    this.freeRec = -1;
    this.recUsed = 0;
    this.walkRegion = -1;
  }

  // ---------------------------------------------------------------- translation

  /**
   * RAM offset of the byte at VA (lo, hi) for an access kind in the current mode;
   * MMIO (see mmioPa) for a device address; -1 for a fault (see faultCause).
   */
  translate(lo: number, hi: number, acc: number): number {
    const set = acc === ACC_FETCH ? this.fetchSet : this.dataSet;
    const t = set * 3 + acc;
    if ((hi >>> 6) === 0) {
      const tag = ((hi << 20) | (lo >>> 12)) | (set === SET_M ? 0 : this.state[0]);
      const i = tlbIndex(tag);
      if (this.tlbTag[t][i] === tag) {
        const base = this.tlbBase[t][i];
        // A store entry dropped from tlbData while its page was watched: back if no longer.
        if (acc === ACC_STORE && this.tlbData[t][i * DATA_ENTRY_WORDS] === 0) {
          this.fillData(t, i, lo, hi, base, tag >>> 26);
        }
        return base | (lo & 0xfff);
      }
    }
    const p = this.walk(lo, hi, acc);
    return p < 0 ? p : p | (lo & 0xfff);
  }

  /** TLB miss: RAM offset of the page holding VA (lo, hi), cached on success; MMIO or -1. */
  walk(lo: number, hi: number, acc: number): number {
    const set = acc === ACC_FETCH ? this.fetchSet : this.dataSet;
    const pageOff = this.paging && set !== SET_M
      ? this.sv39(lo, hi, acc, set)
      : this.physical(lo, hi, hi, lo, acc);
    if (pageOff >= 0) this.remember(lo, hi, set, acc, pageOff);
    return pageOff;
  }

  /**
   * A physical address (paLo, paHi) reached by VA (lo, hi): its RAM page offset, MMIO
   * for a device, or an access fault.
   */
  private physical(lo: number, hi: number, paHi: number, paLo: number, acc: number): number {
    const pa = (paHi >>> 0) * TWO32 + (paLo >>> 0);
    if (pa >= KERNBASE && pa < this.ram.end) return (pa - KERNBASE) - (pa % PAGE_SIZE);
    if (this.bus !== null && this.bus.claims(pa)) {
      this.mmioPa = pa;
      return MMIO;
    }
    return this.fault(ACCESS_FAULT[acc], lo, hi);
  }

  /** Sv39: walk the tables, check the leaf, set A/D; RAM offset of the page, MMIO or -1. */
  private sv39(lo: number, hi: number, acc: number, set: number): number {
    if (((hi << 25) >> 25) !== hi) return this.fault(PAGE_FAULT[acc], lo, hi); // not canonical
    if (this.findLeaf(lo, hi, acc) < 0) return -1;
    if (!this.permits(this.leafLo, acc, set)) return this.fault(PAGE_FAULT[acc], lo, hi);
    const ppn = this.leafPpn(lo);
    if (ppn < 0) return this.fault(PAGE_FAULT[acc], lo, hi);
    this.markUsed(acc);
    const pa = ppn * PAGE_SIZE;
    const r = this.physical(lo, hi, Math.floor(pa / TWO32), pa % TWO32, acc);
    if (r === MMIO) this.mmioPa += lo & 0xfff;
    return r;
  }

  /** Walk from the root (or the walk cache) to the leaf PTE for VA; 0, or -1 on a fault. */
  private findLeaf(lo: number, hi: number, acc: number): number {
    const vpn0 = (lo >>> 12) & 0x1ff, vpn1 = (lo >>> 21) & 0x1ff;
    const vpn2 = ((hi & 0x7f) << 2) | (lo >>> 30);
    const region = (hi >>> 6) === 0 ? (hi << 11) | (lo >>> 21) : -1;
    let table = this.root;
    let level = 2;
    if (region >= 0 && region === this.walkRegion) {
      table = this.walkTable;
      level = 0;
    }
    for (;;) {
      const pteAddr = table + (level === 2 ? vpn2 : level === 1 ? vpn1 : vpn0) * 8;
      if (pteAddr < KERNBASE || pteAddr + 8 > this.ram.end) {
        return this.fault(ACCESS_FAULT[acc], lo, hi);
      }
      const off = pteAddr - KERNBASE;
      this.markTable(off >>> 12);
      const pteLo = this.view.getInt32(off, true);
      const pteHi = this.view.getInt32(off + 4, true);
      const writeOnly = (pteLo & PTE_R) === 0 && (pteLo & PTE_W) !== 0;
      if ((pteLo & PTE_V) === 0 || writeOnly || (pteHi >>> 22) !== 0) {
        return this.fault(PAGE_FAULT[acc], lo, hi);
      }
      this.ram.markPtSlot(off); // a valid entry: cached translations depend on it
      if ((pteLo & (PTE_R | PTE_X)) !== 0) {
        this.leafLo = pteLo;
        this.leafHi = pteHi;
        this.leafOff = off;
        this.leafLevel = level;
        return 0;
      }
      if (level === 0) return this.fault(PAGE_FAULT[acc], lo, hi); // pointer at level 0
      level--;
      table = ((pteHi & 0x3fffff) * 4194304 + (pteLo >>> 10)) * PAGE_SIZE;
      if (level === 0 && region >= 0) {
        this.walkRegion = region;
        this.walkTable = table;
      }
    }
  }

  /** May a mode (its TLB set) make an access of this kind through a leaf with these bits? */
  private permits(pteLo: number, acc: number, set: number): boolean {
    const user = (pteLo & PTE_U) !== 0;
    if (set === SET_U ? !user : user && (acc === ACC_FETCH || !this.sum)) return false;
    if (acc === ACC_FETCH) return (pteLo & PTE_X) !== 0;
    if (acc === ACC_LOAD) return (pteLo & PTE_R) !== 0 || (this.mxr && (pteLo & PTE_X) !== 0);
    return (pteLo & PTE_W) !== 0;
  }

  /** Physical page number for VA under the leaf (superpages add VPN bits), or -1 if misaligned. */
  private leafPpn(lo: number): number {
    const ppn = (this.leafHi & 0x3fffff) * 4194304 + (this.leafLo >>> 10);
    const vpn0 = (lo >>> 12) & 0x1ff, vpn1 = (lo >>> 21) & 0x1ff;
    if (this.leafLevel === 0) return ppn;
    if (this.leafLevel === 1) return ppn % 512 !== 0 ? -1 : ppn + vpn0;
    return ppn % 262144 !== 0 ? -1 : ppn + vpn1 * 512 + vpn0;
  }

  /** A walk read a PTE from RAM page `page`: watch it for writes, for this context. */
  private markTable(page: number): void {
    this.ram.watch(page, PT_BIT);
    const c = this.ctx;
    if (c < 32) this.ptLo[page] |= 1 << c;
    else this.ptHi[page] |= 1 << (c - 32);
  }

  /** Set A (and D for a store) in the leaf PTE in RAM, as QEMU does. */
  private markUsed(acc: number): void {
    const want = acc === ACC_STORE ? PTE_A | PTE_D : PTE_A;
    if ((this.leafLo & want) === want) return;
    this.view.setInt32(this.leafOff, this.leafLo | want, true);
    // Decoded code in that page must go; the page-table watch does not care (no
    // cached translation depends on A or D).
    const page = this.leafOff >>> 12;
    if ((this.ram.codePage[page] & ~PT_BIT) !== 0) this.ram.onCodeWrite(this.leafOff, 8);
  }

  /** Cache a translation (VAs below 2^38 only, so the VPN fits 26 bits of the tag). */
  private remember(lo: number, hi: number, set: number, acc: number, pageOff: number): void {
    if ((hi >>> 6) !== 0) return;
    const tag = ((hi << 20) | (lo >>> 12)) | (set === SET_M ? 0 : this.state[0]);
    const i = tlbIndex(tag);
    const t = set * 3 + acc;
    const tags = this.tlbTag[t];
    const c = tag >>> 26;
    // Record the entry in its context's list, unless the slot is already this context's.
    if (tags[i] === -1 || (tags[i] >>> 26) !== c) {
      let r = this.freeRec;
      if (r !== -1) this.freeRec = this.recNext[r];
      else if (this.recUsed < LOG_SIZE) r = this.recUsed++;
      else {
        this.reset();
        r = this.recUsed++;
      }
      this.recEntry[r] = (t << 16) | i;
      this.recNext[r] = this.head[c];
      this.head[c] = r;
    }
    tags[i] = tag;
    this.tlbBase[t][i] = pageOff;
    this.fillData(t, i, lo, hi, pageOff, c);
  }

  /**
   * Fill slot i of TLB t's tlbData copy for VA (lo, hi) in context c, on RAM page
   * pageOff: loads always; stores only to a page nobody watches, listed under it.
   */
  private fillData(t: number, i: number, lo: number, hi: number, pageOff: number, c: number) {
    const data = this.tlbData[t];
    if (data.length === 0) return;
    const j = i * DATA_ENTRY_WORDS, page = lo & ~0xfff;
    if (t % 3 === ACC_STORE) {
      const p = pageOff >>> 12;
      if (this.ram.codePage[p] !== 0) return this.emptyData(t, i);
      if (this.storeRecUsed === STORE_LOG_SIZE) this.forgetStores();
      const r = this.storeRecUsed++;
      this.storeRecEntry[r] = (t << 16) | i;
      this.storeRecNext[r] = this.storeHead[p];
      this.storeHead[p] = r;
    }
    data[j] = page | (dataContext(c) << 4);
    data[j + 1] = hi;
    data[j + 2] = (pageOff - page) | 0;
  }

  /** RAM page `page` is now watched: drop it from the store tlbData copies. */
  private unmapStores(page: number): void {
    for (let r = this.storeHead[page]; r !== -1; r = this.storeRecNext[r]) {
      const t = this.storeRecEntry[r] >>> 16, i = this.storeRecEntry[r] & 0xffff;
      if (this.tlbTag[t][i] !== -1 && this.tlbBase[t][i] === page * PAGE_SIZE) this.emptyData(t, i);
    }
    this.storeHead[page] = -1;
  }

  /** The store records ran out: empty every store tlbData copy and start the lists over. */
  private forgetStores(): void {
    for (let t = ACC_STORE; t < 9; t += 3) this.tlbData[t].fill(0);
    this.storeHead.fill(-1);
    this.storeRecUsed = 0;
  }

  /** Record a fault (cause, VA) for the hart to report; returns -1. */
  fault(cause: number, lo: number, hi: number): number {
    this.faultCause = cause;
    this.faultLo = lo;
    this.faultHi = hi;
    return -1;
  }
}
