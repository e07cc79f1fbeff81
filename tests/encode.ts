// A small RISC-V instruction encoder for the hart tests: the base formats
// (R, I, S, B, U, J), named RV64IMA/Zicsr instructions, and the compressed
// formats. Every function returns the instruction bits as an unsigned number.

const u = (v: number) => v >>> 0;

export function rType(op: number, rd: number, f3: number, rs1: number, rs2: number, f7: number) {
  return u(op | (rd << 7) | (f3 << 12) | (rs1 << 15) | (rs2 << 20) | (f7 << 25));
}
export function iType(op: number, rd: number, f3: number, rs1: number, imm: number) {
  return u(op | (rd << 7) | (f3 << 12) | (rs1 << 15) | ((imm & 0xfff) << 20));
}
export function sType(op: number, f3: number, rs1: number, rs2: number, imm: number) {
  return u(
    op | ((imm & 31) << 7) | (f3 << 12) | (rs1 << 15) | (rs2 << 20) | (((imm >> 5) & 0x7f) << 25),
  );
}
export function bType(op: number, f3: number, rs1: number, rs2: number, imm: number) {
  return u(
    op | (((imm >> 11) & 1) << 7) | (((imm >> 1) & 15) << 8) | (f3 << 12) | (rs1 << 15) |
      (rs2 << 20) | (((imm >> 5) & 0x3f) << 25) | (((imm >> 12) & 1) << 31),
  );
}
export function uType(op: number, rd: number, imm20: number) {
  return u(op | (rd << 7) | ((imm20 & 0xfffff) << 12));
}
export function jType(op: number, rd: number, imm: number) {
  return u(
    op | (rd << 7) | (((imm >> 12) & 0xff) << 12) | (((imm >> 11) & 1) << 20) |
      (((imm >> 1) & 0x3ff) << 21) | (((imm >> 20) & 1) << 31),
  );
}

// ---- RV64I
export const lui = (rd: number, imm20: number) => uType(0x37, rd, imm20);
export const auipc = (rd: number, imm20: number) => uType(0x17, rd, imm20);
export const jal = (rd: number, off: number) => jType(0x6f, rd, off);
export const jalr = (rd: number, rs1: number, imm: number) => iType(0x67, rd, 0, rs1, imm);
export const beq = (a: number, b: number, off: number) => bType(0x63, 0, a, b, off);
export const bne = (a: number, b: number, off: number) => bType(0x63, 1, a, b, off);
export const blt = (a: number, b: number, off: number) => bType(0x63, 4, a, b, off);
export const bge = (a: number, b: number, off: number) => bType(0x63, 5, a, b, off);
export const bltu = (a: number, b: number, off: number) => bType(0x63, 6, a, b, off);
export const bgeu = (a: number, b: number, off: number) => bType(0x63, 7, a, b, off);
export const lb = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 0, rs1, imm);
export const lh = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 1, rs1, imm);
export const lw = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 2, rs1, imm);
export const ld = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 3, rs1, imm);
export const lbu = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 4, rs1, imm);
export const lhu = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 5, rs1, imm);
export const lwu = (rd: number, rs1: number, imm: number) => iType(0x03, rd, 6, rs1, imm);
export const sb = (rs2: number, rs1: number, imm: number) => sType(0x23, 0, rs1, rs2, imm);
export const sh = (rs2: number, rs1: number, imm: number) => sType(0x23, 1, rs1, rs2, imm);
export const sw = (rs2: number, rs1: number, imm: number) => sType(0x23, 2, rs1, rs2, imm);
export const sd = (rs2: number, rs1: number, imm: number) => sType(0x23, 3, rs1, rs2, imm);
export const addi = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 0, rs1, imm);
export const slti = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 2, rs1, imm);
export const sltiu = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 3, rs1, imm);
export const xori = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 4, rs1, imm);
export const ori = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 6, rs1, imm);
export const andi = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 7, rs1, imm);
export const slli = (rd: number, rs1: number, sh: number) => iType(0x13, rd, 1, rs1, sh & 63);
export const srli = (rd: number, rs1: number, sh: number) => iType(0x13, rd, 5, rs1, sh & 63);
export const srai = (rd: number, rs1: number, sh: number) =>
  iType(0x13, rd, 5, rs1, 0x400 | (sh & 63));
export const addiw = (rd: number, rs1: number, imm: number) => iType(0x1b, rd, 0, rs1, imm);
export const slliw = (rd: number, rs1: number, sh: number) => iType(0x1b, rd, 1, rs1, sh & 31);
export const srliw = (rd: number, rs1: number, sh: number) => iType(0x1b, rd, 5, rs1, sh & 31);
export const sraiw = (rd: number, rs1: number, sh: number) =>
  iType(0x1b, rd, 5, rs1, 0x400 | (sh & 31));

const r = (f3: number, f7: number, op = 0x33) => (rd: number, a: number, b: number) =>
  rType(op, rd, f3, a, b, f7);
export const add = r(0, 0), sub = r(0, 0x20), sll = r(1, 0), slt = r(2, 0), sltu = r(3, 0);
export const xor = r(4, 0), srl = r(5, 0), sra = r(5, 0x20), or = r(6, 0), and = r(7, 0);
export const addw = r(0, 0, 0x3b), subw = r(0, 0x20, 0x3b), sllw = r(1, 0, 0x3b);
export const srlw = r(5, 0, 0x3b), sraw = r(5, 0x20, 0x3b);
// ---- M
export const mul = r(0, 1), mulh = r(1, 1), mulhsu = r(2, 1), mulhu = r(3, 1);
export const div = r(4, 1), divu = r(5, 1), rem = r(6, 1), remu = r(7, 1);
export const mulw = r(0, 1, 0x3b), divw = r(4, 1, 0x3b), divuw = r(5, 1, 0x3b);
export const remw = r(6, 1, 0x3b), remuw = r(7, 1, 0x3b);

// ---- A: funct5 values
export const AMO = {
  add: 0,
  swap: 1,
  lr: 2,
  sc: 3,
  xor: 4,
  or: 8,
  and: 12,
  min: 16,
  max: 20,
  minu: 24,
  maxu: 28,
} as const;
/** An atomic instruction: f5 from AMO, dbl = .D (else .W). */
export function amo(
  f5: number,
  dbl: boolean,
  rd: number,
  rs1: number,
  rs2: number,
  aq = 0,
  rl = 0,
) {
  return rType(0x2f, rd, dbl ? 3 : 2, rs1, rs2, (f5 << 2) | (aq << 1) | rl);
}

// ---- system
export const ecall = () => 0x00000073;
export const ebreak = () => 0x00100073;
export const fence = () => 0x0ff0000f;
export const fenceI = () => 0x0000100f;
export const csrrw = (rd: number, csr: number, rs1: number) => iType(0x73, rd, 1, rs1, csr);
export const csrrs = (rd: number, csr: number, rs1: number) => iType(0x73, rd, 2, rs1, csr);
export const csrrc = (rd: number, csr: number, rs1: number) => iType(0x73, rd, 3, rs1, csr);
export const csrrwi = (rd: number, csr: number, uimm: number) => iType(0x73, rd, 5, uimm, csr);
export const csrrsi = (rd: number, csr: number, uimm: number) => iType(0x73, rd, 6, uimm, csr);
export const csrrci = (rd: number, csr: number, uimm: number) => iType(0x73, rd, 7, uimm, csr);

// ---- compressed formats (return 16-bit values)
const bit = (v: number, i: number) => (v >> i) & 1;
const bits = (v: number, hi: number, lo: number) => (v >> lo) & ((1 << (hi - lo + 1)) - 1);
/** CR: funct4 | rd/rs1 | rs2 | op */
export const cr = (f4: number, rd: number, rs2: number, op: number) =>
  (f4 << 12) | (rd << 7) | (rs2 << 2) | op;
/** CI with a 6-bit immediate split as [12 | 6:2]. */
export const ci = (f3: number, rd: number, imm6: number, op: number) =>
  (f3 << 13) | (bit(imm6, 5) << 12) | (rd << 7) | (bits(imm6, 4, 0) << 2) | op;

// Quadrant 0
export function cAddi4spn(rdp: number, nzuimm: number) {
  return (bits(nzuimm, 5, 4) << 11) | (bits(nzuimm, 9, 6) << 7) | (bit(nzuimm, 2) << 6) |
    (bit(nzuimm, 3) << 5) | ((rdp - 8) << 2);
}
export function cLw(rdp: number, rs1p: number, uimm: number) {
  return (2 << 13) | (bits(uimm, 5, 3) << 10) | ((rs1p - 8) << 7) | (bit(uimm, 2) << 6) |
    (bit(uimm, 6) << 5) | ((rdp - 8) << 2);
}
export function cLd(rdp: number, rs1p: number, uimm: number) {
  return (3 << 13) | (bits(uimm, 5, 3) << 10) | ((rs1p - 8) << 7) | (bits(uimm, 7, 6) << 5) |
    ((rdp - 8) << 2);
}
export const cSw = (rs2p: number, rs1p: number, uimm: number) => cLw(rs2p, rs1p, uimm) | (4 << 13);
export const cSd = (rs2p: number, rs1p: number, uimm: number) => cLd(rs2p, rs1p, uimm) | (4 << 13);
// Quadrant 1
export const cAddi = (rd: number, imm: number) => ci(0, rd, imm, 1);
export const cAddiw = (rd: number, imm: number) => ci(1, rd, imm, 1);
export const cLi = (rd: number, imm: number) => ci(2, rd, imm, 1);
export const cLui = (rd: number, nzimm17_12: number) => ci(3, rd, nzimm17_12, 1);
export function cAddi16sp(nzimm: number) {
  return (3 << 13) | (bit(nzimm, 9) << 12) | (2 << 7) | (bit(nzimm, 4) << 6) |
    (bit(nzimm, 6) << 5) | (bits(nzimm, 8, 7) << 3) | (bit(nzimm, 5) << 2) | 1;
}
export const cSrli = (rdp: number, sh: number) =>
  (4 << 13) | (bit(sh, 5) << 12) | (0 << 10) | ((rdp - 8) << 7) | (bits(sh, 4, 0) << 2) | 1;
export const cSrai = (rdp: number, sh: number) =>
  (4 << 13) | (bit(sh, 5) << 12) | (1 << 10) | ((rdp - 8) << 7) | (bits(sh, 4, 0) << 2) | 1;
export const cAndi = (rdp: number, imm: number) =>
  (4 << 13) | (bit(imm, 5) << 12) | (2 << 10) | ((rdp - 8) << 7) | (bits(imm, 4, 0) << 2) | 1;
/** CA: c.sub(0) c.xor(1) c.or(2) c.and(3), w=1: c.subw(0) c.addw(1) */
export const cArith = (w: number, f2: number, rdp: number, rs2p: number) =>
  (4 << 13) | (w << 12) | (3 << 10) | ((rdp - 8) << 7) | (f2 << 5) | ((rs2p - 8) << 2) | 1;
export function cJ(off: number) {
  return (5 << 13) | (bit(off, 11) << 12) | (bit(off, 4) << 11) | (bits(off, 9, 8) << 9) |
    (bit(off, 10) << 8) | (bit(off, 6) << 7) | (bit(off, 7) << 6) | (bits(off, 3, 1) << 3) |
    (bit(off, 5) << 2) | 1;
}
function cb(f3: number, rs1p: number, off: number) {
  return (f3 << 13) | (bit(off, 8) << 12) | (bits(off, 4, 3) << 10) | ((rs1p - 8) << 7) |
    (bits(off, 7, 6) << 5) | (bits(off, 2, 1) << 3) | (bit(off, 5) << 2) | 1;
}
export const cBeqz = (rs1p: number, off: number) => cb(6, rs1p, off);
export const cBnez = (rs1p: number, off: number) => cb(7, rs1p, off);
// Quadrant 2
export const cSlli = (rd: number, sh: number) => ci(0, rd, sh, 2);
export const cLwsp = (rd: number, uimm: number) =>
  (2 << 13) | (bit(uimm, 5) << 12) | (rd << 7) | (bits(uimm, 4, 2) << 4) |
  (bits(uimm, 7, 6) << 2) | 2;
export const cLdsp = (rd: number, uimm: number) =>
  (3 << 13) | (bit(uimm, 5) << 12) | (rd << 7) | (bits(uimm, 4, 3) << 5) |
  (bits(uimm, 8, 6) << 2) | 2;
export const cJr = (rs1: number) => cr(8, rs1, 0, 2);
export const cMv = (rd: number, rs2: number) => cr(8, rd, rs2, 2);
export const cEbreak = () => cr(9, 0, 0, 2);
export const cJalr = (rs1: number) => cr(9, rs1, 0, 2);
export const cAdd = (rd: number, rs2: number) => cr(9, rd, rs2, 2);
export const cSwsp = (rs2: number, uimm: number) =>
  (6 << 13) | (bits(uimm, 5, 2) << 9) | (bits(uimm, 7, 6) << 7) | (rs2 << 2) | 2;
export const cSdsp = (rs2: number, uimm: number) =>
  (7 << 13) | (bits(uimm, 5, 3) << 10) | (bits(uimm, 8, 6) << 7) | (rs2 << 2) | 2;
