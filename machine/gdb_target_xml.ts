// The target description the gdb stub hands to gdb (qXfer:features:read:target.xml):
// which registers the machine has, their names and their numbers in p/P packets.
//
// One self-contained document: the standard RISC-V cpu feature (x0..x31 by their
// ABI names, and pc), the floating-point feature (f0..f31, 64 bits), the virtual
// `priv` register, and the CSRs the board implements. The hart has no FPU, but gdb
// refuses a target without 64-bit f registers when the ELF it debugs uses the
// double-float ABI (xv6's kernel does: "bfd requires flen 8, but target has flen 0"),
// so they are described, as QEMU does, and read as zeros.
// Register numbers follow QEMU 7.2 (see machine/debug.ts), so `p` packets name the same
// registers as they do against qemu-system-riscv64.

import { CSR_REGNUM_BASE, REG_F0, REG_PC, REG_PRIV } from "./debug.ts";

/** The integer registers' ABI names, x0..x31 (gdb's org.gnu.gdb.riscv.cpu feature). */
// deno-fmt-ignore
export const XREG_NAMES: readonly string[] = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
  "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
  "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/** The floating-point registers' ABI names, f0..f31 (gdb's org.gnu.gdb.riscv.fpu feature). */
// deno-fmt-ignore
export const FREG_NAMES: readonly string[] = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
  "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
  "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/** The CSRs described to gdb, by name and number: every one the board must answer. */
export const GDB_CSRS: readonly (readonly [string, number])[] = [
  ["sstatus", 0x100],
  ["sie", 0x104],
  ["stvec", 0x105],
  ["scounteren", 0x106],
  ["sscratch", 0x140],
  ["sepc", 0x141],
  ["scause", 0x142],
  ["stval", 0x143],
  ["sip", 0x144],
  ["stimecmp", 0x14d],
  ["satp", 0x180],
  ["mstatus", 0x300],
  ["misa", 0x301],
  ["medeleg", 0x302],
  ["mideleg", 0x303],
  ["mie", 0x304],
  ["mtvec", 0x305],
  ["mcounteren", 0x306],
  ["menvcfg", 0x30a],
  ["mscratch", 0x340],
  ["mepc", 0x341],
  ["mcause", 0x342],
  ["mtval", 0x343],
  ["mip", 0x344],
  ["pmpcfg0", 0x3a0],
  ["pmpcfg2", 0x3a2],
  ...Array.from({ length: 16 }, (_, i) => [`pmpaddr${i}`, 0x3b0 + i] as const),
  ["cycle", 0xc00],
  ["time", 0xc01],
  ["instret", 0xc02],
  ["mhartid", 0xf14],
];

/** gdb's type of an integer register: return address and pc are code, pointers data. */
function xregType(i: number): string {
  if (i === 1) return "code_ptr";
  if (i === 2 || i === 3 || i === 4 || i === 8) return "data_ptr";
  return "int";
}

/** One <reg> element. */
function reg(name: string, regnum: number, type?: string): string {
  const t = type === undefined ? "" : ` type="${type}"`;
  return `<reg name="${name}" bitsize="64"${t} regnum="${regnum}"/>`;
}

/** The whole target description, as gdb reads it in pieces. */
export function targetXml(): string {
  const cpu = XREG_NAMES.map((n, i) => reg(n, i, xregType(i)));
  cpu.push(reg("pc", REG_PC, "code_ptr"));
  const fpu = FREG_NAMES.map((n, i) => reg(n, REG_F0 + i, "riscv_double"));
  const csrs = GDB_CSRS.map(([n, c]) => reg(n, CSR_REGNUM_BASE + c));
  return [
    `<?xml version="1.0"?>`,
    `<!DOCTYPE target SYSTEM "gdb-target.dtd">`,
    `<target version="1.0">`,
    `<architecture>riscv:rv64</architecture>`,
    `<feature name="org.gnu.gdb.riscv.cpu">`,
    ...cpu,
    `</feature>`,
    `<feature name="org.gnu.gdb.riscv.fpu">`,
    `<union id="riscv_double">`,
    `<field name="float" type="ieee_single"/>`,
    `<field name="double" type="ieee_double"/>`,
    `</union>`,
    ...fpu,
    `</feature>`,
    `<feature name="org.gnu.gdb.riscv.virtual">`,
    reg("priv", REG_PRIV),
    `</feature>`,
    `<feature name="org.gnu.gdb.riscv.csr">`,
    ...csrs,
    `</feature>`,
    `</target>`,
    ``,
  ].join("\n");
}
