// Block compiler for the hart: turns a straight run of decoded instructions (up to
// and including one branch or jump, never leaving the 4 KiB page) into a JavaScript
// function, so hot code runs without the interpreter's per-instruction dispatch.
//
// A block function is called as fn(pcLo, pcHi, room) with the pc of its first
// instruction and the most instructions it may retire (at least its length). It
// returns how many instructions it retired and leaves in st:
//   st[0], st[1]  the pc to continue at (lo, hi): the next instruction, or the
//                 faulting one
//   st[2]         0 = ran normally; 1 = that instruction faulted (the detail is in
//                 the hart's MMU: faultCause / faultLo / faultHi); 2 = stopped early after
//                 a write to a page holding decoded code (the block may be stale)
// A block whose last instruction branches back to its own start loops inside the
// function while `room` allows.
// The code depends only on the bytes of the physical page, not on the VA, so the
// pc is an argument.

import * as D from "./decode.ts";
import { TLB_MASK } from "./mmu.ts";

/** Longest block, in instructions. */
export const MAX_BLOCK = 64;

/** Environment handed to every block function. */
export interface BlockEnv {
  x: Int32Array;
  view: DataView;
  rtag: Int32Array;
  rbase: Int32Array;
  wtag: Int32Array;
  wbase: Int32Array;
  codePage: Uint8Array;
  st: Int32Array;
  // deno-lint-ignore no-explicit-any
  hart: any; // loadSlow / storeSlow / invalidateCode
  res: { lo: number; hi: number; rlo: number; rhi: number };
  helpers: Record<string, unknown>;
  /** Compiled functions by source: identical code (a forked or re-executed program) is shared. */
  cache: Map<string, BlockFn>;
  /** Total source length held in cache. */
  cacheChars: number;
}

/** Source characters kept in BlockEnv.cache before it is emptied (about 32 MB). */
const CACHE_LIMIT = 16_000_000;

export type BlockFn = (pcLo: number, pcHi: number, room: number) => number;

/** Can this operation be part of a block? */
function compilable(op: number): boolean {
  return op !== 0 && (op < D.OP_ATOMIC || op === D.OP_FENCE);
}

/** Does this operation end a block? */
function isControl(op: number): boolean {
  return op === D.OP_JAL || op === D.OP_JALR || (op >= D.OP_BEQ && op <= D.OP_BGEU);
}

/** Source reading the low / high half of register slot r (x0 reads as a constant). */
const rLo = (r: number) => (r === 0 ? "0" : `x[${r}]`);
const rHi = (r: number) => (r === 0 ? "0" : `x[${r + 1}]`);

/** Code that stores pc + k (k an exact integer, |k| < 2^33) into st. */
function pcTo(k: number): string {
  const klo = k | 0;
  const khi = Math.floor(k / 4294967296) | 0;
  return `{ const l = (pl + ${klo}) | 0; st[1] = (ph + ${khi} + ((l >>> 0) < (pl >>> 0) ? 1 : 0)) | 0; st[0] = l; }`;
}

/** Code that writes pc + k into register slot rd. */
function pcToReg(k: number, rd: number): string {
  const klo = k | 0;
  const khi = Math.floor(k / 4294967296) | 0;
  return `{ const l = (pl + ${klo}) | 0; x[${
    rd + 1
  }] = (ph + ${khi} + ((l >>> 0) < (pl >>> 0) ? 1 : 0)) | 0; x[${rd}] = l; }`;
}

/** Effective address (lo, hi) = x[a1] + imm into consts `lo` and `hi`. */
function ea(a1: number, imm: number): string {
  return `const b = x[${a1}]; const lo = (b + ${imm}) | 0; ` +
    `const hi = (x[${a1 + 1}] + ${imm >> 31} + ((lo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;`;
}

const LOAD_SIZE: Record<number, number> = {
  [D.OP_LB]: 1,
  [D.OP_LH]: 2,
  [D.OP_LW]: 4,
  [D.OP_LD]: 8,
  [D.OP_LBU]: 1,
  [D.OP_LHU]: 2,
  [D.OP_LWU]: 4,
};
const STORE_SIZE: Record<number, number> = {
  [D.OP_SB]: 1,
  [D.OP_SH]: 2,
  [D.OP_SW]: 4,
  [D.OP_SD]: 8,
};

function shiftConst(kind: "shl" | "shr" | "sra", rd: number, a1: number, s: number): string {
  const lo = `x[${a1}]`, hi = `x[${a1 + 1}]`;
  if (s === 0) return `{ const l = ${lo}, h = ${hi}; x[${rd}] = l; x[${rd + 1}] = h; }`;
  if (kind === "shl") {
    if (s < 32) {
      return `{ const l = ${lo}, h = ${hi}; x[${rd + 1}] = (h << ${s}) | (l >>> ${
        32 - s
      }); x[${rd}] = l << ${s}; }`;
    }
    return `{ const l = ${lo}; x[${rd + 1}] = l << ${s - 32}; x[${rd}] = 0; }`;
  }
  if (s < 32) {
    return `{ const l = ${lo}, h = ${hi}; x[${rd}] = (l >>> ${s}) | (h << ${32 - s}); x[${
      rd + 1
    }] = h ${kind === "shr" ? ">>>" : ">>"} ${s}; }`;
  }
  if (kind === "shr") return `{ const h = ${hi}; x[${rd}] = h >>> ${s - 32}; x[${rd + 1}] = 0; }`;
  return `{ const h = ${hi}; x[${rd}] = h >> ${s - 32}; x[${rd + 1}] = h >> 31; }`;
}

/** Source for one non-control instruction at block index i, byte offset off. */
function emit(w: number, imm: number, i: number, off: number): string {
  const op = w & 0xff;
  const rd = (w >>> 8) & 0x7f;
  const a1 = (w >>> 15) & 0x3f;
  const a2 = (w >>> 21) & 0x3f;
  const ilen = w >>> 27;
  const R1 = rLo(a1), R1H = rHi(a1), R2 = rLo(a2), R2H = rHi(a2);
  const w32 = (e: string) => `{ const v = ${e}; x[${rd}] = v; x[${rd + 1}] = v >> 31; }`;
  const fault = `{ st[2] = 1; ${pcTo(off)} return done + ${i}; }`;
  if (rd === 64 && op !== D.OP_FENCE && !(op in LOAD_SIZE) && !(op in STORE_SIZE)) {
    return ""; // result discarded, no side effects
  }
  switch (op) {
    case D.OP_LUI:
      return `x[${rd}] = ${imm}; x[${rd + 1}] = ${imm >> 31};`;
    case D.OP_AUIPC:
      return pcToReg(off + imm, rd);
    case D.OP_FENCE:
      return "";
    case D.OP_ADDI:
      if (a1 === 0) return `x[${rd}] = ${imm}; x[${rd + 1}] = ${imm >> 31};`;
      return `{ const b = ${R1}; const l = (b + ${imm}) | 0; x[${rd + 1}] = (${R1H} + ${
        imm >> 31
      } + ((l >>> 0) < (b >>> 0) ? 1 : 0)) | 0; x[${rd}] = l; }`;
    case D.OP_SLTI:
      return `{ const ah = ${R1H}; x[${rd}] = ah < ${imm >> 31} || (ah === ${
        imm >> 31
      } && (${R1} >>> 0) < ${imm >>> 0}) ? 1 : 0; x[${rd + 1}] = 0; }`;
    case D.OP_SLTIU:
      return `{ const ah = ${R1H} >>> 0; x[${rd}] = ah < ${(imm >> 31) >>> 0} || (ah === ${
        (imm >> 31) >>> 0
      } && (${R1} >>> 0) < ${imm >>> 0}) ? 1 : 0; x[${rd + 1}] = 0; }`;
    case D.OP_XORI:
      return `x[${rd + 1}] = ${R1H} ^ ${imm >> 31}; x[${rd}] = ${R1} ^ ${imm};`;
    case D.OP_ORI:
      return `x[${rd + 1}] = ${R1H} | ${imm >> 31}; x[${rd}] = ${R1} | ${imm};`;
    case D.OP_ANDI:
      return `x[${rd + 1}] = ${R1H} & ${imm >> 31}; x[${rd}] = ${R1} & ${imm};`;
    case D.OP_SLLI:
      return shiftConst("shl", rd, a1, imm);
    case D.OP_SRLI:
      return shiftConst("shr", rd, a1, imm);
    case D.OP_SRAI:
      return shiftConst("sra", rd, a1, imm);
    case D.OP_ADD:
      if (a1 === 0) return `{ const l = ${R2}, h = ${R2H}; x[${rd}] = l; x[${rd + 1}] = h; }`;
      return `{ const b = ${R1}; const l = (b + ${R2}) | 0; x[${
        rd + 1
      }] = (${R1H} + ${R2H} + ((l >>> 0) < (b >>> 0) ? 1 : 0)) | 0; x[${rd}] = l; }`;
    case D.OP_SUB:
      return `{ const b = ${R1}, c = ${R2}; x[${
        rd + 1
      }] = (${R1H} - ${R2H} - ((b >>> 0) < (c >>> 0) ? 1 : 0)) | 0; x[${rd}] = (b - c) | 0; }`;
    case D.OP_SLL:
      return `shl(x, ${rd}, ${R1}, ${R1H}, ${R2} & 63);`;
    case D.OP_SRL:
      return `shr(x, ${rd}, ${R1}, ${R1H}, ${R2} & 63);`;
    case D.OP_SRA:
      return `sra(x, ${rd}, ${R1}, ${R1H}, ${R2} & 63);`;
    case D.OP_SLT:
      return `{ const ah = ${R1H}, bh = ${R2H}; x[${rd}] = ah < bh || (ah === bh && (${R1} >>> 0) < (${R2} >>> 0)) ? 1 : 0; x[${
        rd + 1
      }] = 0; }`;
    case D.OP_SLTU:
      return `{ const ah = ${R1H} >>> 0, bh = ${R2H} >>> 0; x[${rd}] = ah < bh || (ah === bh && (${R1} >>> 0) < (${R2} >>> 0)) ? 1 : 0; x[${
        rd + 1
      }] = 0; }`;
    case D.OP_XOR:
      return `{ const h = ${R1H} ^ ${R2H}; x[${rd}] = ${R1} ^ ${R2}; x[${rd + 1}] = h; }`;
    case D.OP_OR:
      return `{ const h = ${R1H} | ${R2H}; x[${rd}] = ${R1} | ${R2}; x[${rd + 1}] = h; }`;
    case D.OP_AND:
      return `{ const h = ${R1H} & ${R2H}; x[${rd}] = ${R1} & ${R2}; x[${rd + 1}] = h; }`;
    case D.OP_ADDIW:
      return w32(`(${R1} + ${imm}) | 0`);
    case D.OP_SLLIW:
      return w32(`${R1} << ${imm}`);
    case D.OP_SRLIW:
      return w32(`(${R1} >>> ${imm}) | 0`);
    case D.OP_SRAIW:
      return w32(`${R1} >> ${imm}`);
    case D.OP_ADDW:
      return w32(`(${R1} + ${R2}) | 0`);
    case D.OP_SUBW:
      return w32(`(${R1} - ${R2}) | 0`);
    case D.OP_SLLW:
      return w32(`${R1} << (${R2} & 31)`);
    case D.OP_SRLW:
      return w32(`(${R1} >>> (${R2} & 31)) | 0`);
    case D.OP_SRAW:
      return w32(`${R1} >> (${R2} & 31)`);
    case D.OP_MUL:
    case D.OP_MULH:
    case D.OP_MULHSU:
    case D.OP_MULHU: {
      const fn = op === D.OP_MUL
        ? "mul64"
        : op === D.OP_MULH
        ? "mulh64"
        : op === D.OP_MULHSU
        ? "mulhsu64"
        : "mulhu64";
      return `${fn}(${R1}, ${R1H}, ${R2}, ${R2H}); x[${rd}] = res.lo; x[${rd + 1}] = res.hi;`;
    }
    case D.OP_DIV:
      return `div64(${R1}, ${R1H}, ${R2}, ${R2H}); x[${rd}] = res.lo; x[${rd + 1}] = res.hi;`;
    case D.OP_REM:
      return `div64(${R1}, ${R1H}, ${R2}, ${R2H}); x[${rd}] = res.rlo; x[${rd + 1}] = res.rhi;`;
    case D.OP_DIVU:
      return `if (${R2} === 0 && ${R2H} === 0) { x[${rd}] = -1; x[${
        rd + 1
      }] = -1; } else { divu64(${R1}, ${R1H}, ${R2}, ${R2H}); x[${rd}] = res.lo; x[${
        rd + 1
      }] = res.hi; }`;
    case D.OP_REMU:
      return `if (${R2} === 0 && ${R2H} === 0) { const l = ${R1}, h = ${R1H}; x[${rd}] = l; x[${
        rd + 1
      }] = h; } else { divu64(${R1}, ${R1H}, ${R2}, ${R2H}); x[${rd}] = res.rlo; x[${
        rd + 1
      }] = res.rhi; }`;
    case D.OP_MULW:
      return w32(`Math.imul(${R1}, ${R2})`);
    case D.OP_DIVW:
      return `{ const a = ${R1}, b = ${R2}; ` +
        w32(`b === 0 ? -1 : (a === -0x80000000 && b === -1) ? a : (a / b) | 0`) + " }";
    case D.OP_DIVUW:
      return `{ const a = ${R1} >>> 0, b = ${R2} >>> 0; ` +
        w32(`b === 0 ? -1 : Math.floor(a / b) | 0`) + " }";
    case D.OP_REMW:
      return `{ const a = ${R1}, b = ${R2}; ` + w32(`b === 0 ? a : (a % b) | 0`) + " }";
    case D.OP_REMUW:
      return `{ const a = ${R1} >>> 0, b = ${R2} >>> 0; ` + w32(`b === 0 ? a | 0 : (a % b) | 0`) +
        " }";
  }
  if (op in LOAD_SIZE) {
    const size = LOAD_SIZE[op];
    const bound = size === 1 ? "" : ` && (lo & 0xfff) <= ${4096 - size}`;
    let fast: string, slow: string;
    switch (op) {
      case D.OP_LB:
        fast = `const v = view.getInt8(p); x[${rd}] = v; x[${rd + 1}] = v >> 31;`;
        slow = `const v = (res.lo << 24) >> 24; x[${rd}] = v; x[${rd + 1}] = v >> 31;`;
        break;
      case D.OP_LH:
        fast = `const v = view.getInt16(p, true); x[${rd}] = v; x[${rd + 1}] = v >> 31;`;
        slow = `const v = (res.lo << 16) >> 16; x[${rd}] = v; x[${rd + 1}] = v >> 31;`;
        break;
      case D.OP_LW:
        fast = `const v = view.getInt32(p, true); x[${rd}] = v; x[${rd + 1}] = v >> 31;`;
        slow = `const v = res.lo; x[${rd}] = v; x[${rd + 1}] = v >> 31;`;
        break;
      case D.OP_LD:
        fast = `x[${rd}] = view.getInt32(p, true); x[${rd + 1}] = view.getInt32(p + 4, true);`;
        slow = `x[${rd}] = res.lo; x[${rd + 1}] = res.hi;`;
        break;
      case D.OP_LBU:
        fast = `x[${rd}] = view.getUint8(p); x[${rd + 1}] = 0;`;
        slow = `x[${rd}] = res.lo; x[${rd + 1}] = 0;`;
        break;
      case D.OP_LHU:
        fast = `x[${rd}] = view.getUint16(p, true); x[${rd + 1}] = 0;`;
        slow = `x[${rd}] = res.lo; x[${rd + 1}] = 0;`;
        break;
      default: // LWU
        fast = `x[${rd}] = view.getInt32(p, true); x[${rd + 1}] = 0;`;
        slow = `x[${rd}] = res.lo; x[${rd + 1}] = 0;`;
    }
    return `{ ${ea(a1, imm)} const tag = (hi << 20) | (lo >>> 12);
      if ((hi >>> 6) === 0 && rtag[tag & ${TLB_MASK}] === tag${bound}) {
        const p = rbase[tag & ${TLB_MASK}] | (lo & 0xfff); ${fast}
      } else {
        if (hart.loadSlow(lo, hi, ${size}) !== 0) ${fault}
        ${slow}
      } }`;
  }
  if (op in STORE_SIZE) {
    const size = STORE_SIZE[op];
    const bound = size === 1 ? "" : ` && (lo & 0xfff) <= ${4096 - size}`;
    let fast: string;
    switch (op) {
      case D.OP_SB:
        fast = `view.setInt8(p, ${R2});`;
        break;
      case D.OP_SH:
        fast = `view.setInt16(p, ${R2}, true);`;
        break;
      case D.OP_SW:
        fast = `view.setInt32(p, ${R2}, true);`;
        break;
      default:
        fast = `view.setInt32(p, ${R2}, true); view.setInt32(p + 4, ${R2H}, true);`;
    }
    const stop = `{ st[2] = 2; ${pcTo(off + ilen)} return done + ${i + 1}; }`;
    const stale = `{ hart.invalidateCode(p >>> 12); ${stop} }`;
    return `{ ${ea(a1, imm)} const tag = (hi << 20) | (lo >>> 12);
      if ((hi >>> 6) === 0 && wtag[tag & ${TLB_MASK}] === tag${bound}) {
        const p = wbase[tag & ${TLB_MASK}] | (lo & 0xfff); ${fast}
        if (codePage[p >>> 12] !== 0) ${stale}
      } else {
        const codeWrites = hart.codeWrites;
        if (hart.storeSlow(lo, hi, ${size}, ${R2}, ${R2H}) !== 0) ${fault}
        if (hart.codeWrites !== codeWrites) ${stop}
      } }`;
  }
  throw new Error(`jit: unexpected op ${op}`);
}

/**
 * Source for the control instruction that ends a block of `len` instructions. When
 * it jumps back to the block's start, the block loops while `room` allows.
 */
function emitEnd(w: number, imm: number, off: number, len: number): string {
  const op = w & 0xff;
  const rd = (w >>> 8) & 0x7f;
  const a1 = (w >>> 15) & 0x3f;
  const a2 = (w >>> 21) & 0x3f;
  const ilen = w >>> 27;
  const R1 = rLo(a1), R1H = rHi(a1), R2 = rLo(a2), R2H = rHi(a2);
  const self = off + imm === 0;
  const again = `{ done += ${len}; if (done + ${len} <= room) continue; ` +
    `st[0] = pl; st[1] = ph; st[2] = 0; return done; }`;
  const taken = self ? again : `{ st[2] = 0; ${pcTo(off + imm)} return done + ${len}; }`;
  const next = `st[2] = 0; ${pcTo(off + ilen)} return done + ${len};`;
  const branch = (cond: string) => `if (${cond}) ${taken} ${next}`;
  switch (op) {
    case D.OP_JAL:
      return (rd === 64 ? "" : pcToReg(off + ilen, rd)) + taken;
    case D.OP_JALR:
      return `{ const b = ${R1}; const l = (b + ${imm}) | 0; const h = (${R1H} + ${
        imm >> 31
      } + ((l >>> 0) < (b >>> 0) ? 1 : 0)) | 0; ` +
        (rd === 64 ? "" : pcToReg(off + ilen, rd)) +
        ` st[0] = l & ~1; st[1] = h; st[2] = 0; return done + ${len}; }`;
    case D.OP_BEQ:
      return branch(`${R1} === ${R2} && ${R1H} === ${R2H}`);
    case D.OP_BNE:
      return branch(`${R1} !== ${R2} || ${R1H} !== ${R2H}`);
    case D.OP_BLT:
      return `{ const ah = ${R1H}, bh = ${R2H}; ` +
        branch(`ah < bh || (ah === bh && (${R1} >>> 0) < (${R2} >>> 0))`) + " }";
    case D.OP_BGE:
      return `{ const ah = ${R1H}, bh = ${R2H}; ` +
        branch(`!(ah < bh || (ah === bh && (${R1} >>> 0) < (${R2} >>> 0)))`) + " }";
    case D.OP_BLTU:
      return `{ const ah = ${R1H} >>> 0, bh = ${R2H} >>> 0; ` +
        branch(`ah < bh || (ah === bh && (${R1} >>> 0) < (${R2} >>> 0))`) + " }";
    case D.OP_BGEU:
      return `{ const ah = ${R1H} >>> 0, bh = ${R2H} >>> 0; ` +
        branch(`!(ah < bh || (ah === bh && (${R1} >>> 0) < (${R2} >>> 0)))`) + " }";
  }
  throw new Error(`jit: unexpected end op ${op}`);
}

/**
 * Compile the block whose decoded instructions are read by `fetch(slot)` (a slot is
 * a byte offset within the page; fetch returns false when the slot cannot be
 * decoded within the page, and otherwise leaves the word and immediate in
 * out[0], out[1]). Returns the function and its length, or null if the first
 * instruction cannot be compiled.
 */
export function compileBlock(
  startSlot: number,
  fetch: (slot: number, out: Int32Array) => boolean,
  env: BlockEnv,
): { fn: BlockFn; len: number } | null {
  const out = new Int32Array(2);
  const parts: string[] = [];
  let off = 0;
  let len = 0;
  let ended = false;
  let loops = false;
  while (len < MAX_BLOCK) {
    const slot = startSlot + off;
    if (slot > 0xffe || !fetch(slot, out)) break;
    const w = out[0], imm = out[1];
    const op = w & 0xff;
    if (!compilable(op)) break;
    len++;
    if (isControl(op)) {
      // (The length is final here; emitEnd needs it.)
      parts.push(emitEnd(w, imm, off, len));
      loops = op !== D.OP_JALR && off + imm === 0;
      ended = true;
      break;
    }
    parts.push(emit(w, imm, len - 1, off));
    off += w >>> 27;
  }
  if (len === 0) return null;
  if (!ended) parts.push(`st[2] = 0; ${pcTo(off)} return done + ${len};`);
  const body = `"use strict";
const { x, view, rtag, rbase, wtag, wbase, codePage, st, hart, res } = env;
const { shl, shr, sra, mul64, mulh64, mulhsu64, mulhu64, div64, divu64 } = env.helpers;
return function block(pl, ph, room) {
let done = 0;
${loops ? "for (;;) {" : ""}
${parts.join("\n")}
${loops ? "}" : ""}
};`;
  let fn = env.cache.get(body);
  if (fn === undefined) {
    const factory = new Function("env", body) as (env: BlockEnv) => BlockFn;
    fn = factory(env);
    if (env.cacheChars > CACHE_LIMIT) {
      env.cache.clear();
      env.cacheChars = 0;
    }
    env.cache.set(body, fn);
    env.cacheChars += body.length;
  }
  return { fn, len };
}
