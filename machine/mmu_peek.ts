// A debugger's look through a page table: Sv39 translation of one virtual address
// that changes nothing. The hart's own MMU (mmu.ts) fills its TLBs and sets the A and
// D bits of the PTEs it uses, as the hardware does; a debugger reading memory must do
// neither, or `x/4i $pc` in gdb would change what the guest later sees.
//
// The look follows the same table format (see mmu.ts) but not the mode's permission
// rules: a debugger may read any page the table maps, user or kernel, readable or
// execute-only, as a developer expects (`x` on a user address from a stop in the
// kernel works whenever the current table maps it). Invalid PTEs, write-only leaves,
// reserved bits, pointers at level 0, misaligned superpages and non-canonical
// addresses fail as they would for the hart. BigInt is fine here: it is a slow path.

import { KERNBASE, type Ram } from "./ram.ts";

const PTE_V = 1n, PTE_R = 2n, PTE_W = 4n, PTE_X = 8n;
const PAGE = 4096n;

/** Whether satp asks for translation (any non-zero mode: the hart implements Sv39 only). */
export function pagingOn(satp: bigint): boolean {
  return (satp >> 60n) !== 0n;
}

/**
 * The physical address that virtual address va maps to under the Sv39 table satp
 * names, or null if it maps nothing. Page tables must lie in RAM (as for the hart).
 */
export function peekTranslate(ram: Ram, satp: bigint, va: bigint): bigint | null {
  const v = BigInt.asUintN(64, va);
  const top = v >> 38n; // bits 63..38 must be all zeros or all ones
  if (top !== 0n && top !== (1n << 26n) - 1n) return null;
  let table = (satp & ((1n << 44n) - 1n)) * PAGE;
  for (let level = 2; level >= 0; level--) {
    const index = (v >> BigInt(12 + 9 * level)) & 0x1ffn;
    const pte = readPte(ram, table + index * 8n);
    if (pte === null) return null;
    const writeOnly = (pte & PTE_R) === 0n && (pte & PTE_W) !== 0n;
    if ((pte & PTE_V) === 0n || writeOnly || (pte >> 54n) !== 0n) return null;
    const ppn = (pte >> 10n) & ((1n << 44n) - 1n);
    if ((pte & (PTE_R | PTE_X)) === 0n) {
      table = ppn * PAGE; // a pointer to the next level
      continue;
    }
    // A leaf: at level 1 or 2 a superpage, whose PPN must be aligned to its size.
    const span = 1n << BigInt(9 * level); // pages covered
    if (ppn % span !== 0n) return null;
    const pageInSpan = (v >> 12n) & (span - 1n);
    return (ppn + pageInSpan) * PAGE + (v & (PAGE - 1n));
  }
  return null; // a pointer at level 0
}

/** The 8-byte PTE at physical address pa, or null if it is not in RAM. */
function readPte(ram: Ram, pa: bigint): bigint | null {
  const base = BigInt(KERNBASE);
  if (pa < base || pa + 8n > BigInt(ram.end)) return null;
  const off = Number(pa - base);
  const lo = ram.view.getUint32(off, true), hi = ram.view.getUint32(off + 4, true);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
