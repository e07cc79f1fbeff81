// Hart benchmark: runs userland/bin/cpubench (a static RV64 ELF) on a bare hart
// with a page table built here, until it calls exit, and reports millions of
// instructions per second. Run directly: `deno run -A tests/bench_hart.ts [elf]`.
// Without the built image it falls back to a loop assembled with tests/encode.ts.

import { KERNBASE, Ram } from "../machine/ram.ts";
import { CSR_SATP, Hart, IRQ_TIMER } from "../machine/hart.ts";
import * as E from "./encode.ts";
import { cpuUsage } from "../machine/deps.ts";

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16;

/** A page-table builder over physical pages taken from a bump allocator. */
export class PageTables {
  next: number;
  readonly root: number;
  constructor(readonly ram: Ram, firstFree = KERNBASE + 0x10_0000) {
    this.next = firstFree;
    this.root = this.alloc();
  }
  alloc(): number {
    const pa = this.next;
    this.next += 4096;
    this.ram.fill(pa, 4096, 0);
    return pa;
  }
  /** Map one 4 KiB page VA -> PA with the given permission bits (V added). */
  map(va: number, pa: number, perm: number): void {
    let table = this.root;
    for (let level = 2; level > 0; level--) {
      const idx = Math.floor(va / 2 ** (12 + 9 * level)) % 512;
      const pte = this.ram.read64(table + idx * 8);
      if (pte & PTE_V) {
        table = Math.floor(pte / 1024) * 4096;
      } else {
        const t = this.alloc();
        this.ram.write64(table + idx * 8, (t / 4096) * 1024 + PTE_V);
        table = t;
      }
    }
    const idx = Math.floor(va / 4096) % 512;
    this.ram.write64(table + idx * 8, (pa / 4096) * 1024 + perm + PTE_V);
  }
  /** satp value (lo, hi) for Sv39 with this root. */
  satp(): [number, number] {
    return [this.root / 4096, 8 << 28];
  }
}

/** A loaded program: its entry point and a way to put its writable pages back as loaded. */
export interface LoadedProgram {
  entry: number;
  /** Rewrite every writable page with its contents at load time (data, zeroed bss). */
  reset(): void;
}

/** Load an ELF64 image's PT_LOAD segments into fresh pages. */
export function loadElf(ram: Ram, pt: PageTables, elf: Uint8Array): LoadedProgram {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46) throw new Error("not an ELF file");
  const entry = Number(dv.getBigUint64(24, true));
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const writable: { pa: number; bytes: Uint8Array }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (dv.getUint32(ph, true) !== 1) continue;
    const flags = dv.getUint32(ph + 4, true);
    const off = Number(dv.getBigUint64(ph + 8, true));
    const vaddr = Number(dv.getBigUint64(ph + 16, true));
    const filesz = Number(dv.getBigUint64(ph + 32, true));
    const memsz = Number(dv.getBigUint64(ph + 40, true));
    let perm = PTE_U;
    if (flags & 4) perm |= PTE_R;
    if (flags & 2) perm |= PTE_W;
    if (flags & 1) perm |= PTE_X;
    const first = Math.floor(vaddr / 4096) * 4096;
    for (let va = first; va < vaddr + memsz; va += 4096) {
      const pa = pt.alloc();
      pt.map(va, pa, perm);
      // Copy the part of the file that falls in this page.
      const lo = Math.max(va, vaddr), hi = Math.min(va + 4096, vaddr + filesz);
      if (hi > lo) {
        ram.writeBytes(pa + (lo - va), elf.subarray(off + (lo - vaddr), off + (hi - vaddr)));
      }
      if (perm & PTE_W) writable.push({ pa, bytes: ram.slice(pa, 4096).slice() });
    }
  }
  return {
    entry,
    reset: () => {
      for (const w of writable) ram.writeBytes(w.pa, w.bytes);
    },
  };
}

/** Assemble a stand-in workload (used only when cpubench has not been built). */
function fallbackProgram(): Uint32Array {
  const a0 = 10, a1 = 11, a2 = 12, a3 = 13, a7 = 17, t0 = 5, t1 = 6, sp = 2;
  return new Uint32Array([
    E.addi(a0, 0, 0), // checksum
    E.lui(t0, 0x1000), // outer count 0x1000000 (~16.7M iterations)
    E.addi(a1, 0, 1),
    // loop:
    E.mul(a2, a1, a1),
    E.add(a0, a0, a2),
    E.sd(a0, sp, -8),
    E.ld(a3, sp, -8),
    E.xor(a0, a3, a1),
    E.addi(a1, a1, 3),
    E.addi(t0, t0, -1),
    E.bne(t0, 0, -28),
    E.andi(a0, a0, 0xff),
    E.addi(a7, 0, 2),
    E.ecall(),
    E.addi(t1, 0, 0),
  ]);
}

/** cpubench runs per measurement, back to back on one hart: about 0.6 G instructions. */
export const HART_RUNS = 8;

/** A bare hart with cpubench (or the fallback loop) loaded and its stack mapped. */
function setUp(elf: Uint8Array | null): { hart: Hart; program: LoadedProgram } {
  const ram = new Ram();
  const hart = new Hart(ram);
  const pt = new PageTables(ram);
  let program: LoadedProgram;
  if (elf) {
    program = loadElf(ram, pt, elf);
  } else {
    console.log("note: userland/bin/cpubench not found; running the built-in fallback loop");
    const code = fallbackProgram();
    const pa = pt.alloc();
    ram.writeBytes(pa, new Uint8Array(code.buffer));
    pt.map(0, pa, PTE_R | PTE_X | PTE_U);
    program = { entry: 0, reset: () => {} };
  }
  // 16 KiB of stack ending at 0x200000.
  for (let va = 0x1fc000; va < 0x200000; va += 4096) {
    pt.map(va, pt.alloc(), PTE_R | PTE_W | PTE_U);
  }
  const [slo, shi] = pt.satp();
  hart.writeCsr(CSR_SATP, slo, shi);
  return { hart, program };
}

/** A timer interrupt every million instructions, as the kernel would have. */
const TICK = 1_000_000;

/** Run the program once from its entry point until it calls exit; returns its status. */
function runOnce(hart: Hart, program: LoadedProgram): number {
  program.reset();
  for (let i = 2; i < 64; i++) hart.x[i] = 0;
  hart.pcLo = program.entry;
  hart.pcHi = 0;
  hart.x[4] = 0x200000; // sp
  hart.timecmp = hart.instret + TICK;
  for (;;) {
    const cause = hart.run(50_000_000);
    if (cause === -1) continue;
    if (cause === IRQ_TIMER) {
      hart.timecmp = hart.instret + TICK;
      continue;
    }
    if (cause === 8) {
      const a7 = hart.x[34];
      if (a7 === 2) return hart.x[20];
      // Any other system call: return 0 and go on.
      hart.x[20] = 0;
      hart.x[21] = 0;
      hart.pcLo = (hart.readCsrLo(0x141) + 4) | 0;
      continue;
    }
    throw new Error(
      `unexpected trap ${cause} at pc 0x${(hart.readCsrLo(0x141) >>> 0).toString(16)} ` +
        `stval 0x${(hart.readCsrLo(0x143) >>> 0).toString(16)}`,
    );
  }
}

/**
 * Run the benchmark: HART_RUNS runs of cpubench on one hart, so that translation
 * (warm-up) is a small part; hart_mips is over all of them, hart_first_mips the first.
 */
export async function benchHart(path?: string): Promise<Record<string, number>> {
  const file = path ?? new URL("../userland/bin/cpubench", import.meta.url).pathname;
  let elf: Uint8Array | null = null;
  try {
    elf = await Deno.readFile(file);
  } catch {
    elf = null;
  }
  const { hart, program } = setUp(elf);
  const t0 = performance.now();
  const c0 = cpuUsage();
  const status = runOnce(hart, program);
  const firstSeconds = (performance.now() - t0) / 1000;
  const firstInstructions = hart.instret;
  for (let r = 1; r < HART_RUNS; r++) {
    const again = runOnce(hart, program);
    if (again !== status) throw new Error(`cpubench run ${r + 1} exited ${again}, not ${status}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const c1 = cpuUsage(c0);
  const cpuSeconds = (c1.user + c1.system) / 1e6;
  const instructions = hart.instret;
  const mips = (n: number, s: number) => Math.round(n / s / 1e4) / 100;
  return {
    hart_mips: mips(instructions, seconds),
    hart_first_mips: mips(firstInstructions, firstSeconds),
    hart_first_instructions: firstInstructions,
    instructions,
    seconds: Math.round(seconds * 1000) / 1000,
    // The same rate over the process's CPU time: steadier when other jobs share the cores.
    cpu_mips: mips(instructions, cpuSeconds),
    exit_status: status,
    fallback: elf ? 0 : 1,
  };
}

if (import.meta.main) {
  const r = await benchHart(Deno.args[0]);
  for (const [k, v] of Object.entries(r)) console.log(`${k}: ${v}`);
}
