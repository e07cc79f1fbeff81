// Virtual memory: Sv39 page tables in RAM, built and walked by the kernel.
//
// Lazy allocation lives here too: lazyalloc() is what a page fault (trap.ts) and
// the user-copy routines (copyin/copyout/copyinstr) call for an address that is
// below the process size but has no page yet.

import { kalloc, kfree, kzalloc, TRAMPOLINE_PA } from "./kalloc.ts";
import { cpu, sfence_vma } from "./cpu.ts";
import { MAXVA, PGROUNDDOWN, PGROUNDUP, PGSIZE, TRAMPOLINE } from "./param.ts";
import { PA2PTE, PTE2PA, PTE_FLAGS, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, PX } from "./riscv.ts";
import { curproc, type Proc } from "./proc.ts";

/** Lazy allocation on (the lab) or off (--eager: sbrk allocates at once); trace gets one line per lazy fault. */
export const vmconfig = {
  lazy: true,
  trace: null as ((line: string) => void) | null,
  vmprint: true, // exec prints pid 1's page table (off with --quiet)
};
export const vmstats = { lazyFaults: 0 };

/** Read the PTE stored at physical address a. */
function readpte(a: number): number {
  return cpu.ram.read64(a);
}

/** Whether the PTE at physical address a is valid (reads only its low word). */
function ptevalid(a: number): boolean {
  return (cpu.ram.read32(a) & PTE_V) !== 0;
}

/** Store a PTE at physical address a. */
function writepte(a: number, pte: number): void {
  cpu.ram.write64(a, pte);
}

/** Physical address of the leaf PTE for va, creating page-table pages if alloc; 0 on failure. */
export function walk(pagetable: number, va: number, alloc: boolean): number {
  if (va >= MAXVA || va < 0) return 0;
  let table = pagetable;
  for (let level = 2; level > 0; level--) {
    const a = table + 8 * PX(level, va);
    const pte = readpte(a);
    if (pte & PTE_V) {
      table = PTE2PA(pte);
    } else {
      if (!alloc) return 0;
      const page = kzalloc();
      if (page === 0) return 0;
      writepte(a, PA2PTE(page) + PTE_V);
      table = page;
    }
  }
  return table + 8 * PX(0, va);
}

/** Physical address of the user page at va, or 0 if unmapped or not user-accessible. */
export function walkaddr(pagetable: number, va: number): number {
  const a = walk(pagetable, va, false);
  if (a === 0) return 0;
  const pte = readpte(a);
  if ((pte & PTE_V) === 0 || (pte & PTE_U) === 0) return 0;
  return PTE2PA(pte);
}

/** Map [va, va+size) to physical pa with permissions perm; -1 if a page-table page can't be had. */
export function mappages(pagetable: number, va: number, size: number, pa: number, perm: number) {
  const last = PGROUNDDOWN(va + size - 1);
  for (let a = PGROUNDDOWN(va); a <= last; a += PGSIZE, pa += PGSIZE) {
    const pteaddr = walk(pagetable, a, true);
    if (pteaddr === 0) return -1;
    if (readpte(pteaddr) & PTE_V) throw new Error(`panic: mappages: remap 0x${a.toString(16)}`);
    writepte(pteaddr, PA2PTE(pa) + perm + PTE_V);
  }
  return 0;
}

/** A new, empty user page table, or 0 when out of memory. */
export function uvmcreate(): number {
  return kzalloc();
}

/** Call fn(va, pteaddr) for each valid leaf PTE mapping a page in [start, end), skipping holes. */
export function forEachLeaf(
  pagetable: number,
  start: number,
  end: number,
  fn: (va: number, pteaddr: number) => void,
): void {
  visit(pagetable, 2, 0, start, Math.min(end, MAXVA), fn);
}

/** Recursive step of forEachLeaf over one page-table page at the given level. */
function visit(
  table: number,
  level: number,
  base: number,
  start: number,
  end: number,
  fn: (va: number, pteaddr: number) => void,
): void {
  const span = 2 ** (12 + 9 * level);
  const first = Math.max(0, Math.floor((start - base) / span));
  const last = Math.min(511, Math.ceil((end - base) / span) - 1);
  for (let i = first; i <= last; i++) {
    const a = table + 8 * i;
    if (!ptevalid(a)) continue;
    const pte = readpte(a);
    const va = base + i * span;
    if (level === 0 || (pte & (PTE_R | PTE_W | PTE_X)) !== 0) fn(va, a);
    else visit(PTE2PA(pte), level - 1, va, start, end, fn);
  }
}

/** Remove npages of mappings from va, freeing the pages if dofree; pages never touched are skipped. */
export function uvmunmap(pagetable: number, va: number, npages: number, dofree: boolean): void {
  if (va % PGSIZE !== 0) throw new Error("panic: uvmunmap: not aligned");
  forEachLeaf(pagetable, va, va + npages * PGSIZE, (_va, a) => {
    if (dofree) kfree(PTE2PA(readpte(a)));
    writepte(a, 0);
  });
  sfence_vma();
}

/** Grow a process from oldsz to newsz by allocating and mapping pages now (eager); newsz or 0. */
export function uvmalloc(pagetable: number, oldsz: number, newsz: number, xperm: number): number {
  if (newsz < oldsz) return oldsz;
  for (let a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE) {
    const mem = kzalloc();
    if (mem === 0 || mappages(pagetable, a, PGSIZE, mem, PTE_R | PTE_U | xperm) !== 0) {
      if (mem !== 0) kfree(mem);
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

/** Shrink a process from oldsz to newsz, freeing whole pages above newsz; returns newsz. */
export function uvmdealloc(pagetable: number, oldsz: number, newsz: number): number {
  if (newsz >= oldsz) return oldsz;
  const from = PGROUNDUP(newsz);
  const to = PGROUNDUP(oldsz);
  if (from < to) uvmunmap(pagetable, from, (to - from) / PGSIZE, true);
  return newsz;
}

/** Free the page-table pages of a table whose leaf mappings are already gone. */
export function freewalk(pagetable: number): void {
  for (let i = 0; i < 512; i++) {
    if (!ptevalid(pagetable + 8 * i)) continue;
    const pte = readpte(pagetable + 8 * i);
    if ((pte & (PTE_R | PTE_W | PTE_X)) !== 0) throw new Error("panic: freewalk: leaf");
    freewalk(PTE2PA(pte));
    writepte(pagetable + 8 * i, 0);
  }
  kfree(pagetable);
}

/** Free a user address space: its pages, then its page-table pages. */
export function uvmfree(pagetable: number, sz: number): void {
  if (sz > 0) uvmunmap(pagetable, 0, PGROUNDUP(sz) / PGSIZE, true);
  freewalk(pagetable);
}

/** Copy a parent's memory into a child's table for fork: only pages that exist; 0 or -1. */
export function uvmcopy(old: number, child: number, sz: number): number {
  let failed = false;
  forEachLeaf(old, 0, PGROUNDUP(sz), (va, a) => {
    if (failed) return;
    const pte = readpte(a);
    const mem = kalloc();
    if (mem === 0) {
      failed = true;
      return;
    }
    cpu.ram.copy(mem, PTE2PA(pte), PGSIZE);
    if (mappages(child, va, PGSIZE, mem, PTE_FLAGS(pte) & 0x1f & ~PTE_V) !== 0) {
      kfree(mem);
      failed = true;
    }
  });
  if (failed) {
    uvmunmap(child, 0, PGROUNDUP(sz) / PGSIZE, true);
    return -1;
  }
  return 0;
}

/** Mark the page at va inaccessible to user code (the stack guard page). */
export function uvmclear(pagetable: number, va: number): void {
  const a = walk(pagetable, va, false);
  if (a === 0) throw new Error("panic: uvmclear");
  writepte(a, readpte(a) & ~PTE_U);
}

/** Map the trampoline page (supervisor only) at the top of a user page table. */
export function maptrampoline(pagetable: number): number {
  return mappages(pagetable, TRAMPOLINE, PGSIZE, TRAMPOLINE_PA, PTE_R | PTE_X);
}

/** lazyalloc's answer when va is a lazy page but no physical page can be had. */
export const LAZY_NOMEM = -1;

/**
 * Lazy allocation: give process p a zeroed page at va if va is below p.sz and
 * nothing is mapped there. Returns the page's physical address; 0 if va is not a
 * lazy page (above the size, already mapped, e.g. the guard page or read-only
 * text); LAZY_NOMEM if memory ran out. The page-fault handler kills the process
 * on either failure.
 */
export function lazyalloc(p: Proc, va: number): number {
  if (!vmconfig.lazy || va < 0 || va >= p.sz || va >= MAXVA) return 0;
  const page = PGROUNDDOWN(va);
  const a = walk(p.pagetable, page, false);
  if (a !== 0 && (readpte(a) & PTE_V) !== 0) return 0;
  const mem = kzalloc();
  if (mem === 0) return LAZY_NOMEM;
  if (mappages(p.pagetable, page, PGSIZE, mem, PTE_R | PTE_W | PTE_U) !== 0) {
    kfree(mem); // no page for the page table
    return LAZY_NOMEM;
  }
  vmstats.lazyFaults++;
  vmconfig.trace?.(`lazy fault: pid ${p.pid} (${p.name}) va ${hex16(page)} -> pa ${hex16(mem)}`);
  return mem;
}

/** The user page at va for a kernel copy: mapped, or faulted in lazily; 0 if invalid. */
function userpage(pagetable: number, va: number, write: boolean): number {
  if (va < 0 || va >= MAXVA) return 0;
  const a = walk(pagetable, va, false);
  if (a !== 0) {
    const pte = readpte(a);
    if (pte & PTE_V) {
      if ((pte & PTE_U) === 0 || (write && (pte & PTE_W) === 0)) return 0;
      return PTE2PA(pte);
    }
  }
  const p = curproc();
  if (p === null || p.pagetable !== pagetable) return 0;
  const pa = lazyalloc(p, va);
  return pa > 0 ? pa : 0;
}

/** Copy src to user virtual address dstva in pagetable; 0 on success, -1 on a bad address. */
export function copyout(pagetable: number, dstva: number, src: Uint8Array): number {
  let done = 0;
  while (done < src.length) {
    const va = dstva + done;
    const va0 = PGROUNDDOWN(va);
    const pa0 = userpage(pagetable, va0, true);
    if (pa0 === 0) return -1;
    const n = Math.min(PGSIZE - (va - va0), src.length - done);
    cpu.ram.writeBytes(pa0 + (va - va0), src.subarray(done, done + n));
    done += n;
  }
  return 0;
}

/** Copy dst.length bytes from user virtual address srcva into dst; 0 on success, -1 on a bad address. */
export function copyin(pagetable: number, dst: Uint8Array, srcva: number): number {
  let done = 0;
  while (done < dst.length) {
    const va = srcva + done;
    const va0 = PGROUNDDOWN(va);
    const pa0 = userpage(pagetable, va0, false);
    if (pa0 === 0) return -1;
    const n = Math.min(PGSIZE - (va - va0), dst.length - done);
    dst.set(cpu.ram.slice(pa0 + (va - va0), n), done);
    done += n;
  }
  return 0;
}

/** Copy a NUL-terminated string of at most max bytes (NUL included) from user space; null on fault or overlong. */
export function copyinstr(pagetable: number, srcva: number, max: number): string | null {
  let s = "";
  let va = srcva;
  while (s.length < max) {
    const va0 = PGROUNDDOWN(va);
    const pa0 = userpage(pagetable, va0, false);
    if (pa0 === 0) return null;
    const bytes = cpu.ram.slice(pa0, PGSIZE);
    for (let off = va - va0; off < PGSIZE && s.length < max; off++) {
      const c = bytes[off];
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
    va = va0 + PGSIZE;
  }
  return null;
}

/** Format a 64-bit value the way the lab's vmprint does: 0x and 16 hex digits. */
function hex16(v: number): string {
  return "0x" + v.toString(16).padStart(16, "0");
}

/** The lab's vmprint: the page table and every valid PTE, one line each, indented by depth. */
export function vmprint(pagetable: number, out: (line: string) => void): void {
  out(`page table ${hex16(pagetable)}`);
  printlevel(pagetable, 1, out);
}

/** Print one page-table page's valid entries at depth (1 = root), recursing into lower levels. */
function printlevel(table: number, depth: number, out: (line: string) => void): void {
  for (let i = 0; i < 512; i++) {
    const pte = readpte(table + 8 * i);
    if ((pte & PTE_V) === 0) continue;
    const pa = PTE2PA(pte);
    out(`${" ..".repeat(depth)}${i}: pte ${hex16(pte)} pa ${hex16(pa)}`);
    if (depth < 3 && (pte & (PTE_R | PTE_W | PTE_X)) === 0) printlevel(pa, depth + 1, out);
  }
}
