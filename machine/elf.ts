// Loading a kernel ELF file into the board's RAM, as QEMU's `-kernel` does with
// `-bios none`: every PT_LOAD segment is copied to its physical address (p_paddr),
// the bytes past the file's part up to p_memsz are zeroed, and the harts start at
// the entry point. The file must be a little-endian 64-bit RISC-V executable whose
// segments all lie in RAM; anything else is refused with a one-line reason.
//
// ELF64 facts used: the header is 64 bytes (e_ident[4] class 2 = 64-bit, e_ident[5]
// data 1 = little-endian, e_type at 16, e_machine at 18 = 243 for RISC-V, e_entry
// at 24, e_phoff at 32, e_phentsize at 54, e_phnum at 56); a program header is 56
// bytes (p_type at 0, 1 = PT_LOAD; p_offset at 8; p_paddr at 24; p_filesz at 32;
// p_memsz at 40). Section headers give the symbol table (e_shoff at 40,
// e_shentsize 58, e_shnum 60; sh_type at 4, 2 = SYMTAB; sh_offset 24, sh_size 32,
// sh_link 40, sh_entsize 56); a symbol is 24 bytes (st_name 0, st_info 4, st_value 8).

import type { Ram } from "./ram.ts";
import { KERNBASE } from "./ram.ts";

/** A kernel file that cannot be booted: the message is one line for the user. */
export class ElfError extends Error {}

export interface LoadedKernel {
  /** The entry point (physical address where every hart starts). */
  entry: number;
  /** The lowest and highest+1 physical addresses the segments occupy. */
  low: number;
  high: number;
  /** Function and object symbols by address, when the file has a symbol table. */
  symbols: Map<string, number>;
}

const EM_RISCV = 243;
const PT_LOAD = 1;

/** Read a little-endian 64-bit field as a number, refusing values beyond 2^53. */
function u64(v: DataView, off: number, what: string): number {
  const lo = v.getUint32(off, true), hi = v.getUint32(off + 4, true);
  if (hi >= 0x200000) throw new ElfError(`${what} 0x${hi.toString(16)}${hex8(lo)} is too large`);
  return hi * 0x1_0000_0000 + lo;
}

/** Eight hex digits. */
function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** Check the ELF header: a 64-bit little-endian RISC-V executable. */
function checkHeader(file: Uint8Array, v: DataView): void {
  if (file.length < 64 || v.getUint32(0, false) !== 0x7f454c46) {
    throw new ElfError("not an ELF file");
  }
  if (file[4] !== 2) throw new ElfError("not a 64-bit ELF file (RV64 is needed)");
  if (file[5] !== 1) throw new ElfError("not a little-endian ELF file");
  if (v.getUint16(18, true) !== EM_RISCV) {
    throw new ElfError(`not a RISC-V ELF file (machine ${v.getUint16(18, true)})`);
  }
  const type = v.getUint16(16, true);
  if (type !== 2 && type !== 3) throw new ElfError("not an executable ELF file");
}

/** Copy a kernel ELF image into RAM; returns its entry point and symbols. */
export function loadKernel(file: Uint8Array, ram: Ram): LoadedKernel {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  checkHeader(file, v);
  const entry = u64(v, 24, "entry point");
  const phoff = u64(v, 32, "program header offset");
  const phentsize = v.getUint16(54, true), phnum = v.getUint16(56, true);
  if (phnum === 0 || phentsize < 56 || phoff + phnum * phentsize > file.length) {
    throw new ElfError("the program headers are missing or cut off");
  }
  let low = Infinity, high = 0;
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * phentsize;
    if (v.getUint32(h, true) !== PT_LOAD) continue;
    const offset = u64(v, h + 8, "segment offset");
    const paddr = u64(v, h + 24, "segment address");
    const filesz = u64(v, h + 32, "segment file size");
    const memsz = u64(v, h + 40, "segment size");
    if (memsz === 0) continue;
    if (filesz > memsz || offset + filesz > file.length) {
      throw new ElfError(`segment ${i} is cut off (the file is too short)`);
    }
    if (!ram.contains(paddr, memsz)) {
      const mib = ram.size / (1024 * 1024);
      throw new ElfError(
        `segment ${i} at 0x${paddr.toString(16)} (${memsz} bytes) lies outside RAM ` +
          `(0x${KERNBASE.toString(16)}, ${mib} MiB)`,
      );
    }
    ram.writeBytes(paddr, file.subarray(offset, offset + filesz));
    ram.fill(paddr + filesz, memsz - filesz, 0);
    low = Math.min(low, paddr);
    high = Math.max(high, paddr + memsz);
  }
  if (high === 0) throw new ElfError("the file has no loadable segments");
  if (!ram.contains(entry, 2)) {
    throw new ElfError(`the entry point 0x${entry.toString(16)} is outside RAM`);
  }
  return { entry, low, high, symbols: readSymbols(file, v) };
}

/** The symbol table's named symbols (empty when the file is stripped or malformed). */
export function readSymbols(file: Uint8Array, v: DataView): Map<string, number> {
  const syms = new Map<string, number>();
  try {
    const shoff = u64(v, 40, "section offset");
    const shentsize = v.getUint16(58, true), shnum = v.getUint16(60, true);
    if (shoff === 0 || shentsize < 64 || shoff + shnum * shentsize > file.length) return syms;
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (v.getUint32(sh + 4, true) !== 2) continue; // SYMTAB
      const off = u64(v, sh + 24, "symtab"), size = u64(v, sh + 32, "symtab");
      const link = v.getUint32(sh + 40, true);
      if (link >= shnum || off + size > file.length) continue;
      const str = shoff + link * shentsize;
      const stroff = u64(v, str + 24, "strtab"), strsize = u64(v, str + 32, "strtab");
      if (stroff + strsize > file.length) continue;
      for (let s = off; s + 24 <= off + size; s += 24) {
        const name = v.getUint32(s, true);
        if (name === 0 || name >= strsize) continue;
        let end = stroff + name;
        while (end < stroff + strsize && file[end] !== 0) end++;
        const text = new TextDecoder().decode(file.subarray(stroff + name, end));
        syms.set(text, u64(v, s + 8, "symbol"));
      }
    }
  } catch {
    // A damaged symbol table only costs the names.
  }
  return syms;
}
