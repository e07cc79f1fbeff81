// The lab's rules, checked on the kernel's real page tables: sbrk grows without
// mapping, a fault maps one zeroed page, sbrk(-n) unmaps and frees, fork copies
// only touched pages, bad faults kill only the process, --eager maps at once.

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { runProgram, start } from "./boot.ts";
import { type Proc, proc } from "../kernel/proc.ts";
import { walk } from "../kernel/vm.ts";
import { cpu } from "../kernel/cpu.ts";
import { kfreecount } from "../kernel/kalloc.ts";
import { PTE2PA } from "../kernel/riscv.ts";
import { PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from "../kernel/riscv.ts";

const PG = 4096;

/** The live process running the named program (the newest if several). */
function find(name: string): Proc {
  const ps = proc.filter((p) => p.name === name && p.state !== "UNUSED" && p.state !== "ZOMBIE");
  assert(ps.length > 0, `no live process named ${name}`);
  return ps.reduce((a, b) => (a.pid > b.pid ? a : b));
}

/** The PTE mapping va in p's page table, or 0 if there is none. */
function pte(p: Proc, va: number): number {
  const a = walk(p.pagetable, va, false);
  return a === 0 ? 0 : cpu.ram.read64(a);
}

/** The heap base vmtest printed for its first sbrk. */
function heapBase(output: string): number {
  const m = output.match(/sbrk (\d+)/);
  assert(m, `no sbrk line in ${output}`);
  return Number(m[1]);
}

Deno.test("sbrk(n>0) only grows the size; touching a page maps exactly that page, zeroed", () => {
  const b = start(["vmtest", "s16384", "w", "t0", "t8192", "w"]);
  assertEquals(b.settle(), "waiting");
  const p = find("vmtest");
  const base = heapBase(b.out.text());
  assertEquals(p.sz, base + 16384);
  for (let off = 0; off < 16384; off += PG) assertEquals(pte(p, base + off) & PTE_V, 0);
  b.console.pushInput("\n");
  assertEquals(b.settle(), "waiting");
  for (const off of [0, 8192]) {
    const e = pte(p, base + off);
    assertEquals(e & (PTE_V | PTE_R | PTE_W | PTE_U | PTE_X), PTE_V | PTE_R | PTE_W | PTE_U);
    const page = cpu.ram.slice(PTE2PA(e), PG);
    assertEquals(page[0], 1, "the store landed");
    assert(page.subarray(1).every((x) => x === 0), "the rest of the page is zero");
  }
  for (const off of [4096, 12288]) assertEquals(pte(p, base + off) & PTE_V, 0);
});

Deno.test("sbrk(-n) unmaps and frees touched pages above the new size", () => {
  const b = start(["vmtest", "s16384", "t0", "t12288", "w", "s-8192", "w"]);
  assertEquals(b.settle(), "waiting");
  const p = find("vmtest");
  const base = heapBase(b.out.text());
  assert(pte(p, base + 12288) & PTE_V);
  const free0 = kfreecount();
  b.console.pushInput("\n");
  assertEquals(b.settle(), "waiting");
  assertEquals(p.sz, base + 8192);
  assertEquals(pte(p, base + 12288) & PTE_V, 0, "page above the new size is gone");
  assert(pte(p, base) & PTE_V, "page below the new size stays");
  assertEquals(kfreecount(), free0 + 1, "exactly the one touched page was freed");
});

Deno.test("fork copies only the pages the parent touched", () => {
  const b = start(["vmtest", "s65536", "t0", "t40960", "f", "w"]);
  assertEquals(b.settle(), "waiting");
  const child = find("vmtest");
  const base = heapBase(b.out.text());
  const parent = child.parent!;
  assert(parent.pid < child.pid);
  for (let off = 0; off < 65536; off += PG) {
    const touched = off === 0 || off === 40960;
    assertEquals((pte(child, base + off) & PTE_V) !== 0, touched, `child page +${off}`);
    assertEquals((pte(parent, base + off) & PTE_V) !== 0, touched, `parent page +${off}`);
  }
  assert(PTE2PA(pte(child, base)) !== PTE2PA(pte(parent, base)), "the child has its own copy");
});

Deno.test("a store above the size kills only that process, with status -1", () => {
  const r = runProgram(["vmtest", "s4096", "t8192"]);
  assertEquals(r.state, "halted");
  assertEquals(r.status, -1);
  assertMatch(r.output, /usertrap\(\): unexpected scause 0x000000000000000f/);
  assertEquals(r.kernel.stats().faultKills, 1);
});

Deno.test("a load of a lazy page reads zero", () => {
  const r = runProgram(["vmtest", "s8192", "r4100"]);
  assertEquals(r.status, 0);
  assertMatch(r.output, /read 0\n/);
});

Deno.test("--eager maps sbrk memory at once and never takes a lazy fault", () => {
  const b = start(["vmtest", "s16384", "w"], { eager: true });
  assertEquals(b.settle(), "waiting");
  const p = find("vmtest");
  const base = heapBase(b.out.text());
  for (let off = 0; off < 16384; off += PG) assert(pte(p, base + off) & PTE_V);
  assertEquals(b.kernel.stats().pageFaults, 0);
});

Deno.test("a process killed by a fault gives back every page it held", () => {
  const b = start(["vmtest", "w", "s1048576", "t0", "t524288", "s-1048576", "t0"]);
  assertEquals(b.settle(), "waiting");
  const free0 = kfreecount(); // vmtest is alive and holds its pages here
  b.console.pushInput("\n");
  assertEquals(b.settle(), "halted");
  assertEquals(b.kernel.exitStatus, -1);
  assert(kfreecount() >= free0, `lost pages: ${free0} -> ${kfreecount()}`);
});

/** vmtest's heap base (the break at start), from a first run. */
function vmtestBase(): number {
  return heapBase(runProgram(["vmtest", "s0"]).output);
}

Deno.test("an instruction fetch from a lazy page kills: only loads and stores are lazy", () => {
  const base = vmtestBase();
  const r = runProgram(["vmtest", "s8192", `j${base + 4096}`]);
  assertEquals(r.status, -1);
  assertMatch(r.output, /scause 0x000000000000000c/);
  assertEquals(r.kernel.stats().pageFaults, 0);
});

Deno.test("a store to read-only text kills and never remaps the page", () => {
  const base = vmtestBase();
  const r = runProgram(["vmtest", `t-${base}`]);
  assertEquals(r.status, -1);
  assertMatch(r.output, /scause 0x000000000000000f .*\n.*stval=0x0000000000000000/);
  assertEquals(r.kernel.stats().pageFaults, 0);
});

Deno.test("sbrk never shrinks below zero; shrinking over untouched pages is fine", () => {
  const r = runProgram(["vmtest", "s-1000000000", "s65536", "t0", "s-65536", "s0"]);
  assertEquals(r.status, 0);
  const olds = [...r.output.matchAll(/sbrk (-?\d+)/g)].map((m) => Number(m[1]));
  assertEquals(olds[0], -1, "the oversized shrink is refused");
  assertEquals(olds[1], olds[3], "size unchanged by the refusal, restored by the shrink");
});

Deno.test("system calls fault in lazy pages, and fail cleanly at or above the size", () => {
  for (const t of ["sbrkarg", "copyinstr3", "rwsbrk", "copyin", "copyout", "pgbug", "argptest"]) {
    const r = runProgram(["usertests", t]);
    assertMatch(r.output, new RegExp(`test ${t}: OK`), t);
    assertEquals(r.status, 0, t);
  }
});
