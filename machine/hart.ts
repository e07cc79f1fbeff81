// One RV64IMAC hart running in U-mode. The kernel (host code) is the supervisor:
// run() executes user instructions until a trap, records the trap in the S-mode
// CSRs and returns its cause. Address translation is the MMU's job (mmu.ts); this
// file holds the fetch / decode / execute loop, the CSRs and trap entry.
//
// Speed comes from:
//  - decoded instructions cached per physical page (decode.ts), dropped when the
//    page is written (by the kernel through Ram, or by a user store),
//  - the MMU's software TLBs, whose arrays the loop below reads directly, so a
//    load or store that hits costs one compare (mmu.ts is called only on a miss),
//  - the current fetch page, so sequential instructions skip translation,
//  - hot straight-line code compiled to JavaScript functions (jit.ts) once an
//    instruction has been interpreted `jitThreshold` times.
// Registers are (lo, hi) int32 pairs; nothing is allocated per instruction.
// RAM offsets (pa - KERNBASE) are what the caches hand around.

import { Ram, RAM_PAGES } from "./ram.ts";
import * as D from "./decode.ts";
import { decode16, decode32 } from "./decode.ts";
import { div64, divu64, mul64, mulh64, mulhsu64, mulhu64, res } from "./arith.ts";
import { type BlockEnv, type BlockFn, compileBlock } from "./jit.ts";
import { ACC_FETCH, ACC_LOAD, ACC_STORE, Mmu, TLB_MASK } from "./mmu.ts";

// The MMU raises the access and page faults (causes 1, 5, 7, 12, 13, 15).
export {
  CAUSE_FETCH_ACCESS,
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_ACCESS,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_ACCESS,
  CAUSE_STORE_PAGE_FAULT,
} from "./mmu.ts";

export const CAUSE_MISALIGNED_FETCH = 0,
  CAUSE_ILLEGAL = 2,
  CAUSE_BREAKPOINT = 3,
  CAUSE_MISALIGNED_LOAD = 4,
  CAUSE_MISALIGNED_STORE = 6,
  CAUSE_ECALL_U = 8;
/** Returned by run() for the supervisor timer interrupt. */
export const IRQ_TIMER = 0x80000005;
export const CSR_SSTATUS = 0x100,
  CSR_SIE = 0x104,
  CSR_STVEC = 0x105,
  CSR_SSCRATCH = 0x140,
  CSR_SEPC = 0x141,
  CSR_SCAUSE = 0x142,
  CSR_STVAL = 0x143,
  CSR_SIP = 0x144,
  CSR_SATP = 0x180;

const CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02;
const SSTATUS_SIE = 1 << 1, SSTATUS_SPIE = 1 << 5, SSTATUS_SPP = 1 << 8, SSTATUS_MXR = 1 << 19;

const TWO32 = 4294967296;
/** Physical pages whose decoded instructions can be held at once (16 MiB of cache). */
const POOL_PAGES = 1024;
/** hits[] value meaning "no block can start here". */
const NO_BLOCK = 255;

export class Hart {
  /** 66 slots: x0..x31 as (lo, hi) pairs, then a scratch pair that x0 writes go to. */
  private readonly regs: Int32Array;
  /** Register i's low half at x[2*i], high half at x[2*i+1]; x0 always 0. */
  readonly x: Int32Array;
  pcLo = 0;
  pcHi = 0;
  instret = 0;
  timecmp = Infinity;

  private readonly ram: Ram;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly csrLo = new Int32Array(4096);
  private readonly csrHi = new Int32Array(4096);

  /** Sv39 translation; also holds the detail (cause, VA) of the last fault. */
  readonly mmu: Mmu;

  /**
   * Decoded instructions: a pool of page-sized areas, [word, imm] per halfword slot
   * (word 0 = not decoded yet). poolOf maps a RAM page to its area index, or -1.
   */
  private readonly dec = new Int32Array(POOL_PAGES * 4096);
  private readonly poolOf = new Int32Array(RAM_PAGES).fill(-1);
  private readonly pagesInPool = new Int32Array(POOL_PAGES);
  private poolUsed = 0;
  /** Compiled blocks by halfword slot of the pool, their lengths, and execution counts. */
  private readonly blocks: (BlockFn | undefined)[] = new Array(POOL_PAGES * 2048);
  private readonly blockLen = new Uint8Array(POOL_PAGES * 2048);
  private readonly hits = new Uint8Array(POOL_PAGES * 2048);
  private readonly st = new Int32Array(3);
  private readonly env: BlockEnv;
  /** Counts invalidations of decoded code (lets compiled blocks notice them). */
  codeWrites = 0;
  /**
   * Executions of an instruction in the interpreter before a block is compiled
   * from it (1..254); 0 or anything larger turns the block compiler off.
   */
  jitThreshold = 64;

  // LR/SC reservation (RAM offset), -1 when none.
  private reservation = -1;

  constructor(ram: Ram) {
    this.ram = ram;
    this.view = ram.view;
    this.bytes = ram.bytes;
    this.mmu = new Mmu(ram);
    this.regs = new Int32Array(66);
    this.x = this.regs.subarray(0, 64);
    ram.onCodeWrite = (page: number) => this.invalidateCode(page);
    this.env = {
      x: this.regs,
      view: this.view,
      rtag: this.mmu.tlbTag[ACC_LOAD],
      rbase: this.mmu.tlbBase[ACC_LOAD],
      wtag: this.mmu.tlbTag[ACC_STORE],
      wbase: this.mmu.tlbBase[ACC_STORE],
      codePage: ram.codePage,
      st: this.st,
      hart: this,
      res,
      helpers: { shl, shr, sra, mul64, mulh64, mulhsu64, mulhu64, div64, divu64 },
      cache: new Map(),
      cacheChars: 0,
    };
  }

  // ---------------------------------------------------------------- CSRs

  /** Low 32 bits of CSR n (cycle, time and instret all read the retired-instruction count). */
  readCsrLo(n: number): number {
    if (n === CSR_CYCLE || n === CSR_TIME || n === CSR_INSTRET) return this.instret | 0;
    return this.csrLo[n & 0xfff];
  }

  /** High 32 bits of CSR n. */
  readCsrHi(n: number): number {
    if (n === CSR_CYCLE || n === CSR_TIME || n === CSR_INSTRET) {
      return Math.floor(this.instret / TWO32) | 0;
    }
    return this.csrHi[n & 0xfff];
  }

  /** Write CSR n (kernel side); satp and sstatus.MXR are passed on to the MMU. */
  writeCsr(n: number, lo: number, hi: number): void {
    n &= 0xfff;
    this.csrLo[n] = lo | 0;
    this.csrHi[n] = hi | 0;
    if (n === CSR_SATP) this.mmu.setSatp(lo | 0, hi | 0);
    if (n === CSR_SSTATUS) this.mmu.setMxr((lo & SSTATUS_MXR) !== 0);
  }

  /** sfence.vma: flush every cached translation (the kernel changed a page table). */
  sfenceVma(): void {
    this.mmu.flush();
  }

  /** A RAM page holding decoded code was written: drop its decoded and compiled code. */
  private invalidateCode(page: number): void {
    const pi = this.poolOf[page];
    if (pi >= 0) {
      this.dec.fill(0, pi * 4096, pi * 4096 + 4096);
      this.blocks.fill(undefined, pi * 2048, pi * 2048 + 2048);
      this.hits.fill(0, pi * 2048, pi * 2048 + 2048);
    }
    this.ram.codePage[page] = 0;
    this.codeWrites++;
  }

  // ---------------------------------------------------------------- memory slow paths

  /**
   * General load (any alignment, may cross a page). Writes the zero-extended value
   * into res.lo/res.hi. Returns 0 or a fault cause (the VA is in mmu.faultLo/Hi).
   */
  private loadSlow(lo: number, hi: number, size: number): number {
    const inPage = 4096 - (lo & 0xfff);
    const p0 = this.mmu.translate(lo, hi, ACC_LOAD);
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

  /** General store (any alignment, may cross a page). Returns 0 or a fault cause. */
  private storeSlow(lo: number, hi: number, size: number, vlo: number, vhi: number): number {
    const inPage = 4096 - (lo & 0xfff);
    const p0 = this.mmu.translate(lo, hi, ACC_STORE);
    if (p0 < 0) return this.mmu.faultCause;
    if (size <= inPage) {
      const v = this.view;
      if (size === 1) v.setInt8(p0, vlo);
      else if (size === 2) v.setInt16(p0, vlo, true);
      else v.setInt32(p0, vlo, true);
      if (size === 8) v.setInt32(p0 + 4, vhi, true);
      if (this.ram.codePage[p0 >>> 12]) this.invalidateCode(p0 >>> 12);
      return 0;
    }
    // Crosses into the next page: both pages must be writable before any byte changes.
    const nlo = (lo + inPage) | 0;
    const nhi = (hi + ((nlo >>> 0) < (lo >>> 0) ? 1 : 0)) | 0;
    const p1 = this.mmu.translate(nlo, nhi, ACC_STORE);
    if (p1 < 0) return this.mmu.faultCause;
    for (let i = 0; i < size; i++) {
      const b = i >= 4 ? vhi >>> ((i - 4) * 8) : vlo >>> (i * 8);
      const p = i < inPage ? p0 + i : p1 + (i - inPage);
      this.bytes[p] = b;
      if (this.ram.codePage[p >>> 12]) this.invalidateCode(p >>> 12);
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
      if (p < 0) return this.mmu.faultCause;
      const vlo = this.view.getInt32(p, true);
      x[rd] = vlo;
      x[rd + 1] = dbl ? this.view.getInt32(p + 4, true) : vlo >> 31;
      this.reservation = p;
      return 0;
    }
    const p = this.mmu.translate(lo, hi, ACC_STORE);
    if (p < 0) return this.mmu.faultCause;
    const page = p >>> 12;
    if (f5 === 3) {
      const ok = this.reservation === p;
      this.reservation = -1;
      if (ok) {
        this.view.setInt32(p, x[a2], true);
        if (dbl) this.view.setInt32(p + 4, x[a2 + 1], true);
        if (this.ram.codePage[page]) this.invalidateCode(page);
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
    if (this.ram.codePage[page]) this.invalidateCode(page);
    x[rd] = olo;
    x[rd + 1] = ohi;
    return 0;
  }

  /** Execute a Zicsr instruction from U-mode. Returns 0 or CAUSE_ILLEGAL. */
  private csr(inst: number, rd: number, instret: number): number {
    const x = this.regs;
    const f3 = (inst >>> 12) & 7;
    const csr = inst >>> 20;
    const src = (inst >>> 15) & 31;
    if (csr !== CSR_CYCLE && csr !== CSR_TIME && csr !== CSR_INSTRET) return CAUSE_ILLEGAL;
    // csrrw/csrrwi always write; csrrs/csrrc(i) write unless the source is x0 / 0.
    const writes = (f3 & 3) === 1 || src !== 0;
    if (writes) return CAUSE_ILLEGAL;
    x[rd] = instret | 0;
    x[rd + 1] = Math.floor(instret / TWO32) | 0;
    return 0;
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
          this.ram.codePage[this.pagesInPool[i]] = 0;
        }
        this.dec.fill(0);
        this.blocks.fill(undefined);
        this.hits.fill(0);
        this.poolUsed = 0;
        this.codeWrites++;
      }
      pi = this.poolUsed++;
      this.poolOf[page] = pi;
      this.pagesInPool[pi] = page;
    }
    this.ram.codePage[page] = 1;
    return pi * 4096;
  }

  /**
   * Compile a block starting at a slot of the decoded area `area` (RAM page offset
   * `pageOff`). Instructions not yet decoded are decoded (and cached) on the way.
   */
  private compileAt(area: number, pageOff: number, slot: number): BlockFn | undefined {
    const bi = (area + slot) >> 1;
    const dec = this.dec;
    // The block depends on this page's bytes: make sure writes to it are reported.
    this.ram.codePage[pageOff >>> 12] = 1;
    const fetch = (s: number, out: Int32Array): boolean => {
      let w = dec[area + s];
      let imm = dec[area + s + 1];
      if (w === 0) {
        const p = pageOff | s;
        const half = this.bytes[p] | (this.bytes[p + 1] << 8);
        if ((half & 3) !== 3) w = decode16(half);
        else if (s === 0xffe) return false;
        else w = decode32(this.view.getInt32(p, true));
        imm = D.decodedImm;
        dec[area + s] = w;
        dec[area + s + 1] = imm;
      }
      out[0] = w;
      out[1] = imm;
      return true;
    };
    const b = compileBlock(slot, fetch, this.env);
    if (b === null) {
      this.hits[bi] = NO_BLOCK;
      return undefined;
    }
    this.blocks[bi] = b.fn;
    this.blockLen[bi] = b.len;
    return b.fn;
  }

  /**
   * Decode the instruction at pc whose first halfword is at RAM offset p (within a
   * page), fetching the second half from the next page if it crosses. Stores the
   * packed word in res.lo and the immediate in res.hi. Returns 0 or a fault cause;
   * `cache` tells whether the result may be stored in the decoded page.
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
    if (q < 0) return this.mmu.faultCause;
    const upper = this.bytes[q] | (this.bytes[q + 1] << 8);
    res.lo = decode32(half | (upper << 16));
    res.hi = D.decodedImm;
    return -1; // decoded fine but must not be cached
  }

  // ---------------------------------------------------------------- run

  /**
   * Execute U-mode instructions until a trap (returns its cause, or IRQ_TIMER) or
   * until `budget` instructions have retired (returns -1).
   */
  run(budget: number): number {
    const x = this.regs;
    const view = this.view;
    const codePage = this.ram.codePage;
    const mmu = this.mmu;
    const rtag = mmu.tlbTag[ACC_LOAD], rbase = mmu.tlbBase[ACC_LOAD];
    const wtag = mmu.tlbTag[ACC_STORE], wbase = mmu.tlbBase[ACC_STORE];
    let pcLo = this.pcLo | 0, pcHi = this.pcHi | 0;
    const start = this.instret;
    const toTimer = this.timecmp - start;
    let stop = toTimer < budget ? toTimer : budget;
    let n = 0;
    let cause = -1;
    let tval = 0, tvalHi = 0;
    // Current fetch page: virtual page (lo part with low 12 bits clear, hi), and its code.
    let fLo = 1, fHi = 0;
    const dec = this.dec;
    const blocks = this.blocks, blockLen = this.blockLen, hits = this.hits, st = this.st;
    const thr = this.jitThreshold >= 1 && this.jitThreshold < NO_BLOCK ? this.jitThreshold : 0;
    let area = 0; // index of the current page's decoded area in dec
    let codeBase = 0; // RAM offset of the current fetch page
    if ((pcLo & 1) !== 0) {
      cause = CAUSE_MISALIGNED_FETCH;
      tval = pcLo;
      tvalHi = pcHi;
      stop = 0;
    }

    loop: for (;;) {
      if (n >= stop) {
        if (cause === -1 && n < budget) cause = IRQ_TIMER;
        break;
      }
      if ((pcLo & ~0xfff) !== fLo || pcHi !== fHi) {
        const p = mmu.translate(pcLo, pcHi, ACC_FETCH);
        if (p < 0) {
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
        const bi = (area + slot) >> 1;
        let blk = blocks[bi];
        if (blk === undefined) {
          const h = hits[bi];
          if (h !== NO_BLOCK) {
            if (h + 1 >= thr) blk = this.compileAt(area, codeBase, slot);
            else hits[bi] = h + 1;
          }
        }
        if (blk !== undefined && n + blockLen[bi] <= stop) {
          n += blk(pcLo, pcHi, stop - n);
          pcLo = st[0];
          pcHi = st[1];
          if (st[2] !== 1) continue;
          cause = mmu.faultCause;
          tval = mmu.faultLo;
          tvalHi = mmu.faultHi;
          break;
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
          codePage[codeBase >>> 12] = 1;
          dec[area + slot] = w;
          dec[area + slot + 1] = imm;
        }
      }
      n++;
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4095) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getInt8(p);
            x[rd + 1] = vlo >> 31;
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4094) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getInt16(p, true);
            x[rd + 1] = vlo >> 31;
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4092) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getInt32(p, true);
            x[rd + 1] = vlo >> 31;
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4088) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getInt32(p, true);
            x[rd + 1] = view.getInt32(p + 4, true);
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4095) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getUint8(p);
            x[rd + 1] = 0;
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4094) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getUint16(p, true);
            x[rd + 1] = 0;
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && rtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4092) {
            const p = rbase[tag & TLB_MASK] | (lo & 0xfff);
            const vlo = view.getInt32(p, true);
            x[rd + 1] = 0;
            x[rd] = vlo;
          } else {
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
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && wtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4095) {
            const p = wbase[tag & TLB_MASK] | (lo & 0xfff);
            view.setInt8(p, x[a2]);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p >>> 12);
          } else {
            const f = this.storeSlow(lo, hi, 1, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
          }
          break;
        }
        case 19: { // SH
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && wtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4094) {
            const p = wbase[tag & TLB_MASK] | (lo & 0xfff);
            view.setInt16(p, x[a2], true);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p >>> 12);
          } else {
            const f = this.storeSlow(lo, hi, 2, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
          }
          break;
        }
        case 20: { // SW
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && wtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4092) {
            const p = wbase[tag & TLB_MASK] | (lo & 0xfff);
            view.setInt32(p, x[a2], true);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p >>> 12);
          } else {
            const f = this.storeSlow(lo, hi, 4, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
            }
          }
          break;
        }
        case 21: { // SD
          const b = x[a1];
          const lo = (b + imm) | 0;
          const hi = (x[a1 + 1] + (imm >> 31) + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tag = (hi << 20) | (lo >>> 12);
          if ((hi >>> 6) === 0 && wtag[tag & TLB_MASK] === tag && (lo & 0xfff) <= 4088) {
            const p = wbase[tag & TLB_MASK] | (lo & 0xfff);
            view.setInt32(p, x[a2], true);
            view.setInt32(p + 4, x[a2 + 1], true);
            if (codePage[p >>> 12] !== 0) this.invalidateCode(p >>> 12);
          } else {
            const f = this.storeSlow(lo, hi, 8, x[a2], x[a2 + 1]);
            if (f !== 0) {
              n--;
              cause = f;
              tval = mmu.faultLo;
              tvalHi = mmu.faultHi;
              break loop;
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
          break;
        }
        case 64: // FENCE
          break;
        case 67: { // CSR
          const f = this.csr(imm, rd, start + n - 1);
          if (f !== 0) {
            n--;
            cause = f;
            tval = imm;
            tvalHi = 0;
            break loop;
          }
          break;
        }
        case 65: // ECALL
          n--;
          cause = CAUSE_ECALL_U;
          break loop;
        case 66: // EBREAK
          n--;
          cause = CAUSE_BREAKPOINT;
          tval = pcLo;
          tvalHi = pcHi;
          break loop;
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
    }

    this.pcLo = pcLo;
    this.pcHi = pcHi;
    this.instret = start + n;
    // x0's scratch slot is never read, but keep x0 itself clean.
    x[0] = 0;
    x[1] = 0;
    if (cause === -1) return -1;
    this.reservation = -1;
    const csrLo = this.csrLo, csrHi = this.csrHi;
    csrLo[CSR_SEPC] = pcLo;
    csrHi[CSR_SEPC] = pcHi;
    if (cause === IRQ_TIMER) {
      csrLo[CSR_SCAUSE] = 5;
      csrHi[CSR_SCAUSE] = -0x80000000;
      tval = 0;
      tvalHi = 0;
    } else {
      csrLo[CSR_SCAUSE] = cause;
      csrHi[CSR_SCAUSE] = 0;
    }
    csrLo[CSR_STVAL] = tval;
    csrHi[CSR_STVAL] = tvalHi;
    let s = csrLo[CSR_SSTATUS];
    s = (s & SSTATUS_SIE) !== 0 ? s | SSTATUS_SPIE : s & ~SSTATUS_SPIE;
    s &= ~(SSTATUS_SIE | SSTATUS_SPP);
    csrLo[CSR_SSTATUS] = s;
    return cause;
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
