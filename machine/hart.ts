// One RV64IMAC hart with M, S and U modes. It serves both ways of booting:
//
//  - built-in (hostTraps): the TypeScript kernel is the supervisor. The hart runs
//    U-mode code only, and run() returns at every trap with its cause recorded in
//    the S-mode CSRs, as if it had trapped into a kernel; the host kernel handles it
//    and resumes the hart at sepc.
//  - full system: a real kernel runs on the hart in M and S mode. Traps and
//    interrupts go to the guest's own mtvec / stvec (per medeleg / mideleg), and
//    run() returns only when its budget is used, the hart waits in WFI, or a
//    debugger stops it. The board (board.ts) supplies time and devices.
//
// Address translation is the MMU's job (mmu.ts) and the CSRs and their rules live in
// csr.ts; this file holds the fetch / decode / execute loop and trap entry.
//
// Speed comes from:
//  - decoded instructions cached per physical page (decode.ts), dropped when the
//    page is written (by the kernel through Ram, by a store, or by a device's DMA),
//  - the MMU's software TLBs, whose arrays the loop below reads directly, so a
//    load or store that hits costs one compare (mmu.ts is called only on a miss),
//  - the current fetch page, so sequential instructions skip translation,
//  - hot code translated to WebAssembly (translate.ts), a physical page at a time,
//    once a block in it has been interpreted `jitThreshold` times; a dispatcher in
//    WebAssembly runs the translated pages one after another.
// Registers are (lo, hi) int32 pairs; nothing is allocated per instruction.
// RAM offsets (pa - KERNBASE) are what the caches hand around.
//
// Time and counting. `instret` counts retired instructions; `cycles` counts steps,
// which are retired instructions plus traps taken (a trap whose handler address
// faults again still moves time, so no guest can stop the clock). The board sets
// `timeBase` so that the time the hart sees is timeBase + cycles.

import { ENTRY_COUNT_SLOTS, PAGE_SIZE, PT_BIT, Ram, type SharedRegion } from "./ram.ts";
import * as D from "./decode.ts";
import { decode16, decode32 } from "./decode.ts";
import { div64, divu64, mul64, mulh64, mulhsu64, mulhu64, res } from "./arith.ts";
import {
  buildRegion,
  cachedModule,
  compileDispatcher,
  CSR_RELOOK,
  type DispatchFn,
  findBlocks,
  type HartLayout,
  HOT_DONE,
  HOT_LEVELS,
  type InlineSource,
  instantiateRegion,
  type RegionFn,
  type RegionHelpers,
  ST_EVENT,
  ST_FAULT,
  ST_HOT,
  ST_NOENTRY,
  SYS_JUMPED,
  SYS_TRAP,
} from "./translate.ts";
import {
  ACC_FETCH,
  ACC_LOAD,
  ACC_STORE,
  CAUSE_FETCH_ACCESS,
  CAUSE_LOAD_ACCESS as CAUSE_LOAD_ACCESS_FAULT,
  CAUSE_STORE_ACCESS as CAUSE_STORE_ACCESS_FAULT,
  MMIO,
  Mmu,
  SET_M,
  SET_U,
  TLB_MASK,
} from "./mmu.ts";
import {
  CSR_ILLEGAL,
  CSR_MCAUSE,
  CSR_MCOUNTEREN,
  CSR_MEDELEG,
  CSR_MEPC,
  CSR_MIDELEG,
  CSR_MIE,
  CSR_MSTATUS,
  CSR_MTVAL,
  CSR_MTVEC,
  CSR_SATP,
  CSR_SCAUSE,
  CSR_SCOUNTEREN,
  CSR_SEPC,
  CSR_STVAL,
  CSR_STVEC,
  Csrs,
  MS_MIE,
  MS_MPIE,
  MS_MPP,
  MS_MPRV,
  MS_MXR,
  MS_SIE,
  MS_SPIE,
  MS_SPP,
  MS_SUM,
  MS_TSR,
  MS_TVM,
  MS_TW,
  PRV_M,
  PRV_S,
  PRV_U,
} from "./csr.ts";
import type { Bus } from "./bus.ts";

// The MMU raises the access and page faults (causes 1, 5, 7, 12, 13, 15).
export {
  CAUSE_FETCH_ACCESS,
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_ACCESS,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_ACCESS,
  CAUSE_STORE_PAGE_FAULT,
} from "./mmu.ts";
export {
  CSR_SATP,
  CSR_SCAUSE,
  CSR_SEPC,
  CSR_SIE,
  CSR_SIP,
  CSR_SSCRATCH,
  CSR_SSTATUS,
  CSR_STVAL,
  CSR_STVEC,
  PRV_M,
  PRV_S,
  PRV_U,
} from "./csr.ts";

export const CAUSE_MISALIGNED_FETCH = 0,
  CAUSE_ILLEGAL = 2,
  CAUSE_BREAKPOINT = 3,
  CAUSE_MISALIGNED_LOAD = 4,
  CAUSE_MISALIGNED_STORE = 6,
  CAUSE_ECALL_U = 8;
/** Returned by run() in built-in mode for the supervisor timer interrupt. */
export const IRQ_TIMER = 0x80000005;
/**
 * run() results in full-system mode: the budget is used up; the hart waits in WFI; a
 * debugger stop; a breakpoint; (runToSettle) S-mode interrupts went on; an AMOSWAP
 * found a spinlock another hart holds.
 */
export const RUN_BUDGET = -1, RUN_WFI = -3, RUN_STOP = -4, RUN_BREAK = -5, RUN_SETTLED = -6;
export const RUN_LOCKED = -7;

/**
 * execute() results: the limit was reached; an exception (cause in trapCause); an
 * event; a debugger breakpoint at pc (not executed).
 */
const EXIT_LIMIT = 0, EXIT_EXCEPTION = 1, EXIT_EVENT = 2, EXIT_BREAK = 3;
const NO_BREAKPOINTS: ReadonlySet<number> = new Set();

/** Physical pages whose decoded instructions can be held at once (16 MiB of cache). */
const POOL_PAGES = 1024;
/** hits[] value meaning "no block can start here". */
const NO_BLOCK = 255;
/** ws[] slot set to 1 by an AMOSWAP that found a held spinlock (full system only). */
const WS_SPIN = 9;
/**
 * A bit no interrupt uses, added to translated code's view of pending interrupts while
 * the hart settles, so that code leaves when it turns sstatus.SIE on.
 */
const SETTLE_PENDING = 1 << 31;
/** ws[] slot where the dispatcher leaves the RAM offset of the page a region is entered on. */
const WS_ENTRY_RAM = 10;
/** ws[] slot set to 1 by a CSR instruction that turns sstatus.SIE on (full system only). */
const WS_SIE_RAISED = 11;
/** translatePage() results. */
const TRANSLATED = 1, NO_BLOCK_HERE = -1;
/** Translations of a page that cover only code that has run; later ones cover it all. */
const WHOLE_AFTER = 2;
/** A user page's translations that may add a block inside another (see translatePage). */
const INSIDE_COMPILES = 6;
/** How far (bytes) sp may be from its boot value and still be on the boot stack (xv6: 4 KiB a hart). */
const BOOT_STACK_SLACK = 4096;

export interface HartOptions {
  /** This hart's number (mhartid). */
  hartid?: number;
  /** Built-in mode: U-mode only, every trap returns to the host (default true). */
  hostTraps?: boolean;
  /** Devices outside RAM (full system). */
  bus?: Bus;
}

export class Hart {
  /** 66 slots: x0..x31 as (lo, hi) pairs, then a scratch pair that x0 writes go to. */
  private readonly regs: Int32Array;
  /** Register i's low half at x[2*i], high half at x[2*i+1]; x0 always 0. */
  readonly x: Int32Array;
  pcLo = 0;
  pcHi = 0;
  /** Instructions retired, and steps taken (instructions plus traps). */
  instret = 0;
  cycles = 0;
  /** Instructions retired in each mode (index = PRV_U, PRV_S, PRV_M), up to the last mode change. */
  readonly modeInstret = new Float64Array(4);
  private modeMark = 0;
  /** Time seen by the hart = timeBase + cycles (full system; set by the board). */
  timeBase = 0;
  /** Built-in mode: the instret at which run() reports IRQ_TIMER. */
  timecmp = Infinity;
  /** WFI instructions executed (a hart that uses WFI to idle is not spinning). */
  wfis = 0;
  /** Full system: the hart executed WFI and waits for an interrupt. */
  waiting = false;
  /**
   * Full system: sp (lo, hi) when the hart first entered S-mode by mret. A kernel like
   * xv6 keeps that stack for its idle loop (the scheduler); processes run on their own.
   */
  private bootSpLo = 0;
  private bootSpHi = 0;
  private bootSpKnown = false;
  /** Built-in mode: traps return to the host instead of the guest's vectors. */
  readonly hostTraps: boolean;
  /**
   * Debugger breakpoints: virtual addresses (hi * 2^32 + lo) at which run() stops before
   * executing, returning RUN_BREAK. While any is set, everything is interpreted.
   */
  breakpoints: ReadonlySet<number> = NO_BREAKPOINTS;

  /** The CSR file and privilege mode. */
  readonly csrs: Csrs;

  private readonly ram: Ram;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;

  /** Sv39 translation; also holds the detail (cause, VA) of the last fault. */
  readonly mmu: Mmu;
  private readonly bus: Bus | null;

  /**
   * Decoded instructions: a pool of page-sized areas, [word, imm] per halfword slot
   * (word 0 = not decoded yet). poolOf maps a RAM page to its area index, or -1.
   */
  private readonly dec = new Int32Array(POOL_PAGES * 4096);
  private readonly poolOf: Int32Array;
  private readonly pagesInPool = new Int32Array(POOL_PAGES);
  private poolUsed = 0;
  /** Per halfword slot of the pool: how often a block started there was interpreted. */
  private readonly hits = new Uint8Array(POOL_PAGES * 2048);
  /**
   * Per halfword slot of the pool: 1 once the interpreter has executed an instruction
   * there. Translation covers executed code only (the rest of a page becomes exits),
   * which keeps translated functions small and quick to compile.
   */
  private readonly executed = new Uint8Array(POOL_PAGES * 2048);
  /** Counts invalidations of decoded code (lets translated code notice them). */
  codeWrites = 0;
  /**
   * Executions of an instruction in the interpreter before a block is compiled
   * from it (1..254); 0 or anything larger turns the block compiler off.
   */
  jitThreshold = 64;
  /**
   * Translated regions, one per physical page and TLB set (index page * 3 + set): a
   * page may be run in two modes (xv6's trap vectors share a page between M and S),
   * so each mode has its own. regionIndex (in WebAssembly memory, read by the
   * dispatcher) holds each one's index in `table`, 0 for none; regionEntries its
   * entry offsets beyond the page's sweep.
   */
  private readonly regionIndex: Int32Array;
  private readonly regionEntries: (Set<number> | undefined)[];
  private readonly table = new WebAssembly.Table({ element: "anyfunc", initial: 64 });
  private readonly freeSlots: number[] = [];
  /** How often each region key was translated since its page last changed. */
  private readonly regionCompiles: Uint8Array;
  /**
   * Per region key: how often it was translated again for hot calls (ST_HOT; HOT_DONE
   * when no more), until its page changes. In WebAssembly memory, for the dispatcher.
   */
  private readonly regionHot: Uint8Array;
  /** Per region key translated here: the return offsets of the calls it inlines. */
  private readonly regionInlined = new Map<number, Set<number>>();
  /** The module each region key runs (compiled here or adopted from another hart). */
  private readonly regionModule: (WebAssembly.Module | undefined)[];
  /** layoutKey() per TLB set, once made. */
  private readonly layoutKeys: string[] = [];
  /** Regions (keys) that inlined code from each RAM page, to drop when it is written. */
  private readonly regionDeps = new Map<number, Set<number>>();
  private tableUsed = 1; // index 0 means "no region"
  /** The dispatcher's function per TLB set (translate.ts). */
  private readonly dispatch: DispatchFn[];
  /**
   * The state translated code reads and writes (int32 slots): pc (0, 1), exit status
   * (2), steps before a helper call (3), scratch (4, 5), entry offset (6), pending
   * interrupts (7), steps the dispatcher has run before the current region (8).
   */
  private readonly ws: Int32Array;
  private readonly regionHelpers: RegionHelpers;
  /** Regions installed (for tests and --stats), and how many of them another hart compiled. */
  regionsCompiled = 0;
  regionsAdopted = 0;
  /** Instructions the interpreter retired (the rest ran as translated code). */
  interpreted = 0;
  /** Where this hart's state starts in the memory (translated code's offsets count from it). */
  private readonly stateBase: number;

  /** This hart's bit in ram.codePage. */
  private readonly codeBit: number;

  // LR/SC reservation (RAM offset), -1 when none.
  private reservation = -1;

  /** The last exception: cause and tval (lo, hi), pc at the faulting instruction. */
  private trapCause = 0;
  private trapTvalLo = 0;
  private trapTvalHi = 0;
  /** Set by the CSR file: translation changed (leave the loop to refetch) / interrupts may be ready. */
  private translationDirty = false;
  private irqDirty = false;
  /** The step count at the instruction being executed (for time reads mid-run). */
  private cycleNow = 0;
  /** The last execute() stopped at its limit after a sequential step (not at a block start). */
  private stoppedMidBlock = false;
  /** The step count when translated code was entered (its helpers add their own count). */
  private regionBase = 0;
  /** instret when the dispatcher was called (for helpers that book instructions). */
  private regionInstret = 0;
  /** runToSettle() is running: leave once S-mode interrupts are on. */
  private settling = false;
  /** run() should return RUN_STOP as soon as it can. */
  private stopRequested = false;

  constructor(ram: Ram, opts: HartOptions = {}) {
    this.ram = ram;
    this.view = ram.view;
    this.bytes = ram.bytes;
    this.hostTraps = opts.hostTraps ?? true;
    this.bus = opts.bus ?? null;
    this.stateBase = ram.mark();
    this.mmu = new Mmu(ram);
    this.mmu.bus = this.bus;
    this.poolOf = new Int32Array(ram.size / PAGE_SIZE).fill(-1);
    this.codeBit = 1 << ((opts.hartid ?? 0) & 7);
    this.regionIndex = ram.allocInt32((ram.size / PAGE_SIZE) * 3);
    this.regionEntries = new Array((ram.size / PAGE_SIZE) * 3);
    this.regionCompiles = new Uint8Array((ram.size / PAGE_SIZE) * 3);
    const keys = (ram.size / PAGE_SIZE) * 3;
    this.regionHot = new Uint8Array(ram.memory.buffer, ram.alloc(keys), keys);
    this.regionModule = new Array((ram.size / PAGE_SIZE) * 3);
    this.regs = ram.allocInt32(66);
    this.ws = ram.allocInt32(16);
    this.regionHelpers = this.makeRegionHelpers();
    this.x = this.regs.subarray(0, 64);
    this.csrs = new Csrs(opts.hartid ?? 0, {
      now: () => this.timeBase + this.cycleNow,
      instret: () => this.instret + (this.cycleNow - this.cycles),
      cycles: () => this.cycleNow,
      translationChanged: (satp) => this.translationChanged(satp),
      interruptsChanged: () => {
        // Only a full system takes interrupts itself; the built-in kernel uses timecmp.
        if (this.hostTraps) return;
        this.irqDirty = true;
        this.notePending();
      },
    }, ram.allocInt32(8192));
    if (this.hostTraps) {
      // The built-in kernel runs user code only, and lets it read the counters.
      this.csrs.priv = PRV_U;
      this.csrs.hostWrite(CSR_MCOUNTEREN, 7, 0);
      this.csrs.hostWrite(CSR_SCOUNTEREN, 7, 0);
    }
    this.mmu.setPrivilege(this.csrs.priv, this.csrs.dataPriv());
    const m = this.mmu;
    this.dispatch = compileDispatcher(
      {
        pc: this.ws.byteOffset,
        status: this.ws.byteOffset + 8,
        entry: this.ws.byteOffset + 24,
        entryRam: this.ws.byteOffset + 4 * WS_ENTRY_RAM,
        base: this.stateBase,
        entryCounts: ram.entryCounts.byteOffset,
        entrySlots: ENTRY_COUNT_SLOTS,
        regionHot: this.regionHot.byteOffset,
        fetchTags: [0, 1, 2].map((set) => m.tlbTag[set * 3 + ACC_FETCH].byteOffset),
        fetchBases: [0, 1, 2].map((set) => m.tlbBase[set * 3 + ACC_FETCH].byteOffset),
        regionIndex: this.regionIndex.byteOffset,
        done: this.ws.byteOffset + 32,
        ctx: m.state.byteOffset,
        tlbMask: TLB_MASK,
      },
      ram.memory,
      this.table,
    );
    ram.listenForCodeWrites((page, bits) => {
      if ((bits & PT_BIT) !== 0) this.mmu.pageWritten(page);
      if ((bits & this.codeBit) !== 0) this.dropCode(page);
    });
  }

  // ---------------------------------------------------------------- CSRs

  /** The current privilege mode. */
  get priv(): number {
    return this.csrs.priv;
  }

  /** Low 32 bits of CSR n, read as the host (the built-in kernel, a debugger) sees it. */
  readCsrLo(n: number): number {
    this.cycleNow = this.cycles;
    return this.csrs.hostRead(n) ? this.csrs.lo : 0;
  }

  /** High 32 bits of CSR n. */
  readCsrHi(n: number): number {
    this.cycleNow = this.cycles;
    return this.csrs.hostRead(n) ? this.csrs.hi : 0;
  }

  /** Write CSR n from the host (the built-in kernel, a debugger, a test). */
  writeCsr(n: number, lo: number, hi: number): void {
    this.cycleNow = this.cycles;
    this.csrs.hostWrite(n & 0xfff, lo | 0, hi | 0);
  }

  /** The mode, satp, MPRV, SUM or MXR changed: tell the MMU. */
  private translationChanged(satp: boolean): void {
    const c = this.csrs;
    if (satp) this.mmu.setSatp(c.getLo(CSR_SATP), c.getHi(CSR_SATP));
    const s = c.mstatus;
    this.mmu.setMxr((s & MS_MXR) !== 0);
    this.mmu.setSum((s & MS_SUM) !== 0);
    this.mmu.setPrivilege(c.priv, c.dataPriv());
    this.translationDirty = true;
  }

  /** sfence.vma from the host (the built-in kernel changed a page table). */
  sfenceVma(): void {
    this.mmu.sfence();
  }

  /** Full system: a device line or the time changed; the next run() re-checks interrupts. */
  poke(): void {
    this.irqDirty = true;
    this.notePending();
  }

  /**
   * Keep translated code's view of pending interrupts (mip & mie) current: it reads
   * it when sstatus.SIE goes on, to decide whether to leave so one is taken.
   */
  private notePending(): void {
    if (this.hostTraps) return;
    const pending = this.csrs.mip(this.timeBase + this.cycleNow) & this.csrs.getLo(CSR_MIE);
    this.ws[7] = this.settling ? pending | SETTLE_PENDING : pending;
  }

  /** The time this hart sees at its last retired step. */
  now(): number {
    return this.timeBase + this.cycles;
  }

  /** The time at the instruction being executed (for device reads of mtime mid-run). */
  timeNow(): number {
    return this.timeBase + this.cycleNow;
  }

  /** Make run() return RUN_STOP at the next instruction boundary it checks (poweroff, debugger). */
  requestStop(): void {
    this.stopRequested = true;
    this.irqDirty = true;
  }

  /** Full system: is an interrupt ready to wake this hart from WFI? */
  wakeable(): boolean {
    return this.csrs.wakeable(this.now());
  }

  /** Full system: the next time a timer makes an interrupt pending for this hart. */
  nextTimerEvent(): number {
    return this.csrs.nextTimerEvent(this.now());
  }

  /**
   * A store of `size` bytes at RAM offset p hit a watched page (decoded code, or a page
   * table): every hart drops what depends on those bytes.
   */
  private invalidateCode(p: number, size: number): void {
    this.ram.onCodeWrite(p, size);
  }

  /** This hart's decoded and compiled code from a RAM page is stale: forget it. */
  private dropCode(page: number): void {
    const pi = this.poolOf[page];
    if (pi >= 0) {
      this.dec.fill(0, pi * 4096, pi * 4096 + 4096);
      this.hits.fill(0, pi * 2048, pi * 2048 + 2048);
      this.executed.fill(0, pi * 2048, pi * 2048 + 2048);
    }
    this.dropRegion(page);
    this.codeWrites++;
  }

  /**
   * Where the translator reads the code of functions a region calls on other pages
   * (it inlines them): decoded from RAM, with each page recorded so that writing it
   * drops the region (region key ri = page * 3 + set).
   */
  private inlineSource(ri: number, deps: number[] = []): InlineSource {
    return {
      ramSize: this.ram.size,
      read: (off) => {
        const half = this.bytes[off] | (this.bytes[off + 1] << 8);
        if ((half & 3) !== 3) return [decode16(half), D.decodedImm];
        if ((off & 0xfff) === 0xffe) return null;
        return [decode32(this.view.getInt32(off, true)), D.decodedImm];
      },
      executed: (off) => {
        const pi = this.poolOf[off >>> 12];
        return pi >= 0 && this.executed[(pi * 4096 + (off & 0xfff)) >> 1] === 1;
      },
      returns: (off) => this.ram.entriesAt(off),
      usePage: (page) => {
        deps.push(page);
        this.dependOn(ri, page);
      },
    };
  }

  /** Region key ri holds code copied from RAM page `page`: a write there drops it. */
  private dependOn(ri: number, page: number): void {
    this.ram.watch(page, this.codeBit);
    let users = this.regionDeps.get(page);
    if (users === undefined) this.regionDeps.set(page, users = new Set());
    users.add(ri);
  }

  /** Forget the translated regions of RAM page `page`, in every mode, and those inlining it. */
  private dropRegion(page: number): void {
    const deps = this.regionDeps.get(page);
    if (deps !== undefined) {
      this.regionDeps.delete(page);
      for (const ri of deps) this.dropRegionKey(ri);
    }
    for (let set = 0; set < 3; set++) this.dropRegionKey(page * 3 + set);
    this.ram.forgetEntries(page);
  }

  /** Forget one translated region (key page * 3 + set). */
  private dropRegionKey(ri: number): void {
    this.regionCompiles[ri] = 0;
    this.regionHot[ri] = 0;
    this.regionInlined.delete(ri);
    this.regionModule[ri] = undefined;
    this.ram.sharedRegions.delete(ri);
    const idx = this.regionIndex[ri];
    if (idx === 0) return;
    this.table.set(idx, null);
    this.freeSlots.push(idx);
    this.regionIndex[ri] = 0;
    this.regionEntries[ri] = undefined;
  }

  // ---------------------------------------------------------------- translated regions

  /** The callbacks translated code makes into this hart for its slow paths. */
  private makeRegionHelpers(): RegionHelpers {
    const ws = this.ws;
    return {
      slowLoad: (lo, hi, size, steps) => {
        this.cycleNow = this.regionBase + ws[8] + steps;
        const f = this.loadSlow(lo, hi, size);
        ws[4] = res.lo;
        ws[5] = res.hi;
        return f;
      },
      fill: (lo, hi, v, n, steps) => {
        this.cycleNow = this.regionBase + ws[8] + steps;
        const p = this.mmu.translate(lo, hi, ACC_STORE);
        if (p < 0) return 1; // a fault or a device: the loop's stores take it
        this.bytes.fill(v, p, p + n);
        if (this.ram.codePage[p >>> 12] === 0) return 0;
        const writes = this.codeWrites;
        this.invalidateCode(p, n);
        return this.irqDirty || this.codeWrites !== writes ? -1 : 0;
      },
      slowStore: (lo, hi, size, vlo, vhi, steps) => {
        this.cycleNow = this.regionBase + ws[8] + steps;
        const writes = this.codeWrites;
        const f = this.storeSlow(lo, hi, size, vlo, vhi);
        if (f !== 0) return f;
        return this.irqDirty || this.codeWrites !== writes ? -1 : 0;
      },
      csr: (inst, slo, shi) => {
        this.cycleNow = this.regionBase + ws[8] + ws[3];
        this.translationDirty = false;
        const fetchSet = this.mmu.fetchSet, dataSet = this.mmu.dataSet;
        if (this.csrOp(inst, slo, shi) !== 0) {
          this.mmu.fault(CAUSE_ILLEGAL, inst, 0);
          return CAUSE_ILLEGAL;
        }
        ws[4] = this.csrs.lo;
        ws[5] = this.csrs.hi;
        if (this.irqDirty) return -1;
        if (!this.translationDirty) return 0;
        const sameSets = this.mmu.fetchSet === fetchSet && this.mmu.dataSet === dataSet;
        return sameSets ? CSR_RELOOK : -1;
      },
      sys: (op, inst, steps) => this.regionSystem(op, inst, steps),
      mulh: (kind, alo, ahi, blo, bhi) => {
        if (kind === 0) mulh64(alo, ahi, blo, bhi);
        else if (kind === 1) mulhsu64(alo, ahi, blo, bhi);
        else mulhu64(alo, ahi, blo, bhi);
        ws[4] = res.lo;
        ws[5] = res.hi;
      },
    };
  }

  /**
   * A system instruction in translated code (see RegionHelpers.sys): ecall traps;
   * mret and sret return (pc written for the region to leave with); sfence.vma
   * flushes. Each checks, as the interpreter does, that the mode allows it.
   */
  private regionSystem(op: number, inst: number, steps: number): number {
    if (op === D.OP_ECALL) {
      this.mmu.fault(CAUSE_ECALL_U + this.csrs.priv, 0, 0);
      return SYS_TRAP;
    }
    if (!this.systemAllowed(op)) {
      this.mmu.fault(CAUSE_ILLEGAL, inst, 0);
      return SYS_TRAP;
    }
    if (op === D.OP_SFENCE_VMA) {
      this.mmu.sfence();
      return 0;
    }
    // mret / sret retire (counted in the old mode), then pc and the mode change.
    this.instret = this.regionInstret + this.ws[8] + steps + 1;
    this.xret(op);
    this.ws[0] = this.pcLo;
    this.ws[1] = this.pcHi;
    return SYS_JUMPED;
  }

  /**
   * Where this hart's state is, for code translated for TLB set `set`: offsets from
   * stateBase (every hart allocates its state in the same order, so harts get equal
   * layouts and share compiled regions), but codePage, which is the board's.
   */
  regionLayout(set: number): HartLayout {
    const m = this.mmu,
      at = (a: { byteOffset: number }, bytes = 0) => a.byteOffset + bytes - this.stateBase;
    return {
      spin: this.hostTraps ? 0 : at(this.ws, 4 * WS_SPIN),
      regs: at(this.regs),
      pc: at(this.ws),
      status: at(this.ws, 8),
      scratch: at(this.ws, 16),
      entry: at(this.ws, 24),
      entryRam: at(this.ws, 4 * WS_ENTRY_RAM),
      sieRaised: at(this.ws, 4 * WS_SIE_RAISED),
      ctx: at(this.mmu.state),
      pending: at(this.ws, 28),
      mstatus: at(this.csrs.v, 8 * CSR_MSTATUS),
      csrs: at(this.csrs.v),
      set,
      fetchTags: at(m.tlbTag[set * 3 + ACC_FETCH]),
      fetchBases: at(m.tlbBase[set * 3 + ACC_FETCH]),
      loadData: at(m.tlbData[set * 3 + ACC_LOAD]),
      storeData: at(m.tlbData[set * 3 + ACC_STORE]),
      ctxData: at(this.mmu.state, 8),
      codePage: this.ram.codePage.byteOffset,
      tlbMask: TLB_MASK,
    };
  }

  /**
   * Translate the page at RAM offset pageOff for TLB set `set`, swept from its start,
   * with the block at `slot` among its entries. Returns TRANSLATED (the slot has a
   * block now) or NO_BLOCK_HERE. With `moreInlined`, only if the new translation
   * inlines a call the last one did not.
   */
  private translatePage(pageOff: number, slot: number, set: number, moreInlined = false): number {
    const page = pageOff >>> 12;
    const ri = page * 3 + set;
    const shared = this.ram.sharedRegions.get(ri);
    if (
      shared !== undefined && shared.hot.has(slot) && this.regionModule[ri] !== shared.module &&
      shared.layout === this.layoutKey(set)
    ) return this.adopt(ri, shared);
    const entries = this.regionEntries[ri] ?? new Set<number>();
    const area = this.poolOf[page] * 4096;
    const read = (s: number): readonly [number, number] | null => {
      if (s < 0 || s > 0xffe) return null;
      let w = this.dec[area + s];
      let imm = this.dec[area + s + 1];
      if (w === 0) {
        const p = pageOff | s;
        const half = this.bytes[p] | (this.bytes[p + 1] << 8);
        if ((half & 3) !== 3) w = decode16(half);
        else if (s === 0xffe) return null;
        else w = decode32(this.view.getInt32(p, true));
        imm = D.decodedImm;
        this.dec[area + s] = w;
        this.dec[area + s + 1] = imm;
      }
      return [w, imm];
    };
    this.executed[(area + slot) >> 1] = 1; // about to run: the block starting here is warm
    // A page that keeps finding new paths is translated whole from its third time on,
    // so it stops being compiled again and again.
    const whole = this.regionCompiles[ri] >= WHOLE_AFTER;
    const ran = (s: number) => whole || this.executed[(area + s) >> 1] === 1;
    let blocks = findBlocks([0], [...entries], read, ran);
    if (!blocks.some((b) => b.slot === slot)) {
      // pc inside a block: an interrupt or a trap handler came back here. The
      // interpreter runs on to the block's end, where translated code takes over, and
      // the page is not translated again for it; except in a user program's first few
      // translations, where it is cheap and may pay: a lazy allocator's fault handler
      // comes back to the store that faulted at every new page (usertests' execout).
      const inside = blocks.some((b) => b.slot < slot && slot < b.end);
      const add = !inside || (set === SET_U && this.regionCompiles[ri] < INSIDE_COMPILES);
      if (!add && this.regionIndex[ri] !== 0) return NO_BLOCK_HERE;
      if (add) {
        entries.add(slot);
        blocks = findBlocks([0], [...entries], read, ran);
        if (!blocks.some((b) => b.slot === slot)) entries.delete(slot);
      }
    }
    if (blocks.length === 0) return NO_BLOCK_HERE;
    const deps: number[] = [], inlined = new Set<number>();
    const bytes = buildRegion(
      blocks,
      pageOff,
      this.regionLayout(set),
      this.ram.memory.buffer.byteLength / 65536,
      this.inlineSource(ri, deps),
      inlined,
    );
    // Translated again at a further hot level, but inlining no call the region in use
    // does not: keep that (a new module starts on V8's baseline compiler again).
    const before = this.regionInlined.get(ri);
    if (moreInlined && before !== undefined && [...inlined].every((o) => before.has(o))) {
      return NO_BLOCK_HERE;
    }
    if (this.regionCompiles[ri] < 255) this.regionCompiles[ri]++;
    this.regionEntries[ri] = entries;
    this.ram.watch(page, this.codeBit);
    this.regionInlined.set(ri, inlined);
    const mod = cachedModule(bytes);
    this.regionModule[ri] = mod;
    this.ram.sharedRegions.set(ri, {
      module: mod,
      hot: new Set(blocks.filter((b) => !b.cold).map((b) => b.slot)),
      entries: [...entries],
      deps,
      layout: this.layoutKey(set),
    });
    this.install(ri, instantiateRegion(mod, this.ram.memory, this.regionHelpers));
    return entries.has(slot) || blocks.some((b) => b.slot === slot) ? TRANSLATED : NO_BLOCK_HERE;
  }

  /**
   * Run the region another hart translated for this key (the same code, for a hart laid
   * out alike) instead of compiling it again: its entries and the pages it copied code
   * from become this hart's, so a write to any of them drops this copy too.
   */
  private adopt(ri: number, shared: SharedRegion): number {
    this.regionsAdopted++;
    this.regionEntries[ri] = new Set(shared.entries);
    if (this.regionCompiles[ri] < 255) this.regionCompiles[ri]++;
    this.ram.watch(Math.floor(ri / 3), this.codeBit);
    for (const page of shared.deps) this.dependOn(ri, page);
    this.regionModule[ri] = shared.module;
    this.regionInlined.delete(ri); // (not known here: the next hot level translates)
    this.install(ri, instantiateRegion(shared.module, this.ram.memory, this.regionHelpers));
    return TRANSLATED;
  }

  /** The region layout for TLB set `set` as text, to tell whether a shared region fits. */
  private layoutKey(set: number): string {
    return this.layoutKeys[set] ??= JSON.stringify(this.regionLayout(set));
  }

  /** Put a translated region in the table under key ri (page * 3 + set). */
  private install(ri: number, fn: RegionFn): void {
    this.regionsCompiled++;
    let idx = this.regionIndex[ri];
    if (idx === 0) idx = this.freeSlots.pop() ?? this.tableUsed++;
    if (idx >= this.table.length) this.table.grow(Math.max(64, this.table.length));
    this.table.set(idx, fn);
    this.regionIndex[ri] = idx;
  }

  // ---------------------------------------------------------------- memory slow paths

  /** A device load at the MMU's mmioPa into res; 0 or an access-fault cause. */
  private mmioLoad(lo: number, hi: number, size: number): number {
    if (this.bus === null || !this.bus.read(this.mmu.mmioPa, size)) {
      return this.mmu.fault(CAUSE_LOAD_ACCESS_FAULT, lo, hi), CAUSE_LOAD_ACCESS_FAULT;
    }
    res.lo = this.bus.lo;
    res.hi = this.bus.hi;
    return 0;
  }

  /** A device store at the MMU's mmioPa; 0 or an access-fault cause. Interrupts may follow. */
  private mmioStore(lo: number, hi: number, size: number, vlo: number, vhi: number): number {
    if (this.bus === null || !this.bus.write(this.mmu.mmioPa, size, vlo, vhi)) {
      return this.mmu.fault(CAUSE_STORE_ACCESS_FAULT, lo, hi), CAUSE_STORE_ACCESS_FAULT;
    }
    this.irqDirty = true;
    return 0;
  }

  /**
   * General load (any alignment, may cross a page, may reach a device). Writes the
   * zero-extended value into res.lo/res.hi. Returns 0 or a fault cause (the VA is in
   * mmu.faultLo/Hi).
   */
  private loadSlow(lo: number, hi: number, size: number): number {
    const inPage = 4096 - (lo & 0xfff);
    const p0 = this.mmu.translate(lo, hi, ACC_LOAD);
    if (p0 === MMIO) return this.mmioLoad(lo, hi, size);
    if (p0 < 0) return this.mmu.faultCause;
    if (size <= inPage) {
      const v = this.view;
      if (size === 1) res.lo = v.getUint8(p0);
      else if (size === 2) res.lo = v.getUint16(p0, true);
      else res.lo = v.getInt32(p0, true);
      res.hi = size === 8 ? v.getInt32(p0 + 4, true) : 0;
      return 0;
    }
    // Crosses into the next page: translate it too, then assemble byte by byte.
    const nlo = (lo + inPage) | 0;
    const nhi = (hi + ((nlo >>> 0) < (lo >>> 0) ? 1 : 0)) | 0;
    const p1 = this.mmu.translate(nlo, nhi, ACC_LOAD);
    if (p1 === MMIO) {
      return this.mmu.fault(CAUSE_LOAD_ACCESS_FAULT, nlo, nhi), CAUSE_LOAD_ACCESS_FAULT;
    }
    if (p1 < 0) return this.mmu.faultCause;
    let vlo = 0, vhi = 0;
    for (let i = size - 1; i >= 0; i--) {
      const b = this.bytes[i < inPage ? p0 + i : p1 + (i - inPage)];
      if (i >= 4) vhi |= b << ((i - 4) * 8);
      else vlo |= b << (i * 8);
    }
    res.lo = vlo;
    res.hi = vhi;
    return 0;
  }

  /** General store (any alignment, may cross a page, may reach a device). Returns 0 or a fault cause. */
  private storeSlow(lo: number, hi: number, size: number, vlo: number, vhi: number): number {
    const inPage = 4096 - (lo & 0xfff);
    const p0 = this.mmu.translate(lo, hi, ACC_STORE);
    if (p0 === MMIO) return this.mmioStore(lo, hi, size, vlo, vhi);
    if (p0 < 0) return this.mmu.faultCause;
    if (size <= inPage) {
      const v = this.view;
      if (size === 1) v.setInt8(p0, vlo);
      else if (size === 2) v.setInt16(p0, vlo, true);
      else v.setInt32(p0, vlo, true);
      if (size === 8) v.setInt32(p0 + 4, vhi, true);
      if (this.ram.codePage[p0 >>> 12]) this.invalidateCode(p0, size);
      return 0;
    }
    // Crosses into the next page: both pages must be writable before any byte changes.
    const nlo = (lo + inPage) | 0;
    const nhi = (hi + ((nlo >>> 0) < (lo >>> 0) ? 1 : 0)) | 0;
    const p1 = this.mmu.translate(nlo, nhi, ACC_STORE);
    if (p1 === MMIO) {
      return this.mmu.fault(CAUSE_STORE_ACCESS_FAULT, nlo, nhi), CAUSE_STORE_ACCESS_FAULT;
    }
    if (p1 < 0) return this.mmu.faultCause;
    for (let i = 0; i < size; i++) {
      const b = i >= 4 ? vhi >>> ((i - 4) * 8) : vlo >>> (i * 8);
      const p = i < inPage ? p0 + i : p1 + (i - inPage);
      this.bytes[p] = b;
      if (this.ram.codePage[p >>> 12]) this.invalidateCode(p, 1);
    }
    return 0;
  }

  // ---------------------------------------------------------------- atomics / CSR

  /** Execute an LR/SC/AMO. Returns 0 or a trap cause. */
  private atomic(inst: number, rd: number, a1: number, a2: number): number {
    const x = this.regs;
    const dbl = ((inst >>> 12) & 7) === 3;
    const f5 = inst >>> 27;
    const lo = x[a1], hi = x[a1 + 1];
    const size = dbl ? 8 : 4;
    if ((lo & (size - 1)) !== 0) {
      this.mmu.fault(f5 === 2 ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE, lo, hi);
      return this.mmu.faultCause;
    }
    if (f5 === 2) {
      const p = this.mmu.translate(lo, hi, ACC_LOAD);
      if (p === MMIO) {
        return this.mmu.fault(CAUSE_LOAD_ACCESS_FAULT, lo, hi), CAUSE_LOAD_ACCESS_FAULT;
      }
      if (p < 0) return this.mmu.faultCause;
      const vlo = this.view.getInt32(p, true);
      x[rd] = vlo;
      x[rd + 1] = dbl ? this.view.getInt32(p + 4, true) : vlo >> 31;
      this.reservation = p;
      return 0;
    }
    const p = this.mmu.translate(lo, hi, ACC_STORE);
    if (p === MMIO) {
      return this.mmu.fault(CAUSE_STORE_ACCESS_FAULT, lo, hi), CAUSE_STORE_ACCESS_FAULT;
    }
    if (p < 0) return this.mmu.faultCause;
    const page = p >>> 12;
    if (f5 === 3) {
      const ok = this.reservation === p;
      this.reservation = -1;
      if (ok) {
        this.view.setInt32(p, x[a2], true);
        if (dbl) this.view.setInt32(p + 4, x[a2 + 1], true);
        if (this.ram.codePage[page]) this.invalidateCode(p, dbl ? 8 : 4);
      }
      x[rd] = ok ? 0 : 1;
      x[rd + 1] = 0;
      return 0;
    }
    const olo = this.view.getInt32(p, true);
    const ohi = dbl ? this.view.getInt32(p + 4, true) : olo >> 31;
    const blo = x[a2], bhi = dbl ? x[a2 + 1] : x[a2] >> 31;
    let nlo = 0, nhi = 0;
    switch (f5) {
      case 1: // swap
        nlo = blo;
        nhi = bhi;
        break;
      case 0: { // add
        nlo = (olo + blo) | 0;
        nhi = (ohi + bhi + ((nlo >>> 0) < (olo >>> 0) ? 1 : 0)) | 0;
        break;
      }
      case 4:
        nlo = olo ^ blo;
        nhi = ohi ^ bhi;
        break;
      case 12:
        nlo = olo & blo;
        nhi = ohi & bhi;
        break;
      case 8:
        nlo = olo | blo;
        nhi = ohi | bhi;
        break;
      default: {
        const signed = f5 === 16 || f5 === 20;
        const wantMax = f5 === 20 || f5 === 28;
        let lt: boolean;
        if (ohi !== bhi) lt = signed ? ohi < bhi : (ohi >>> 0) < (bhi >>> 0);
        else lt = (olo >>> 0) < (blo >>> 0);
        const takeOld = wantMax ? !lt : lt;
        nlo = takeOld ? olo : blo;
        nhi = takeOld ? ohi : bhi;
      }
    }
    this.view.setInt32(p, nlo, true);
    if (dbl) this.view.setInt32(p + 4, nhi, true);
    if (this.ram.codePage[page]) this.invalidateCode(p, dbl ? 8 : 4);
    x[rd] = olo;
    x[rd + 1] = ohi;
    // A swap that found the same non-zero value (a spinlock someone else holds).
    if (f5 === 1 && olo === nlo && ohi === nhi && (olo | ohi) !== 0 && !this.hostTraps) {
      this.ws[WS_SPIN] = 1;
    }
    return 0;
  }

  /**
   * Execute a Zicsr instruction (csrrw/s/c and their immediate forms) into x[rd].
   * Returns 0 or CAUSE_ILLEGAL.
   */
  private csr(inst: number, rd: number): number {
    const x = this.regs;
    const f3 = (inst >>> 12) & 7;
    const src = (inst >>> 15) & 31;
    const slo = f3 >= 5 ? src : x[src * 2];
    const shi = f3 >= 5 ? 0 : x[src * 2 + 1];
    if (this.csrOp(inst, slo, shi) !== 0) return CAUSE_ILLEGAL;
    x[rd] = this.csrs.lo;
    x[rd + 1] = this.csrs.hi;
    return 0;
  }

  /** csrAccess(), noting (for runToSettle) a write that turns sstatus.SIE on. */
  private csrOp(inst: number, slo: number, shi: number): number {
    const before = this.csrs.mstatus;
    const r = this.csrAccess(inst, slo, shi);
    if ((~before & this.csrs.mstatus & MS_SIE) !== 0) this.ws[WS_SIE_RAISED] = 1;
    return r;
  }

  /**
   * The CSR access of instruction `inst` with source value (slo, shi): 0 with the old
   * value in csrs.lo / hi, or CAUSE_ILLEGAL. csrrw(i) always writes; csrrs/csrrc(i)
   * write unless the source is x0 / 0, and then may read a read-only CSR; csrrw with
   * rd = x0 does not read (no read side effects).
   */
  private csrAccess(inst: number, slo: number, shi: number): number {
    const f3 = (inst >>> 12) & 7;
    const n = inst >>> 20;
    const c = this.csrs;
    const op = f3 & 3;
    const writes = op === 1 || ((inst >>> 15) & 31) !== 0;
    if (op === 1 && ((inst >>> 7) & 31) === 0) {
      c.lo = 0;
      c.hi = 0;
      return c.write(n, slo, shi) === CSR_ILLEGAL ? CAUSE_ILLEGAL : 0;
    }
    if (c.read(n) === CSR_ILLEGAL) return CAUSE_ILLEGAL;
    const olo = c.lo, ohi = c.hi;
    if (writes) {
      let nlo = slo, nhi = shi;
      if (op === 2) {
        nlo = olo | slo;
        nhi = ohi | shi;
      } else if (op === 3) {
        nlo = olo & ~slo;
        nhi = ohi & ~shi;
      }
      if (c.write(n, nlo, nhi) === CSR_ILLEGAL) return CAUSE_ILLEGAL;
    }
    c.lo = olo;
    c.hi = ohi;
    return 0;
  }

  /** Is a privileged instruction (its decoded op) allowed in the current mode? */
  private systemAllowed(op: number): boolean {
    const priv = this.csrs.priv;
    const s = this.csrs.mstatus;
    switch (op) {
      case D.OP_MRET:
        return priv === PRV_M;
      case D.OP_SRET:
        return priv === PRV_M || (priv === PRV_S && (s & MS_TSR) === 0);
      case D.OP_WFI:
        return priv === PRV_M || (priv === PRV_S && (s & MS_TW) === 0);
      default: // sfence.vma
        return priv === PRV_M || (priv === PRV_S && (s & MS_TVM) === 0);
    }
  }

  /** The mode is about to change: book the instructions retired in the old one. */
  private countMode(): void {
    this.modeInstret[this.csrs.priv] += this.instret - this.modeMark;
    this.modeMark = this.instret;
  }

  /** Instructions retired in mode `priv` so far. */
  instretIn(priv: number): number {
    const open = priv === this.csrs.priv ? this.instret - this.modeMark : 0;
    return this.modeInstret[priv] + open;
  }

  /** The first mret into S-mode: remember the stack the kernel starts (and idles) on. */
  private noteBootStack(): void {
    this.bootSpLo = this.x[4];
    this.bootSpHi = this.x[5];
    this.bootSpKnown = true;
  }

  /** Full system: is the hart in S-mode on the stack it booted on (a kernel's idle loop)? */
  onBootStack(): boolean {
    if (!this.bootSpKnown || this.csrs.priv !== PRV_S || this.x[5] !== this.bootSpHi) return false;
    const below = (this.bootSpLo - this.x[4]) | 0;
    return below >= -BOOT_STACK_SLACK && below < BOOT_STACK_SLACK;
  }

  /** mret / sret: return to the mode saved in MPP / SPP, at mepc / sepc. */
  private xret(op: number): void {
    const c = this.csrs;
    this.countMode();
    let s = c.mstatus;
    if (op === D.OP_MRET) {
      const mpp = (s >>> 11) & 3;
      s = (s & MS_MPIE) !== 0 ? s | MS_MIE : s & ~MS_MIE;
      s = (s | MS_MPIE) & ~MS_MPP;
      if (mpp !== PRV_M) s &= ~MS_MPRV;
      c.priv = mpp;
      if (mpp === PRV_S && !this.bootSpKnown) this.noteBootStack();
      this.pcLo = c.getLo(CSR_MEPC);
      this.pcHi = c.getHi(CSR_MEPC);
    } else {
      const spp = (s & MS_SPP) !== 0 ? PRV_S : PRV_U;
      s = (s & MS_SPIE) !== 0 ? s | MS_SIE : s & ~MS_SIE;
      s = (s | MS_SPIE) & ~MS_SPP;
      s &= ~MS_MPRV;
      c.priv = spp;
      this.pcLo = c.getLo(CSR_SEPC);
      this.pcHi = c.getHi(CSR_SEPC);
    }
    c.mstatus = s;
    this.reservation = -1;
    this.translationChanged(false);
    this.irqDirty = true;
  }

  /**
   * Full system: enter the trap handler for an exception or interrupt `cause`, taken
   * at pc = (epcLo, epcHi), in S if delegated from U or S, else in M.
   */
  private trap(cause: number, irq: boolean, tvalLo: number, tvalHi: number): void {
    const c = this.csrs;
    this.countMode();
    const from = c.priv;
    const deleg = c.getLo(irq ? CSR_MIDELEG : CSR_MEDELEG);
    const toS = from <= PRV_S && ((deleg >>> cause) & 1) !== 0;
    const causeHi = irq ? -0x80000000 : 0;
    let s = c.mstatus;
    let vec: number, vecHi: number;
    if (toS) {
      c.set(CSR_SCAUSE, cause, causeHi);
      c.set(CSR_SEPC, this.pcLo, this.pcHi);
      c.set(CSR_STVAL, tvalLo, tvalHi);
      s = (s & MS_SIE) !== 0 ? s | MS_SPIE : s & ~MS_SPIE;
      s = from === PRV_S ? s | MS_SPP : s & ~MS_SPP;
      s &= ~MS_SIE;
      c.priv = PRV_S;
      vec = c.getLo(CSR_STVEC);
      vecHi = c.getHi(CSR_STVEC);
    } else {
      c.set(CSR_MCAUSE, cause, causeHi);
      c.set(CSR_MEPC, this.pcLo, this.pcHi);
      c.set(CSR_MTVAL, tvalLo, tvalHi);
      s = (s & MS_MIE) !== 0 ? s | MS_MPIE : s & ~MS_MPIE;
      s = (s & ~MS_MPP) | (from << 11);
      s &= ~MS_MIE;
      c.priv = PRV_M;
      vec = c.getLo(CSR_MTVEC);
      vecHi = c.getHi(CSR_MTVEC);
    }
    c.mstatus = s;
    // Vectored mode (low bits 1) sends interrupts to base + 4 * cause.
    const off = irq && (vec & 3) === 1 ? 4 * cause : 0;
    const base = vec & ~3;
    const lo = (base + off) | 0;
    this.pcLo = lo;
    this.pcHi = (vecHi + ((lo >>> 0) < (base >>> 0) ? 1 : 0)) | 0;
    this.reservation = -1;
    this.cycles++;
    this.translationChanged(false);
  }

  /** Built-in mode: record a trap in the S-mode CSRs for the host kernel, as a U-mode trap. */
  private hostTrap(cause: number, tvalLo: number, tvalHi: number): void {
    const c = this.csrs;
    const irq = cause === IRQ_TIMER;
    c.set(CSR_SEPC, this.pcLo, this.pcHi);
    c.set(CSR_SCAUSE, irq ? 5 : cause, irq ? -0x80000000 : 0);
    c.set(CSR_STVAL, irq ? 0 : tvalLo, irq ? 0 : tvalHi);
    let s = c.mstatus;
    s = (s & MS_SIE) !== 0 ? s | MS_SPIE : s & ~MS_SPIE;
    c.mstatus = s & ~(MS_SIE | MS_SPP);
    this.reservation = -1;
  }

  // ---------------------------------------------------------------- fetch

  /** Index in `dec` of the decoded area for a RAM page offset, assigned on first use. */
  private codeArea(pageOff: number): number {
    const page = pageOff >>> 12;
    let pi = this.poolOf[page];
    if (pi < 0) {
      if (this.poolUsed === POOL_PAGES) {
        // Full: forget every decoded page and start again.
        for (let i = 0; i < POOL_PAGES; i++) {
          this.poolOf[this.pagesInPool[i]] = -1;
          this.ram.codePage[this.pagesInPool[i]] &= ~this.codeBit;
        }
        this.dec.fill(0);
        this.hits.fill(0);
        this.executed.fill(0);
        for (let pg = 0; pg < this.ram.size / PAGE_SIZE; pg++) this.dropRegion(pg);
        this.poolUsed = 0;
        this.codeWrites++;
      }
      pi = this.poolUsed++;
      this.poolOf[page] = pi;
      this.pagesInPool[pi] = page;
    }
    this.ram.watch(page, this.codeBit);
    return pi * 4096;
  }

  /**
   * Decode the instruction at pc whose first halfword is at RAM offset p (within a
   * page), fetching the second half from the next page if it crosses. Stores the
   * packed word in res.lo and the immediate in res.hi. Returns 0 (cacheable), -1
   * (decoded, but must not be cached), or a fault cause.
   */
  private decodeAt(p: number, pcLo: number, pcHi: number): number {
    const half = this.bytes[p] | (this.bytes[p + 1] << 8);
    if ((half & 3) !== 3) {
      res.lo = decode16(half);
      res.hi = D.decodedImm;
      return 0;
    }
    if ((p & 0xfff) !== 0xffe) {
      res.lo = decode32(this.view.getInt32(p, true));
      res.hi = D.decodedImm;
      return 0;
    }
    const nlo = (pcLo + 2) | 0;
    const nhi = (pcHi + ((nlo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
    const q = this.mmu.translate(nlo, nhi, ACC_FETCH);
    if (q === MMIO) return this.mmu.fault(CAUSE_FETCH_ACCESS, nlo, nhi), CAUSE_FETCH_ACCESS;
    if (q < 0) return this.mmu.faultCause;
    const upper = this.bytes[q] | (this.bytes[q + 1] << 8);
    res.lo = decode32(half | (upper << 16));
    res.hi = D.decodedImm;
    return -1; // decoded fine but must not be cached
  }

  // ---------------------------------------------------------------- run

  /**
   * Run the hart. Built-in mode: execute U-mode instructions until a trap (returns
   * its cause, or IRQ_TIMER at timecmp) or until `budget` instructions have retired
   * (returns -1). Full system: run up to `budget` steps, taking traps and interrupts
   * into the guest; returns RUN_BUDGET, RUN_LOCKED (it ended early, at a spinlock
   * another hart holds), or RUN_WFI when the hart waits for an interrupt.
   */
  run(budget: number): number {
    return this.hostTraps ? this.runUser(budget) : this.runSystem(budget);
  }

  /** Built-in mode: run() for the host kernel. */
  private runUser(budget: number): number {
    const start = this.instret;
    const toTimer = this.timecmp - start;
    const stop = toTimer < budget ? toTimer : budget;
    for (;;) {
      const done = this.instret - start;
      if (done >= stop) {
        if (done < budget) {
          this.hostTrap(IRQ_TIMER, 0, 0);
          return IRQ_TIMER;
        }
        return -1;
      }
      this.cycles = this.instret; // no traps are taken here: steps are instructions
      const r = this.execute(stop - done);
      this.cycles = this.instret;
      if (r === EXIT_EXCEPTION) {
        this.hostTrap(this.trapCause, this.trapTvalLo, this.trapTvalHi);
        return this.trapCause;
      }
    }
  }

  /** Full system: run() on a board, traps handled by the guest. */
  private runSystem(budget: number): number {
    const c = this.csrs;
    const end = this.cycles + budget;
    this.reservation = -1;
    this.irqDirty = true;
    let turnedOn = false; // (runToSettle) the last execute() ended as a CSR write turned SIE on
    for (;;) {
      const now = this.timeBase + this.cycles;
      this.cycleNow = this.cycles;
      if (this.stopRequested) {
        this.stopRequested = false;
        return RUN_STOP;
      }
      if (this.waiting) {
        if (!c.wakeable(now)) return RUN_WFI;
        this.waiting = false;
      }
      if (this.irqDirty || now >= this.nextEvent) {
        this.irqDirty = false;
        this.cycleNow = this.cycles;
        const irq = c.pendingInterrupt(now);
        if (irq >= 0) this.trap(irq, true, 0, 0);
        this.nextEvent = c.nextTimerEvent(this.timeBase + this.cycles);
        // Settled: its own CSR write turned interrupts on, and none is pending.
        if (turnedOn && irq < 0) return RUN_SETTLED;
      }
      const left = end - this.cycles;
      if (left <= 0) return RUN_BUDGET;
      const toEvent = this.nextEvent - (this.timeBase + this.cycles);
      const startInstret = this.instret;
      this.ws[WS_SIE_RAISED] = 0;
      const r = this.execute(toEvent < left ? toEvent : left);
      this.cycles += this.instret - startInstret;
      turnedOn = this.settling && this.ws[WS_SIE_RAISED] !== 0 && this.interruptsOn();
      if (r === EXIT_EXCEPTION) this.trap(this.trapCause, false, this.trapTvalLo, this.trapTvalHi);
      if (r === EXIT_BREAK) return RUN_BREAK;
      if (this.ws[WS_SPIN] !== 0) {
        // It found a spinlock held by another hart, which cannot let go while this
        // one runs: end this hart's turn so the holder runs sooner (as a pause would).
        this.ws[WS_SPIN] = 0;
        return RUN_LOCKED;
      }
    }
  }

  /**
   * Debugger single step (full system): execute one instruction, or take the trap it
   * raises, ignoring breakpoints and without taking interrupts (as QEMU's gdb stub
   * steps). A WFI steps over and leaves the hart waiting.
   */
  step(): void {
    const saved = this.breakpoints;
    this.breakpoints = NO_BREAKPOINTS;
    this.cycleNow = this.cycles;
    // A pending re-check of interrupts is run()'s to do; set, it would stop translated
    // code before its first instruction, and the step would make no progress.
    const dirty = this.irqDirty;
    this.irqDirty = false;
    const startInstret = this.instret;
    const r = this.execute(1);
    this.irqDirty ||= dirty;
    this.cycles += this.instret - startInstret;
    if (r === EXIT_EXCEPTION) this.trap(this.trapCause, false, this.trapTvalLo, this.trapTvalHi);
    this.breakpoints = saved;
  }

  /**
   * Full system: run() for a hart that spins idle, which also returns (RUN_SETTLED)
   * once a CSR write of its own turns S-mode interrupts on (xv6's intr_on, or pop_off
   * as it releases its last spinlock): it then holds no spinlock, so the board may let
   * it rest without making a working hart wait for one of its locks.
   */
  runToSettle(budget: number): number {
    this.settling = true;
    const r = this.runSystem(budget);
    this.settling = false;
    return r;
  }

  /** In S-mode with sstatus.SIE set. */
  private interruptsOn(): boolean {
    return this.csrs.priv === PRV_S && (this.csrs.mstatus & MS_SIE) !== 0;
  }

  /** Full system: the time of the next timer event (re-read at interrupt checks). */
  private nextEvent = Infinity;

  /**
   * The interpreter: execute instructions at pc in the current mode until `limit`
   * have retired (EXIT_LIMIT), one raises an exception (EXIT_EXCEPTION: pc stays at
   * it, cause and tval in trapCause / trapTval), or one changes the mode, the
   * translation or what interrupts are ready (EXIT_EVENT: pc is past it).
   */
  private execute(limit: number): number {
    const x = this.regs;
    const view = this.view;
    const codePage = this.ram.codePage;
    const mmu = this.mmu;
    const set = mmu.dataSet;
    const rtag = mmu.tlbTag[set * 3 + ACC_LOAD], rbase = mmu.tlbBase[set * 3 + ACC_LOAD];
    const wtag = mmu.tlbTag[set * 3 + ACC_STORE], wbase = mmu.tlbBase[set * 3 + ACC_STORE];
    const fetchSet = mmu.fetchSet;
    let ctxTag = set === SET_M ? 0 : mmu.state[0]; // the address space's tag bits
    let pcLo = this.pcLo | 0, pcHi = this.pcHi | 0;
    const start = this.instret;
    const startCycles = this.cycles;
    const stop = limit;
    let n = 0;
    let cause = -1;
    let event = false;
    let tval = 0, tvalHi = 0;
    // Current fetch page: virtual page (lo part with low 12 bits clear, hi), and its code.
    let fLo = 1, fHi = 0;
    const dec = this.dec;
    const hits = this.hits, executed = this.executed;
    const regionIndex = this.regionIndex, dispatch = this.dispatch[set];
    const ws = this.ws;
    // What translated code needs to know about interrupts: are any pending (masked)?
    // Within one call of execute() only a helper (which then leaves) can change it.
    this.cycleNow = startCycles;
    this.notePending();
    // Compiled blocks read one TLB set for loads and stores: only use them when that is
    // also the fetch set (not under MPRV).
    const bps = this.breakpoints;
    const thr = this.jitThreshold >= 1 && this.jitThreshold < NO_BLOCK && set === fetchSet &&
        bps.size === 0
      ? this.jitThreshold
      : 0;
    let broke = false;
    let translated = 0; // of the n steps, those translated code ran
    let area = 0; // index of the current page's decoded area in dec
    // pc after the last sequential step, to spot block starts (odd: none yet; pc itself
    // when the previous run stopped mid-block at its limit).
    let lastSeq = this.stoppedMidBlock ? pcLo : 1;
    let codeBase = 0; // RAM offset of the current fetch page
    this.translationDirty = false;
    if ((pcLo & 1) !== 0) {
      cause = CAUSE_MISALIGNED_FETCH;
      tval = pcLo;
      tvalHi = pcHi;
      n = stop;
    }

    loop: for (;;) {
      if (n >= stop) break;
      if (bps.size !== 0 && bps.has((pcHi >>> 0) * 4294967296 + (pcLo >>> 0))) {
        broke = true;
        break;
      }
      if ((pcLo & ~0xfff) !== fLo || pcHi !== fHi) {
        const p = mmu.translate(pcLo, pcHi, ACC_FETCH);
        if (p < 0) {
          if (p === MMIO) mmu.fault(CAUSE_FETCH_ACCESS, pcLo, pcHi); // no code runs from devices
          cause = mmu.faultCause;
          tval = mmu.faultLo;
          tvalHi = mmu.faultHi;
          break;
        }
        codeBase = p & ~0xfff;
        area = this.codeArea(codeBase);
        fLo = pcLo & ~0xfff;
        fHi = pcHi;
      }
      const slot = pcLo & 0xffe;
      if (thr !== 0) {
        if (pcLo !== lastSeq && regionIndex[(codeBase >>> 12) * 3 + set] !== 0) {
          // Translated code for this page (and we jumped here): run regions until they
          // need help. Straight-line code the interpreter started stays with it.
          ws[0] = pcLo;
          ws[1] = pcHi;
          this.regionBase = startCycles + n;
          this.regionInstret = start + n;
          const done = dispatch(stop - n);
          n += done;
          translated += done;
          pcLo = ws[0];
          pcHi = ws[1];
          fLo = 1; // pc may be on another page now
          if (set !== SET_M) ctxTag = mmu.state[0]; // translated code may have written satp
          const status = ws[2];
          if (status === ST_FAULT) {
            cause = mmu.faultCause;
            tval = mmu.faultLo;
            tvalHi = mmu.faultHi;
            break;
          }
          if (status === ST_EVENT || this.irqDirty) {
            // Translated code left after something that may make an interrupt ready.
            if (!this.hostTraps) this.irqDirty = true;
            event = true;
            break;
          }
          if (status === ST_HOT) {
            // Translated code keeps coming back here from a call to another page:
            // translate this page again, inlining such calls (planInlining), and count
            // on to the next level (HOT_RETURNS).
            const page = ws[WS_ENTRY_RAM];
            const ri = (page >>> 12) * 3 + set;
            const level = this.regionHot[ri];
            if (level < HOT_LEVELS) {
              this.regionHot[ri] = level + 1 < HOT_LEVELS ? level + 1 : HOT_DONE;
              this.translatePage(page, pcLo & 0xffe, set, level > 0);
            }
            continue;
          }
          if (done !== 0) continue;
          // No block starts at pc (count it below), or it does not fit in the budget.
          if (status !== ST_NOENTRY) lastSeq = pcLo;
        }
        if (pcLo !== lastSeq) {
          // A block starts here (we jumped, trapped or came back from translated code):
          // count it, and translate its page once it is hot.
          const bi = (area + slot) >> 1;
          const h = hits[bi];
          if (h !== NO_BLOCK) {
            if (h + 1 < thr) hits[bi] = h + 1;
            else {
              const t = this.translatePage(codeBase, slot, set);
              hits[bi] = t === NO_BLOCK_HERE ? NO_BLOCK : 0;
              if (t === TRANSLATED) continue;
            }
          }
        }
      }
      let w = dec[area + slot];
      let imm = dec[area + slot + 1];
      if (w === 0) {
        const r = this.decodeAt(codeBase | slot, pcLo, pcHi);
        if (r > 0) {
          cause = r;
          tval = mmu.faultLo;
          tvalHi = mmu.faultHi;
          break;
        }
        w = res.lo;
        imm = res.hi;
        if (r === 0) {
          this.ram.watch(codeBase >>> 12, this.codeBit);
          dec[area + slot] = w;
          dec[area + slot + 1] = imm;
        }
      }
      n++;
      executed[(area + slot) >> 1] = 1;
      const rd = (w >>> 8) & 0x7f;
      const a1 = (w >>> 15) & 0x3f;
      const a2 = (w >>> 21) & 0x3f;
      const ilen = w >>> 27;
      switch (w & 0xff) {
        case 1: // LUI
          x[rd] = imm;
          x[rd + 1] = imm >> 31;
          break;
        case 2: { // AUIPC
          const lo = (pcLo + imm) | 0;
          x[rd + 1] = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
          x[rd] = lo;
          break;
        }
        case 3: { // JAL
          const link = (pcLo + ilen) | 0;
          const linkHi = (pcHi + ((link >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
          const lo = (pcLo + imm) | 0;
          pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
          pcLo = lo;
          x[rd] = link;
          x[rd + 1] = linkHi;
          continue loop;
        }
        case 4: { // JALR
          const link = (pcLo + ilen) | 0;
          const linkHi = (pcHi + ((link >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
          const b = x[a1];
          const lo = (b + imm) | 0;
          pcHi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          pcLo = lo & ~1;
          x[rd] = link;
          x[rd + 1] = linkHi;
          continue loop;
        }
        case 5: // BEQ
          if (x[a1] === x[a2] && x[a1 + 1] === x[a2 + 1]) {
            const lo = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = lo;
            continue loop;
          }
          break;
        case 6: // BNE
          if (x[a1] !== x[a2] || x[a1 + 1] !== x[a2 + 1]) {
            const lo = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = lo;
            continue loop;
          }
          break;
        case 7: { // BLT
          const ah = x[a1 + 1], bh = x[a2 + 1];
          if (ah < bh || (ah === bh && (x[a1] >>> 0) < (x[a2] >>> 0))) {
            const lo = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = lo;
            continue loop;
          }
          break;
        }
        case 8: { // BGE
          const ah = x[a1 + 1], bh = x[a2 + 1];
          if (!(ah < bh || (ah === bh && (x[a1] >>> 0) < (x[a2] >>> 0)))) {
            const lo = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = lo;
            continue loop;
          }
          break;
        }
        case 9: { // BLTU
          const ah = x[a1 + 1] >>> 0, bh = x[a2 + 1] >>> 0;
          if (ah < bh || (ah === bh && (x[a1] >>> 0) < (x[a2] >>> 0))) {
            const lo = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = lo;
            continue loop;
          }
          break;
        }
        case 10: { // BGEU
          const ah = x[a1 + 1] >>> 0, bh = x[a2 + 1] >>> 0;
          if (!(ah < bh || (ah === bh && (x[a1] >>> 0) < (x[a2] >>> 0)))) {
            const lo = (pcLo + imm) | 0;
            pcHi = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            pcLo = lo;
            continue loop;
          }
          break;
        }
        case 11: { // LB
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4095) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getInt8(p);
            x[rd + 1] = vlo >> 31;
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 1);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            let vlo = res.lo, vhi = res.hi;
            vlo = (vlo << 24) >> 24;
            vhi = vlo >> 31;
            x[rd] = vlo;
            x[rd + 1] = vhi;
          }
          break;
        }
        case 12: { // LH
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4094) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getInt16(p, true);
            x[rd + 1] = vlo >> 31;
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 2);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            let vlo = res.lo, vhi = res.hi;
            vlo = (vlo << 16) >> 16;
            vhi = vlo >> 31;
            x[rd] = vlo;
            x[rd + 1] = vhi;
          }
          break;
        }
        case 13: { // LW
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4092) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getInt32(p, true);
            x[rd + 1] = vlo >> 31;
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 4);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            const vlo = res.lo;
            x[rd] = vlo;
            x[rd + 1] = vlo >> 31;
          }
          break;
        }
        case 14: { // LD
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4088) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getInt32(p, true);
            x[rd + 1] = view.getInt32(p + 4, true);
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 8);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            const vlo = res.lo, vhi = res.hi;

            x[rd] = vlo;
            x[rd + 1] = vhi;
          }
          break;
        }
        case 15: { // LBU
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4095) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getUint8(p);
            x[rd + 1] = 0;
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 1);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            const vlo = res.lo, vhi = res.hi;

            x[rd] = vlo;
            x[rd + 1] = vhi;
          }
          break;
        }
        case 16: { // LHU
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4094) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getUint16(p, true);
            x[rd + 1] = 0;
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 2);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            const vlo = res.lo, vhi = res.hi;

            x[rd] = vlo;
            x[rd + 1] = vhi;
          }
          break;
        }
        case 17: { // LWU
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && rtag[ti] === tag && (lo & 0xfff) <= 4092) {
            const p = rbase[ti] | (lo & 0xfff);
            const vlo = view.getInt32(p, true);
            x[rd + 1] = 0;
            x[rd] = vlo;
          } else {
            this.cycleNow = startCycles + n;
            const f = this.loadSlow(lo, hi, 4);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            const vlo = res.lo, vhi = res.hi;

            x[rd] = vlo;
            x[rd + 1] = vhi;
          }
          break;
        }
        case 18: { // SB
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && wtag[ti] === tag && (lo & 0xfff) <= 4095) {
            const p = wbase[ti] | (lo & 0xfff);
            view.setInt8(p, x[a2]);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p, 1);
          } else {
            this.cycleNow = startCycles + n;
            const f = this.storeSlow(lo, hi, 1, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            if (this.irqDirty) {
              event = true;
              break;
            }
          }
          break;
        }
        case 19: { // SH
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && wtag[ti] === tag && (lo & 0xfff) <= 4094) {
            const p = wbase[ti] | (lo & 0xfff);
            view.setInt16(p, x[a2], true);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p, 2);
          } else {
            this.cycleNow = startCycles + n;
            const f = this.storeSlow(lo, hi, 2, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            if (this.irqDirty) {
              event = true;
              break;
            }
          }
          break;
        }
        case 20: { // SW
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && wtag[ti] === tag && (lo & 0xfff) <= 4092) {
            const p = wbase[ti] | (lo & 0xfff);
            view.setInt32(p, x[a2], true);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p, 4);
          } else {
            this.cycleNow = startCycles + n;
            const f = this.storeSlow(lo, hi, 4, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            if (this.irqDirty) {
              event = true;
              break;
            }
          }
          break;
        }
        case 21: { // SD
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = ((hi << 20) | (lo >>> 12)) | ctxTag;
          const ti = (tag ^ ((tag >>> 20) & 0xfc0)) & TLB_MASK;
          if ((hi >>> 6) === 0 && wtag[ti] === tag && (lo & 0xfff) <= 4088) {
            const p = wbase[ti] | (lo & 0xfff);
            view.setInt32(p, x[a2], true);
            view.setInt32(p + 4, x[a2 + 1], true);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p, 8);
          } else {
            this.cycleNow = startCycles + n;
            const f = this.storeSlow(lo, hi, 8, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
            if (this.irqDirty) {
              event = true;
              break;
            }
          }
          break;
        }
        case 22: { // ADDI
          const b = x[a1];
          const lo = (b + imm) | 0;
          x[rd + 1] = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          x[rd] = lo;
          break;
        }
        case 23: { // SLTI
          const ah = x[a1 + 1], bh = imm >> 31;
          x[rd] = ah < bh || (ah === bh && (x[a1] >>> 0) < (imm >>> 0)) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case 24: { // SLTIU
          const ah = x[a1 + 1] >>> 0, bh = (imm >> 31) >>> 0;
          x[rd] = ah < bh || (ah === bh && (x[a1] >>> 0) < (imm >>> 0)) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case 25: // XORI
          x[rd + 1] = x[a1 + 1] ^ (imm >> 31);
          x[rd] = x[a1] ^ imm;
          break;
        case 26: // ORI
          x[rd + 1] = x[a1 + 1] | (imm >> 31);
          x[rd] = x[a1] | imm;
          break;
        case 27: // ANDI
          x[rd + 1] = x[a1 + 1] & (imm >> 31);
          x[rd] = x[a1] & imm;
          break;
        case 28: // SLLI
          shl(x, rd, x[a1], x[a1 + 1], imm);
          break;
        case 29: // SRLI
          shr(x, rd, x[a1], x[a1 + 1], imm);
          break;
        case 30: // SRAI
          sra(x, rd, x[a1], x[a1 + 1], imm);
          break;
        case 31: { // ADD
          const b = x[a1];
          const lo = (b + x[a2]) | 0;
          x[rd + 1] = (x[a1 + 1] + x[a2 + 1] + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          x[rd] = lo;
          break;
        }
        case 32: { // SUB
          const b = x[a1], c = x[a2];
          x[rd + 1] = (x[a1 + 1] - x[a2 + 1] - ((b >>> 0) < (c >>> 0) ? 1 : 0)) | 0;
          x[rd] = (b - c) | 0;
          break;
        }
        case 33: // SLL
          shl(x, rd, x[a1], x[a1 + 1], x[a2] & 63);
          break;
        case 37: // SRL
          shr(x, rd, x[a1], x[a1 + 1], x[a2] & 63);
          break;
        case 38: // SRA
          sra(x, rd, x[a1], x[a1 + 1], x[a2] & 63);
          break;
        case 34: { // SLT
          const ah = x[a1 + 1], bh = x[a2 + 1];
          x[rd] = ah < bh || (ah === bh && (x[a1] >>> 0) < (x[a2] >>> 0)) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case 35: { // SLTU
          const ah = x[a1 + 1] >>> 0, bh = x[a2 + 1] >>> 0;
          x[rd] = ah < bh || (ah === bh && (x[a1] >>> 0) < (x[a2] >>> 0)) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case 36: // XOR
          x[rd + 1] = x[a1 + 1] ^ x[a2 + 1];
          x[rd] = x[a1] ^ x[a2];
          break;
        case 39: // OR
          x[rd + 1] = x[a1 + 1] | x[a2 + 1];
          x[rd] = x[a1] | x[a2];
          break;
        case 40: // AND
          x[rd + 1] = x[a1 + 1] & x[a2 + 1];
          x[rd] = x[a1] & x[a2];
          break;
        case 41: { // ADDIW
          const v = (x[a1] + imm) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 42: { // SLLIW
          const v = x[a1] << imm;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 43: { // SRLIW
          const v = (x[a1] >>> imm) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 44: { // SRAIW
          const v = x[a1] >> imm;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 45: { // ADDW
          const v = (x[a1] + x[a2]) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 46: { // SUBW
          const v = (x[a1] - x[a2]) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 47: { // SLLW
          const v = x[a1] << (x[a2] & 31);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 48: { // SRLW
          const v = (x[a1] >>> (x[a2] & 31)) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 49: { // SRAW
          const v = x[a1] >> (x[a2] & 31);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 50: // MUL
          mul64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
          x[rd] = res.lo;
          x[rd + 1] = res.hi;
          break;
        case 51: // MULH
          mulh64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
          x[rd] = res.lo;
          x[rd + 1] = res.hi;
          break;
        case 52: // MULHSU
          mulhsu64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
          x[rd] = res.lo;
          x[rd + 1] = res.hi;
          break;
        case 53: // MULHU
          mulhu64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
          x[rd] = res.lo;
          x[rd + 1] = res.hi;
          break;
        case 54: // DIV
          div64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
          x[rd] = res.lo;
          x[rd + 1] = res.hi;
          break;
        case 56: // REM
          div64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
          x[rd] = res.rlo;
          x[rd + 1] = res.rhi;
          break;
        case 55: // DIVU
          if (x[a2] === 0 && x[a2 + 1] === 0) {
            x[rd] = -1;
            x[rd + 1] = -1;
          } else {
            divu64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
            x[rd] = res.lo;
            x[rd + 1] = res.hi;
          }
          break;
        case 57: // REMU
          if (x[a2] === 0 && x[a2 + 1] === 0) {
            const l = x[a1], h = x[a1 + 1];
            x[rd] = l;
            x[rd + 1] = h;
          } else {
            divu64(x[a1], x[a1 + 1], x[a2], x[a2 + 1]);
            x[rd] = res.rlo;
            x[rd + 1] = res.rhi;
          }
          break;
        case 58: { // MULW
          const v = Math.imul(x[a1], x[a2]);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 59: { // DIVW
          const a = x[a1], b = x[a2];
          const v = b === 0 ? -1 : (a === -0x80000000 && b === -1) ? a : (a / b) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 60: { // DIVUW
          const a = x[a1] >>> 0, b = x[a2] >>> 0;
          const v = b === 0 ? -1 : Math.floor(a / b) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 61: { // REMW
          const a = x[a1], b = x[a2];
          const v = b === 0 ? a : (a % b) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 62: { // REMUW
          const a = x[a1] >>> 0, b = x[a2] >>> 0;
          const v = b === 0 ? a | 0 : (a % b) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 63: { // ATOMIC
          const f = this.atomic(imm, rd, a1, a2);
          if (f !== 0) {
            n--;
            cause = f;
            tval = mmu.faultLo;
            tvalHi = mmu.faultHi;
            break loop;
          }
          if (ws[WS_SPIN] !== 0) event = true; // spinning on a lock: yield (see runSystem)
          break;
        }
        case 64: // FENCE, FENCE.I (decoded code is dropped on every write already)
          break;
        case 67: { // CSR (counters read what was retired before this instruction)
          this.cycleNow = startCycles + n - 1;
          if (this.csr(imm, rd) !== 0) {
            n--;
            cause = CAUSE_ILLEGAL;
            tval = imm;
            tvalHi = 0;
            break loop;
          }
          if (this.irqDirty || this.translationDirty) event = true;
          break;
        }
        case 65: // ECALL: cause 8, 9 or 11 by the mode it comes from
          n--;
          cause = CAUSE_ECALL_U + this.csrs.priv;
          break loop;
        case 66: // EBREAK
          n--;
          cause = CAUSE_BREAKPOINT;
          tval = pcLo;
          tvalHi = pcHi;
          break loop;
        case 69: // MRET
        case 70: // SRET
          if (!this.systemAllowed(w & 0xff)) {
            n--;
            cause = CAUSE_ILLEGAL;
            tval = imm;
            tvalHi = 0;
            break loop;
          }
          this.instret = start + n;
          this.xret(w & 0xff);
          pcLo = this.pcLo;
          pcHi = this.pcHi;
          event = true;
          break loop;
        case 71: // WFI: wait (in run()) until an interrupt is pending and enabled
        case 72: // SFENCE.VMA
          if (!this.systemAllowed(w & 0xff)) {
            n--;
            cause = CAUSE_ILLEGAL;
            tval = imm;
            tvalHi = 0;
            break loop;
          }
          if ((w & 0xff) === D.OP_WFI) {
            this.wfis++;
            this.cycleNow = startCycles + n;
            if (!this.hostTraps && !this.csrs.wakeable(this.timeBase + this.cycleNow)) {
              this.waiting = true;
            }
          } else {
            mmu.sfence();
          }
          event = true;
          break;
        default: // OP_ILLEGAL
          n--;
          cause = CAUSE_ILLEGAL;
          tval = imm;
          tvalHi = 0;
          break loop;
      }
      const nlo = (pcLo + ilen) | 0;
      if ((nlo >>> 0) < ilen) pcHi = (pcHi + 1) | 0;
      pcLo = nlo;
      lastSeq = nlo;
      if (event) break;
    }

    this.pcLo = pcLo;
    this.pcHi = pcHi;
    this.instret = start + n;
    this.interpreted += n - translated;
    // x0's scratch slot is never read, but keep x0 itself clean.
    x[0] = 0;
    x[1] = 0;
    if (cause !== -1) {
      this.trapCause = cause;
      this.trapTvalLo = tval;
      this.trapTvalHi = tvalHi;
      return EXIT_EXCEPTION;
    }
    this.stoppedMidBlock = !broke && !event && cause === -1 && lastSeq === pcLo;
    if (broke) return EXIT_BREAK;
    return event ? EXIT_EVENT : EXIT_LIMIT;
  }
}

/** x[rd] = (lo, hi) << s, 0 <= s < 64. */
function shl(x: Int32Array, rd: number, lo: number, hi: number, s: number): void {
  if (s === 0) {
    x[rd] = lo;
    x[rd + 1] = hi;
  } else if (s < 32) {
    x[rd + 1] = (hi << s) | (lo >>> (32 - s));
    x[rd] = lo << s;
  } else {
    x[rd + 1] = lo << (s - 32);
    x[rd] = 0;
  }
}

/** x[rd] = (lo, hi) >>> s (logical), 0 <= s < 64. */
function shr(x: Int32Array, rd: number, lo: number, hi: number, s: number): void {
  if (s === 0) {
    x[rd] = lo;
    x[rd + 1] = hi;
  } else if (s < 32) {
    x[rd] = (lo >>> s) | (hi << (32 - s));
    x[rd + 1] = hi >>> s;
  } else {
    x[rd] = hi >>> (s - 32);
    x[rd + 1] = 0;
  }
}

/** x[rd] = (lo, hi) >> s (arithmetic), 0 <= s < 64. */
function sra(x: Int32Array, rd: number, lo: number, hi: number, s: number): void {
  if (s === 0) {
    x[rd] = lo;
    x[rd + 1] = hi;
  } else if (s < 32) {
    x[rd] = (lo >>> s) | (hi << (32 - s));
    x[rd + 1] = hi >> s;
  } else {
    x[rd] = hi >> (s - 32);
    x[rd + 1] = hi >> 31;
  }
}
