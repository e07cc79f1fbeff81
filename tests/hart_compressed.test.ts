// The C extension: every 16-bit encoding is checked against its 32-bit expansion
// (written here from the spec's tables), both at the decoder and by running it.
import assert from "./deps.ts";
import * as E from "./encode.ts";
import { decode16, decode32, decodedImm } from "../machine/decode.ts";
import {
  CODE_PA,
  DATA_PA,
  modeTest,
  pc,
  reg,
  reset,
  runCode,
  sepc,
  setReg,
  ux,
} from "./hart_harness.ts";

const b = (v: number, i: number) => (v >> i) & 1;
const f = (v: number, hi: number, lo: number) => (v >> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (v: number, bits: number) => (v << (32 - bits)) >> (32 - bits);

/** The 32-bit instruction a compressed one stands for, or null when reserved/illegal. */
function expand(c: number): number | null {
  const op = c & 3, f3 = c >> 13;
  const rdp = 8 + f(c, 4, 2), rs1p = 8 + f(c, 9, 7);
  const rd = f(c, 11, 7), rs2 = f(c, 6, 2);
  const imm6 = sext((b(c, 12) << 5) | f(c, 6, 2), 6);
  const sh6 = (b(c, 12) << 5) | f(c, 6, 2);
  if (c === 0) return null;
  if (op === 0) {
    const lwImm = (f(c, 12, 10) << 3) | (b(c, 6) << 2) | (b(c, 5) << 6);
    const ldImm = (f(c, 12, 10) << 3) | (f(c, 6, 5) << 6);
    switch (f3) {
      case 0: {
        const nz = (f(c, 12, 11) << 4) | (f(c, 10, 7) << 6) | (b(c, 6) << 2) | (b(c, 5) << 3);
        return nz === 0 ? null : E.addi(rdp, 2, nz);
      }
      case 2:
        return E.lw(rdp, rs1p, lwImm);
      case 3:
        return E.ld(rdp, rs1p, ldImm);
      case 6:
        return E.sw(rdp, rs1p, lwImm);
      case 7:
        return E.sd(rdp, rs1p, ldImm);
      default:
        return null; // c.fld, reserved, c.fsd
    }
  }
  if (op === 1) {
    switch (f3) {
      case 0:
        return E.addi(rd, rd, imm6);
      case 1:
        return rd === 0 ? null : E.addiw(rd, rd, imm6);
      case 2:
        return E.addi(rd, 0, imm6);
      case 3:
        if (rd === 2) {
          const nz = sext(
            (b(c, 12) << 9) | (b(c, 6) << 4) | (b(c, 5) << 6) | (f(c, 4, 3) << 7) | (b(c, 2) << 5),
            10,
          );
          return nz === 0 ? null : E.addi(2, 2, nz);
        }
        return imm6 === 0 ? null : E.lui(rd, imm6 & 0xfffff);
      case 4: {
        const f2 = f(c, 11, 10);
        if (f2 === 0) return E.srli(rs1p, rs1p, sh6);
        if (f2 === 1) return E.srai(rs1p, rs1p, sh6);
        if (f2 === 2) return E.andi(rs1p, rs1p, imm6);
        const g = f(c, 6, 5);
        if (b(c, 12) === 0) return [E.sub, E.xor, E.or, E.and][g](rs1p, rs1p, rdp);
        if (g === 0) return E.subw(rs1p, rs1p, rdp);
        if (g === 1) return E.addw(rs1p, rs1p, rdp);
        return null;
      }
      case 5: {
        const off = sext(
          (b(c, 12) << 11) | (b(c, 11) << 4) | (f(c, 10, 9) << 8) | (b(c, 8) << 10) |
            (b(c, 7) << 6) | (b(c, 6) << 7) | (f(c, 5, 3) << 1) | (b(c, 2) << 5),
          12,
        );
        return E.jal(0, off);
      }
      default: {
        const off = sext(
          (b(c, 12) << 8) | (f(c, 11, 10) << 3) | (f(c, 6, 5) << 6) | (f(c, 4, 3) << 1) |
            (b(c, 2) << 5),
          9,
        );
        return f3 === 6 ? E.beq(rs1p, 0, off) : E.bne(rs1p, 0, off);
      }
    }
  }
  // op === 2
  switch (f3) {
    case 0:
      return E.slli(rd, rd, sh6);
    case 2:
      return rd === 0 ? null : E.lw(rd, 2, (b(c, 12) << 5) | (f(c, 6, 4) << 2) | (f(c, 3, 2) << 6));
    case 3:
      return rd === 0 ? null : E.ld(rd, 2, (b(c, 12) << 5) | (f(c, 6, 5) << 3) | (f(c, 4, 2) << 6));
    case 4:
      if (b(c, 12) === 0) {
        if (rs2 === 0) return rd === 0 ? null : E.jalr(0, rd, 0);
        return E.add(rd, 0, rs2);
      }
      if (rs2 === 0) return rd === 0 ? E.ebreak() : E.jalr(1, rd, 0);
      return E.add(rd, rd, rs2);
    case 6:
      return E.sw(rs2, 2, (f(c, 12, 9) << 2) | (f(c, 8, 7) << 6));
    case 7:
      return E.sd(rs2, 2, (f(c, 12, 10) << 3) | (f(c, 9, 7) << 6));
    default:
      return null; // c.fldsp, c.fsdsp
  }
}

const LEN_MASK = ~(7 << 27);

Deno.test("every 16-bit encoding decodes like its expansion (or as illegal)", () => {
  let legal = 0;
  for (let c = 0; c < 0x10000; c++) {
    if ((c & 3) === 3) continue;
    const w16 = decode16(c);
    const imm16 = decodedImm;
    const x = expand(c);
    if (x === null) {
      assert.equal(w16 & 0xff, 68, `0x${c.toString(16)} should be illegal`); // OP_ILLEGAL
      assert.equal(imm16, c);
      continue;
    }
    legal++;
    const w32 = decode32(x);
    const imm32 = decodedImm;
    assert.equal(w16 >>> 27, 2, `length of 0x${c.toString(16)}`);
    assert.equal(w16 & LEN_MASK, w32 & LEN_MASK, `0x${c.toString(16)} vs 0x${x.toString(16)}`);
    assert.equal(imm16, imm32, `imm of 0x${c.toString(16)}`);
  }
  assert.ok(legal > 38000);
});

// Running them: compressed vs expanded from the same state give the same registers/memory.
modeTest("compressed instructions execute like their expansions", () => {
  const samples = [
    E.cAddi4spn(9, 1020),
    E.cLw(8, 9, 124),
    E.cLd(10, 9, 248),
    E.cSw(11, 9, 64),
    E.cSd(11, 9, 8),
    E.cAddi(5, -32),
    E.cAddiw(6, 31),
    E.cLi(7, -1),
    E.cLui(8, 0x20),
    E.cLui(8, 0x1f),
    E.cAddi16sp(-512),
    E.cAddi16sp(496),
    E.cSrli(9, 63),
    E.cSrai(10, 33),
    E.cAndi(11, -7),
    E.cArith(0, 0, 12, 13),
    E.cArith(0, 1, 12, 13),
    E.cArith(0, 2, 12, 13),
    E.cArith(0, 3, 12, 13),
    E.cArith(1, 0, 12, 13),
    E.cArith(1, 1, 12, 13),
    E.cSlli(14, 45),
    E.cLwsp(15, 252),
    E.cLdsp(16, 504),
    E.cMv(17, 18),
    E.cAdd(19, 20),
    E.cSwsp(21, 252),
    E.cSdsp(22, 504),
  ];
  for (const c of samples) {
    const x = expand(c);
    assert.ok(x !== null, c.toString(16));
    const results: bigint[][] = [];
    for (const inst of [c, x]) {
      const { ram, hart } = reset();
      ram.fill(DATA_PA, 0x1000, 0);
      for (let i = 0; i < 0x1000; i += 4) ram.write32(DATA_PA + i, (i * 0x9e3779b1) >>> 0);
      for (let r = 1; r < 32; r++) setReg(hart, r, (BigInt(r) * 0x0123456789abcdefn) & 0xffffn);
      setReg(hart, 2, BigInt(DATA_PA + 0x400)); // sp
      setReg(hart, 9, BigInt(DATA_PA + 0x100));
      setReg(hart, 10, 0xf0000000_00000001n);
      assert.equal(runCode([inst, E.ecall()]), 8, `0x${c.toString(16)}`);
      const regs = Array.from({ length: 32 }, (_, r) => reg(hart, r));
      const mem = Array.from({ length: 0x400 }, (_, i) => BigInt(ram.read32(DATA_PA + 4 * i)));
      results.push([...regs, ...mem]);
      // ecall is right after the instruction
      assert.equal(sepc(hart), BigInt(CODE_PA + ((inst & 3) === 3 ? 4 : 2)));
    }
    assert.deepEqual(results[0], results[1], `0x${c.toString(16)}`);
  }
});

modeTest("compressed jumps and branches link and land at the right pc", () => {
  const C = BigInt(CODE_PA);
  // c.j +6 skips the c.li at +2 and +4
  let { hart } = reset();
  assert.equal(runCode([E.cJ(6), E.cLi(1, 1), E.cLi(1, 2), E.ecall()]), 8);
  assert.equal(reg(hart, 1), 0n);
  // c.jalr links pc+2
  ({ hart } = reset());
  setReg(hart, 5, C + 4n);
  assert.equal(runCode([E.cJalr(5), E.cAddi(0, 0), E.ecall()]), 8);
  assert.equal(reg(hart, 1), C + 2n);
  assert.equal(sepc(hart), C + 4n);
  // c.jr
  ({ hart } = reset());
  setReg(hart, 5, C + 4n);
  assert.equal(runCode([E.cJr(5), E.cLi(1, 3), E.ecall()]), 8);
  assert.equal(reg(hart, 1), 0n);
  // c.beqz / c.bnez both ways, backward too
  for (const [v, wantTaken] of [[0n, true], [5n, false]] as const) {
    ({ hart } = reset());
    setReg(hart, 8, v);
    assert.equal(runCode([E.cBeqz(8, 4), E.cLi(1, 1), E.ecall()]), 8);
    assert.equal(reg(hart, 1), wantTaken ? 0n : 1n);
    ({ hart } = reset());
    setReg(hart, 8, v);
    assert.equal(runCode([E.cBnez(8, 4), E.cLi(1, 1), E.ecall()]), 8);
    assert.equal(reg(hart, 1), wantTaken ? 1n : 0n);
  }
  ({ hart } = reset());
  setReg(hart, 9, 4n);
  // loop: c.addi x10, 1 ; c.addi x9, -1 ; c.bnez x9, -4
  assert.equal(runCode([E.cAddi(10, 1), E.cAddi(9, -1), E.cBnez(9, -4), E.ecall()]), 8);
  assert.equal(reg(hart, 10), 4n);
  assert.equal(pc(hart), C + 6n);
  assert.equal(ux(reg(hart, 9)), 0n);
});
