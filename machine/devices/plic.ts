// PLIC: the platform-level interrupt controller of QEMU's virt board. Devices
// raise numbered interrupt lines (the UART is 10, the virtio disk 1); the PLIC
// decides which hart hears about which, through each hart's external-interrupt
// bits mip.MEIP (machine mode) and mip.SEIP (supervisor mode).
//
// A "context" is one hart in one privilege mode: context 2h is hart h's M mode,
// 2h+1 its S mode (xv6's PLIC_SENABLE(hart) = 0x2080 + hart*0x100 is context
// 2h+1). Registers, all 32 bits wide:
//
//   0x000000 + 4*id              priority of source id (0..7; 0 = never interrupt)
//   0x001000 + 4*w               pending bits of sources 32w..32w+31 (read-only)
//   0x002000 + 0x80*ctx + 4*w    enable bits of sources 32w..32w+31 for context ctx
//   0x200000 + 0x1000*ctx        priority threshold of context ctx
//   0x200004 + 0x1000*ctx        claim (read) / complete (write) for context ctx
//
// A context's interrupt line is up while some source is pending, enabled for it,
// not claimed, and of priority above its threshold. Reading claim returns the
// highest-priority such source (the lowest id among equals), clears its pending
// bit and marks it claimed; no context is interrupted by it again until the
// handler writes the id back to complete. xv6's devintr() does exactly this.
//
// How a source becomes pending again is where QEMU differs from the PLIC spec's
// level-triggered gateway, and xv6 depends on QEMU's way. On QEMU (measured on
// 7.2) every call a device makes to raise its line sets the pending bit, even
// while the source is claimed; lowering the line does not clear it; completing
// a claim does not look at the line. QEMU's devices raise their line each time
// their state changes while they want attention. xv6 2020-2022 turns on the
// UART's transmit interrupt and never reads the UART's IIR, which would clear
// it, so the UART's line stays high; with a gateway that re-samples the line at
// each completion, the hart would take that interrupt forever. So QEMU's
// behaviour is the default here, and devices on this board call setIrq on every
// state change as QEMU's do. `resample: true` gives the spec's gateway instead:
// a raise while claimed is ignored, and completion sets pending if the line is
// still high.
//
// Also as on QEMU 7.2: writing an enable word does not re-evaluate the contexts'
// lines. A source already pending reaches a newly enabled context only at the
// next event that does (a device raising its line, a priority or threshold
// write, a claim or completion). xv6 writes the threshold after the enables.

import type { IrqSink, MmioDevice } from "../bus.ts";
import { PLIC_NUM_SOURCES } from "./virt.ts";
import { mergePart, readPart } from "./subword.ts";

const PENDING_BASE = 0x1000;
const ENABLE_BASE = 0x2000;
const ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x20_0000;
const CONTEXT_STRIDE = 0x1000;
/** Priorities and thresholds keep 3 bits (QEMU virt): writes are taken modulo 8. */
const PRIO_MASK = 7;

export interface PlicOptions {
  /** Number of harts; the PLIC has two contexts (M, S) per hart. */
  harts: number;
  /** Sources including the absent source 0 (QEMU virt: 96). */
  sources?: number;
  /** Called when a context's interrupt line (mip.MEIP or mip.SEIP of a hart) changes. */
  onExternal?: (hart: number, sMode: boolean, level: boolean) => void;
  /** Re-sample a source's line when its claim completes (the PLIC spec) instead of QEMU's way. */
  resample?: boolean;
}

export class Plic implements MmioDevice, IrqSink {
  readonly name = "plic";
  readonly sources: number;
  readonly contexts: number;
  private readonly words: number;
  private readonly priority: Uint32Array;
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  /** Current level of each source's line (what devices last said). */
  private readonly line: Uint8Array;
  private readonly enable: Uint32Array;
  private readonly threshold: Uint32Array;
  /** Last level reported for each context's line. */
  private readonly eipLevel: Uint8Array;
  private readonly onExternal: (hart: number, sMode: boolean, level: boolean) => void;
  private readonly resample: boolean;

  constructor(opts: PlicOptions) {
    this.sources = opts.sources ?? PLIC_NUM_SOURCES;
    this.contexts = 2 * opts.harts;
    this.words = Math.ceil(this.sources / 32);
    this.priority = new Uint32Array(this.sources);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.line = new Uint8Array(this.sources);
    this.enable = new Uint32Array(this.contexts * this.words);
    this.threshold = new Uint32Array(this.contexts);
    this.eipLevel = new Uint8Array(this.contexts);
    this.onExternal = opts.onExternal ?? (() => {});
    this.resample = opts.resample ?? false;
  }

  /** A device drives its interrupt line: see the header for what a raise does. */
  setIrq(irq: number, level: boolean): void {
    if (irq <= 0 || irq >= this.sources) return;
    this.line[irq] = level ? 1 : 0;
    if (level && !(this.resample && this.isClaimed(irq))) this.setBit(this.pending, irq, true);
    this.update();
  }

  /** Whether hart's external interrupt for the given mode (mip.SEIP or mip.MEIP) is up. */
  external(hart: number, sMode: boolean): boolean {
    return this.eipLevel[2 * hart + (sMode ? 1 : 0)] !== 0;
  }

  /** Whether source irq's pending bit is set (for tests and debugging). */
  isPending(irq: number): boolean {
    return irq > 0 && irq < this.sources && this.getBit(this.pending, irq);
  }

  /** Whether source irq is claimed and not yet completed. */
  isClaimed(irq: number): boolean {
    return irq > 0 && irq < this.sources && this.getBit(this.claimed, irq);
  }

  /** Whether QEMU would accept this access: 32-bit only. */
  accessOk(_off: number, size: number): boolean {
    return size === 4;
  }

  /** Read a register; a read of claim is a claim. Holes read as 0. */
  read(off: number, size: number): number {
    const base = off & ~3;
    if (base >= CONTEXT_BASE) {
      const ctx = Math.floor((base - CONTEXT_BASE) / CONTEXT_STRIDE);
      const reg = (base - CONTEXT_BASE) % CONTEXT_STRIDE;
      if (ctx >= this.contexts) return 0;
      if (reg === 0) return readPart(this.threshold[ctx], off, size);
      if (reg === 4) return readPart(this.claim(ctx), off, size);
      return 0;
    }
    return readPart(this.word(base), off, size);
  }

  /** Write a register; a write of claim/complete is a completion. Read-only words ignore writes. */
  write(off: number, size: number, value: number): void {
    const base = off & ~3;
    if (base < PENDING_BASE) {
      const id = base >>> 2;
      if (id === 0 || id >= this.sources) return;
      this.priority[id] = mergePart(this.priority[id], off, size, value) & PRIO_MASK;
    } else if (base >= ENABLE_BASE && base < CONTEXT_BASE) {
      const ctx = Math.floor((base - ENABLE_BASE) / ENABLE_STRIDE);
      const w = ((base - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      if (ctx >= this.contexts || w >= this.words) return;
      const i = ctx * this.words + w;
      this.enable[i] = mergePart(this.enable[i], off, size, value);
      return; // QEMU 7.2 re-evaluates the lines only at the next other change (see header)
    } else if (base >= CONTEXT_BASE) {
      const ctx = Math.floor((base - CONTEXT_BASE) / CONTEXT_STRIDE);
      const reg = (base - CONTEXT_BASE) % CONTEXT_STRIDE;
      if (ctx >= this.contexts) return;
      if (reg === 0) {
        this.threshold[ctx] = mergePart(this.threshold[ctx], off, size, value) & PRIO_MASK;
      } else if (reg === 4) this.complete(mergePart(0, off, size, value));
      else return;
    } else {
      return; // pending bits are read-only
    }
    this.update();
  }

  /** Priority, pending and enable words (below the context registers). */
  private word(base: number): number {
    if (base < PENDING_BASE) {
      const id = base >>> 2;
      return id < this.sources ? this.priority[id] : 0;
    }
    if (base < ENABLE_BASE) {
      const w = (base - PENDING_BASE) >>> 2;
      return w < this.words ? this.pending[w] : 0;
    }
    const ctx = Math.floor((base - ENABLE_BASE) / ENABLE_STRIDE);
    const w = ((base - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
    return ctx < this.contexts && w < this.words ? this.enable[ctx * this.words + w] : 0;
  }

  /** The source context ctx would be interrupted by: pending, enabled, unclaimed, above threshold. */
  private best(ctx: number): number {
    let bestId = 0;
    let bestPrio = this.threshold[ctx];
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w] & ~this.claimed[w] & this.enable[ctx * this.words + w];
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits); // lowest set bit first: ties go to the lower id
        bits &= bits - 1;
        const id = w * 32 + b;
        if (id < this.sources && this.priority[id] > bestPrio) {
          bestId = id;
          bestPrio = this.priority[id];
        }
      }
    }
    return bestId;
  }

  /** Claim for context ctx: take the best source out of pending and mark it claimed. */
  private claim(ctx: number): number {
    const id = this.best(ctx);
    if (id !== 0) {
      this.setBit(this.pending, id, false);
      this.setBit(this.claimed, id, true);
    }
    this.update();
    return id;
  }

  /** Complete source id: it may interrupt again. QEMU checks neither the context nor enables. */
  private complete(id: number): void {
    if (id === 0 || id >= this.sources) return;
    this.setBit(this.claimed, id, false);
    if (this.resample && this.line[id]) this.setBit(this.pending, id, true);
  }

  /** Recompute every context's line and report the ones that changed. */
  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const level = this.best(ctx) !== 0 ? 1 : 0;
      if (level !== this.eipLevel[ctx]) {
        this.eipLevel[ctx] = level;
        this.onExternal(ctx >>> 1, (ctx & 1) === 1, level === 1);
      }
    }
  }

  /** Bit id of a source bitmap. */
  private getBit(a: Uint32Array, id: number): boolean {
    return ((a[id >>> 5] >>> (id & 31)) & 1) !== 0;
  }

  /** Set or clear bit id of a source bitmap. */
  private setBit(a: Uint32Array, id: number, on: boolean): void {
    if (on) a[id >>> 5] |= 1 << (id & 31);
    else a[id >>> 5] &= ~(1 << (id & 31));
  }
}
