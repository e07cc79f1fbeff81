// Physical page allocator: a free list threaded through the free pages themselves,
// over the RAM above the kernel's reserved region.

import { PGSIZE, PHYSTOP } from "./param.ts";
import { KERNBASE, type Ram } from "../machine/ram.ts";

/** RAM below this is the "kernel image": trampoline page and kernel data. */
export const KERNEL_END = KERNBASE + 0x100000;
/** The physical page holding the trampoline (mapped at TRAMPOLINE in every process). */
export const TRAMPOLINE_PA = KERNBASE + 0x1000;

let ram: Ram;
let freelist = 0; // physical address of the first free page, 0 = none
export const kstats = { allocated: 0, freed: 0, free: 0 };

/** Put every page between KERNEL_END and PHYSTOP on the free list. */
export function kinit(r: Ram): void {
  ram = r;
  freelist = 0;
  kstats.allocated = kstats.freed = kstats.free = 0;
  for (let pa = KERNEL_END; pa + PGSIZE <= PHYSTOP; pa += PGSIZE) kfree(pa);
  kstats.freed = 0;
}

/** Return a page to the free list, filling it with junk to catch dangling uses. */
export function kfree(pa: number): void {
  if (pa % PGSIZE !== 0 || pa < KERNEL_END || pa >= PHYSTOP) {
    throw new Error(`panic: kfree 0x${pa.toString(16)}`);
  }
  ram.fill(pa, PGSIZE, 1);
  ram.write64(pa, freelist);
  freelist = pa;
  kstats.freed++;
  kstats.free++;
}

/** Take one page off the free list (filled with junk), or 0 when memory is exhausted. */
export function kalloc(): number {
  return take(5);
}

/** Take one zeroed page off the free list, or 0 when memory is exhausted. */
export function kzalloc(): number {
  return take(0);
}

/** Pop the first free page and fill it with fillbyte. */
function take(fillbyte: number): number {
  const pa = freelist;
  if (pa === 0) return 0;
  freelist = ram.read64(pa);
  ram.fill(pa, PGSIZE, fillbyte);
  kstats.allocated++;
  kstats.free--;
  return pa;
}

/** Number of free pages (for tests and --stats). */
export function kfreecount(): number {
  return kstats.free;
}
