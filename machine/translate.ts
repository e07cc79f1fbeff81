// The translator: turns hot guest code into WebAssembly, so it runs as native
// 64-bit machine code instead of being interpreted.
//
// A region is the code of one group of GROUP_PAGES (one) 4 KiB page, for one TLB
// set (the mode it runs in): the page is swept from its start, instruction by
// instruction, and cut into blocks at control transfers, at branch targets and at
// instructions the translator leaves to the interpreter; entry points seen at run
// time are added. Small functions it calls on other pages are copied in, and so are
// the calls the dispatcher has seen return most often (see planInlining). The
// region becomes one function:
//
//   fn(budget, base) -> steps reads pc and the entry's offset in the group from
//                             the hart's state (at base), runs blocks while the budget lasts,
//                             writes pc and an exit status back
//
// Inside, guest registers live in WebAssembly i64 locals (loaded on entry, stored
// on exit), so the engine keeps them in host registers. Blocks are laid out in
// address order inside nested `block`s, so a forward branch is a direct `br`. The
// page's loops (backward branches that nest properly) become WebAssembly `loop`s
// laid out the same way inside, starting at the block they are entered at, so that
// going round is a `br` too (see planLoops). Any other jump in the group goes
// through a `br_table` on the halfword offset, and a jump out of the group (or to an
// offset with no block) leaves the function with pc set. A block that branches back
// to its own start is a `loop` of its own.
//
// Code is keyed by physical address, but runs at a virtual one: the region is
// entered at pc with the entry's physical offset known, so it knows the virtual
// address of the group's start if the pages are mapped contiguously (the kernel's
// are, at their physical addresses). A jump to another page of the group checks the
// fetch TLB that the target page is that physical page before going there.
//
// Every block first checks that it fits in what is left of the budget, so
// translated code retires exactly as many instructions as the interpreter would
// before returning. The byte-fill loop (sb; addi 1; bne) that xv6's memset
// compiles to runs in bulk, a page at a time, with the same count and the same
// faults; so does the byte-copy loop of its memmove (copyLoop), either way round.
//
// Loads and stores look up the hart's TLB for the set inline (mmu.ts: tlbData): one
// compare on a hit; a run of them off one base register shares one lookup when its
// bytes lie in one page (emitRun). A miss, a misaligned access or a device address
// calls back into the hart (slowLoad / slowStore), which may report a fault: then
// the function returns with pc at that instruction and the retired count before it
// (status FAULT). The store TLB never maps a page holding decoded code or a page
// table, so such stores take the slow path too, which reports them; when that
// dropped code, the region leaves right after the store (status EVENT), since it
// may itself be stale. CSR instructions are done inline for sstatus in S-mode, else
// through the hart.
// Hits are hinted likely, and slow paths, faults and budget checks unlikely (wasm.ts:
// branch hints), so the engine lays the rare ways out of line with their spill code.

import * as D from "./decode.ts";
import { DATA_CONTEXT_BARE } from "./mmu.ts";
import { buildModule, FuncBuilder, I32, I64, Op } from "./wasm.ts";

/** Exit status written by a region function (NOENTRY: no block starts at pc). */
export const ST_NORMAL = 0, ST_FAULT = 1, ST_EVENT = 2, ST_NOENTRY = 5;

/**
 * Where a hart's state lives in the WebAssembly memory: byte offsets from the hart's
 * state base, which the dispatcher passes to the region (codePage alone is absolute).
 * Harts whose state is laid out alike thus get the same module bytes for the same
 * code, and share one compiled module (and V8's optimized code for it).
 */
export interface HartLayout {
  /** x0..x31 as little-endian i64 (x0 unused). */
  regs: number;
  /**
   * An i32 set to 1 when an AMOSWAP finds the value it stores already there and
   * non-zero (a spinlock held elsewhere), after which the region leaves; 0: none.
   */
  spin: number;
  /**
   * pc (i64), exit status (i32) followed by the steps retired before the instruction
   * calling a helper (i32), the helper scratch i64 (a slow load's value), and the
   * entry's byte offset in the group (i32, at `entry`), and the RAM offset of the
   * entry's page (i32, at `entryRam`; regions do not depend on where their page is).
   */
  pc: number;
  status: number;
  scratch: number;
  entry: number;
  entryRam: number;
  /** The fetch TLB arrays of this region's set (i32 tags, RAM offsets). */
  fetchTags: number;
  fetchBases: number;
  /**
   * The translated code's copies of the load and store TLBs (mmu.ts: tlbData, 16-byte
   * entries of an i64 tag and an i32 addend), and where the context's bits for them
   * are (i32 context << 4, then context << 10).
   */
  loadData: number;
  storeData: number;
  ctxData: number;
  /** 16 bits per RAM page: non-zero when a write to it must be reported (ram.codePage). */
  codePage: number;
  /** The MMU's current context tag bits (i32), for the U and S sets' TLB tags. */
  ctx: number;
  /** The low word of mstatus (sstatus is a view of it). */
  mstatus: number;
  /** The CSR file: CSR n as a little-endian i64 at csrs + 8 * n. */
  csrs: number;
  /** An i32 set to 1 when a CSR instruction turns sstatus.SIE on (see runToSettle). */
  sieRaised: number;
  /** mip & mie when the region was entered (i32): non-zero if an interrupt is pending. */
  pending: number;
  /** The TLB set the region runs in: 0 U, 1 S, 2 M (also its privilege for CSR access). */
  set: number;
  /** TLB index mask. */
  tlbMask: number;
}

/** Callbacks into the hart for the slow paths. */
export interface RegionHelpers {
  /**
   * Load size bytes at VA (lo, hi) into scratch (zero-extended): 0 or a fault cause.
   * `steps` counts the instructions the region has run, this one included (as the
   * interpreter counts them), so that a device read sees the same time either way.
   */
  slowLoad(lo: number, hi: number, size: number, steps: number): number;
  /** Store size bytes of (vlo, vhi) at VA: 0, a fault cause, or -1 (done; leave now). */
  slowStore(
    lo: number,
    hi: number,
    size: number,
    vlo: number,
    vhi: number,
    steps: number,
  ): number;
  /**
   * Fill n bytes at VA (lo, hi), all in one page, with v (a byte-fill loop's stores,
   * done at once): 0, -1 (done, but decoded code there went: leave now), or 1 when
   * they cannot be done at once (a fault or a device: the loop's own stores will tell).
   * `steps` as for slowLoad, at the first store.
   */
  fill(lo: number, hi: number, v: number, n: number, steps: number): number;
  /** MULH, MULHSU, MULHU: the high 64 bits into scratch. */
  mulh(kind: number, alo: number, ahi: number, blo: number, bhi: number): void;
  /**
   * The CSR instruction `inst` with source value (slo, shi): the old value into
   * scratch; returns 0, CAUSE_ILLEGAL (2, recorded as the fault), CSR_RELOOK (done;
   * the translation changed, but not the mode's TLB sets: go on at the next
   * instruction through the dispatcher), or -1 (done, but interrupts may have
   * changed: leave now).
   */
  csr(inst: number, slo: number, shi: number): number;
  /**
   * The system instruction `op` (ecall, mret, sret, sfence.vma; `inst` its bits),
   * after `steps` instructions of the region: 0 (done: go on at the next one),
   * SYS_JUMPED (done, and pc and the mode changed: leave with the hart's pc) or
   * SYS_TRAP (it traps: ecall, or not allowed here; recorded as the fault).
   */
  sys(op: number, inst: number, steps: number): number;
}

/** csr() result: done, translation changed; go on through the dispatcher. */
export const CSR_RELOOK = -2;

/** sys() results (0: done, go on). */
export const SYS_JUMPED = 1, SYS_TRAP = 2;

export type RegionFn = (budget: number, base: number) => number;

/**
 * Where the translator may read code outside the region's page, to inline the
 * functions it calls: decoded instructions by RAM offset (null if unreadable), RAM's
 * size, and a callback naming each page it read (the region depends on it).
 */
export interface InlineSource {
  read(ramOff: number): readonly [number, number] | null;
  /** Has the instruction at this RAM offset ever run (in the interpreter)? */
  executed(ramOff: number): boolean;
  /** How often translated code was entered at this RAM offset (a call's return, say). */
  returns(ramOff: number): number;
  ramSize: number;
  usePage(ramPage: number): void;
}

/**
 * Inlining limits: nesting depth, instructions per callee, instructions per region. Kept
 * small: each copy makes the region's function bigger, and V8's optimizing compiler takes
 * time that grows with it (a 2020 xv6 kernel's usertests: 1.7x less CPU at 150 than 1500).
 */
const INLINE_DEPTH = 3, INLINE_CALLEE = 40, INLINE_TOTAL = 150;
/** Instructions inlined at hot calls (first), and at most in all (copies of copies too). */
const INLINE_HOT = 400, INLINE_CAP = 600;
/**
 * Entries into translated code at one place (RAM halfword; the counts are the board's):
 * from this count on, the dispatcher of each hart has the page translated again, and
 * then every call whose return was entered HOT_RETURNS / HOT_SHARE times counts as hot
 * (see planInlining). A hart does so again when some place on the page reaches 4, 16
 * and 64 times this count (HOT_LEVELS in all): what a kernel calls most changes as a
 * run goes on (xv6's wakeup loop only gets hot with usertests' bigdir), and a page
 * translated for the calls hot early would leave the later ones out for good. (Calls
 * inlined stop counting, so only places still entered go on to the next level.)
 */
export const HOT_RETURNS = 300_000;
const HOT_SHARE = 8;
/** Times a hart translates one page again for hot calls; then its level is HOT_DONE. */
export const HOT_LEVELS = 4, HOT_DONE = 15;

/** Pages per group (a region's span): one 4 KiB page. */
export const GROUP_PAGES = 1;
export const GROUP_BYTES = GROUP_PAGES * 4096;

/**
 * Reads the decoded instruction at a byte offset of the group: [word, imm], or null
 * when it cannot be read there (not a page of the region, or crossing a page end).
 */
export type SlotReader = (off: number) => readonly [number, number] | null;

/** A block: its byte offset in the group, instructions (word, imm), and how it ends. */
export interface Block {
  slot: number;
  insts: [number, number][];
  /** Offset of the first instruction past the block. */
  end: number;
  /** The block's last instruction is a control transfer (else it falls through or stops). */
  control: boolean;
  /** Never run yet: translated as an exit to the interpreter (which then counts it). */
  cold?: boolean;
}

/** Most blocks in one region (a bound on the size of a function). */
const MAX_BLOCKS = 6000;

/** Is this op one the translator emits inline (not ending a block by itself)? */
function inline(op: number): boolean {
  return (op >= D.OP_LUI && op <= D.OP_REMUW) || op === D.OP_FENCE || op === D.OP_ATOMIC ||
    op === D.OP_CSR;
}

/** Is this op a control transfer? */
function isControl(op: number): boolean {
  return op === D.OP_JAL || op === D.OP_JALR || (op >= D.OP_BEQ && op <= D.OP_BGEU);
}

/**
 * ecall, mret, sret, sfence.vma: done by the hart (the sys helper), after which the
 * region leaves (the mode, pc or translation changed), so each ends its block.
 */
function isSystem(op: number): boolean {
  return op === D.OP_ECALL || op === D.OP_MRET || op === D.OP_SRET || op === D.OP_SFENCE_VMA;
}

/** Does this op end a block (a transfer, or a system instruction)? */
function endsBlock(op: number): boolean {
  return isControl(op) || isSystem(op);
}

/**
 * A write of satp or mstatus: the region leaves after it (CSR_RELOOK) to go on through
 * the dispatcher, so a block must start at the next instruction for it to land on.
 */
function relooks(op: number, imm: number): boolean {
  if (op !== D.OP_CSR) return false;
  const csr = imm >>> 20;
  return csr === CSR_SATP || csr === CSR_MSTATUS;
}

/** Only the AMO forms handled inline: swap, add, xor, and, or on words and doublewords. */
function inlineAmo(inst: number): boolean {
  const f5 = inst >>> 27;
  return f5 === 0 || f5 === 1 || f5 === 4 || f5 === 8 || f5 === 12;
}

/** Can the translator emit this instruction inside a block? */
function translatable(w: number, imm: number): boolean {
  const op = w & 0xff;
  return isControl(op) || isSystem(op) ||
    (inline(op) && (op !== D.OP_ATOMIC || inlineAmo(imm)));
}

/**
 * The static target of a block ending in `auipc r, hi; jalr rd, lo(r)` (how far calls
 * and jumps are compiled): the offset the jalr goes to, or null for any other jalr.
 */
export function staticJalr(b: Block): number | null {
  const n = b.insts.length;
  if (n < 2) return null;
  const [w, imm] = b.insts[n - 1];
  const [wa, immA] = b.insts[n - 2];
  if ((w & 0xff) !== D.OP_JALR || (wa & 0xff) !== D.OP_AUIPC) return null;
  const base = (w >>> 15) & 0x3f, written = (wa >>> 8) & 0x7f;
  if (base !== written || base === 0) return null;
  let off = b.slot;
  for (let k = 0; k + 2 < n; k++) off += b.insts[k][0] >>> 27;
  return (off + immA + imm) & ~1;
}

/** The target offset of a block's final jal / branch / static jalr, or null. */
export function staticTarget(b: Block): number | null {
  const [w, imm] = b.insts[b.insts.length - 1];
  const op = w & 0xff;
  if (op === D.OP_JALR) return staticJalr(b);
  let off = b.slot;
  for (let k = 0; k + 1 < b.insts.length; k++) off += b.insts[k][0] >>> 27;
  return off + imm;
}

/**
 * Where block b goes on (group offsets; -1 for a jump whose target is not known): its
 * branch or jump target, and after a branch or a call, the next block.
 */
function nextOffsets(b: Block): number[] {
  if (!b.control) return [b.end];
  const out = [staticTarget(b) ?? -1];
  if (isCall(b) || (b.insts[b.insts.length - 1][0] & 0xff) in BRANCH_CMP) out.push(b.end);
  return out;
}

/** Does any block of an inlined callee (indexes idx) go on to itself or an earlier block? */
function jumpsBack(cbs: Block[], idx: Map<number, number>): boolean {
  return cbs.some((b, k) => nextOffsets(b).some((t) => (idx.get(t) ?? Infinity) <= k));
}

/** Does the block end in a call (a jump that links ra)? */
function isCall(b: Block): boolean {
  const w = b.insts[b.insts.length - 1][0];
  const op = w & 0xff;
  return (op === D.OP_JAL || op === D.OP_JALR) && rdOf(w) === 1;
}

/** Does the block end in a plain return (jalr x0, 0(ra))? */
function isReturn(b: Block): boolean {
  const [w, imm] = b.insts[b.insts.length - 1];
  return (w & 0xff) === D.OP_JALR && ((w >>> 8) & 0x7f) === 64 && ((w >>> 15) & 0x3f) === 2 &&
    imm === 0;
}

/** Instructions in a list of blocks. */
function countInsts(blocks: Block[]): number {
  return blocks.reduce((n, b) => n + b.insts.length, 0);
}

/** A decoded word's destination register (decode.ts keeps each field doubled). */
function rdOf(w: number): number {
  return ((w >>> 8) & 0x7f) >> 1;
}

/** A decoded word's first source register. */
function rs1Of(w: number): number {
  return ((w >>> 15) & 0x3f) >> 1;
}

/** A decoded word's second source register. */
function rs2Of(w: number): number {
  return ((w >>> 21) & 0x3f) >> 1;
}

/**
 * A byte-copy loop's shape (copyLoop): registers, the step both pointers move by,
 * and each access's offset from its pointer's value at the block's start.
 */
export interface CopyLoop {
  src: number;
  dst: number;
  /** The register each byte passes through (loaded, then stored). */
  val: number;
  /** The branch compares `counter` (src or dst) with `bound`, which the loop leaves alone. */
  counter: number;
  bound: number;
  step: number;
  srcOff: number;
  dstOff: number;
  /** lb (sign-extends) rather than lbu. */
  signed: boolean;
}

/**
 * Is block b (a loop on itself) a byte copy, as xv6's memmove compiles either way
 * round: `lbu v, o(src)` then `sb v, o'(dst)`, `addi src, src, s` and `addi dst, dst,
 * s` (s = 1 or -1) in any order around them, and `bne` of src or dst against a
 * register the loop does not write. Its shape, or null.
 */
export function copyLoop(b: Block): CopyLoop | null {
  if (b.insts.length !== 5 || (b.insts[4][0] & 0xff) !== D.OP_BNE) return null;
  let load = -1, store = -1;
  const bumps = new Map<number, number>(); // register -> index of its addi
  for (let k = 0; k < 4; k++) {
    const [w, imm] = b.insts[k];
    const op = w & 0xff;
    if (op === D.OP_LB || op === D.OP_LBU) {
      if (load >= 0) return null;
      load = k;
    } else if (op === D.OP_SB) {
      if (store >= 0) return null;
      store = k;
    } else if (
      op === D.OP_ADDI && (imm === 1 || imm === -1) && rdOf(w) === rs1Of(w) && rdOf(w) !== 0 &&
      !bumps.has(rdOf(w))
    ) bumps.set(rdOf(w), k);
    else return null;
  }
  if (load < 0 || store < load) return null;
  const [lw, lo] = b.insts[load], [sw, so] = b.insts[store];
  const src = rs1Of(lw), dst = rs1Of(sw), val = rdOf(lw);
  const bs = bumps.get(src), bd = bumps.get(dst);
  if (bs === undefined || bd === undefined || src === dst || rs2Of(sw) !== val) return null;
  if (val === 0 || val === src || val === dst) return null;
  const step = b.insts[bs][1];
  if (b.insts[bd][1] !== step) return null;
  const a1 = rs1Of(b.insts[4][0]), a2 = rs2Of(b.insts[4][0]);
  const counter = a1 === src || a1 === dst ? a1 : a2, bound = counter === a1 ? a2 : a1;
  if (counter !== src && counter !== dst) return null;
  if (bound === src || bound === dst || bound === val) return null;
  return {
    src,
    dst,
    val,
    counter,
    bound,
    step,
    srcOff: lo + (bs < load ? step : 0),
    dstOff: so + (bd < store ? step : 0),
    signed: (lw & 0xff) === D.OP_LB,
  };
}

/**
 * The blocks of a group: each listed page swept from its start, and cut into blocks
 * at page starts, after control transfers and untranslatable instructions, and at
 * branch targets. Entry offsets seen at run time that fall inside such a block (an
 * interrupt returning into a loop, say) get a block of their own that overlaps the
 * rest of it, so the sweep's blocks (and the loops they form) stay whole.
 */
export function findBlocks(
  pages: number[],
  entries: number[],
  read: SlotReader,
  ran: (off: number) => boolean = () => true,
): Block[] {
  const starts = new Set<number>();
  // First pass: where blocks must start (page starts, after transfers, branch targets).
  for (const pg of pages) {
    let off = pg * 4096;
    const end = off + 4096;
    starts.add(off);
    let prev: Block | null = null; // the previous instruction, for auipc + jalr
    while (off < end) {
      const d = read(off);
      if (d === null) break;
      const [w, imm] = d;
      const op = w & 0xff;
      const next = off + (w >>> 27);
      if (endsBlock(op) || !translatable(w, imm) || relooks(op, imm)) starts.add(next);
      if (isControl(op)) {
        const pair: Block | null = prev === null ? null : {
          slot: prev.slot,
          insts: [prev.insts[0], [w, imm]],
          end: next,
          control: true,
        };
        const t = op === D.OP_JALR ? (pair === null ? null : staticJalr(pair)) : off + imm;
        if (t !== null && t >= 0 && t < GROUP_BYTES) starts.add(t);
      }
      prev = { slot: off, insts: [[w, imm]], end: next, control: false };
      off = next;
    }
  }
  // Second pass: decode a block from every start, and from every other entry.
  const blocks: Block[] = [];
  const pageSet = new Set(pages);
  const all = new Set([...starts, ...entries]);
  for (const slot of [...all].sort((x, y) => x - y)) {
    if (blocks.length >= MAX_BLOCKS) break;
    if (!pageSet.has(slot >> 12)) continue;
    const b: Block = { slot, insts: [], end: slot, control: false };
    let s = slot;
    const pageEnd = (slot & ~0xfff) + 4096;
    for (;;) {
      const d = read(s);
      if (d === null) break;
      const [w, imm] = d;
      if (!translatable(w, imm)) break;
      b.insts.push([w, imm]);
      s += w >>> 27;
      if (isControl(w & 0xff)) {
        b.control = true;
        break;
      }
      if (isSystem(w & 0xff)) break;
      if (s >= pageEnd || starts.has(s)) break;
    }
    b.end = s;
    b.cold = !ran(slot);
    if (b.insts.length > 0) blocks.push(b);
  }
  return blocks;
}

/** The i64 comparison each conditional branch takes. */
const BRANCH_CMP: Record<number, number> = {
  [D.OP_BEQ]: Op.i64_eq,
  [D.OP_BNE]: Op.i64_ne,
  [D.OP_BLT]: Op.i64_lt_s,
  [D.OP_BGE]: Op.i64_ge_s,
  [D.OP_BLTU]: Op.i64_lt_u,
  [D.OP_BGEU]: Op.i64_ge_u,
};

/** The WebAssembly load each RISC-V load becomes on a TLB hit (sign or zero extension). */
const LOAD_OP: Record<number, number> = {
  [D.OP_LB]: Op.i64_load8_s,
  [D.OP_LBU]: Op.i64_load8_u,
  [D.OP_LH]: Op.i64_load16_s,
  [D.OP_LHU]: Op.i64_load16_u,
  [D.OP_LW]: Op.i64_load32_s,
  [D.OP_LWU]: Op.i64_load32_u,
  [D.OP_LD]: Op.i64_load,
};

/** The WebAssembly store each RISC-V store becomes on a TLB hit. */
const STORE_OP: Record<number, number> = {
  [D.OP_SB]: Op.i64_store8,
  [D.OP_SH]: Op.i64_store16,
  [D.OP_SW]: Op.i64_store32,
  [D.OP_SD]: Op.i64_store,
};

/** Bytes a load or store moves. */
function accessBytes(op: number): number {
  if (op === D.OP_LB || op === D.OP_LBU || op === D.OP_SB) return 1;
  if (op === D.OP_LH || op === D.OP_LHU || op === D.OP_SH) return 2;
  return op === D.OP_LD || op === D.OP_SD ? 8 : 4;
}

/** 1 for a load, 2 for a store, 0 for anything else. */
function accessKind(op: number): number {
  if (op >= D.OP_LB && op <= D.OP_LWU) return 1;
  return op >= D.OP_SB && op <= D.OP_SD ? 2 : 0;
}

/** Whether op only computes registers from registers (no memory, CSR, trap or exit). */
function pureOp(op: number): boolean {
  return op === D.OP_LUI || op === D.OP_AUIPC || op === D.OP_FENCE ||
    (op >= D.OP_ADDI && op <= D.OP_REMUW);
}

/**
 * Where a run of accesses that may share one TLB lookup ends, starting at instruction
 * k of b (before n): loads and stores off one base register other than x0, all within
 * 256 bytes, with only register arithmetic between them, and nothing writing the base
 * until the last access (a load into the base ends the run with it). The run ends at
 * its last access; k when it would hold fewer than two.
 */
function runEnd(b: Block, k: number, n: number): number {
  const base = rs1Of(b.insts[k][0]);
  if (accessKind(b.insts[k][0] & 0xff) === 0 || base === 0) return k;
  let lo = Infinity, hi = -Infinity, end = k, accesses = 0;
  for (let m = k; m < n; m++) {
    const [w, imm] = b.insts[m];
    const op = w & 0xff, rd = rdOf(w);
    if (pureOp(op)) {
      if (rd === base) break;
      continue;
    }
    if (accessKind(op) === 0 || rs1Of(w) !== base) break;
    lo = Math.min(lo, imm);
    hi = Math.max(hi, imm + accessBytes(op));
    if (hi - lo > 256) break;
    end = m + 1;
    accesses++;
    if (accessKind(op) === 1 && rd === base) break;
  }
  return accesses >= 2 ? end : k;
}

/** Type indexes in every region module. */
const T_REGION = 0, T_LOAD = 1, T_STORE = 2, T_MULH = 3, T_CSR = 4, T_FILL = 5;
/** Imported function indexes. */
const F_LOAD = 0, F_STORE = 1, F_MULH = 2, F_CSR = 3, F_SYS = 4, F_FILL = 5;

/** sstatus's bits in mstatus: SIE, SPIE, SPP, SUM, MXR; and the two that change translation. */
const SSTATUS_VIEW = (1 << 1) | (1 << 5) | (1 << 8) | (1 << 18) | (1 << 19);
const SUM_MXR = (1 << 18) | (1 << 19);
const SIE = 1 << 1;
const CSR_SSTATUS = 0x100;
const CSR_STVEC = 0x105, CSR_SEPC = 0x141;
/**
 * S-mode CSRs that only hold what is written (a trap handler's sscratch, sepc, scause,
 * stval, stvec), read and written inline in S-mode code: masks of the bits a write
 * clears (sepc's bit 0; stvec's bit 1, and a reserved mode keeps the old value).
 */
const PLAIN_CSRS: ReadonlyMap<number, number> = new Map([
  [CSR_STVEC, 2],
  [0x140, 0],
  [CSR_SEPC, 1],
  [0x142, 0],
  [0x143, 0],
]);
const CSR_SATP = 0x180;
const CSR_MSTATUS = 0x300;

/**
 * Translate the blocks of one page into a WebAssembly module's bytes (cachedModule
 * compiles them); `inlinedReturns` gets the return offsets of the region's own calls
 * that it inlines.
 */
export function buildRegion(
  blocks: Block[],
  groupRam: number,
  layout: HartLayout,
  memoryPages: number,
  inline?: InlineSource,
  inlinedReturns?: Set<number>,
): Uint8Array<ArrayBuffer> {
  const g = new RegionGen(blocks, layout, groupRam, inline);
  const body = g.generate();
  for (const off of g.inlinedReturns) inlinedReturns?.add(off);
  return buildModule({
    types: [
      { params: [I32, I32], results: [I32] },
      { params: [I32, I32, I32, I32], results: [I32] },
      { params: [I32, I32, I32, I32, I32, I32], results: [I32] },
      { params: [I32, I32, I32, I32, I32], results: [] },
      { params: [I32, I32, I32], results: [I32] },
      { params: [I32, I32, I32, I32, I32], results: [I32] },
    ],
    imports: [
      { name: "load", type: T_LOAD },
      { name: "store", type: T_STORE },
      { name: "mulh", type: T_MULH },
      { name: "csr", type: T_CSR },
      { name: "sys", type: T_CSR },
      { name: "fill", type: T_FILL },
    ],
    memoryPages,
    funcs: [{ type: T_REGION, body, export: "run" }],
    names: [`region_${"USM"[layout.set]}`],
  });
}

/** Instantiate a compiled region module against a hart's memory and helpers. */
export function instantiateRegion(
  mod: WebAssembly.Module,
  memory: WebAssembly.Memory,
  helpers: RegionHelpers,
): RegionFn {
  const inst = new WebAssembly.Instance(mod, {
    env: {
      mem: memory,
      load: helpers.slowLoad,
      store: helpers.slowStore,
      mulh: helpers.mulh,
      csr: helpers.csr,
      sys: helpers.sys,
      fill: helpers.fill,
    },
  });
  return inst.exports.run as RegionFn;
}

/** Code generation for one region. */
class RegionGen {
  /** The function's parameters: the budget (0) and the hart's state base (1). */
  private readonly f = new FuncBuilder(2);
  private readonly hb = 1;
  private readonly blocks: Block[];
  private readonly L: HartLayout;
  /** Locals: guest registers (index by register number; 0 unused). */
  private readonly r: number[] = [];
  private readonly written = new Set<number>();
  private readonly used = new Set<number>();
  private readonly budget = 0;
  private steps = 0;
  private vgroup = 0;
  private pcoff = 0;
  private status = 0;
  private a = 0; // effective address (i64)
  private t = 0; // TLB tag / scratch (i32)
  private e = 0; // TLB entry offset (i32)
  private p = 0; // RAM offset (i32)
  private v = 0; // value scratch (i64)
  private w = 0; // value scratch (i64)
  private s = 0; // helper status (i32)
  /** Label depth bookkeeping: the stack of open structured blocks. */
  private depth: string[] = [];
  /** Where each named (open) label sits in `depth`. */
  private readonly labels = new Map<string, number>();
  /** RAM offset of the group's first byte. */
  private readonly groupRam: number;
  /** Block index by offset, and the span of offsets the dispatch table covers. */
  private readonly indexOf = new Map<number, number>();
  /** Loops (planLoops) by first block index: the index of the last, and the head's. */
  private readonly loops = new Map<number, { end: number; head: number }>();
  /** The first block index of the loop headed by a block index. */
  private readonly loopOfHead = new Map<number, number>();
  /** Per page offset of inlined code: the local saying its mapping was checked this run. */
  private readonly checkedPages = new Map<number, number>();
  /** The loops whose WebAssembly loop is open here, innermost last. */
  private readonly openLoops: number[] = [];
  private minOff = 0;
  private maxOff = 0;

  /** Inlining: the source of callees' code, sites so far, instructions inlined so far. */
  private readonly inl?: InlineSource;
  private sites = 0;
  private inlined = 0;
  /**
   * The calls chosen to be inlined: blocks of the region (by slot) whose call is, and
   * functions (group offsets) inlined wherever an inlined copy calls them.
   */
  private readonly acceptedSites = new Set<number>();
  /** Group offsets the region's inlined calls (its own, not those of copies) return to. */
  readonly inlinedReturns = new Set<number>();
  private readonly accepted = new Set<number>();
  private readonly returnsMemo = new Map<number, boolean>();
  private gram = 0; // local: the RAM offset of the group's first page (i32)
  private cb = 0; // local: the inlined callee block to dispatch to
  private ctx = 0; // local: the context's tag bits
  private ctxTag = 0; // local: the context's bits in a tlbData tag (i64)
  private ctxIdx = 0; // local: the context's bits in a tlbData entry offset
  private bulkSrc?: number; // local: a bulk copy's source RAM offset (i32)
  private bulkCount?: number; // local: a bulk copy's byte count (i32)

  constructor(blocks: Block[], layout: HartLayout, groupRam: number, inline?: InlineSource) {
    this.blocks = blocks;
    this.L = layout;
    this.groupRam = groupRam;
    this.inl = inline;
    blocks.forEach((b, i) => this.indexOf.set(b.slot, i));
    this.minOff = blocks[0].slot;
    this.maxOff = blocks[blocks.length - 1].slot;
  }

  /** Register numbers the region (and the callees it will inline) reads or writes. */
  private scanRegisters(): void {
    if (this.inl !== undefined) this.planInlining();
    this.scanBlocks(this.blocks, 0);
  }

  /** The static target of a block ending in a call (jal ra / auipc+jalr ra), or null. */
  private callTarget(b: Block): number | null {
    if (!b.control) return null;
    const [w] = b.insts[b.insts.length - 1];
    const op = w & 0xff;
    if ((op !== D.OP_JAL && op !== D.OP_JALR) || ((w >>> 8) & 0x7f) !== 2) return null;
    return staticTarget(b);
  }

  /**
   * Choose the calls to inline: calls from the region's blocks to another page (and,
   * inside the copies, calls on to INLINE_DEPTH) of functions that return and are no
   * bigger than INLINE_CALLEE. First the functions called, smallest first, while their
   * copies at every call fit INLINE_TOTAL. Then hot calls, most often made first, each
   * with the callees it calls in turn, while they fit INLINE_HOT: calls to another page
   * whose return the dispatcher has counted HOT_RETURNS / HOT_SHARE times (xv6's
   * wakeup takes every process's lock, leaving its page and coming back twice an
   * iteration).
   */
  private planInlining(): void {
    const page = this.blocks[0].slot >> 12;
    const sites = new Map<number, number>(); // target -> call sites
    const sizes = new Map<number, number>(); // target -> instructions (0: not inlinable)
    const visit = (blocks: Block[], depth: number, page: number) => {
      for (const b of blocks) {
        if (b.cold) continue;
        const t = this.callTarget(b);
        if (t === null || (depth === 0 && (t >> 12) === page)) continue;
        sites.set(t, (sites.get(t) ?? 0) + 1);
        if (sizes.has(t) || depth + 1 >= INLINE_DEPTH + 1) continue;
        const callee = this.calleeBlocks(t);
        const returns = callee?.some((c) => isReturn(c)) ?? false;
        sizes.set(t, callee !== null && returns ? countInsts(callee) : 0);
        if (callee !== null && returns && depth + 1 < INLINE_DEPTH) visit(callee, depth + 1, -1);
      }
    };
    visit(this.blocks, 0, page);
    const order = [...sizes.entries()].filter(([, n]) => n > 0).sort((a, b) => a[1] - b[1]);
    let budget = INLINE_TOTAL;
    for (const [t, n] of order) {
      const cost = n * (sites.get(t) ?? 1);
      if (cost > budget) continue;
      budget -= cost;
      this.accepted.add(t);
    }
    const backs = (b: Block) => this.inl!.returns(this.groupRam + b.end);
    const hot = this.blocks.filter((b) => {
      const t = b.cold ? null : this.callTarget(b);
      return t !== null && (t >> 12) !== page && !this.accepted.has(t) &&
        backs(b) >= HOT_RETURNS / HOT_SHARE;
    });
    budget = INLINE_HOT;
    for (const b of hot.sort((x, y) => backs(y) - backs(x) || x.slot - y.slot)) {
      const { cost, nested } = this.inlineCost(this.callTarget(b)!, 1);
      if (cost > budget) continue;
      budget -= cost;
      this.acceptedSites.add(b.slot);
      for (const u of nested) this.accepted.add(u);
    }
  }

  /**
   * What inlining the function at t (at nesting depth `depth`) copies: its instructions,
   * plus those of the callees it calls that can be inlined in turn (their entries in
   * `nested`); Infinity when t itself cannot be inlined.
   */
  private inlineCost(t: number, depth: number): { cost: number; nested: number[] } {
    const callee = this.calleeBlocks(t);
    if (callee === null || !callee.some((c) => isReturn(c))) return { cost: Infinity, nested: [] };
    let cost = countInsts(callee);
    const nested: number[] = [];
    if (depth < INLINE_DEPTH) {
      for (const c of callee) {
        const u = c.cold ? null : this.callTarget(c);
        if (u === null) continue;
        const sub = this.inlineCost(u, depth + 1);
        if (sub.cost === Infinity) continue;
        cost += sub.cost;
        nested.push(u, ...sub.nested);
      }
    }
    return { cost, nested };
  }

  /** Add the registers of these blocks, and of the callees they will inline, to the sets. */
  private scanBlocks(blocks: Block[], depth: number): void {
    for (const b of blocks) {
      if (b.cold) continue;
      const t = this.callTarget(b);
      const chosen = this.accepted.has(t ?? -1) || (depth === 0 && this.acceptedSites.has(b.slot));
      if (t !== null && depth < INLINE_DEPTH && chosen) {
        if (depth === 0) this.inlinedReturns.add(b.end);
        const callee = this.calleeBlocks(t);
        if (callee !== null) this.scanBlocks(callee, depth + 1);
      }
      this.scanInsts(b);
    }
  }

  /** Add one block's registers to the used and written sets. */
  private scanInsts(b: Block): void {
    for (const [w, imm] of b.insts) {
      // A CSR instruction keeps its source register in the raw bits (the immediate).
      if ((w & 0xff) === D.OP_CSR && ((imm >>> 12) & 7) < 5 && ((imm >>> 15) & 31) !== 0) {
        this.used.add((imm >>> 15) & 31);
      }
      const rd = rdOf(w), a1 = rs1Of(w);
      const a2 = rs2Of(w);
      if (rd !== 32 && rd !== 0) {
        this.used.add(rd);
        this.written.add(rd);
      }
      if (a1 !== 0) this.used.add(a1);
      if (a2 !== 0) this.used.add(a2);
    }
  }

  /** The whole function body. */
  generate(): FuncBuilder {
    const f = this.f, L = this.L;
    this.scanRegisters();
    for (let i = 1; i < 32; i++) this.r.push(this.used.has(i) ? f.local(I64) : -1);
    this.r.unshift(-1);
    this.steps = f.local(I32);
    this.vgroup = f.local(I64);
    this.pcoff = f.local(I32);
    this.status = f.local(I32);
    this.a = f.local(I64);
    this.t = f.local(I32);
    this.e = f.local(I32);
    this.p = f.local(I32);
    this.v = f.local(I64);
    this.w = f.local(I64);
    this.s = f.local(I32);
    this.cb = f.local(I32);
    this.ctx = f.local(I32);
    this.ctxTag = f.local(I64);
    this.ctxIdx = f.local(I32);
    this.gram = f.local(I32);
    // Load the registers the region uses; the entry offset, and the group's VA from pc.
    for (const i of this.used) {
      f.get(this.hb).mem(Op.i64_load, 3, L.regs + 8 * i).set(this.r[i]);
    }
    // The address space's tag bits (the M set is always the bare mapping, context 0).
    if (L.set !== 2) {
      f.get(this.hb).mem(Op.i32_load, 2, L.ctx).set(this.ctx);
      f.get(this.hb).mem(Op.i64_load32_u, 2, L.ctxData).set(this.ctxTag);
      f.get(this.hb).mem(Op.i32_load, 2, L.ctxData + 4).set(this.ctxIdx);
    }
    f.get(this.hb).mem(Op.i32_load, 2, L.entry).set(this.pcoff);
    f.get(this.hb).mem(Op.i32_load, 2, L.entryRam).set(this.gram);
    f.get(this.hb).mem(Op.i64_load, 3, L.pc).get(this.pcoff).op(Op.i64_extend_i32_u, Op.i64_sub);
    f.set(this.vgroup);
    // block $exit { block $fault { loop $dispatch { blocks... } } fault: ... } store
    this.open("exit", Op.block);
    this.open("fault", Op.block);
    this.open("dispatch", Op.loop);
    this.emitBlocks();
    this.close(); // dispatch
    this.close(); // fault
    f.i32(ST_FAULT).set(this.status);
    this.close(); // exit
    // pc = vgroup + pcoff; store registers, pc, status; return steps.
    f.get(this.hb).get(this.vgroup).get(this.pcoff).op(Op.i64_extend_i32_s).op(Op.i64_add);
    f.mem(Op.i64_store, 3, L.pc);
    f.get(this.hb).get(this.status).mem(Op.i32_store, 2, L.status);
    for (const i of this.written) {
      f.get(this.hb).get(this.r[i]).mem(Op.i64_store, 3, L.regs + 8 * i);
    }
    f.get(this.steps);
    return f;
  }

  /** Open a structured block with a name (for label depths). */
  private open(name: string, op: number, type = 0x40): void {
    this.f.op(op, type);
    this.labels.set(name, this.depth.length);
    this.depth.push(name);
  }

  /** Close the innermost structured block. */
  private close(): void {
    this.f.op(Op.end);
    const name = this.depth.pop()!;
    if (name !== "if") this.labels.delete(name);
  }

  /** The br depth of a named label. */
  private label(name: string): number {
    const i = this.labels.get(name);
    if (i === undefined) throw new Error(`translate: no label ${name}`);
    return this.depth.length - 1 - i;
  }

  /**
   * The region's loops: backward jumps and branches (not calls) within the page, each
   * giving an interval of blocks from its target to the last block jumping back there.
   * Intervals that nest properly (no two overlap in part), smallest first, become
   * WebAssembly loops (see emitUnit), unless a call to this page returns into them
   * (through the dispatch table, so a loop would cost a second dispatch). A jump back
   * to any other block goes through the dispatch table.
   */
  private planLoops(): void {
    const n = this.blocks.length, page = this.blocks[0].slot >> 12;
    // Each block's static successors; calls to this page before each block (a prefix count).
    const next: number[][] = [], homeCalls = new Int32Array(n + 1);
    const ends = new Map<number, number>();
    this.blocks.forEach((b, i) => {
      const target = b.control ? this.targetOf(b) : -1, call = b.control && isCall(b);
      homeCalls[i + 1] = homeCalls[i] + (call && (target >> 12) === page ? 1 : 0);
      next.push(b.cold ? [] : this.indexesOf(nextOffsets(b)));
      if (b.cold || !b.control || call) return;
      const t = this.indexOf.get(target);
      if (t === undefined || t >= i || (this.blocks[t].slot >> 12) !== (b.slot >> 12)) return;
      ends.set(t, Math.max(ends.get(t) ?? i, i));
    });
    const chosen: [number, number][] = [];
    for (const [t, e] of [...ends].sort((x, y) => x[1] - x[0] - (y[1] - y[0]) || x[0] - y[0])) {
      const nests = ([a, z]: [number, number]) =>
        e < a || t > z || (a <= t && e <= z) || (t <= a && z <= e);
      if (chosen.every(nests) && homeCalls[e + 1] === homeCalls[t]) chosen.push([t, e]);
    }
    for (const [t, e] of chosen) this.loops.set(t, { end: e, head: this.headOf(t, e, next) });
    for (const [t, loop] of this.loops) this.loopOfHead.set(loop.head, t);
  }

  /** The region's block indexes at these group offsets (those that start a block). */
  private indexesOf(offsets: number[]): number[] {
    const out: number[] = [];
    for (const off of offsets) {
      const j = this.indexOf.get(off);
      if (j !== undefined) out.push(j);
    }
    return out;
  }

  /**
   * The block a loop over blocks t..e is entered at from outside: the one target of
   * the jumps (and fall-throughs) into it from the region's other blocks, if there is
   * one and no inner loop holds it; else t. The loop's code starts there, so entering
   * it costs a br, and its other blocks follow in turn (wrapping around to t).
   */
  private headOf(t: number, e: number, next: number[][]): number {
    const entries = new Set<number>();
    next.forEach((to, i) => {
      if (i < t || i > e) { for (const j of to) if (t <= j && j <= e) entries.add(j); }
    });
    const [h] = entries;
    if (entries.size !== 1 || h === t) return t;
    const inner = [...this.loops].some(([a, l]) => a >= t && l.end <= e && a <= h && h <= l.end);
    return inner ? t : h;
  }

  /**
   * The units blocks lo..hi are laid out as, in order: each a block, or a loop (by its
   * head block) standing for all its blocks (but the loop starting at `own`, whose
   * body this is).
   */
  private unitsOf(lo: number, hi: number, own = -1): number[] {
    const units: number[] = [];
    for (let i = lo; i <= hi;) {
      const loop = i === own ? undefined : this.loops.get(i);
      units.push(loop === undefined ? i : loop.head);
      i = (loop?.end ?? i) + 1;
    }
    return units;
  }

  /** The first and last block of unit u (a block, or a loop by its head). */
  private extentOf(u: number): [number, number] {
    const t = this.loopOfHead.get(u);
    return t === undefined ? [u, u] : [t, this.loops.get(t)!.end];
  }

  /**
   * Lay out `units` one after another: a block label per unit, outermost last, around
   * `dispatch` (which branches to the unit holding pcoff), each unit's code following
   * its label's end, so that a jump to a later unit is a br.
   */
  private emitUnits(units: number[], dispatch: () => void): void {
    for (let u = units.length - 1; u >= 0; u--) this.open(`b${units[u]}`, Op.block);
    dispatch();
    for (const i of units) {
      this.close(); // b_i: its code follows
      this.emitUnit(i);
    }
  }

  /** A br_table on (pcoff - from) / 2 over `span` entries: each block's entry goes to its unit. */
  private unitTable(units: number[], from: number, span: number, none: number): void {
    const f = this.f;
    const targets = new Array(span).fill(none);
    for (const u of units) {
      const depth = this.label(`b${u}`), [first, last] = this.extentOf(u);
      for (let j = first; j <= last; j++) targets[(this.blocks[j].slot - from) >> 1] = depth;
    }
    f.get(this.pcoff).i32(from).op(Op.i32_sub).i32(1).op(Op.i32_shr_s);
    f.op(Op.br_table).u(span);
    for (const t of targets) f.u(t);
    f.u(none);
  }

  /**
   * Inside loop $dispatch: a br_table on the halfword offset to the unit holding it
   * (a block, or a loop: emitUnit), the units laid out in order after it.
   */
  private emitBlocks(): void {
    const f = this.f;
    this.planLoops();
    const units = this.unitsOf(0, this.blocks.length - 1);
    this.emitUnits(units, () => {
      this.open("table", Op.block);
      this.unitTable(units, this.minOff, (this.maxOff - this.minOff) / 2 + 1, 0);
      this.close(); // table: falls here for offsets with no block
      // No block at this offset: leave with pc = vgroup + pcoff, status NOENTRY.
      f.i32(ST_NOENTRY).set(this.status);
      f.opU(Op.br, this.label("exit"));
    });
    // Falling off the last block cannot happen (each block ends with a transfer or exit).
  }

  /**
   * One unit: block i, or when i heads a loop, a WebAssembly loop over blocks i to its
   * end. The loop is entered (and re-entered by a jump back) with pcoff at one of its
   * blocks: at the header its code runs; elsewhere a br_table picks the inner unit.
   */
  private emitUnit(i: number): void {
    const t = this.loopOfHead.get(i);
    if (t === undefined) return this.emitBlock(i);
    const f = this.f, end = this.loops.get(t)!.end, slot = this.blocks[i].slot;
    this.open(`L${i}`, Op.loop);
    this.openLoops.push(i);
    const inner = [...this.unitsOf(i + 1, end), ...this.unitsOf(t, i - 1, t)];
    this.emitUnits(inner, () => {
      f.get(this.pcoff).i32(slot).op(Op.i32_ne);
      f.op(Op.if, 0x40);
      this.depth.push("if");
      const from = this.blocks[t].slot, span = (this.blocks[end].slot - from) / 2 + 1;
      this.unitTable(inner, from, span, this.label(`b${inner[0]}`));
      this.close();
      this.emitBlock(i);
    });
    this.openLoops.pop();
    this.close(); // L_i
  }

  /** Leave the function with pc = vgroup + off and status. */
  private exitAt(off: number, status = ST_NORMAL): void {
    const f = this.f;
    f.i32(off).set(this.pcoff);
    if (status !== ST_NORMAL) f.i32(status).set(this.status);
    f.opU(Op.br, this.label("exit"));
  }

  /**
   * Jump to offset `off` of the group from block `from`: a direct br to a later block of
   * the same page, the dispatch table for an earlier one, a fetch-TLB check first for
   * another page, and an exit for an offset outside the region.
   */
  private jumpTo(off: number, from: number): void {
    const f = this.f;
    const j = off >= 0 && off < GROUP_BYTES ? this.indexOf.get(off) : undefined;
    if (j === undefined) return this.exitAt(off);
    const samePage = (off >> 12) === (this.blocks[from].slot >> 12);
    if (!samePage) {
      // The target's virtual page must map to the group's page: else leave.
      this.pcRel(off);
      f.set(this.a);
      this.pageCheck(off >> 12);
      f.op(Op.i32_eqz);
      f.likely(false).op(Op.if, 0x40);
      this.depth.push("if");
      this.exitAt(off);
      this.close();
    }
    this.goBlock(j);
  }

  /**
   * Continue at block j: a br to its label when it lies ahead; else into a loop ahead
   * that holds it, or back to the head of an enclosing loop that holds it, with pcoff
   * at j; else through the dispatch table.
   */
  private goBlock(j: number): void {
    const f = this.f, off = this.blocks[j].slot;
    const holds = (h: number) => {
      const [first, last] = this.extentOf(h);
      return first <= j && j <= last;
    };
    let to = `b${j}`;
    if (!this.labels.has(to)) {
      let ahead = -1;
      for (const h of this.loopOfHead.keys()) {
        if (holds(h) && this.labels.has(`b${h}`)) {
          ahead = h;
          break;
        }
      }
      const around = this.openLoops.findLast(holds);
      to = ahead >= 0 ? `b${ahead}` : around !== undefined ? `L${around}` : "dispatch";
    }
    // A loop's head tells its own block from the others by pcoff.
    if (to !== `b${j}` || this.loopOfHead.has(j)) f.i32(off).set(this.pcoff);
    f.opU(Op.br, this.label(to));
  }

  /**
   * With a VA in local a, push whether its page is page `page` of this group in the
   * fetch TLB (a translation is cached and lands there).
   */
  private pageCheck(page: number): void {
    this.pageCheckRam(page * 4096);
  }

  /** One guest block: budget check, its instructions, its exit (a cold one just exits). */
  private emitBlock(i: number): void {
    const f = this.f, b = this.blocks[i];
    if (b.cold) return this.exitAt(b.slot, ST_NOENTRY);
    const len = b.insts.length;
    const selfLoop = b.control && this.targetOf(b) === b.slot;
    if (selfLoop) this.open(`self${i}`, Op.loop);
    // if (steps + len > budget) leave at this block's start
    f.get(this.steps).i32(len).op(Op.i32_add).get(this.budget).op(Op.i32_gt_s);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    this.exitAt(b.slot);
    this.close();
    if (selfLoop) {
      this.emitBulk(b, () => this.jumpTo(b.end, i), () => this.label(`self${i}`));
    }
    const off = this.emitBody(b);
    if (b.control) {
      const [w, imm] = b.insts[len - 1];
      f.get(this.steps).i32(len).op(Op.i32_add).set(this.steps);
      this.emitControl(w, imm, off, i, selfLoop);
    } else {
      f.get(this.steps).i32(len).op(Op.i32_add).set(this.steps);
      this.jumpTo(b.end, i);
    }
    if (selfLoop) this.close();
  }

  /** A loop block that runs in bulk when it fills or copies bytes (`again`: its label). */
  private emitBulk(b: Block, after: () => void, again: () => number): void {
    this.emitBulkFill(b, after, again);
    this.emitBulkCopy(b, after, again);
  }

  /**
   * A byte-copy loop (copyLoop: xv6's memmove, forwards or backwards): when both
   * pointers' pages hit in the TLBs (load and store), run as many iterations as fit in
   * both pages, the budget and the distance to the bound at once with memory.copy,
   * counting the block's instructions for each, then go round again or on. Bytes that
   * one iteration would store before a later one loads them (dst just ahead of src)
   * are left to the loop's own code below, as is any miss: it faults exactly where one
   * iteration would. The store TLB maps no page the hart watches, so nothing to drop.
   */
  private emitBulkCopy(b: Block, after: () => void, again: () => number): void {
    const c = copyLoop(b);
    if (c === null) return;
    const f = this.f, L = this.L, n = b.insts.length, fwd = c.step > 0;
    const ps = this.bulkSrc ??= f.local(I32), cnt = this.bulkCount ??= f.local(I32);
    const room = (local: number) => { // bytes from local's offset to its page's end, going step-wise
      if (fwd) f.i32(4096).get(local).i32(0xfff).op(Op.i32_and, Op.i32_sub);
      else f.get(local).i32(0xfff).op(Op.i32_and).i32(1).op(Op.i32_add);
    };
    const min = (x: number) => { // cnt = min(cnt, x)
      f.get(x).get(cnt).get(x).get(cnt).op(Op.i32_lt_u, Op.select).set(cnt);
    };
    const hit = (r: number, off: number, data: number) => { // if (TLB hit) { p = RAM offset
      this.rget(r);
      f.i64(off, off >> 31).op(Op.i64_add).set(this.a);
      this.tlbCheck(data, 1);
      f.op(Op.if, 0x40);
      this.depth.push("if");
      this.ramOffset(data);
    };
    // ps = RAM offset of the first byte loaded, on a load-TLB hit
    hit(c.src, c.srcOff, L.loadData);
    f.get(this.p).set(ps);
    // p = RAM offset of the first byte stored, on a store-TLB hit
    hit(c.dst, c.dstOff, L.storeData);
    // cnt = min(room in either page, (budget - steps) / n, iterations to the bound)
    room(ps);
    f.set(cnt);
    room(this.p);
    f.set(this.t);
    min(this.t);
    f.get(this.budget).get(this.steps).op(Op.i32_sub).i32(n).op(Op.i32_div_s).set(this.t);
    min(this.t);
    if (fwd) this.rget(c.bound), this.rget(c.counter);
    else this.rget(c.counter), this.rget(c.bound);
    f.op(Op.i64_sub).tee(this.v).get(cnt).op(Op.i64_extend_i32_u, Op.i64_lt_u);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.v).op(Op.i32_wrap_i64).set(cnt);
    this.close();
    // At least two iterations, and no byte stored before it is loaded (else as memmove)
    f.get(cnt).i32(1).op(Op.i32_gt_u);
    f.get(this.p).get(ps).op(fwd ? Op.i32_le_u : Op.i32_ge_u);
    if (fwd) f.get(this.p).get(ps).get(cnt).op(Op.i32_add, Op.i32_ge_u, Op.i32_or);
    else f.get(ps).get(this.p).get(cnt).op(Op.i32_add, Op.i32_ge_u, Op.i32_or);
    f.op(Op.i32_and);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    if (fwd) f.get(this.p).get(ps).get(cnt).op(0xfc, 0x0a, 0x00, 0x00); // memory.copy
    else {
      f.get(this.p).get(cnt).op(Op.i32_sub).i32(1).op(Op.i32_add);
      f.get(ps).get(cnt).op(Op.i32_sub).i32(1).op(Op.i32_add);
      f.get(cnt).op(0xfc, 0x0a, 0x00, 0x00);
    }
    f.get(this.steps).get(cnt).i32(n).op(Op.i32_mul, Op.i32_add).set(this.steps);
    for (const r of [c.src, c.dst]) {
      this.rget(r);
      f.get(cnt).op(Op.i64_extend_i32_u).op(fwd ? Op.i64_add : Op.i64_sub);
      this.rset(r);
    }
    // v = the last byte loaded
    f.get(ps).get(cnt).i32(1).op(Op.i32_sub).op(fwd ? Op.i32_add : Op.i32_sub);
    f.mem(c.signed ? Op.i64_load8_s : Op.i64_load8_u, 0, 0);
    this.rset(c.val);
    this.bulkDone(c.counter, c.bound, after, again);
    this.close();
    this.close();
    this.close();
  }

  /**
   * After a bulk run: when the loop's counter reached its bound, its branch falls
   * through (`after`); else it goes round again (a br to `again`, the loop's label).
   */
  private bulkDone(counter: number, bound: number, after: () => void, again: () => number): void {
    const f = this.f;
    this.rget(counter);
    this.rget(bound);
    f.op(Op.i64_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    after();
    this.close();
    f.opU(Op.br, again());
  }

  /**
   * A byte-fill loop `sb v, 0(p); addi p, p, 1; bne p, q, loop` (xv6's memset), in a
   * region's block or an inlined callee's: run as many iterations as fit in the page,
   * the budget and the distance to q at once, counting 3 instructions each, then go
   * round again (`again`: the loop's label) or on (`after`). On a store-TLB hit with
   * memory.fill; else through the hart (a page not cached yet, or one it watches for
   * code or page tables), which says when it cannot (a fault, a device): then the
   * loop's own code below runs, which faults exactly where one iteration would.
   */
  private emitBulkFill(b: Block, after: () => void, again: () => number): void {
    if (b.insts.length !== 3) return;
    const [[w0, i0], [w1, i1], [w2]] = b.insts;
    const p = rs1Of(w0), v = rs2Of(w0);
    const a1 = rs1Of(w2), a2 = rs2Of(w2);
    const q = a1 === p ? a2 : a1;
    const ok = (w0 & 0xff) === D.OP_SB && i0 === 0 && (w1 & 0xff) === D.OP_ADDI && i1 === 1 &&
      rdOf(w1) === p && rs1Of(w1) === p && (w2 & 0xff) === D.OP_BNE &&
      (a1 === p || a2 === p) && q !== p && p !== 0 && v !== p;
    if (!ok) return;
    const f = this.f, L = this.L;
    // a = p; t = min(bytes to the page end, (budget - steps) / 3, q - p)
    this.rget(p);
    f.set(this.a);
    f.i32(4096).get(this.a).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and, Op.i32_sub).set(this.t);
    f.get(this.budget).get(this.steps).op(Op.i32_sub).i32(3).op(Op.i32_div_s).set(this.e);
    f.get(this.e).get(this.t).get(this.e).get(this.t).op(Op.i32_lt_u, Op.select).set(this.t);
    this.rget(q);
    this.rget(p);
    f.op(Op.i64_sub).tee(this.v).get(this.t).op(Op.i64_extend_i32_u, Op.i64_lt_u);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.v).op(Op.i32_wrap_i64).set(this.t);
    this.close();
    // At least two iterations: fill inline on a TLB hit (the store TLB maps no watched
    // page), else through the hart (s = 1: it could not; the stores below will say why).
    f.get(this.t).i32(1).op(Op.i32_gt_u);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.tlbCheck(L.storeData, 1);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.ramOffset(L.storeData);
    f.get(this.p);
    this.rget(v);
    f.op(Op.i32_wrap_i64).get(this.t).op(0xfc, 0x0b, 0x00); // memory.fill
    f.i32(0).set(this.s);
    f.op(Op.else);
    f.get(this.a).op(Op.i32_wrap_i64);
    f.get(this.a).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    this.rget(v);
    f.op(Op.i32_wrap_i64).get(this.t).get(this.steps).i32(1).op(Op.i32_add);
    f.opU(Op.call, F_FILL).set(this.s);
    this.close();
    f.get(this.s).i32(1).op(Op.i32_ne);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    // Filled: count 3 instructions a byte, move p on.
    f.get(this.steps).get(this.t).i32(3).op(Op.i32_mul, Op.i32_add).set(this.steps);
    this.rget(p);
    f.get(this.t).op(Op.i64_extend_i32_u, Op.i64_add);
    this.rset(p);
    // Decoded code there went (s = -1): leave, at the loop or past it when p reached q.
    f.get(this.s);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.rget(p);
    this.rget(q);
    f.op(Op.i64_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.exitAt(b.end, ST_EVENT);
    this.close();
    this.exitAt(b.slot, ST_EVENT);
    this.close();
    this.bulkDone(p, q, after, again);
    this.close();
    this.close();
  }

  /**
   * A block's instructions up to its control transfer (if it ends in one), in turn;
   * a run of loads and stores off one base register (runEnd: a function's prologue or
   * epilogue, say) shares one TLB lookup (emitRun). Returns the offset past them.
   */
  private emitBody(b: Block): number {
    const n = b.control ? b.insts.length - 1 : b.insts.length;
    let off = b.slot;
    for (let k = 0; k < n;) {
      const m = Math.max(runEnd(b, k, n), k + 1);
      if (m - k >= 2) this.emitRun(b, k, m, off);
      else this.emitInst(b.insts[k][0], b.insts[k][1], off, k);
      for (; k < m; k++) off += b.insts[k][0] >>> 27;
    }
    return off;
  }

  /**
   * Instructions k..m-1 of b, a run as runEnd finds it. When the bytes they touch lie
   * in one page that the TLB maps for them, one lookup serves all: none of them can
   * fault or reach a device, so they are plain memory accesses at fixed offsets. Else
   * each takes its own path as usual.
   */
  private emitRun(b: Block, k: number, m: number, off: number): void {
    const f = this.f, L = this.L;
    const run = b.insts.slice(k, m);
    const acc = run.filter(([w]) => accessKind(w & 0xff) !== 0);
    const lo = Math.min(...acc.map(([, imm]) => imm));
    const hi = Math.max(...acc.map(([w, imm]) => imm + accessBytes(w & 0xff)));
    const base = rs1Of(run[0][0]);
    // A page the store TLB maps may be read too (a writable PTE is readable).
    const data = acc.some(([w]) => accessKind(w & 0xff) === 2) ? L.storeData : L.loadData;
    this.rget(base);
    f.i64(lo, lo >> 31).op(Op.i64_add).set(this.a);
    // One page, (a & 0xfff) + (hi - lo) <= 4096, that the TLB maps. (Alignment does
    // not matter inside a page: the slow path does a misaligned access in place too.)
    f.get(this.a).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).i32(hi - lo).op(Op.i32_add);
    f.i32(4097).op(Op.i32_lt_u);
    this.tlbCheck(data, 1);
    f.op(Op.i32_and);
    f.likely(true).op(Op.if, 0x40);
    this.depth.push("if");
    this.ramOffset(data);
    let o = off;
    for (let j = k; j < m; j++) {
      const [w, imm] = b.insts[j];
      const op = w & 0xff, kind = accessKind(op), lg = Math.log2(accessBytes(op));
      if (kind === 2) {
        f.get(this.p);
        this.rget(rs2Of(w));
        f.mem(STORE_OP[op], lg, imm - lo);
      } else if (kind === 1) {
        f.get(this.p).mem(LOAD_OP[op], lg, imm - lo);
        this.rset(rdOf(w));
      } else this.emitInst(w, imm, o, j);
      o += w >>> 27;
    }
    f.op(Op.else);
    for (let j = k; j < m; j++) {
      this.emitInst(b.insts[j][0], b.insts[j][1], off, j);
      off += b.insts[j][0] >>> 27;
    }
    this.close();
  }

  /** The in-group target offset of a block's final jump or branch, or -1. */
  private targetOf(b: Block): number {
    return staticTarget(b) ?? -1;
  }

  /** Push the value of register i (0 reads as zero). */
  private rget(i: number): void {
    if (i === 0) this.f.i64(0, 0);
    else this.f.get(this.r[i]);
  }

  /** Pop into register i (writes to x0 are dropped). */
  private rset(i: number): void {
    if (i === 0 || i === 32) this.f.op(Op.drop);
    else this.f.set(this.r[i]);
  }

  /** Push vgroup + off (a pc-relative address; off may fall outside the group). */
  private pcRel(off: number): void {
    const f = this.f;
    f.get(this.vgroup);
    f.i64(off | 0, Math.floor(off / 4294967296) | 0).op(Op.i64_add);
  }

  /** Leave with a fault at instruction k of the block (pc at off). */
  private faultAt(off: number, k: number): void {
    const f = this.f;
    f.get(this.steps).i32(k).op(Op.i32_add).set(this.steps);
    f.i32(off).set(this.pcoff);
    f.opU(Op.br, this.label("fault"));
  }

  /** A non-control instruction. */
  private emitInst(w: number, imm: number, off: number, k: number): void {
    const f = this.f;
    const op = w & 0xff;
    const rd = rdOf(w);
    const a1 = rs1Of(w);
    const a2 = rs2Of(w);
    const ilen = w >>> 27;
    const immHi = imm >> 31;
    const bin = (o: number) => {
      this.rget(a1);
      this.rget(a2);
      f.op(o);
      this.rset(rd);
    };
    const binImm = (o: number) => {
      this.rget(a1);
      f.i64(imm, immHi).op(o);
      this.rset(rd);
    };
    // 32-bit ops: wrap the operands, compute, sign-extend the result.
    const w32 = (o: number, useImm: boolean) => {
      this.rget(a1);
      f.op(Op.i32_wrap_i64);
      if (useImm) f.i32(imm);
      else {
        this.rget(a2);
        f.op(Op.i32_wrap_i64);
      }
      f.op(o, Op.i64_extend_i32_s);
      this.rset(rd);
    };
    switch (op) {
      case D.OP_LUI:
        f.i64(imm, immHi);
        return this.rset(rd);
      case D.OP_AUIPC:
        this.pcRel(off + imm);
        return this.rset(rd);
      case D.OP_FENCE:
        return;
      case D.OP_ADDI:
        return binImm(Op.i64_add);
      case D.OP_SLTI:
        this.rget(a1);
        f.i64(imm, immHi).op(Op.i64_lt_s, Op.i64_extend_i32_u);
        return this.rset(rd);
      case D.OP_SLTIU:
        this.rget(a1);
        f.i64(imm, immHi).op(Op.i64_lt_u, Op.i64_extend_i32_u);
        return this.rset(rd);
      case D.OP_XORI:
        return binImm(Op.i64_xor);
      case D.OP_ORI:
        return binImm(Op.i64_or);
      case D.OP_ANDI:
        return binImm(Op.i64_and);
      case D.OP_SLLI:
        return binImm(Op.i64_shl);
      case D.OP_SRLI:
        return binImm(Op.i64_shr_u);
      case D.OP_SRAI:
        return binImm(Op.i64_shr_s);
      case D.OP_ADD:
        return bin(Op.i64_add);
      case D.OP_SUB:
        return bin(Op.i64_sub);
      case D.OP_SLL:
        return bin(Op.i64_shl);
      case D.OP_SRL:
        return bin(Op.i64_shr_u);
      case D.OP_SRA:
        return bin(Op.i64_shr_s);
      case D.OP_SLT:
        this.rget(a1);
        this.rget(a2);
        f.op(Op.i64_lt_s, Op.i64_extend_i32_u);
        return this.rset(rd);
      case D.OP_SLTU:
        this.rget(a1);
        this.rget(a2);
        f.op(Op.i64_lt_u, Op.i64_extend_i32_u);
        return this.rset(rd);
      case D.OP_XOR:
        return bin(Op.i64_xor);
      case D.OP_OR:
        return bin(Op.i64_or);
      case D.OP_AND:
        return bin(Op.i64_and);
      case D.OP_ADDIW:
        return w32(Op.i32_add, true);
      case D.OP_SLLIW:
        return w32(Op.i32_shl, true);
      case D.OP_SRLIW:
        return w32(Op.i32_shr_u, true);
      case D.OP_SRAIW:
        return w32(Op.i32_shr_s, true);
      case D.OP_ADDW:
        return w32(Op.i32_add, false);
      case D.OP_SUBW:
        return w32(Op.i32_sub, false);
      case D.OP_SLLW:
        return w32(Op.i32_shl, false);
      case D.OP_SRLW:
        return w32(Op.i32_shr_u, false);
      case D.OP_SRAW:
        return w32(Op.i32_shr_s, false);
      case D.OP_MUL:
        return bin(Op.i64_mul);
      case D.OP_MULW:
        return w32(Op.i32_mul, false);
      case D.OP_MULH:
      case D.OP_MULHSU:
      case D.OP_MULHU:
        return this.emitMulh(op, rd, a1, a2);
      case D.OP_DIV:
      case D.OP_DIVU:
      case D.OP_REM:
      case D.OP_REMU:
        return this.emitDiv64(op, rd, a1, a2);
      case D.OP_DIVW:
      case D.OP_DIVUW:
      case D.OP_REMW:
      case D.OP_REMUW:
        return this.emitDiv32(op, rd, a1, a2);
      case D.OP_ATOMIC:
        return this.emitAmo(imm, rd, a1, a2, off, k, ilen);
      case D.OP_CSR:
        return this.emitCsr(imm, rd, off, k, ilen);
      case D.OP_ECALL:
      case D.OP_MRET:
      case D.OP_SRET:
      case D.OP_SFENCE_VMA:
        return this.emitSystem(op, imm, off, k, ilen);
    }
    if (op >= D.OP_LB && op <= D.OP_LWU) return this.emitLoad(op, rd, a1, imm, off, k);
    if (op >= D.OP_SB && op <= D.OP_SD) return this.emitStore(op, a1, a2, imm, off, k, ilen);
    throw new Error(`translate: unexpected op ${op}`);
  }

  /**
   * ecall, mret, sret or sfence.vma, done by the hart; then leave: at the trap (a
   * fault), at the new pc (status EVENT: the mode changed), or at the next
   * instruction (the dispatcher translates its address afresh).
   */
  private emitSystem(op: number, inst: number, off: number, k: number, ilen: number): void {
    const f = this.f;
    f.i32(op).i32(inst).get(this.steps).i32(k).op(Op.i32_add);
    f.opU(Op.call, F_SYS).tee(this.s);
    f.i32(SYS_TRAP).op(Op.i32_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.faultAt(off, k);
    this.close();
    f.get(this.steps).i32(k + 1).op(Op.i32_add).set(this.steps);
    f.get(this.s).i32(SYS_JUMPED).op(Op.i32_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.hb).mem(Op.i64_load, 3, this.L.pc).set(this.vgroup);
    f.i32(0).set(this.pcoff);
    f.i32(ST_EVENT).set(this.status);
    f.opU(Op.br, this.label("exit"));
    this.close();
    this.exitAt(off + ilen);
  }

  /** MULH / MULHSU / MULHU through the helper (rare: division by constants). */
  private emitMulh(op: number, rd: number, a1: number, a2: number): void {
    const f = this.f;
    const kind = op === D.OP_MULH ? 0 : op === D.OP_MULHSU ? 1 : 2;
    f.i32(kind);
    for (const r of [a1, a2]) {
      this.rget(r);
      f.tee(this.v).op(Op.i32_wrap_i64);
      f.get(this.v).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    }
    f.opU(Op.call, F_MULH);
    f.get(this.hb).mem(Op.i64_load, 3, this.L.scratch);
    this.rset(rd);
  }

  /** DIV, DIVU, REM, REMU with RISC-V's results for division by zero and overflow. */
  private emitDiv64(op: number, rd: number, a1: number, a2: number): void {
    const f = this.f;
    this.rget(a1);
    f.set(this.v);
    this.rget(a2);
    f.set(this.w);
    const signed = op === D.OP_DIV || op === D.OP_REM;
    const rem = op === D.OP_REM || op === D.OP_REMU;
    // if (w == 0) result = rem ? v : -1
    f.get(this.w).op(Op.i64_eqz);
    f.op(Op.if, I64);
    if (rem) f.get(this.v);
    else f.i64(-1, -1);
    f.op(Op.else);
    if (signed && !rem) {
      // v == MIN && w == -1 -> MIN (i64.div_s would trap)
      f.get(this.w).i64(-1, -1).op(Op.i64_eq);
      f.op(Op.if, I64);
      f.i64(0, 0).get(this.v).op(Op.i64_sub); // -v, which is MIN for MIN
      f.op(Op.else);
      f.get(this.v).get(this.w).op(Op.i64_div_s);
      f.op(Op.end);
    } else {
      f.get(this.v).get(this.w);
      f.op(signed ? Op.i64_rem_s : rem ? Op.i64_rem_u : Op.i64_div_u);
    }
    f.op(Op.end);
    this.rset(rd);
  }

  /** DIVW, DIVUW, REMW, REMUW: 32-bit, sign-extended results. */
  private emitDiv32(op: number, rd: number, a1: number, a2: number): void {
    const f = this.f;
    this.rget(a1);
    f.op(Op.i32_wrap_i64).set(this.t);
    this.rget(a2);
    f.op(Op.i32_wrap_i64).set(this.e);
    const signed = op === D.OP_DIVW || op === D.OP_REMW;
    const rem = op === D.OP_REMW || op === D.OP_REMUW;
    f.get(this.e).op(Op.i32_eqz);
    f.op(Op.if, I32);
    if (rem) f.get(this.t);
    else f.i32(-1);
    f.op(Op.else);
    if (signed && !rem) {
      f.get(this.e).i32(-1).op(Op.i32_eq);
      f.op(Op.if, I32);
      f.i32(0).get(this.t).op(Op.i32_sub);
      f.op(Op.else);
      f.get(this.t).get(this.e).op(Op.i32_div_s);
      f.op(Op.end);
    } else {
      f.get(this.t).get(this.e);
      f.op(signed ? Op.i32_rem_s : rem ? Op.i32_rem_u : Op.i32_div_u);
    }
    f.op(Op.end);
    f.op(Op.i64_extend_i32_s);
    this.rset(rd);
  }

  /**
   * For the VA in local a: t = its TLB tag (VPN | context bits), and push e = its
   * entry's byte offset in a TLB array (tlbIndex(t) * 4) plus the hart's base, also
   * left in local e (the TLB arrays' own offsets are relative to that base).
   */
  private tagIndex(): void {
    const f = this.f, L = this.L;
    f.get(this.a).i64(12, 0).op(Op.i64_shr_u, Op.i32_wrap_i64).get(this.ctx).op(Op.i32_or);
    f.tee(this.t).get(this.t).i32(20).op(Op.i32_shr_u).i32(0xfc0).op(Op.i32_and, Op.i32_xor);
    f.i32(L.tlbMask).op(Op.i32_and).i32(2).op(Op.i32_shl).get(this.hb).op(Op.i32_add).tee(this.e);
  }

  /**
   * Look up the VA in local a in the tlbData array at `data` (L.loadData or
   * L.storeData) for an access of `size` bytes: push whether it hits (cached in this
   * context, below 2^38, aligned); the entry's offset is left in local e. One i64
   * compare: the tag is the page's VA | dataContext(context) << 4 (mmu.ts), and the VA
   * is masked to its page and its low bits that must be zero for the access to be aligned.
   */
  private tlbCheck(data: number, size: number): void {
    const f = this.f, L = this.L;
    // e = (((a >>> 8) & (mask << 4)) ^ ctxIdx) + hb: the VPN's low bits, 16 bytes an entry
    f.get(this.a).op(Op.i32_wrap_i64).i32(8).op(Op.i32_shr_u).i32(L.tlbMask << 4).op(Op.i32_and);
    if (L.set !== 2) f.get(this.ctxIdx).op(Op.i32_xor);
    f.get(this.hb).op(Op.i32_add).tee(this.e);
    f.mem(Op.i64_load, 3, data);
    f.get(this.a).i64(-4096 | (size - 1), -1).op(Op.i64_and);
    if (L.set !== 2) f.get(this.ctxTag).op(Op.i64_or);
    else f.i64(DATA_CONTEXT_BARE << 4, 0).op(Op.i64_or);
    f.op(Op.i64_eq);
  }

  /** p = a + the addend of the tlbData entry at e (its RAM offset). */
  private ramOffset(data: number): void {
    const f = this.f;
    f.get(this.e).mem(Op.i32_load, 2, data + 8);
    f.get(this.a).op(Op.i32_wrap_i64, Op.i32_add).set(this.p);
  }

  /** A load: inline TLB hit, or the hart's slow path (which may fault). */
  private emitLoad(op: number, rd: number, a1: number, imm: number, off: number, k: number) {
    const f = this.f, L = this.L;
    const size = accessBytes(op);
    this.rget(a1);
    f.i64(imm, imm >> 31).op(Op.i64_add).set(this.a);
    this.tlbCheck(L.loadData, size);
    f.likely(true).op(Op.if, I64);
    this.depth.push("if");
    this.ramOffset(L.loadData);
    f.get(this.p).mem(LOAD_OP[op], Math.min(3, Math.log2(size)), 0);
    f.op(Op.else);
    // Slow path: helper, fault exit, then the value from scratch (extended as the op says).
    f.get(this.a).op(Op.i32_wrap_i64);
    f.get(this.a).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.i32(size);
    f.get(this.steps).i32(k + 1).op(Op.i32_add);
    f.opU(Op.call, F_LOAD).tee(this.s);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    this.faultAt(off, k);
    this.close();
    f.get(this.hb).mem(LOAD_OP[op], Math.min(3, Math.log2(size)), L.scratch);
    this.close();
    this.rset(rd);
  }

  /** A store: inline TLB hit (and code-page check), or the hart's slow path. */
  private emitStore(
    op: number,
    a1: number,
    a2: number,
    imm: number,
    off: number,
    k: number,
    ilen: number,
  ) {
    const f = this.f, L = this.L;
    const size = accessBytes(op);
    this.rget(a1);
    f.i64(imm, imm >> 31).op(Op.i64_add).set(this.a);
    this.rget(a2);
    f.set(this.v);
    this.tlbCheck(L.storeData, size);
    f.likely(true).op(Op.if, 0x40);
    this.depth.push("if");
    this.ramOffset(L.storeData);
    // (The store TLB never maps a watched page: those stores take the slow path below.)
    f.get(this.p).get(this.v).mem(STORE_OP[op], Math.min(3, Math.log2(size)), 0);
    f.op(Op.else);
    f.get(this.a).op(Op.i32_wrap_i64);
    f.get(this.a).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.i32(size);
    f.get(this.v).op(Op.i32_wrap_i64);
    f.get(this.v).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.get(this.steps).i32(k + 1).op(Op.i32_add);
    f.opU(Op.call, F_STORE).tee(this.s);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    // -1: the store happened but something changed (device, code): leave after it.
    f.get(this.s).i32(-1).op(Op.i32_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.leaveAfter(off, k, ilen);
    this.close();
    this.faultAt(off, k);
    this.close();
    this.close();
  }

  /** Leave right after instruction k (at off, ilen bytes): it retired. */
  private leaveAfter(off: number, k: number, ilen: number): void {
    const f = this.f;
    f.get(this.steps).i32(k + 1).op(Op.i32_add).set(this.steps);
    this.exitAt(off + ilen, ST_EVENT);
  }

  /** AMOSWAP/ADD/XOR/AND/OR .W/.D through the store TLB; other cases use the slow path. */
  private emitAmo(
    inst: number,
    rd: number,
    a1: number,
    a2: number,
    off: number,
    k: number,
    ilen: number,
  ) {
    const f = this.f, L = this.L;
    const dbl = ((inst >>> 12) & 7) === 3;
    const size = dbl ? 8 : 4;
    const f5 = inst >>> 27;
    this.rget(a1);
    f.set(this.a);
    // Misaligned AMOs and TLB misses: leave before it; the interpreter runs it.
    this.tlbCheck(L.storeData, size);
    f.op(Op.i32_eqz);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.steps).i32(k).op(Op.i32_add).set(this.steps);
    this.exitAt(off);
    this.close();
    this.ramOffset(L.storeData);
    // old value
    f.get(this.p).mem(dbl ? Op.i64_load : Op.i64_load32_s, dbl ? 3 : 2, 0).set(this.w);
    f.get(this.p);
    this.rget(a2);
    if (f5 !== 1) {
      f.get(this.w);
      f.op(f5 === 0 ? Op.i64_add : f5 === 4 ? Op.i64_xor : f5 === 12 ? Op.i64_and : Op.i64_or);
    }
    f.mem(dbl ? Op.i64_store : Op.i64_store32, dbl ? 3 : 2, 0);
    if (f5 === 1 && L.spin !== 0) {
      // A swap that found its own (non-zero) value: someone holds the lock. Flag it
      // and leave after the instruction, so the hart can yield its turn.
      this.rget(a2);
      if (!dbl) f.op(Op.i32_wrap_i64, Op.i64_extend_i32_s);
      f.get(this.w).op(Op.i64_eq);
      f.get(this.w).op(Op.i64_eqz, Op.i32_eqz, Op.i32_and);
      f.likely(false).op(Op.if, 0x40);
      this.depth.push("if");
      f.get(this.w);
      this.rset(rd);
      f.get(this.hb).i32(1).mem(Op.i32_store, 2, L.spin);
      this.leaveAfter(off, k, ilen);
      this.close();
    }
    f.get(this.w);
    this.rset(rd);
  }

  /**
   * A CSR instruction. sstatus in S-mode code is done inline (xv6's locks read and
   * write it constantly): a change of SUM or MXR, or any other CSR, goes through the
   * hart; turning SIE on leaves the region so a pending interrupt is taken at once.
   */
  private emitCsr(inst: number, rd: number, off: number, k: number, ilen: number): void {
    const f = this.f, L = this.L;
    const f3 = (inst >>> 12) & 7;
    const src = (inst >>> 15) & 31;
    const op = f3 & 3;
    const writes = op === 1 || src !== 0;
    // Source value as i64 in local w (uimm or register).
    if (f3 >= 5) f.i64(src, 0);
    else this.rget(src);
    f.set(this.w);
    if (L.set === 1 && PLAIN_CSRS.has(inst >>> 20)) return this.emitPlainCsr(inst, rd, op, writes);
    const inlineOk = (inst >>> 20) === CSR_SSTATUS && L.set === 1;
    if (inlineOk) {
      // old (t) and new (e) low words of mstatus
      f.get(this.hb).mem(Op.i32_load, 2, L.mstatus).set(this.t);
      const srcView = () => f.get(this.w).op(Op.i32_wrap_i64).i32(SSTATUS_VIEW).op(Op.i32_and);
      if (!writes) f.get(this.t).set(this.e);
      else if (op === 1) {
        f.get(this.t).i32(~SSTATUS_VIEW).op(Op.i32_and);
        srcView();
        f.op(Op.i32_or).set(this.e);
      } else if (op === 2) {
        f.get(this.t);
        srcView();
        f.op(Op.i32_or).set(this.e);
      } else {
        f.get(this.t);
        srcView();
        f.i32(-1).op(Op.i32_xor, Op.i32_and).set(this.e);
      }
      // SUM or MXR changing: let the hart do it (it flushes the TLBs).
      f.get(this.t).get(this.e).op(Op.i32_xor).i32(SUM_MXR).op(Op.i32_and, Op.i32_eqz);
      f.likely(true).op(Op.if, 0x40);
      this.depth.push("if");
      if (writes) f.get(this.hb).get(this.e).mem(Op.i32_store, 2, L.mstatus);
      // rd = old & view, with UXL = 2 in bits 33..32
      f.get(this.t).i32(SSTATUS_VIEW).op(Op.i32_and, Op.i64_extend_i32_u);
      f.i64(0, 2).op(Op.i64_or);
      this.rset(rd);
      // SIE turned on while some interrupt is pending (mip & mie, as it was on entry;
      // nothing in the region raises one without leaving): leave, so it is taken now.
      f.get(this.e).get(this.t).i32(-1).op(Op.i32_xor, Op.i32_and).i32(SIE).op(Op.i32_and);
      f.i32(1).op(Op.i32_shr_u); // 1 if SIE turned on
      f.get(this.hb).mem(Op.i32_load, 2, L.pending).i32(0).op(Op.i32_ne, Op.i32_and);
      f.likely(false).op(Op.if, 0x40);
      this.depth.push("if");
      f.get(this.hb).i32(1).mem(Op.i32_store, 2, L.sieRaised);
      this.leaveAfter(off, k, ilen);
      this.close();
      f.op(Op.else);
      this.emitCsrCall(inst, rd, off, k, ilen);
      this.close();
      return;
    }
    this.emitCsrCall(inst, rd, off, k, ilen);
  }

  /**
   * A CSR instruction on one of PLAIN_CSRS in S-mode (source value in local w): rd =
   * the old value; the new one (the source, or old | source, or old & ~source) stored
   * with the CSR's masked bits clear, as the hart's CSR file does.
   */
  private emitPlainCsr(inst: number, rd: number, op: number, writes: boolean): void {
    const f = this.f, n = inst >>> 20, at = this.L.csrs + 8 * n, clear = PLAIN_CSRS.get(n)!;
    f.get(this.hb).mem(Op.i64_load, 3, at).set(this.v);
    if (writes) {
      // new value in local a
      if (op === 1) f.get(this.w);
      else if (op === 2) f.get(this.v).get(this.w).op(Op.i64_or);
      else f.get(this.v).get(this.w).i64(-1, -1).op(Op.i64_xor, Op.i64_and);
      f.set(this.a);
      // stvec: a reserved mode (2 or 3) keeps the old value
      if (n === CSR_STVEC) {
        f.get(this.a).op(Op.i32_wrap_i64).i32(2).op(Op.i32_and);
        f.op(Op.if, 0x40);
        this.depth.push("if");
        f.get(this.v).set(this.a);
        this.close();
      }
      f.get(this.hb).get(this.a).i64(~clear, -1).op(Op.i64_and).mem(Op.i64_store, 3, at);
    }
    f.get(this.v);
    this.rset(rd);
  }

  /** Tell the hart how many instructions retired before instruction k (for counter reads). */
  private publishSteps(k: number): void {
    const f = this.f;
    f.get(this.hb).get(this.steps).i32(k).op(Op.i32_add).mem(Op.i32_store, 2, this.L.status + 4);
  }

  /** A CSR instruction through the hart (source value in local w). */
  private emitCsrCall(inst: number, rd: number, off: number, k: number, ilen: number): void {
    const f = this.f, L = this.L;
    this.publishSteps(k);
    f.i32(inst);
    f.get(this.w).op(Op.i32_wrap_i64);
    f.get(this.w).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.opU(Op.call, F_CSR).set(this.s);
    // Illegal: a fault at this instruction (the hart recorded cause 2 and tval).
    f.get(this.s).i32(2).op(Op.i32_eq);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    this.faultAt(off, k);
    this.close();
    f.get(this.hb).mem(Op.i64_load, 3, L.scratch);
    this.rset(rd);
    // Translation changed (satp, SUM): go on at the next instruction through the
    // dispatcher, which translates its address afresh.
    f.get(this.s).i32(CSR_RELOOK).op(Op.i32_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.steps).i32(k + 1).op(Op.i32_add).set(this.steps);
    this.exitAt(off + ilen);
    this.close();
    f.get(this.s);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.leaveAfter(off, k, ilen);
    this.close();
  }

  /** The block's last instruction: a branch or jump (steps already counted). */
  private emitControl(w: number, imm: number, off: number, i: number, selfLoop: boolean): void {
    const f = this.f;
    const op = w & 0xff;
    const rd = rdOf(w);
    const a1 = rs1Of(w);
    const a2 = rs2Of(w);
    const ilen = w >>> 27;
    const target = off + imm;
    const goTarget = () => {
      if (selfLoop && target === this.blocks[i].slot) f.opU(Op.br, this.label(`self${i}`));
      else this.jumpTo(target, i);
    };
    if (op === D.OP_JAL) {
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      if (rd === 1 && (target >> 12) !== (this.blocks[i].slot >> 12)) {
        // A call to another page: run the callee here, then go on at the return address.
        const slot = this.blocks[i].slot;
        if (this.emitInlineCall(target, 0, () => this.jumpTo(off + ilen, i), slot)) return;
      }
      return goTarget();
    }
    if (op === D.OP_JALR) {
      const t = staticJalr(this.blocks[i]);
      if (t === null) return this.emitJalr(rd, a1, imm, off, ilen, i);
      // auipc + jalr: a jump or call to a known place.
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      if (rd === 1 && (t >> 12) !== (this.blocks[i].slot >> 12)) {
        const slot = this.blocks[i].slot;
        if (this.emitInlineCall(t, 0, () => this.jumpTo(off + ilen, i), slot)) return;
      }
      if (selfLoop && t === this.blocks[i].slot) return void f.opU(Op.br, this.label(`self${i}`));
      return this.jumpTo(t, i);
    }
    // Conditional branch.
    this.rget(a1);
    this.rget(a2);
    f.op(BRANCH_CMP[op]);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    goTarget();
    this.close();
    this.jumpTo(off + ilen, i);
  }

  /**
   * JALR: target = (rs1 + imm) & ~1, then the link (rd may be rs1). A target in this
   * group's pages goes through the dispatch table (after a fetch-TLB check when it is
   * another page); anything else leaves with pc = target.
   */
  private emitJalr(rd: number, a1: number, imm: number, off: number, ilen: number, i: number) {
    const f = this.f;
    this.rget(a1);
    f.i64(imm, imm >> 31).op(Op.i64_add).i64(~1, -1).op(Op.i64_and).set(this.a);
    if (rd !== 0 && rd !== 32) {
      this.pcRel(off + ilen);
      this.rset(rd);
    }
    const page = this.blocks[i].slot >> 12;
    // d = target - vgroup; same page of the group: dispatch.
    f.get(this.a).get(this.vgroup).op(Op.i64_sub).tee(this.v).i64(12, 0).op(Op.i64_shr_u);
    f.i64(page, 0).op(Op.i64_eq);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.v).op(Op.i32_wrap_i64).set(this.pcoff);
    f.opU(Op.br, this.label("dispatch"));
    this.close();
    // Another page of the group, mapped where the group says: dispatch too.
    f.get(this.v).i64(GROUP_BYTES, 0).op(Op.i64_lt_u);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.v).op(Op.i32_wrap_i64).i32(12).op(Op.i32_shr_u).set(this.s);
    this.pageCheckDynamic();
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.v).op(Op.i32_wrap_i64).set(this.pcoff);
    f.opU(Op.br, this.label("dispatch"));
    this.close();
    this.close();
    // Elsewhere: leave with pc = target (vgroup becomes the target, pcoff 0).
    f.get(this.a).set(this.vgroup);
    f.i32(0).set(this.pcoff);
    f.opU(Op.br, this.label("exit"));
  }

  /**
   * The blocks of the function at group offset `entry` (for inlining): followed from
   * the entry through branches and jumps, all in the entry's page; a call ends a
   * block (the callee is inlined or left) and the block after it continues. null if
   * the code cannot be read or the function is too big.
   */
  private calleeBlocks(entry: number): Block[] | null {
    return this.explore(entry, INLINE_CALLEE, true);
  }

  /**
   * Does the function at `entry` ever return (a plain ret is reachable, assuming the
   * functions it calls return)? panic() does not: code after a call to it is another
   * function, not to be followed.
   */
  private returns(entry: number): boolean {
    let r = this.returnsMemo.get(entry);
    if (r === undefined) {
      const blocks = this.explore(entry, 400, false);
      r = blocks !== null && blocks.some(isReturn);
      this.returnsMemo.set(entry, r);
    }
    return r;
  }

  /**
   * The blocks reachable from `entry` in its page, at most `limit` instructions (else
   * null). A call's next instruction is followed when the callee returns (checked
   * when `strict`, assumed otherwise).
   */
  private explore(entry: number, limit: number, strict: boolean): Block[] | null {
    const inl = this.inl!;
    const page = entry >> 12;
    const ram = (o: number) => this.groupRam + o;
    const work = [entry];
    const found = new Map<number, Block>();
    const seen = new Set<number>(); // found, or left out as never run
    let count = 0;
    while (work.length > 0) {
      const slot = work.pop()!;
      if (seen.has(slot) || (slot >> 12) !== page) continue;
      seen.add(slot);
      if (ram(slot) < 0 || ram(slot) + 4 > inl.ramSize) return null;
      const b: Block = { slot, insts: [], end: slot, control: false };
      let s = slot;
      for (;;) {
        if ((s >> 12) !== page) break;
        const d = inl.read(ram(s));
        if (d === null) break;
        const [w, imm] = d;
        if (!translatable(w, imm)) break;
        b.insts.push([w, imm]);
        s += w >>> 27;
        const op = w & 0xff;
        if (isSystem(op)) break;
        if (isControl(op)) {
          b.control = true;
          const target = op === D.OP_JALR ? staticJalr(b) : s - (w >>> 27) + imm;
          const jump = op === D.OP_JAL || op === D.OP_JALR;
          const linked = ((w >>> 8) & 0x7f) !== 64;
          if (target !== null && !(jump && linked)) work.push(target); // a jump or a branch
          if (!jump) work.push(s); // a branch falls through
          else if (linked && target !== null && (!strict || this.returns(target))) work.push(s);
          break;
        }
      }
      b.end = s;
      if (b.insts.length === 0) return null;
      // Inlining copies only code that has run; the rest of the callee is left by exits.
      if (strict && !inl.executed(ram(slot))) {
        if (slot === entry) return null;
        continue;
      }
      found.set(slot, b);
      count += b.insts.length;
      if (count > limit) return null;
    }
    return [...found.values()].sort((x, y) => x.slot - y.slot);
  }

  /**
   * Inline the function at group offset `target` at a call site whose return address
   * (already in ra) is `ret` relative to the callee's caller. The callee's page must be
   * mapped where it is in physical memory (checked first: else the call leaves the
   * region as usual). Its `ret` continues with `after` when ra still holds the return
   * address, and leaves with pc = ra otherwise. Returns false when it cannot inline.
   */
  private emitInlineCall(target: number, depth: number, after: () => void, from = -1): boolean {
    const chosen = this.accepted.has(target) || (depth === 0 && this.acceptedSites.has(from));
    if (this.inl === undefined || depth >= INLINE_DEPTH || !chosen) return false;
    const cbs = this.calleeBlocks(target);
    if (cbs === null) return false;
    const size = countInsts(cbs);
    if (this.inlined + size > INLINE_CAP) return false;
    const f = this.f;
    const site = this.sites++;
    const delta = target & ~0xfff;
    this.inl.usePage((this.groupRam + delta) >>> 12);
    this.inlined += size;
    // ra is the return address: remember it to check at the callee's ret.
    const retVa = this.f.local(I64);
    f.get(this.r[1]).set(retVa);
    // Guard: the callee's page maps to where its code was read (checked once a run:
    // only an instruction that leaves the region can change the mapping).
    const checked = this.pageChecked(delta);
    f.get(checked).op(Op.i32_eqz);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    this.pcRel(target);
    f.set(this.a);
    this.pageCheckRam(delta);
    f.op(Op.i32_eqz);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    this.exitAt(target);
    this.close();
    f.i32(1).set(checked);
    this.close();
    const idx = new Map<number, number>();
    cbs.forEach((b, k) => idx.set(b.slot, k));
    if (idx.get(target) === 0 && !jumpsBack(cbs, idx)) {
      this.emitStraightCallee(cbs, idx, depth, retVa, site);
      after();
      return true;
    }
    f.i32(idx.get(target)!).set(this.cb);
    this.open(`ret${site}`, Op.block);
    this.open(`inl${site}`, Op.loop);
    for (let k = cbs.length - 1; k >= 0; k--) this.open(`c${site}_${k}`, Op.block);
    this.open(`ctab${site}`, Op.block);
    f.get(this.cb).op(Op.br_table).u(cbs.length);
    for (let k = 0; k < cbs.length; k++) f.u(k + 1);
    f.u(0);
    this.close(); // ctab: cannot happen
    f.op(Op.unreachable);
    // Jump from callee block k to callee offset off.
    const jump = (off: number, k: number) => {
      const j = idx.get(off);
      if (j === undefined) return this.exitAt(off);
      if (j > k) return f.opU(Op.br, this.label(`c${site}_${j}`));
      f.i32(j).set(this.cb);
      f.opU(Op.br, this.label(`inl${site}`));
    };
    for (let k = 0; k < cbs.length; k++) {
      this.close(); // c_k: its code follows
      this.emitCalleeBlock(cbs[k], k, depth, retVa, site, jump);
    }
    this.close(); // inl
    this.close(); // ret: the callee returned
    after();
    return true;
  }

  /** One block of an inlined callee. */
  private emitCalleeBlock(
    b: Block,
    k: number,
    depth: number,
    retVa: number,
    site: number,
    jump: (off: number, k: number) => void,
  ): void {
    const f = this.f;
    const len = b.insts.length;
    // A block that branches back to itself is a loop of its own (and maybe a byte fill).
    const self = b.control && staticTarget(b) === b.slot ? `cself${site}_${k}` : null;
    if (self !== null) {
      this.open(self, Op.loop);
      const inner = jump;
      jump = (off, from) => off === b.slot ? f.opU(Op.br, this.label(self)) : inner(off, from);
    }
    f.get(this.steps).i32(len).op(Op.i32_add).get(this.budget).op(Op.i32_gt_s);
    f.likely(false).op(Op.if, 0x40);
    this.depth.push("if");
    this.exitAt(b.slot);
    this.close();
    if (self !== null) this.emitBulk(b, () => jump(b.end, k), () => this.label(self));
    const off = this.emitBody(b);
    if (b.control) {
      const [w, imm] = b.insts[len - 1];
      f.get(this.steps).i32(len).op(Op.i32_add).set(this.steps);
      this.emitCalleeControl(b, w, imm, off, k, depth, retVa, site, jump);
    } else {
      f.get(this.steps).i32(len).op(Op.i32_add).set(this.steps);
      jump(b.end, k);
    }
    if (self !== null) this.close();
  }

  /**
   * An inlined callee whose jumps all go forward, entered at its first block: its
   * blocks in order in nested `block`s, no dispatch (xv6's push_off, holding, ...).
   */
  private emitStraightCallee(
    cbs: Block[],
    idx: Map<number, number>,
    depth: number,
    retVa: number,
    site: number,
  ): void {
    this.open(`ret${site}`, Op.block);
    for (let k = cbs.length - 1; k >= 1; k--) this.open(`c${site}_${k}`, Op.block);
    const jump = (off: number, k: number) => {
      const j = idx.get(off);
      if (j === undefined || j <= k) return this.exitAt(off);
      this.f.opU(Op.br, this.label(`c${site}_${j}`));
    };
    for (let k = 0; k < cbs.length; k++) {
      if (k > 0) this.close(); // c_k: its code follows
      this.emitCalleeBlock(cbs[k], k, depth, retVa, site, jump);
    }
    this.close(); // ret: the callee returned
  }

  /** A local set to 1 once this run has checked that the page `delta` bytes on is mapped. */
  private pageChecked(delta: number): number {
    let local = this.checkedPages.get(delta);
    if (local === undefined) this.checkedPages.set(delta, local = this.f.local(I32));
    return local;
  }

  /** The control transfer ending an inlined callee's block. */
  private emitCalleeControl(
    b: Block,
    w: number,
    imm: number,
    off: number,
    k: number,
    depth: number,
    retVa: number,
    site: number,
    jump: (off: number, k: number) => void,
  ): void {
    const f = this.f;
    const op = w & 0xff;
    const rd = rdOf(w);
    const a1 = rs1Of(w);
    const a2 = rs2Of(w);
    const ilen = w >>> 27;
    if (op === D.OP_JAL) {
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      if (rd === 1 && this.emitInlineCall(off + imm, depth + 1, () => jump(off + ilen, k))) return;
      return jump(off + imm, k);
    }
    const st = op === D.OP_JALR ? staticJalr(b) : null;
    if (st !== null) {
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      if (rd === 1 && this.emitInlineCall(st, depth + 1, () => jump(off + ilen, k))) return;
      return jump(st, k);
    }
    if (op === D.OP_JALR) {
      this.rget(a1);
      f.i64(imm, imm >> 31).op(Op.i64_add).i64(~1, -1).op(Op.i64_and).set(this.a);
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      // Back to the caller when the target is the return address of this call.
      f.get(this.a).get(retVa).op(Op.i64_eq).likely(true).opU(Op.br_if, this.label(`ret${site}`));
      f.get(this.a).set(this.vgroup);
      f.i32(0).set(this.pcoff);
      f.opU(Op.br, this.label("exit"));
      return;
    }
    this.rget(a1);
    this.rget(a2);
    f.op(BRANCH_CMP[op]);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    jump(off + imm, k);
    this.close();
    jump(off + ilen, k);
  }

  /**
   * With a VA in local a, push whether the fetch TLB maps its page to the RAM page
   * `delta` bytes from the group's (where the translator read the code it inlined).
   */
  private pageCheckRam(delta: number): void {
    const f = this.f, L = this.L;
    this.tagIndex();
    f.mem(Op.i32_load, 2, L.fetchTags).get(this.t).op(Op.i32_eq);
    f.get(this.e).mem(Op.i32_load, 2, L.fetchBases).get(this.gram);
    if (delta !== 0) f.i32(delta).op(Op.i32_add);
    f.op(Op.i32_eq, Op.i32_and);
    f.get(this.a).i64(38, 0).op(Op.i64_shr_u, Op.i64_eqz, Op.i32_and);
  }

  /** As pageCheck, for the page number in local s (VA in local a). */
  private pageCheckDynamic(): void {
    const f = this.f, L = this.L;
    this.tagIndex();
    f.mem(Op.i32_load, 2, L.fetchTags).get(this.t).op(Op.i32_eq);
    f.get(this.e).mem(Op.i32_load, 2, L.fetchBases);
    f.get(this.s).i32(12).op(Op.i32_shl).get(this.gram).op(Op.i32_add, Op.i32_eq, Op.i32_and);
    f.get(this.a).i64(38, 0).op(Op.i64_shr_u, Op.i64_eqz, Op.i32_and);
  }
}

/** Compiled modules by content: the same code (a program run again, a test case) compiles once. */
const moduleCache = new Map<string, WebAssembly.Module>();
let moduleCacheBytes = 0;
/** Bytes of module code kept in the cache before it is emptied. */
const MODULE_CACHE_LIMIT = 64 * 1024 * 1024;

/** A module for these bytes, compiled now or found in the cache. */
export function cachedModule(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  const key = new TextDecoder("latin1").decode(bytes);
  let mod = moduleCache.get(key);
  if (mod === undefined) {
    mod = new WebAssembly.Module(bytes);
    if (moduleCacheBytes > MODULE_CACHE_LIMIT) {
      moduleCache.clear();
      moduleCacheBytes = 0;
    }
    moduleCache.set(key, mod);
    moduleCacheBytes += bytes.length;
  }
  return mod;
}

/** Dispatcher exit statuses (beside the regions' own): no translation / no region for pc. */
export const ST_MISS = 3, ST_NOCODE = 4;
/** Dispatcher exit: pc was entered often enough for its page's level (see HOT_RETURNS). */
export const ST_HOT = 6;

/** Where the dispatcher finds a hart's state, per TLB set. */
export interface DispatchLayout {
  pc: number;
  status: number;
  entry: number;
  /** Where the entry page's RAM offset goes (HartLayout.entryRam, absolute here). */
  entryRam: number;
  /** The hart's state base: the regions' second argument. */
  base: number;
  /** Ram.entryCounts (absolute) and its number of counters (a power of two). */
  entryCounts: number;
  entrySlots: number;
  /** A byte per (RAM page * 3 + set): its level (how often the hart translated it for hot calls). */
  regionHot: number;
  /** Per set: the fetch TLB's tag and base arrays. */
  fetchTags: number[];
  fetchBases: number[];
  /** regionIndex: an i32 per (RAM page * 3 + set): the table index of its region, or 0. */
  regionIndex: number;
  /** Where the dispatcher keeps the steps run so far (helpers add their region's count). */
  done: number;
  /** The MMU's current context tag bits (i32). */
  ctx: number;
  tlbMask: number;
}

export type DispatchFn = (budget: number) => number;

/**
 * The dispatcher, one function per TLB set: runs translated regions one after another
 * without returning to JavaScript, while the budget lasts. For pc it looks up the
 * fetch TLB (a miss: status MISS), the region of that physical page (none: NOCODE),
 * and calls it through the table; it stops when a region returns a status other than
 * NORMAL (a fault, an event, or no block at that pc) or makes no progress. Returns
 * the steps retired.
 */
export function compileDispatcher(
  L: DispatchLayout,
  memory: WebAssembly.Memory,
  table: WebAssembly.Table,
): DispatchFn[] {
  const funcs: { type: number; body: FuncBuilder; export: string }[] = [];
  for (let set = 0; set < 3; set++) {
    const f = new FuncBuilder(1);
    const budget = 0;
    const steps = f.local(I32), pc = f.local(I64), tag = f.local(I32), e = f.local(I32);
    const idx = f.local(I32), r = f.local(I32), ram = f.local(I32), key = f.local(I32);
    f.op(Op.block, 0x40); // $out
    f.op(Op.loop, 0x40); // $next
    f.i32(0).mem(Op.i64_load, 3, L.pc).set(pc);
    // The fetch TLB: VA below 2^38 and cached, else MISS.
    f.i32(ST_MISS).set(r);
    f.get(pc).i64(38, 0).op(Op.i64_shr_u, Op.i64_eqz, Op.i32_eqz).likely(false).opU(Op.br_if, 1);
    f.get(pc).i64(12, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    if (set !== 2) f.i32(0).mem(Op.i32_load, 2, L.ctx).op(Op.i32_or);
    f.tee(tag).get(tag).i32(20).op(Op.i32_shr_u).i32(0xfc0).op(Op.i32_and, Op.i32_xor);
    f.i32(L.tlbMask).op(Op.i32_and).i32(2).op(Op.i32_shl).tee(e);
    f.mem(Op.i32_load, 2, L.fetchTags[set]).get(tag).op(Op.i32_ne).likely(false).opU(Op.br_if, 1);
    // The region of the physical page, else NOCODE.
    f.i32(ST_NOCODE).set(r);
    f.get(e).mem(Op.i32_load, 2, L.fetchBases[set]).tee(ram).i32(12).op(Op.i32_shr_u);
    f.i32(3).op(Op.i32_mul).i32(set).op(Op.i32_add).tee(key).i32(2).op(Op.i32_shl);
    f.mem(Op.i32_load, 2, L.regionIndex).tee(idx).op(Op.i32_eqz).likely(false).opU(Op.br_if, 1);
    f.i32(0).get(pc).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).mem(Op.i32_store, 2, L.entry);
    f.i32(0).get(ram).mem(Op.i32_store, 2, L.entryRam);
    // Count the entry at this RAM halfword. From HOT_RETURNS * 4^level on (the page's
    // level: how often this hart translated it for hot calls), leave first (HOT).
    f.get(ram).get(pc).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and, Op.i32_or);
    f.i32(1).op(Op.i32_shr_u).i32(L.entrySlots - 1).op(Op.i32_and).i32(2).op(Op.i32_shl).tee(tag);
    f.get(tag).mem(Op.i32_load, 2, L.entryCounts).i32(1).op(Op.i32_add).tee(e);
    f.mem(Op.i32_store, 2, L.entryCounts);
    f.i32(ST_HOT).set(r);
    f.get(e).get(key).mem(Op.i32_load8_u, 0, L.regionHot).i32(1).op(Op.i32_shl, Op.i32_shr_u);
    f.i32(HOT_RETURNS).op(Op.i32_ge_u).likely(false).opU(Op.br_if, 1);
    f.i32(0).get(steps).mem(Op.i32_store, 2, L.done);
    // steps += region(budget - steps, base)
    f.get(budget).get(steps).op(Op.i32_sub).i32(L.base).get(idx);
    f.opU(Op.call_indirect, 1).op(0x00).tee(r);
    f.get(steps).op(Op.i32_add).set(steps);
    // Go on while the region ran normally and made progress.
    f.i32(0).mem(Op.i32_load, 2, L.status).set(idx);
    f.get(r).op(Op.i32_eqz).get(idx).op(Op.i32_or, Op.i32_eqz).likely(true).opU(Op.br_if, 0);
    f.get(idx).set(r);
    f.op(Op.end); // loop
    f.op(Op.end); // block $out: r holds the status (MISS / NOCODE / the region's)
    f.i32(0).get(r).mem(Op.i32_store, 2, L.status);
    f.get(steps);
    funcs.push({ type: 0, body: f, export: `set${set}` });
  }
  const bytes = buildModule({
    types: [{ params: [I32], results: [I32] }, { params: [I32, I32], results: [I32] }],
    imports: [],
    memoryPages: memory.buffer.byteLength / 65536,
    tableSize: 1,
    funcs,
  });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { mem: memory, table },
  });
  return [0, 1, 2].map((i) => inst.exports[`set${i}`] as DispatchFn);
}
