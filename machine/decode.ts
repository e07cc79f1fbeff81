// Instruction decoder for the hart: turns one RV64IMAC instruction (32-bit or
// compressed 16-bit) into a packed word plus an immediate, so that the hart's
// interpreter loop never looks at instruction bits twice.
//
// Packed word layout (always a non-negative int32):
//   bits 0..7   operation (OP_* below)
//   bits 8..14  destination register index * 2 (x0 is sent to the scratch slot 64)
//   bits 15..20 first source register index * 2
//   bits 21..26 second source register index * 2
//   bits 27..29 instruction length in bytes (2 or 4)
// The immediate goes to `decodedImm`. Compressed instructions decode to the same
// operations as their 32-bit expansions.

export const OP_LUI = 1;
export const OP_AUIPC = 2;
export const OP_JAL = 3;
export const OP_JALR = 4;
export const OP_BEQ = 5;
export const OP_BNE = 6;
export const OP_BLT = 7;
export const OP_BGE = 8;
export const OP_BLTU = 9;
export const OP_BGEU = 10;
export const OP_LB = 11;
export const OP_LH = 12;
export const OP_LW = 13;
export const OP_LD = 14;
export const OP_LBU = 15;
export const OP_LHU = 16;
export const OP_LWU = 17;
export const OP_SB = 18;
export const OP_SH = 19;
export const OP_SW = 20;
export const OP_SD = 21;
export const OP_ADDI = 22;
export const OP_SLTI = 23;
export const OP_SLTIU = 24;
export const OP_XORI = 25;
export const OP_ORI = 26;
export const OP_ANDI = 27;
export const OP_SLLI = 28;
export const OP_SRLI = 29;
export const OP_SRAI = 30;
export const OP_ADD = 31;
export const OP_SUB = 32;
export const OP_SLL = 33;
export const OP_SLT = 34;
export const OP_SLTU = 35;
export const OP_XOR = 36;
export const OP_SRL = 37;
export const OP_SRA = 38;
export const OP_OR = 39;
export const OP_AND = 40;
export const OP_ADDIW = 41;
export const OP_SLLIW = 42;
export const OP_SRLIW = 43;
export const OP_SRAIW = 44;
export const OP_ADDW = 45;
export const OP_SUBW = 46;
export const OP_SLLW = 47;
export const OP_SRLW = 48;
export const OP_SRAW = 49;
export const OP_MUL = 50;
export const OP_MULH = 51;
export const OP_MULHSU = 52;
export const OP_MULHU = 53;
export const OP_DIV = 54;
export const OP_DIVU = 55;
export const OP_REM = 56;
export const OP_REMU = 57;
export const OP_MULW = 58;
export const OP_DIVW = 59;
export const OP_DIVUW = 60;
export const OP_REMW = 61;
export const OP_REMUW = 62;
/** LR/SC/AMO; the immediate holds the raw instruction. */
export const OP_ATOMIC = 63;
export const OP_FENCE = 64;
export const OP_ECALL = 65;
export const OP_EBREAK = 66;
/** CSR access; the immediate holds the raw instruction. */
export const OP_CSR = 67;
/** Illegal instruction; the immediate holds the raw instruction bits. */
export const OP_ILLEGAL = 68;
/** Privileged instructions (legal only in some modes); the immediate holds the raw bits. */
export const OP_MRET = 69;
export const OP_SRET = 70;
export const OP_WFI = 71;
export const OP_SFENCE_VMA = 72;

// Operation by funct3 (0 = no such instruction).
const BRANCH_OPS = [OP_BEQ, OP_BNE, 0, 0, OP_BLT, OP_BGE, OP_BLTU, OP_BGEU];
const LOAD_OPS = [OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU];
const STORE_OPS = [OP_SB, OP_SH, OP_SW, OP_SD];
const ALU_OPS = [OP_ADD, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_OR, OP_AND];
const MUL_OPS = [OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU];
const MULW_OPS = [OP_MULW, 0, 0, 0, OP_DIVW, OP_DIVUW, OP_REMW, OP_REMUW];
const CA_OPS = [OP_SUB, OP_XOR, OP_OR, OP_AND]; // c.sub c.xor c.or c.and

/** Immediate of the last decode16/decode32 call. */
export let decodedImm = 0;

function pack(op: number, rd: number, rs1: number, rs2: number, len: number): number {
  // rd 0 writes go to the scratch slot (index 32) so that x0 stays zero.
  const d = rd === 0 ? 64 : rd * 2;
  return op | (d << 8) | ((rs1 * 2) << 15) | ((rs2 * 2) << 21) | (len << 27);
}

function illegal(bits: number, len: number): number {
  decodedImm = bits | 0;
  return OP_ILLEGAL | (64 << 8) | (len << 27);
}

/** Decode a 32-bit instruction (low two bits 11). */
export function decode32(inst: number): number {
  const opc = inst & 0x7f;
  const rd = (inst >>> 7) & 31;
  const f3 = (inst >>> 12) & 7;
  const rs1 = (inst >>> 15) & 31;
  const rs2 = (inst >>> 20) & 31;
  const f7 = inst >>> 25;
  const immI = inst >> 20;
  switch (opc) {
    case 0x37:
      decodedImm = inst & ~0xfff;
      return pack(OP_LUI, rd, 0, 0, 4);
    case 0x17:
      decodedImm = inst & ~0xfff;
      return pack(OP_AUIPC, rd, 0, 0, 4);
    case 0x6f:
      decodedImm = ((inst >> 31) << 20) | (((inst >>> 12) & 0xff) << 12) |
        (((inst >>> 20) & 1) << 11) | (((inst >>> 21) & 0x3ff) << 1);
      return pack(OP_JAL, rd, 0, 0, 4);
    case 0x67:
      if (f3 !== 0) break;
      decodedImm = immI;
      return pack(OP_JALR, rd, rs1, 0, 4);
    case 0x63: {
      if (f3 === 2 || f3 === 3) break;
      decodedImm = ((inst >> 31) << 12) | (((inst >>> 7) & 1) << 11) |
        (((inst >>> 25) & 0x3f) << 5) | (((inst >>> 8) & 0xf) << 1);
      return pack(BRANCH_OPS[f3], 0, rs1, rs2, 4);
    }
    case 0x03: {
      if (f3 === 7) break;
      decodedImm = immI;
      return pack(LOAD_OPS[f3], rd, rs1, 0, 4);
    }
    case 0x23: {
      if (f3 > 3) break;
      decodedImm = ((inst >> 25) << 5) | ((inst >>> 7) & 31);
      return pack(STORE_OPS[f3], 0, rs1, rs2, 4);
    }
    case 0x13: {
      decodedImm = immI;
      switch (f3) {
        case 0:
          return pack(OP_ADDI, rd, rs1, 0, 4);
        case 2:
          return pack(OP_SLTI, rd, rs1, 0, 4);
        case 3:
          return pack(OP_SLTIU, rd, rs1, 0, 4);
        case 4:
          return pack(OP_XORI, rd, rs1, 0, 4);
        case 6:
          return pack(OP_ORI, rd, rs1, 0, 4);
        case 7:
          return pack(OP_ANDI, rd, rs1, 0, 4);
        case 1:
          if ((inst >>> 26) !== 0) break;
          decodedImm = (inst >>> 20) & 63;
          return pack(OP_SLLI, rd, rs1, 0, 4);
        case 5:
          decodedImm = (inst >>> 20) & 63;
          if ((inst >>> 26) === 0) return pack(OP_SRLI, rd, rs1, 0, 4);
          if ((inst >>> 26) === 0x10) return pack(OP_SRAI, rd, rs1, 0, 4);
          break;
      }
      break;
    }
    case 0x1b: {
      decodedImm = immI;
      if (f3 === 0) return pack(OP_ADDIW, rd, rs1, 0, 4);
      decodedImm = rs2;
      if (f3 === 1 && f7 === 0) return pack(OP_SLLIW, rd, rs1, 0, 4);
      if (f3 === 5 && f7 === 0) return pack(OP_SRLIW, rd, rs1, 0, 4);
      if (f3 === 5 && f7 === 0x20) return pack(OP_SRAIW, rd, rs1, 0, 4);
      break;
    }
    case 0x33: {
      decodedImm = 0;
      let op = 0;
      if (f7 === 0) op = ALU_OPS[f3];
      else if (f7 === 0x20) op = f3 === 0 ? OP_SUB : f3 === 5 ? OP_SRA : 0;
      else if (f7 === 1) {
        op = MUL_OPS[f3];
      }
      if (op === 0) break;
      return pack(op, rd, rs1, rs2, 4);
    }
    case 0x3b: {
      decodedImm = 0;
      let op = 0;
      if (f7 === 0) op = f3 === 0 ? OP_ADDW : f3 === 1 ? OP_SLLW : f3 === 5 ? OP_SRLW : 0;
      else if (f7 === 0x20) op = f3 === 0 ? OP_SUBW : f3 === 5 ? OP_SRAW : 0;
      else if (f7 === 1) {
        op = MULW_OPS[f3];
      }
      if (op === 0) break;
      return pack(op, rd, rs1, rs2, 4);
    }
    case 0x2f: {
      if (f3 !== 2 && f3 !== 3) break;
      const f5 = inst >>> 27;
      if (f5 === 2 && rs2 !== 0) break; // LR with rs2 != 0 is reserved
      if (
        f5 !== 0 && f5 !== 1 && f5 !== 2 && f5 !== 3 && f5 !== 4 && f5 !== 8 && f5 !== 12 &&
        f5 !== 16 && f5 !== 20 && f5 !== 24 && f5 !== 28
      ) break;
      decodedImm = inst;
      return pack(OP_ATOMIC, rd, rs1, rs2, 4);
    }
    case 0x0f:
      if (f3 !== 0 && f3 !== 1) break;
      decodedImm = 0;
      return pack(OP_FENCE, 0, 0, 0, 4);
    case 0x73:
      if (f3 === 0) {
        if (inst === 0x00000073) {
          decodedImm = 0;
          return pack(OP_ECALL, 0, 0, 0, 4);
        }
        if (inst === 0x00100073) {
          decodedImm = 0;
          return pack(OP_EBREAK, 0, 0, 0, 4);
        }
        decodedImm = inst;
        if (inst === 0x30200073) return pack(OP_MRET, 0, 0, 0, 4);
        if (inst === 0x10200073) return pack(OP_SRET, 0, 0, 0, 4);
        if (inst === 0x10500073) return pack(OP_WFI, 0, 0, 0, 4);
        if ((inst >>> 25) === 0x09 && rd === 0) return pack(OP_SFENCE_VMA, 0, 0, 0, 4);
        break;
      }
      if (f3 === 4) break;
      decodedImm = inst;
      return pack(OP_CSR, rd, 0, 0, 4);
  }
  return illegal(inst, 4);
}

/** Decode a 16-bit compressed instruction (low two bits not 11). */
export function decode16(c: number): number {
  c &= 0xffff;
  const q = c & 3;
  const f3 = c >>> 13;
  const rdp = 8 + ((c >>> 2) & 7); // rd' / rs2'
  const rs1p = 8 + ((c >>> 7) & 7); // rs1' / rd'
  const rd = (c >>> 7) & 31;
  const rs2 = (c >>> 2) & 31;
  const b12 = (c >>> 12) & 1;
  // 6-bit signed immediate [12|6:2]
  const imm6 = ((-b12) << 5) | ((c >>> 2) & 31);
  if (q === 0) {
    switch (f3) {
      case 0: {
        const nz = (((c >>> 11) & 3) << 4) | (((c >>> 7) & 15) << 6) | (((c >>> 6) & 1) << 2) |
          (((c >>> 5) & 1) << 3);
        if (nz === 0) break;
        decodedImm = nz;
        return pack(OP_ADDI, rdp, 2, 0, 2);
      }
      case 2:
        decodedImm = (((c >>> 10) & 7) << 3) | (((c >>> 6) & 1) << 2) | (((c >>> 5) & 1) << 6);
        return pack(OP_LW, rdp, rs1p, 0, 2);
      case 3:
        decodedImm = (((c >>> 10) & 7) << 3) | (((c >>> 5) & 3) << 6);
        return pack(OP_LD, rdp, rs1p, 0, 2);
      case 6:
        decodedImm = (((c >>> 10) & 7) << 3) | (((c >>> 6) & 1) << 2) | (((c >>> 5) & 1) << 6);
        return pack(OP_SW, 0, rs1p, rdp, 2);
      case 7:
        decodedImm = (((c >>> 10) & 7) << 3) | (((c >>> 5) & 3) << 6);
        return pack(OP_SD, 0, rs1p, rdp, 2);
    }
    return illegal(c, 2);
  }
  if (q === 1) {
    switch (f3) {
      case 0:
        decodedImm = imm6;
        return pack(OP_ADDI, rd, rd, 0, 2);
      case 1:
        if (rd === 0) break;
        decodedImm = imm6;
        return pack(OP_ADDIW, rd, rd, 0, 2);
      case 2:
        decodedImm = imm6;
        return pack(OP_ADDI, rd, 0, 0, 2);
      case 3:
        if (rd === 2) {
          const nz = ((-b12) << 9) | (((c >>> 6) & 1) << 4) | (((c >>> 5) & 1) << 6) |
            (((c >>> 3) & 3) << 7) | (((c >>> 2) & 1) << 5);
          if (nz === 0) break;
          decodedImm = nz;
          return pack(OP_ADDI, 2, 2, 0, 2);
        }
        if (imm6 === 0) break;
        decodedImm = imm6 << 12;
        return pack(OP_LUI, rd, 0, 0, 2);
      case 4: {
        const f2 = (c >>> 10) & 3;
        if (f2 === 0) {
          decodedImm = (b12 << 5) | ((c >>> 2) & 31);
          return pack(OP_SRLI, rs1p, rs1p, 0, 2);
        }
        if (f2 === 1) {
          decodedImm = (b12 << 5) | ((c >>> 2) & 31);
          return pack(OP_SRAI, rs1p, rs1p, 0, 2);
        }
        if (f2 === 2) {
          decodedImm = imm6;
          return pack(OP_ANDI, rs1p, rs1p, 0, 2);
        }
        const f = (c >>> 5) & 3;
        decodedImm = 0;
        if (b12 === 0) {
          const op = CA_OPS[f];
          return pack(op, rs1p, rs1p, rdp, 2);
        }
        if (f === 0) return pack(OP_SUBW, rs1p, rs1p, rdp, 2);
        if (f === 1) return pack(OP_ADDW, rs1p, rs1p, rdp, 2);
        break;
      }
      case 5:
        decodedImm = ((-b12) << 11) | (((c >>> 11) & 1) << 4) | (((c >>> 9) & 3) << 8) |
          (((c >>> 8) & 1) << 10) | (((c >>> 7) & 1) << 6) | (((c >>> 6) & 1) << 7) |
          (((c >>> 3) & 7) << 1) | (((c >>> 2) & 1) << 5);
        return pack(OP_JAL, 0, 0, 0, 2);
      case 6:
      case 7:
        decodedImm = ((-b12) << 8) | (((c >>> 10) & 3) << 3) | (((c >>> 5) & 3) << 6) |
          (((c >>> 3) & 3) << 1) | (((c >>> 2) & 1) << 5);
        return pack(f3 === 6 ? OP_BEQ : OP_BNE, 0, rs1p, 0, 2);
    }
    return illegal(c, 2);
  }
  // q === 2
  switch (f3) {
    case 0:
      decodedImm = (b12 << 5) | ((c >>> 2) & 31);
      return pack(OP_SLLI, rd, rd, 0, 2);
    case 2:
      if (rd === 0) break;
      decodedImm = (b12 << 5) | (((c >>> 4) & 7) << 2) | (((c >>> 2) & 3) << 6);
      return pack(OP_LW, rd, 2, 0, 2);
    case 3:
      if (rd === 0) break;
      decodedImm = (b12 << 5) | (((c >>> 5) & 3) << 3) | (((c >>> 2) & 7) << 6);
      return pack(OP_LD, rd, 2, 0, 2);
    case 4:
      decodedImm = 0;
      if (b12 === 0) {
        if (rs2 === 0) {
          if (rd === 0) break;
          return pack(OP_JALR, 0, rd, 0, 2);
        }
        return pack(OP_ADD, rd, 0, rs2, 2);
      }
      if (rs2 === 0) {
        if (rd === 0) return pack(OP_EBREAK, 0, 0, 0, 2);
        return pack(OP_JALR, 1, rd, 0, 2);
      }
      return pack(OP_ADD, rd, rd, rs2, 2);
    case 6:
      decodedImm = (((c >>> 9) & 15) << 2) | (((c >>> 7) & 3) << 6);
      return pack(OP_SW, 0, 2, rs2, 2);
    case 7:
      decodedImm = (((c >>> 10) & 7) << 3) | (((c >>> 7) & 7) << 6);
      return pack(OP_SD, 0, 2, rs2, 2);
  }
  return illegal(c, 2);
}
