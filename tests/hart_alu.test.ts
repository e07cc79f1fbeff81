// Integer and M-extension instructions against their ISA definitions (BigInt).
import assert from "./deps.ts";
import * as E from "./encode.ts";
import type { Hart } from "../machine/hart.ts";
import { modeTest, reg, reset, runCode, setReg, sx, ux } from "./hart_harness.ts";

const EDGES: bigint[] = [
  0n,
  1n,
  2n,
  3n,
  7n,
  0x7fn,
  0x80n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x123456789abcdef0n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0x8000000000000001n,
  0xfffffffffffffffen,
  0xffffffffffffffffn,
  0xffffffff80000000n,
  0xffffffff7fffffffn,
  0x00000000fffff800n,
  0xdeadbeefcafebaben,
  0x000fffffffffffffn,
  0x0010000000000000n,
  0x0020000000000001n,
];

// Deterministic pseudo-random 64-bit values (xorshift64*).
let seed = 0x9e3779b97f4a7c15n;
function rand64(): bigint {
  seed ^= seed >> 12n;
  seed ^= (seed << 25n) & ((1n << 64n) - 1n);
  seed ^= seed >> 27n;
  return ux(seed * 0x2545f4914f6cdd1dn);
}
const VALUES = [...EDGES];
for (let i = 0; i < 24; i++) {
  const r = rand64();
  VALUES.push(r, r >> (r & 63n)); // include some small ones
}

const s64 = (v: bigint) => sx(v, 64);
const w32 = (v: bigint) => ux(sx(v, 32)); // sign-extend low 32 bits
const u32 = (v: bigint) => BigInt.asUintN(32, v);

function refDiv(a: bigint, b: bigint): bigint {
  const sa = s64(a), sb = s64(b);
  if (sb === 0n) return ux(-1n);
  if (sa === -(1n << 63n) && sb === -1n) return ux(sa);
  return ux(sa / sb); // BigInt division truncates toward zero, as RISC-V does
}
function refRem(a: bigint, b: bigint): bigint {
  const sa = s64(a), sb = s64(b);
  if (sb === 0n) return a;
  if (sa === -(1n << 63n) && sb === -1n) return 0n;
  return ux(sa % sb);
}

const R_OPS: [
  string,
  (rd: number, a: number, b: number) => number,
  (a: bigint, b: bigint) => bigint,
][] = [
  ["add", E.add, (a, b) => ux(a + b)],
  ["sub", E.sub, (a, b) => ux(a - b)],
  ["sll", E.sll, (a, b) => ux(a << (b & 63n))],
  ["slt", E.slt, (a, b) => (s64(a) < s64(b) ? 1n : 0n)],
  ["sltu", E.sltu, (a, b) => (a < b ? 1n : 0n)],
  ["xor", E.xor, (a, b) => a ^ b],
  ["srl", E.srl, (a, b) => a >> (b & 63n)],
  ["sra", E.sra, (a, b) => ux(s64(a) >> (b & 63n))],
  ["or", E.or, (a, b) => a | b],
  ["and", E.and, (a, b) => a & b],
  ["addw", E.addw, (a, b) => w32(a + b)],
  ["subw", E.subw, (a, b) => w32(a - b)],
  ["sllw", E.sllw, (a, b) => w32(a << (b & 31n))],
  ["srlw", E.srlw, (a, b) => w32(u32(a) >> (b & 31n))],
  ["sraw", E.sraw, (a, b) => w32(ux(sx(a, 32) >> (b & 31n)))],
  ["mul", E.mul, (a, b) => ux(a * b)],
  ["mulh", E.mulh, (a, b) => ux((s64(a) * s64(b)) >> 64n)],
  ["mulhsu", E.mulhsu, (a, b) => ux((s64(a) * b) >> 64n)],
  ["mulhu", E.mulhu, (a, b) => (a * b) >> 64n],
  ["div", E.div, refDiv],
  ["divu", E.divu, (a, b) => (b === 0n ? ux(-1n) : a / b)],
  ["rem", E.rem, refRem],
  ["remu", E.remu, (a, b) => (b === 0n ? a : a % b)],
  ["mulw", E.mulw, (a, b) => w32(a * b)],
  ["divw", E.divw, (a, b) => {
    const x = sx(a, 32), y = sx(b, 32);
    if (y === 0n) return ux(-1n);
    if (x === -(1n << 31n) && y === -1n) return ux(x);
    return w32(x / y);
  }],
  ["divuw", E.divuw, (a, b) => (u32(b) === 0n ? ux(-1n) : w32(u32(a) / u32(b)))],
  ["remw", E.remw, (a, b) => {
    const x = sx(a, 32), y = sx(b, 32);
    if (y === 0n) return w32(x);
    if (x === -(1n << 31n) && y === -1n) return 0n;
    return w32(x % y);
  }],
  ["remuw", E.remuw, (a, b) => (u32(b) === 0n ? w32(a) : w32(u32(a) % u32(b)))],
];

modeTest("R-type and M ops match the ISA on edge and random values", () => {
  for (const [name, enc, ref] of R_OPS) {
    // One program per op: x3 = x1 op x2; ecall. Reuse it for every operand pair.
    let first = true;
    for (const a of VALUES) {
      for (const b of VALUES) {
        const { hart } = reset();
        setReg(hart, 1, a);
        setReg(hart, 2, b);
        const cause: number = first ? runCode([enc(3, 1, 2), E.ecall()]) : rerun(hart);
        first = false;
        assert.equal(cause, 8);
        assert.equal(reg(hart, 3), ref(a, b), `${name} ${a.toString(16)}, ${b.toString(16)}`);
      }
    }
  }
});

function rerun(hart: Hart): number {
  hart.pcLo = 0x80001000 | 0;
  hart.pcHi = 0;
  return hart.run(100);
}

modeTest("rd = rs1 = rs2 aliasing and writes to x0", () => {
  const { hart } = reset();
  setReg(hart, 5, 0x1234_5678_9abc_def0n);
  assert.equal(runCode([E.add(5, 5, 5), E.mul(0, 5, 5), E.addi(0, 0, 5), E.ecall()]), 8);
  assert.equal(reg(hart, 5), ux(0x1234_5678_9abc_def0n * 2n));
  assert.equal(reg(hart, 0), 0n);
});

const IMMS = [0, 1, -1, 2047, -2048, 0x7ff, 0x555, -0x556, 31, 32, 63];
type IOp = [
  string,
  (rd: number, rs1: number, imm: number) => number,
  (a: bigint, i: bigint) => bigint,
  boolean?,
];
const I_OPS: IOp[] = [
  ["addi", E.addi, (a, i) => ux(a + i)],
  ["slti", E.slti, (a, i) => (s64(a) < i ? 1n : 0n)],
  ["sltiu", E.sltiu, (a, i) => (a < ux(i) ? 1n : 0n)],
  ["xori", E.xori, (a, i) => a ^ ux(i)],
  ["ori", E.ori, (a, i) => a | ux(i)],
  ["andi", E.andi, (a, i) => a & ux(i)],
  ["addiw", E.addiw, (a, i) => w32(a + i)],
  ["slli", E.slli, (a, i) => ux(a << (i & 63n)), true],
  ["srli", E.srli, (a, i) => a >> (i & 63n), true],
  ["srai", E.srai, (a, i) => ux(s64(a) >> (i & 63n)), true],
  ["slliw", E.slliw, (a, i) => w32(a << (i & 31n)), true],
  ["srliw", E.srliw, (a, i) => w32(u32(a) >> (i & 31n)), true],
  ["sraiw", E.sraiw, (a, i) => w32(ux(sx(a, 32) >> (i & 31n))), true],
];

modeTest("I-type ops match the ISA", () => {
  for (const [name, enc, ref, shift] of I_OPS) {
    const imms = shift ? Array.from({ length: 64 }, (_, i) => i) : IMMS;
    for (const imm of imms) {
      for (const a of VALUES) {
        const { hart } = reset();
        setReg(hart, 7, a);
        assert.equal(runCode([enc(9, 7, imm), E.ecall()]), 8);
        assert.equal(reg(hart, 9), ref(a, BigInt(imm)), `${name} ${a.toString(16)}, ${imm}`);
      }
    }
  }
});

modeTest("lui and auipc sign-extend; auipc adds the pc", () => {
  const { hart } = reset();
  assert.equal(
    runCode([E.lui(1, 0x80000), E.lui(2, 0x7ffff), E.auipc(3, 0xfffff), E.auipc(4, 1), E.ecall()]),
    8,
  );
  assert.equal(reg(hart, 1), 0xffffffff80000000n);
  assert.equal(reg(hart, 2), 0x7ffff000n);
  assert.equal(reg(hart, 3), ux(0x80001008n - 0x1000n));
  assert.equal(reg(hart, 4), 0x80001000n + 12n + 0x1000n);
});
