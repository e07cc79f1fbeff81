// The translator: turns hot guest code into WebAssembly, so it runs as native
// 64-bit machine code instead of being interpreted.
//
// A region is the code of one 4 KiB physical page, for one TLB set (the mode it
// runs in): the blocks reachable from the entry points seen so far, following
// fall-throughs, branches and direct jumps that stay in the page. It becomes one
// WebAssembly function:
//
//   fn(budget) -> steps       reads pc from the hart's state, runs blocks while the
//                             budget lasts, writes pc and an exit status back
//
// Inside, guest registers live in WebAssembly i64 locals (loaded on entry, stored
// on exit), so the engine keeps them in host registers. Blocks are laid out in
// address order inside nested `block`s, so a forward branch is a direct `br`; any
// other jump in the page goes through a `br_table` on the halfword slot, and a jump
// out of the page (or to a slot with no block) leaves the function with pc set.
// A block that branches back to its own start is a `loop`.
//
// Every block first checks that it fits in what is left of the budget, so
// translated code retires exactly as many instructions as the interpreter would
// before returning; instructions the translator does not handle (CSR, system,
// LR/SC) end a block, and the interpreter runs them.
//
// Loads and stores look up the hart's TLB for the set inline: one compare on a hit.
// A miss, a page-crossing access or a device address calls back into the hart
// (slowLoad / slowStore), which may report a fault: then the function returns with
// pc at that instruction and the retired count before it (status FAULT). A store
// to a page holding decoded code calls codeWrite and leaves right after the store
// (status EVENT), since this very region may be stale.

import * as D from "./decode.ts";
import { buildModule, FuncBuilder, I32, I64, Op } from "./wasm.ts";

/** Exit status written by a region function. */
export const ST_NORMAL = 0, ST_FAULT = 1, ST_EVENT = 2;

/** Where a hart's state lives in the WebAssembly memory (byte offsets). */
export interface HartLayout {
  /** x0..x31 as little-endian i64 (x0 unused). */
  regs: number;
  /** pc (i64), exit status (i32), and the helper scratch i64 (a slow load's value). */
  pc: number;
  status: number;
  scratch: number;
  /** The TLB arrays for loads and stores of this region's set (i32 tags, i32 RAM offsets). */
  loadTags: number;
  loadBases: number;
  storeTags: number;
  storeBases: number;
  /** One byte per RAM page: non-zero when some hart holds decoded code from it. */
  codePage: number;
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
  /** A store hit RAM page `page`, which holds decoded code. */
  codeWrite(page: number): void;
  /** MULH, MULHSU, MULHU: the high 64 bits into scratch. */
  mulh(kind: number, alo: number, ahi: number, blo: number, bhi: number): void;
}

export type RegionFn = (budget: number) => number;

/** Reads the decoded instruction at a page slot: [word, imm], or null past the page. */
export type SlotReader = (slot: number) => readonly [number, number] | null;

/** A block found in the page: its slot, instructions (word, imm), and exits. */
interface Block {
  slot: number;
  insts: [number, number][];
  /** Slot of the first instruction past the block. */
  end: number;
  /** The block's last instruction is a control transfer (else it falls through or stops). */
  control: boolean;
}

const MAX_BLOCKS = 512;

/** Is this op one the translator emits inline (not ending a block by itself)? */
function inline(op: number): boolean {
  return (op >= D.OP_LUI && op <= D.OP_REMUW) || op === D.OP_FENCE || op === D.OP_ATOMIC;
}

/** Is this op a control transfer? */
function isControl(op: number): boolean {
  return op === D.OP_JAL || op === D.OP_JALR || (op >= D.OP_BEQ && op <= D.OP_BGEU);
}

/** Only the AMO forms handled inline: swap, add, xor, and, or on words and doublewords. */
function inlineAmo(inst: number): boolean {
  const f5 = inst >>> 27;
  return f5 === 0 || f5 === 1 || f5 === 4 || f5 === 8 || f5 === 12;
}

/** Find the blocks reachable from the entry slots, staying in the page. */
export function findBlocks(entries: number[], read: SlotReader): Block[] {
  const starts = new Set<number>();
  const work = [...entries];
  const blocks = new Map<number, Block>();
  while (work.length > 0 && blocks.size < MAX_BLOCKS) {
    const slot = work.pop()!;
    if (blocks.has(slot) || slot < 0 || slot > 0xffe) continue;
    const b: Block = { slot, insts: [], end: slot, control: false };
    let s = slot;
    for (;;) {
      const d = read(s);
      if (d === null) break;
      const [w, imm] = d;
      const op = w & 0xff;
      if (isControl(op)) {
        b.insts.push([w, imm]);
        s += w >>> 27;
        b.control = true;
        const off = s - (w >>> 27);
        if (op !== D.OP_JALR) {
          const t = off + imm;
          if (t >= 0 && t <= 0xffe) work.push(t);
        }
        // Conditional branches fall through; calls (a link register) come back here.
        const links = ((w >>> 8) & 0x7f) !== 64;
        if ((op !== D.OP_JAL && op !== D.OP_JALR) || links) work.push(s);
        break;
      }
      if (!inline(op) || (op === D.OP_ATOMIC && !inlineAmo(imm))) break;
      b.insts.push([w, imm]);
      s += w >>> 27;
      if (s > 0xffe || (starts.has(s) && s !== slot)) break;
    }
    b.end = s;
    if (b.insts.length === 0) continue;
    blocks.set(slot, b);
    starts.add(slot);
  }
  // Blocks must not overlap for the layout below: cut a block where another starts.
  const sorted = [...blocks.values()].sort((a, b) => a.slot - b.slot);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i], next = sorted[i + 1].slot;
    if (a.end > next) {
      let s = a.slot, n = 0;
      while (s < next && n < a.insts.length) s += a.insts[n++][0] >>> 27;
      if (s !== next) continue; // misaligned overlap (code read two ways): keep both
      a.insts.length = n;
      a.end = next;
      a.control = false;
    }
  }
  return sorted.filter((b) => b.insts.length > 0);
}

/** Type indexes in every region module. */
const T_REGION = 0, T_LOAD = 1, T_STORE = 2, T_CODEWRITE = 3, T_MULH = 4;
/** Imported function indexes. */
const F_LOAD = 0, F_STORE = 1, F_CODEWRITE = 2, F_MULH = 3;

/** Translate the blocks of one page into a WebAssembly function. */
export function compileRegion(
  blocks: Block[],
  layout: HartLayout,
  memory: WebAssembly.Memory,
  helpers: RegionHelpers,
): RegionFn {
  const g = new RegionGen(blocks, layout);
  const body = g.generate();
  const pages = memory.buffer.byteLength / 65536;
  const bytes = buildModule({
    types: [
      { params: [I32], results: [I32] },
      { params: [I32, I32, I32, I32], results: [I32] },
      { params: [I32, I32, I32, I32, I32, I32], results: [I32] },
      { params: [I32], results: [] },
      { params: [I32, I32, I32, I32, I32], results: [] },
    ],
    imports: [
      { name: "load", type: T_LOAD },
      { name: "store", type: T_STORE },
      { name: "codeWrite", type: T_CODEWRITE },
      { name: "mulh", type: T_MULH },
    ],
    memoryPages: pages,
    funcs: [{ type: T_REGION, body, export: "run" }],
  });
  const mod = cachedModule(bytes);
  const inst = new WebAssembly.Instance(mod, {
    env: {
      mem: memory,
      load: helpers.slowLoad,
      store: helpers.slowStore,
      codeWrite: helpers.codeWrite,
      mulh: helpers.mulh,
    },
  });
  return inst.exports.run as RegionFn;
}

/** Code generation for one region. */
class RegionGen {
  private readonly f = new FuncBuilder(1);
  private readonly blocks: Block[];
  private readonly L: HartLayout;
  /** Locals: guest registers (index by register number; 0 unused). */
  private readonly r: number[] = [];
  private readonly written = new Set<number>();
  private readonly used = new Set<number>();
  private readonly budget = 0;
  private steps = 0;
  private vbase = 0;
  private slot = 0;
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

  constructor(blocks: Block[], layout: HartLayout) {
    this.blocks = blocks;
    this.L = layout;
  }

  /** Register numbers the region reads or writes. */
  private scanRegisters(): void {
    for (const b of this.blocks) {
      for (const [w] of b.insts) {
        const rd = ((w >>> 8) & 0x7f) >> 1, a1 = ((w >>> 15) & 0x3f) >> 1;
        const a2 = ((w >>> 21) & 0x3f) >> 1;
        if (rd !== 32 && rd !== 0) {
          this.used.add(rd);
          this.written.add(rd);
        }
        if (a1 !== 0) this.used.add(a1);
        if (a2 !== 0) this.used.add(a2);
      }
    }
  }

  /** The whole function body. */
  generate(): FuncBuilder {
    const f = this.f, L = this.L;
    this.scanRegisters();
    for (let i = 1; i < 32; i++) this.r.push(this.used.has(i) ? f.local(I64) : -1);
    this.r.unshift(-1);
    this.steps = f.local(I32);
    this.vbase = f.local(I64);
    this.slot = f.local(I32);
    this.pcoff = f.local(I32);
    this.status = f.local(I32);
    this.a = f.local(I64);
    this.t = f.local(I32);
    this.e = f.local(I32);
    this.p = f.local(I32);
    this.v = f.local(I64);
    this.w = f.local(I64);
    this.s = f.local(I32);
    // Load the registers the region uses; vbase and the entry slot from pc.
    for (const i of this.used) {
      f.i32(0).mem(Op.i64_load, 3, L.regs + 8 * i).set(this.r[i]);
    }
    f.i32(0).mem(Op.i64_load, 3, L.pc).tee(this.a);
    f.i64(~0xfff, -1).op(Op.i64_and).set(this.vbase);
    f.get(this.a).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).set(this.pcoff);
    // block $exit { block $fault { loop $dispatch { blocks... } } fault: ... } store
    this.open("exit", Op.block);
    this.open("fault", Op.block);
    this.open("dispatch", Op.loop);
    this.emitBlocks();
    this.close(); // dispatch
    this.close(); // fault
    f.i32(ST_FAULT).set(this.status);
    this.close(); // exit
    // pc = vbase + pcoff; store registers, pc, status; return steps.
    f.i32(0).get(this.vbase).get(this.pcoff).op(Op.i64_extend_i32_u).op(Op.i64_add);
    f.mem(Op.i64_store, 3, L.pc);
    f.i32(0).get(this.status).mem(Op.i32_store, 2, L.status);
    for (const i of this.written) f.i32(0).get(this.r[i]).mem(Op.i64_store, 3, L.regs + 8 * i);
    f.get(this.steps);
    return f;
  }

  /** Open a structured block with a name (for label depths). */
  private open(name: string, op: number, type = 0x40): void {
    this.f.op(op, type);
    this.depth.push(name);
  }

  /** Close the innermost structured block. */
  private close(): void {
    this.f.op(Op.end);
    this.depth.pop();
  }

  /** The br depth of a named label. */
  private label(name: string): number {
    const i = this.depth.lastIndexOf(name);
    if (i < 0) throw new Error(`translate: no label ${name}`);
    return this.depth.length - 1 - i;
  }

  /**
   * Inside loop $dispatch: a br_table on pcoff/2 into nested blocks, one per guest
   * block, each guest block's code placed after its label's end.
   */
  private emitBlocks(): void {
    const f = this.f;
    const n = this.blocks.length;
    for (let i = n - 1; i >= 0; i--) this.open(`b${i}`, Op.block);
    this.open("table", Op.block);
    // br_table: slot -> b_i (depth = index of b_i from the inside: table is 0, b0 is 1).
    const targets = new Array(2048).fill(0); // 0 = out of the table block: no block
    for (let i = 0; i < n; i++) targets[this.blocks[i].slot >> 1] = i + 1;
    f.get(this.pcoff).i32(1).op(Op.i32_shr_u);
    f.op(Op.br_table);
    const out: number[] = [];
    pushU(out, 2048);
    for (const t of targets) pushU(out, t);
    pushU(out, 0);
    f.op(...out);
    this.close(); // table: falls here for slots with no block
    // No block at this slot: leave with pc = vbase + pcoff.
    f.opU(Op.br, this.label("exit"));
    for (let i = 0; i < n; i++) {
      this.close(); // b_i: its code follows
      this.emitBlock(i);
    }
    // Falling off the last block cannot happen (each block ends with a transfer or exit).
  }

  /** Leave the function with pc = vbase + off and status. */
  private exitAt(off: number, status = ST_NORMAL): void {
    const f = this.f;
    f.i32(off).set(this.pcoff);
    if (status !== ST_NORMAL) f.i32(status).set(this.status);
    f.opU(Op.br, this.label("exit"));
  }

  /** Jump to slot off within the page: direct when it is a later block, else by table. */
  private jumpTo(off: number, from: number): void {
    const f = this.f;
    const j = this.blocks.findIndex((b) => b.slot === off);
    if (j > from) {
      f.opU(Op.br, this.label(`b${j}`));
      return;
    }
    if (j < 0) return this.exitAt(off);
    f.i32(off).set(this.pcoff);
    f.opU(Op.br, this.label("dispatch"));
  }

  /** One guest block: budget check, its instructions, its exit. */
  private emitBlock(i: number): void {
    const f = this.f, b = this.blocks[i];
    const len = b.insts.length;
    const selfLoop = b.control && this.targetOf(b) === b.slot;
    if (selfLoop) this.open(`self${i}`, Op.loop);
    // if (steps + len > budget) leave at this block's start
    f.get(this.steps).i32(len).op(Op.i32_add).get(this.budget).op(Op.i32_gt_s);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.exitAt(b.slot);
    this.close();
    let off = b.slot;
    for (let k = 0; k < len; k++) {
      const [w, imm] = b.insts[k];
      const op = w & 0xff;
      if (k === len - 1 && b.control) {
        f.get(this.steps).i32(len).op(Op.i32_add).set(this.steps);
        this.emitControl(w, imm, off, i, selfLoop);
      } else {
        this.emitInst(w, imm, off, k);
      }
      off += w >>> 27;
      void op;
    }
    if (!b.control) {
      f.get(this.steps).i32(len).op(Op.i32_add).set(this.steps);
      this.jumpTo(b.end, i);
    }
    if (selfLoop) this.close();
  }

  /** The in-page target slot of a block's final jump or branch, or -1. */
  private targetOf(b: Block): number {
    const [w, imm] = b.insts[b.insts.length - 1];
    const op = w & 0xff;
    if (op === D.OP_JALR) return -1;
    let off = b.slot;
    for (let k = 0; k + 1 < b.insts.length; k++) off += b.insts[k][0] >>> 27;
    return off + imm;
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

  /** Push vbase + off (a pc-relative address). */
  private pcRel(off: number): void {
    const f = this.f;
    f.get(this.vbase);
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
    const rd = ((w >>> 8) & 0x7f) >> 1;
    const a1 = ((w >>> 15) & 0x3f) >> 1;
    const a2 = ((w >>> 21) & 0x3f) >> 1;
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
    }
    if (op >= D.OP_LB && op <= D.OP_LWU) return this.emitLoad(op, rd, a1, imm, off, k);
    if (op >= D.OP_SB && op <= D.OP_SD) return this.emitStore(op, a1, a2, imm, off, k, ilen);
    throw new Error(`translate: unexpected op ${op}`);
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
    f.i32(0).mem(Op.i64_load, 3, this.L.scratch);
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
   * Look up address a (already in local a) in a TLB: leaves an i32 condition (hit and
   * the access fits in the page) and, on a hit, the RAM offset in local p.
   */
  private tlbCheck(tags: number, bases: number, size: number): void {
    const f = this.f, L = this.L;
    // tag = low 32 bits of a >> 12; entry = (tag & mask) * 4
    f.get(this.a).i64(12, 0).op(Op.i64_shr_u, Op.i32_wrap_i64).tee(this.t);
    f.i32(L.tlbMask).op(Op.i32_and).i32(2).op(Op.i32_shl).tee(this.e);
    f.mem(Op.i32_load, 2, tags).get(this.t).op(Op.i32_eq);
    // a < 2^38 (only such addresses are cached)
    f.get(this.a).i64(38, 0).op(Op.i64_shr_u, Op.i64_eqz, Op.i32_and);
    if (size > 1) {
      f.get(this.a).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).i32(4096 - size);
      f.op(Op.i32_le_u, Op.i32_and);
    }
    // p = base | (a & 0xfff), computed only when used
    void bases;
  }

  /** p = tlbBase[e] | (a & 0xfff). */
  private ramOffset(bases: number): void {
    const f = this.f;
    f.get(this.e).mem(Op.i32_load, 2, bases);
    f.get(this.a).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and, Op.i32_or).set(this.p);
  }

  /** A load: inline TLB hit, or the hart's slow path (which may fault). */
  private emitLoad(op: number, rd: number, a1: number, imm: number, off: number, k: number) {
    const f = this.f, L = this.L;
    const size = op === D.OP_LB || op === D.OP_LBU
      ? 1
      : op === D.OP_LH || op === D.OP_LHU
      ? 2
      : op === D.OP_LD
      ? 8
      : 4;
    const direct: Record<number, number> = {
      [D.OP_LB]: Op.i64_load8_s,
      [D.OP_LBU]: Op.i64_load8_u,
      [D.OP_LH]: Op.i64_load16_s,
      [D.OP_LHU]: Op.i64_load16_u,
      [D.OP_LW]: Op.i64_load32_s,
      [D.OP_LWU]: Op.i64_load32_u,
      [D.OP_LD]: Op.i64_load,
    };
    this.rget(a1);
    f.i64(imm, imm >> 31).op(Op.i64_add).set(this.a);
    this.tlbCheck(L.loadTags, L.loadBases, size);
    f.op(Op.if, I64);
    this.depth.push("if");
    this.ramOffset(L.loadBases);
    f.get(this.p).mem(direct[op], Math.min(3, Math.log2(size)), 0);
    f.op(Op.else);
    // Slow path: helper, fault exit, then the value from scratch (extended as the op says).
    f.get(this.a).op(Op.i32_wrap_i64);
    f.get(this.a).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.i32(size);
    f.get(this.steps).i32(k + 1).op(Op.i32_add);
    f.opU(Op.call, F_LOAD).tee(this.s);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.faultAt(off, k);
    this.close();
    f.i32(0).mem(direct[op], Math.min(3, Math.log2(size)), L.scratch);
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
    const size = op === D.OP_SB ? 1 : op === D.OP_SH ? 2 : op === D.OP_SW ? 4 : 8;
    const direct = op === D.OP_SB
      ? Op.i64_store8
      : op === D.OP_SH
      ? Op.i64_store16
      : op === D.OP_SW
      ? Op.i64_store32
      : Op.i64_store;
    this.rget(a1);
    f.i64(imm, imm >> 31).op(Op.i64_add).set(this.a);
    this.rget(a2);
    f.set(this.v);
    this.tlbCheck(L.storeTags, L.storeBases, size);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    this.ramOffset(L.storeBases);
    f.get(this.p).get(this.v).mem(direct, Math.min(3, Math.log2(size)), 0);
    // A page holding decoded code: tell the hart, and leave (this region may be stale).
    f.get(this.p).i32(12).op(Op.i32_shr_u).mem(Op.i32_load8_u, 0, L.codePage);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.p).i32(12).op(Op.i32_shr_u).opU(Op.call, F_CODEWRITE);
    this.leaveAfter(off, k, ilen);
    this.close();
    f.op(Op.else);
    f.get(this.a).op(Op.i32_wrap_i64);
    f.get(this.a).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.i32(size);
    f.get(this.v).op(Op.i32_wrap_i64);
    f.get(this.v).i64(32, 0).op(Op.i64_shr_u, Op.i32_wrap_i64);
    f.get(this.steps).i32(k + 1).op(Op.i32_add);
    f.opU(Op.call, F_STORE).tee(this.s);
    f.op(Op.if, 0x40);
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
    this.tlbCheck(L.storeTags, L.storeBases, size);
    f.get(this.a).op(Op.i32_wrap_i64).i32(size - 1).op(Op.i32_and, Op.i32_eqz, Op.i32_and);
    f.op(Op.i32_eqz);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.steps).i32(k).op(Op.i32_add).set(this.steps);
    this.exitAt(off);
    this.close();
    this.ramOffset(L.storeBases);
    // old value
    f.get(this.p).mem(dbl ? Op.i64_load : Op.i64_load32_s, dbl ? 3 : 2, 0).set(this.w);
    f.get(this.p);
    this.rget(a2);
    if (f5 !== 1) {
      f.get(this.w);
      f.op(f5 === 0 ? Op.i64_add : f5 === 4 ? Op.i64_xor : f5 === 12 ? Op.i64_and : Op.i64_or);
    }
    f.mem(dbl ? Op.i64_store : Op.i64_store32, dbl ? 3 : 2, 0);
    f.get(this.w);
    this.rset(rd);
    // Code pages: as for stores.
    f.get(this.p).i32(12).op(Op.i32_shr_u).mem(Op.i32_load8_u, 0, L.codePage);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    f.get(this.p).i32(12).op(Op.i32_shr_u).opU(Op.call, F_CODEWRITE);
    this.leaveAfter(off, k, ilen);
    this.close();
  }

  /** The block's last instruction: a branch or jump (steps already counted). */
  private emitControl(w: number, imm: number, off: number, i: number, selfLoop: boolean): void {
    const f = this.f;
    const op = w & 0xff;
    const rd = ((w >>> 8) & 0x7f) >> 1;
    const a1 = ((w >>> 15) & 0x3f) >> 1;
    const a2 = ((w >>> 21) & 0x3f) >> 1;
    const ilen = w >>> 27;
    const target = off + imm;
    const goTarget = () => {
      if (selfLoop && target === this.blocks[i].slot) f.opU(Op.br, this.label(`self${i}`));
      else if (target < 0 || target > 0xffe) this.exitFar(target);
      else this.jumpTo(target, i);
    };
    if (op === D.OP_JAL) {
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      return goTarget();
    }
    if (op === D.OP_JALR) {
      // target = (rs1 + imm) & ~1, then the link (rd may be rs1)
      this.rget(a1);
      f.i64(imm, imm >> 31).op(Op.i64_add).i64(~1, -1).op(Op.i64_and).set(this.a);
      if (rd !== 0 && rd !== 32) {
        this.pcRel(off + ilen);
        this.rset(rd);
      }
      // Same page: dispatch on the slot; else leave with pc = target.
      f.get(this.a).i64(~0xfff, -1).op(Op.i64_and).get(this.vbase).op(Op.i64_eq);
      f.op(Op.if, 0x40);
      this.depth.push("if");
      f.get(this.a).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).set(this.pcoff);
      f.opU(Op.br, this.label("dispatch"));
      this.close();
      f.get(this.a).set(this.vbase);
      f.i32(0).set(this.pcoff);
      f.opU(Op.br, this.label("exit"));
      return;
    }
    // Conditional branch.
    this.rget(a1);
    this.rget(a2);
    const cmp: Record<number, number> = {
      [D.OP_BEQ]: Op.i64_eq,
      [D.OP_BNE]: Op.i64_ne,
      [D.OP_BLT]: Op.i64_lt_s,
      [D.OP_BGE]: Op.i64_ge_s,
      [D.OP_BLTU]: Op.i64_lt_u,
      [D.OP_BGEU]: Op.i64_ge_u,
    };
    f.op(cmp[op]);
    f.op(Op.if, 0x40);
    this.depth.push("if");
    goTarget();
    this.close();
    const next = off + ilen;
    if (next > 0xffe) this.exitFar(next);
    else this.jumpTo(next, i);
  }

  /** Leave for a pc outside this page: vbase + off (off may be negative or past 4096). */
  private exitFar(off: number): void {
    const f = this.f;
    this.pcRel(off);
    f.set(this.vbase);
    f.i32(0).set(this.pcoff);
    f.opU(Op.br, this.label("exit"));
  }
}

/** Compiled modules by content: the same code (a program run again, a test case) compiles once. */
const moduleCache = new Map<string, WebAssembly.Module>();
let moduleCacheBytes = 0;
/** Bytes of module code kept in the cache before it is emptied. */
const MODULE_CACHE_LIMIT = 64 * 1024 * 1024;

/** A module for these bytes, compiled now or found in the cache. */
function cachedModule(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
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

/** Append an unsigned LEB128 (for br_table vectors). */
function pushU(out: number[], n: number): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}
