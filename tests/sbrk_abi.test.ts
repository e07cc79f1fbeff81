// The two meanings of system call 12: classic sbrk(n), and the sbrk(n, type) of
// the 2025 revision of xv6-riscv. exec tells them apart from a program's code;
// sbrk2025 (a program built for the 2025 call) shows eager growth failing at the
// memory limit and lazy growth faulting its pages in; the override and --eager
// change what it sees. Also: the one-line out-of-memory kill of a lazy fault.

import { assert, assertEquals, assertMatch, assertNotMatch } from "./deps.ts";
import { runProgram } from "./boot.ts";
import { type CodeSegment, sbrkabiOf } from "../kernel/sbrkabi.ts";
import { programImages } from "../userland/images.ts";
import { KERNEL_END } from "../kernel/kalloc.ts";
import { PHYSTOP } from "../kernel/param.ts";
import { addi, auipc, cBeqz, cJ, cJr, cLi, cMv, ecall, jal, jalr } from "./encode.ts";

const A0 = 10, A1 = 11, A7 = 17, RA = 1, T1 = 6;

/** The executable PT_LOAD segments of an ELF image, as exec hands them to the detector. */
function codeSegments(elf: Uint8Array): CodeSegment[] {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  const out: CodeSegment[] = [];
  for (let i = 0; i < v.getUint16(56, true); i++) {
    const ph = phoff + i * 56;
    if (v.getUint32(ph, true) !== 1 || (v.getUint32(ph + 4, true) & 1) === 0) continue;
    const off = Number(v.getBigUint64(ph + 8, true));
    const filesz = Number(v.getBigUint64(ph + 32, true));
    out.push({ va: Number(v.getBigUint64(ph + 16, true)), bytes: elf.subarray(off, off + filesz) });
  }
  return out;
}

/** One instruction for the little assembler: bits, or bits computed from its pc and the stub's. */
type Piece = number | ((pc: number, stub: number) => number);

/** Byte length of a piece (the encoding's form, hence its length, never depends on pc). */
function len(p: Piece): number {
  return ((typeof p === "number" ? p : p(0, 0)) & 3) === 3 ? 4 : 2;
}

/** Lay out pieces from address 0, little-endian; `stub` is what pc-relative pieces aim at. */
function assemble(pieces: Piece[], stub = 0): CodeSegment[] {
  const bytes: number[] = [];
  for (const p of pieces) {
    const bits = typeof p === "number" ? p : p(bytes.length, stub);
    for (let k = 0; k < len(p); k++) bytes.push((bits >>> (8 * k)) & 0xff);
  }
  return [{ va: 0, bytes: new Uint8Array(bytes) }];
}

/** The callers, a ret, then the sbrk stub (`li a7, 12; ecall; ret`). */
function withStub(callers: Piece[]): CodeSegment[] {
  const before: Piece[] = [...callers, cJr(RA)];
  const stub = before.reduce((n: number, p) => n + len(p), 0);
  return assemble([...before, cLi(A7, 12), ecall(), cJr(RA)], stub);
}

/** `jal ra, stub`. */
const call: Piece = (pc, stub) => jal(RA, stub - pc);

Deno.test("detector: a call to the stub with a type in a1 is the 2025 sbrk", () => {
  assertEquals(sbrkabiOf(withStub([cLi(A0, 5), call, cLi(A0, 0), call])), "classic");
  assertEquals(sbrkabiOf(withStub([cLi(A0, 5), cLi(A1, 2), call, cLi(A1, 1), call])), "2025");
  // The 32-bit li, and an a1 set a few instructions before the call.
  assertEquals(sbrkabiOf(withStub([addi(A1, 0, 1), cLi(A0, 5), cMv(13, A0), call])), "2025");
  // A far call: auipc ra + jalr ra.
  const far: Piece[] = [
    cLi(A1, 2),
    auipc(RA, 0),
    (pc, stub) => jalr(RA, RA, stub - (pc - 4)),
  ];
  assertEquals(sbrkabiOf(withStub(far)), "2025");
  // Tail calls: c.j, and auipc t1 + jr t1.
  assertEquals(sbrkabiOf(withStub([cLi(A1, 1), (pc, stub) => cJ(stub - pc)])), "2025");
  const farTail: Piece[] = [
    cLi(A1, 1),
    auipc(T1, 0),
    (pc, stub) => jalr(0, T1, stub - (pc - 4)),
  ];
  assertEquals(sbrkabiOf(withStub(farTail)), "2025");
});

Deno.test("detector: a1 must be a type constant, set in straight-line code before the call", () => {
  // Overwritten by a move: not a type.
  assertEquals(sbrkabiOf(withStub([cLi(A1, 2), cMv(A1, A0), call])), "classic");
  // Set before a branch: another path may reach the call.
  assertEquals(sbrkabiOf(withStub([cLi(A1, 2), cBeqz(8, 4), call])), "classic");
  // Not one of the two types.
  assertEquals(sbrkabiOf(withStub([cLi(A1, 3), call])), "classic");
  // Out of sight: more than eight instructions back.
  assertEquals(sbrkabiOf(withStub([cLi(A1, 2), ...Array(9).fill(cLi(A0, 1)), call])), "classic");
  // The majority decides: two plain calls outweigh one typed call.
  assertEquals(sbrkabiOf(withStub([cLi(A1, 2), call, call, call])), "classic");
  // No stub, or a stub nobody calls: classic.
  assertEquals(sbrkabiOf(assemble([cLi(A1, 2), cJr(RA)])), "classic");
  assertEquals(sbrkabiOf(withStub([cLi(A1, 2)])), "classic");
});

Deno.test("detector: sbrk2025 is read as 2025, every other built program as classic", () => {
  for (const [name, elf] of Object.entries(programImages)) {
    const want = name === "sbrk2025" ? "2025" : "classic";
    assertEquals(sbrkabiOf(codeSegments(elf)), want, name);
  }
});

/** The MiB count sbrk2025 printed for its eager part. */
function eagerMiB(output: string): number {
  const m = output.match(/^eager: (\d+) MiB, then -1$/m);
  assert(m, output);
  return Number(m[1]);
}

Deno.test("sbrk2025: eager growth fails with -1 at the memory limit, lazy growth faults pages in", () => {
  const r = runProgram(["sbrk2025"]);
  assertEquals(r.status, 0, r.output);
  assertMatch(r.output, /^sbrk2025: OK$/m);
  // Eager: everything that was free, in whole MiB, was allocated before the refusal.
  const usable = (PHYSTOP - KERNEL_END) / 4096;
  const mib = eagerMiB(r.output);
  assert(mib * 256 < usable, `${mib} MiB cannot fit`);
  assert((mib + 2) * 256 > usable, `${mib} MiB leaves too much memory unused`);
  const stats = r.kernel.stats();
  assert(stats.pagesAllocated >= mib * 256, "the eager pages were allocated, untouched");
  // Lazy: 1 GiB reserved on a 128 MiB machine; exactly the touched pages faulted in.
  const m = r.output.match(/^lazy: (\d+) MiB reserved, (\d+) pages touched$/m);
  assert(m, r.output);
  assertEquals(stats.pageFaults, Number(m[2]));
  assertEquals(stats.faultKills, 0);
});

Deno.test("sbrk2025: forcing the 2025 meaning changes nothing; forcing classic ignores the type", () => {
  const forced = runProgram(["sbrk2025"], { sbrkAbi: "2025" });
  assertEquals(forced.status, 0, forced.output);
  // Classic: sbrk(n) is the lab's lazy sbrk, so the "eager" loop is never refused.
  const classic = runProgram(["sbrk2025"], { sbrkAbi: "classic" });
  assertMatch(classic.output, /^sbrk2025: eager sbrk never failed$/m);
  assertEquals(classic.status, 1);
  assertEquals(classic.kernel.stats().pageFaults, 0);
});

Deno.test("sbrk2025 with --eager: SBRK_LAZY cannot be lazy, so the big reservation fails", () => {
  const r = runProgram(["sbrk2025"], { eager: true });
  assertMatch(r.output, /^eager: \d+ MiB, then -1$/m);
  assertMatch(r.output, /^sbrk2025: sbrklazy failed$/m);
  assertEquals(r.status, 1);
  assertEquals(r.kernel.stats().pageFaults, 0);
});

Deno.test("a lazy fault with no page left kills in one line, not as a wild pointer", () => {
  const r = runProgram(["lazytests", "out of memory"]);
  assertMatch(r.output, /^test out of memory: OK$/m);
  const lines = r.output.split("\n");
  const oom = lines.filter((l) => l.startsWith("usertrap(): out of memory"));
  assertEquals(oom.length, 1, r.output);
  assertMatch(oom[0], /^usertrap\(\): out of memory pid=\d+ va=0x[0-9a-f]{16}$/);
  assertNotMatch(r.output, /unexpected scause/);
  assertEquals(r.kernel.stats().faultKills, 1);
});
