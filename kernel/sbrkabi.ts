// Which sbrk a program calls: xv6's classic sbrk(n), or the sbrk(n, type) of the
// 2025 revision of xv6-riscv, where type SBRK_EAGER allocates at once and
// SBRK_LAZY grows lazily. Both are system call 12, and a classic program leaves a1
// holding whatever it held, so the kernel has to know which one a program means.
//
// exec decides from the program's code: 2025's user library reaches the system
// call stub (`li a7, 12; ecall`) only from wrappers that load the type into a1
// just before the call (`li a1, 1` for sbrk, `li a1, 2` for sbrklazy), while a
// classic program calls the stub with a0 alone. Symbols are not needed, so a
// stripped program is judged the same way.

/** The two meanings of system call 12. */
export type SbrkAbi = "classic" | "2025";

/** The 2025 revision's sbrk types (kernel/vm.h there). */
export const SBRK_EAGER = 1;
export const SBRK_LAZY = 2;

/** "auto" decides per program at exec; "classic" or "2025" forces one meaning for all. */
export const sbrkconfig = { abi: "auto" as "auto" | SbrkAbi };

/** An executable segment of a program: its virtual address and its bytes. */
export interface CodeSegment {
  va: number;
  bytes: Uint8Array;
}

/** How far back from a call to look for the instruction that sets a1. */
const LOOKBACK = 8;
const A1 = 11;
const A7 = 17;
const SYS_SBRK = 12;
/** 32-bit opcodes whose rd field names a destination register. */
const OPCODES_WITH_RD = new Set([0x03, 0x13, 0x17, 0x1b, 0x2f, 0x33, 0x37, 0x3b, 0x67, 0x6f, 0x73]);

/** One decoded instruction: address, raw bits, and length in bytes (2 or 4). */
interface Insn {
  pc: number;
  bits: number;
  len: number;
}

/** The meaning of system call 12 for a program with these code segments (honours sbrkconfig). */
export function programabi(code: readonly CodeSegment[]): SbrkAbi {
  if (sbrkconfig.abi !== "auto") return sbrkconfig.abi;
  return sbrkabiOf(code);
}

/** Decide from the code alone: "2025" when most calls to the sbrk stub pass a type in a1. */
export function sbrkabiOf(code: readonly CodeSegment[]): SbrkAbi {
  let typed = 0;
  let untyped = 0;
  for (const seg of code) {
    const insns = decode(seg);
    const stubs = sbrkStubs(insns);
    if (stubs.size === 0) continue;
    for (let i = 0; i < insns.length; i++) {
      const target = callTarget(insns, i);
      if (target === null || !stubs.has(target)) continue;
      const from = isJalr(insns[i].bits) ? i - 1 : i; // an auipc+jalr call starts at the auipc
      const t = a1Constant(insns, from);
      if (t === SBRK_EAGER || t === SBRK_LAZY) typed++;
      else untyped++;
    }
  }
  return typed > untyped ? "2025" : "classic";
}

/** Split a segment into instructions by a linear sweep (2-byte or 4-byte, by the low bits). */
function decode(seg: CodeSegment): Insn[] {
  const b = seg.bytes;
  const out: Insn[] = [];
  let off = 0;
  while (off + 2 <= b.length) {
    const lo = b[off] | (b[off + 1] << 8);
    if ((lo & 3) !== 3) {
      out.push({ pc: seg.va + off, bits: lo, len: 2 });
      off += 2;
    } else {
      if (off + 4 > b.length) break;
      const bits = (lo | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
      out.push({ pc: seg.va + off, bits, len: 4 });
      off += 4;
    }
  }
  return out;
}

/** Addresses of the system call 12 stubs: `li a7, 12` immediately followed by `ecall`. */
function sbrkStubs(insns: readonly Insn[]): Set<number> {
  const stubs = new Set<number>();
  for (let i = 0; i + 1 < insns.length; i++) {
    if (liValue(insns[i], A7) === SYS_SBRK && insns[i + 1].bits === 0x00000073) {
      stubs.add(insns[i].pc);
    }
  }
  return stubs;
}

/** The constant an instruction loads into register rd with `li` (c.li or addi rd, x0, k), or null. */
function liValue(insn: Insn, rd: number): number | null {
  const w = insn.bits;
  if (insn.len === 2) {
    if ((w & 3) !== 1 || w >> 13 !== 2 || ((w >> 7) & 31) !== rd) return null;
    const imm = ((w >> 2) & 31) | (((w >> 12) & 1) << 5);
    return imm >= 32 ? imm - 64 : imm;
  }
  if ((w & 0x7f) !== 0x13 || ((w >> 7) & 31) !== rd || ((w >> 12) & 7) !== 0) return null;
  if (((w >> 15) & 31) !== 0) return null;
  return w >> 20; // sign-extended by the arithmetic shift
}

/** Whether a 32-bit instruction is jalr. */
function isJalr(bits: number): boolean {
  return (bits & 3) === 3 && (bits & 0x7f) === 0x67;
}

/** The target of a direct call or jump at insns[i] (jal, c.j, or auipc+jalr), or null. */
function callTarget(insns: readonly Insn[], i: number): number | null {
  const { pc, bits: w, len } = insns[i];
  if (len === 2) {
    if ((w & 3) !== 1 || w >> 13 !== 5) return null; // c.j
    return pc + cjOffset(w);
  }
  if ((w & 0x7f) === 0x6f) return pc + jalOffset(w);
  if ((w & 0x7f) !== 0x67 || i === 0) return null;
  const prev = insns[i - 1];
  const rs1 = (w >> 15) & 31;
  if (prev.len !== 4 || (prev.bits & 0x7f) !== 0x17 || ((prev.bits >> 7) & 31) !== rs1) return null;
  return prev.pc + (prev.bits & 0xfffff000 | 0) + (w >> 20);
}

/** The sign-extended offset of a jal. */
function jalOffset(w: number): number {
  const imm = (((w >> 31) & 1) << 20) | (((w >> 12) & 0xff) << 12) | (((w >> 20) & 1) << 11) |
    (((w >> 21) & 0x3ff) << 1);
  return imm >= 1 << 20 ? imm - (1 << 21) : imm;
}

/** The sign-extended offset of a c.j. */
function cjOffset(w: number): number {
  const b = (i: number) => (w >> i) & 1;
  const imm = (b(12) << 11) | (b(8) << 10) | (((w >> 9) & 3) << 8) | (b(6) << 7) | (b(7) << 6) |
    (b(2) << 5) | (b(11) << 4) | (((w >> 3) & 7) << 1);
  return imm >= 1 << 11 ? imm - (1 << 12) : imm;
}

/**
 * The constant loaded into a1 by the nearest instruction before insns[at], looking back
 * over straight-line code only; null if a1 is last set otherwise, or not in sight.
 */
function a1Constant(insns: readonly Insn[], at: number): number | null {
  for (let i = at - 1; i >= 0 && i >= at - LOOKBACK; i--) {
    const insn = insns[i];
    if (transfersControl(insn)) return null;
    if (writesReg(insn) === A1) return liValue(insn, A1);
  }
  return null;
}

/** Whether an instruction jumps, branches, or traps (the end of straight-line code). */
function transfersControl({ bits: w, len }: Insn): boolean {
  if (len === 4) {
    const op = w & 0x7f;
    return op === 0x6f || op === 0x67 || op === 0x63 || w === 0x00000073;
  }
  const q = w & 3;
  const f3 = w >> 13;
  if (q === 1) return f3 === 5 || f3 === 6 || f3 === 7; // c.j, c.beqz, c.bnez
  // c.jr and c.jalr: quadrant 2, funct3 100, rs2 = 0, rs1 != 0.
  return q === 2 && f3 === 4 && ((w >> 2) & 31) === 0 && ((w >> 7) & 31) !== 0;
}

/** The integer register an instruction writes, or -1 (conservative for the formats used here). */
function writesReg({ bits: w, len }: Insn): number {
  if (len === 4) {
    return OPCODES_WITH_RD.has(w & 0x7f) ? (w >> 7) & 31 : -1;
  }
  const q = w & 3;
  const f3 = w >> 13;
  const rdFull = (w >> 7) & 31;
  const rdLow = ((w >> 2) & 7) + 8; // CIW/CL destination
  const rdHigh = ((w >> 7) & 7) + 8; // CB/CA destination
  if (q === 0) return f3 === 0 || f3 === 2 || f3 === 3 ? rdLow : -1;
  if (q === 1) return f3 <= 3 ? rdFull : f3 === 4 ? rdHigh : -1;
  if (f3 === 0 || f3 === 2 || f3 === 3) return rdFull; // c.slli, c.lwsp, c.ldsp
  if (f3 === 4 && ((w >> 2) & 31) !== 0) return rdFull; // c.mv, c.add
  return -1;
}
