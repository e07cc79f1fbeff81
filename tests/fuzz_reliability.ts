// Reliability figures (`deno task fuzz`): run many hostile guests and disks with
// bounded counts, and count what happened. Not part of `deno task test` (it takes a
// minute or more); the suites keep small versions of each check.
//
//   random programs   ELF files of random instruction bytes, run to their end or a cap
//   random syscalls   programs looping over random system calls with odd arguments
//   corrupt images    the built-in disk with random bytes changed in its metadata,
//                     checked as the CLI checks it, then booted and used
//
// Every run must end as an exit, a kill, a kernel panic, or at the cap; an exception
// the kernel did not raise itself is counted as a bug (the panic says "bug in
// xv6lazy"), and the pages a finished run leaves allocated are counted as lost.
//
//   deno task fuzz [--programs N] [--syscalls N] [--images N] [--seed S]

import { parseArgs } from "../machine/deps.ts";
import { boot, type Kernel } from "../kernel/main.ts";
import { ConsoleDevice } from "../machine/console.ts";
import { checkImage, mkfs } from "../kernel/mkfs.ts";
import { RootDir } from "../kernel/fsroot.ts";
import { freeproc, proc } from "../kernel/proc.ts";
import { kstats } from "../kernel/kalloc.ts";
import { BSIZE, decodeSuperblock } from "../kernel/fslayout.ts";
import { fsFiles } from "../userland/images.ts";
import { bytes, code, elf } from "./tiny_elf.ts";
import * as E from "./encode.ts";

/** How one boot ended. */
type Ending = "halted" | "panic" | "bug" | "cap";

interface Outcome {
  ending: Ending;
  status: number;
  syscalls: number;
  lostPages: number;
}

/** A deterministic generator of numbers (xorshift32), for choices beyond raw bytes. */
class Rand {
  constructor(private x: number) {
    this.x = x | 1;
  }
  next(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return this.x >>> 0;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

/** Whether a kernel panic is expected (a corrupt disk), so not worth a line of its own. */
let quietPanics = false;

/** Run a booted system until it halts or reaches the caps; then free what is left and count. */
function finish(kernel: Kernel, maxInstructions: number, maxTicks: number): Outcome {
  for (;;) {
    const state = kernel.run(5_000_000);
    const s = kernel.stats();
    if (state === "halted") break;
    if (state === "waiting" || s.instructions >= maxInstructions || s.ticks >= maxTicks) {
      return { ending: "cap", status: 0, syscalls: s.syscalls, lostPages: 0 };
    }
  }
  const syscalls = kernel.stats().syscalls;
  if (kernel.panic !== null) {
    const bug = kernel.panic.includes("bug in xv6lazy");
    if (bug || !quietPanics) console.log(`  ${bug ? "bug" : "kernel panic"}: ${kernel.panic}`);
    return { ending: bug ? "bug" : "panic", status: -1, syscalls, lostPages: 0 };
  }
  // Free every process still in the table: whatever stays allocated was lost.
  for (const p of proc) if (p.state !== "UNUSED") freeproc(p);
  const lost = kstats.allocated - kstats.freed;
  return { ending: "halted", status: kernel.exitStatus, syscalls, lostPages: lost };
}

/** Boot the image in run mode with args, and run it to its end or the caps. */
function runImage(image: Uint8Array, args: string[], input = ""): Outcome {
  const dev = new ConsoleDevice();
  const kernel = boot({ fsImage: image, console: dev, initArgs: args, quiet: true });
  dev.pushInput(input + "\x04");
  dev.endInput();
  return finish(kernel, 20_000_000, 3000);
}

/** Tally of outcomes, printed as one line. */
class Tally {
  counts: Record<string, number> = {};
  syscalls = 0;
  lost = 0;
  add(name: string, o?: Outcome): void {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    if (o) {
      this.syscalls += o.syscalls;
      this.lost += o.lostPages;
    }
  }
  line(): string {
    return Object.entries(this.counts).map(([k, v]) => `${k} ${v}`).join(", ");
  }
}

/** Name an outcome of a program run: killed (status -1), exited, panic, bug, cap. */
function kind(o: Outcome): string {
  if (o.ending !== "halted") return o.ending === "cap" ? "still running at the cap" : o.ending;
  return o.status === -1 ? "killed" : "exited";
}

/** Random instruction bytes as programs. */
function randomPrograms(n: number, seed: number): Tally {
  const t = new Tally();
  for (let i = 0; i < n; i++) {
    const image = mkfs([...fsFiles, { name: "noise", bytes: elf(bytes(seed + i, 4096)) }]);
    const o = runImage(image, ["noise"]);
    t.add(kind(o), o);
  }
  return t;
}

const SP = 2, S1 = 9, A0 = 10, A7 = 17;

/** Load a 32-bit value (sign-extended) into a register. */
function li(rd: number, v: number): number[] {
  const lo = ((v & 0xfff) << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  return [E.lui(rd, hi), E.addi(rd, rd, lo)];
}

/** An argument value worth trying: small, negative, huge, kernel-ish, or on the stack. */
function oddValue(r: Rand, rd: number): number[] {
  const pick = r.below(8);
  if (pick === 0) return [E.addi(rd, SP, -r.below(2048))]; // a stack address
  if (pick === 1) return [...li(rd, r.next() | 0), E.slli(rd, rd, 12 + r.below(20))];
  const values = [0, 1, 2, -1, 4096, 0x7fffffff, 0x80000000 | 0, 0x3fff000, r.next() | 0];
  return li(rd, values[r.below(values.length)]);
}

/** A program that makes `rounds` passes over `calls` random system calls, then exits 0. */
function syscallProgram(r: Rand, calls: number, rounds: number): Uint8Array {
  const w: number[] = [E.addi(SP, SP, -2048), ...li(S1, rounds)];
  const loop = w.length;
  for (let c = 0; c < calls; c++) {
    const nums = [
      1,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      11,
      12,
      13,
      14,
      15,
      16,
      17,
      18,
      19,
      20,
      21,
      0,
      22,
      99,
    ];
    w.push(...li(A7, nums[r.below(nums.length)]));
    for (let a = 0; a < 3; a++) w.push(...oddValue(r, A0 + a));
    w.push(E.ecall());
  }
  w.push(E.addi(S1, S1, -1));
  w.push(E.bne(S1, 0, (loop - w.length) * 4));
  w.push(E.addi(A0, 0, 0), ...li(A7, 2), E.ecall()); // exit(0)
  return elf(code(w));
}

/** Programs making random system calls. */
function randomSyscalls(n: number, seed: number): Tally {
  const t = new Tally();
  const r = new Rand(seed);
  for (let i = 0; i < n; i++) {
    const prog = syscallProgram(r, 40, 25);
    const image = mkfs([...fsFiles, { name: "calls", bytes: prog }]);
    const o = runImage(image, ["calls"]);
    t.add(kind(o), o);
  }
  return t;
}

/** The built-in image with `flips` random bytes changed where its metadata lives. */
function corruptImage(r: Rand, flips: number): Uint8Array {
  const img = mkfs(fsFiles);
  const sb = decodeSuperblock(img.subarray(BSIZE, 2 * BSIZE));
  const rootdir = (sb.size - sb.nblocks) * BSIZE; // the first data block
  // [start, length]: the superblock, the log header, the inodes in use, the bitmap's
  // used part, and the root directory's entries.
  const areas: [number, number][] = [
    [BSIZE, 32],
    [sb.logstart * BSIZE, 4 * 8],
    [sb.inodestart * BSIZE, 64 * (fsFiles.length + 2)],
    [sb.bmapstart * BSIZE, 256],
    [rootdir, 16 * (fsFiles.length + 2)],
  ];
  for (let k = 0; k < flips; k++) {
    const [start, len] = areas[r.below(areas.length)];
    img[start + r.below(len)] = r.below(256);
  }
  return img;
}

/** Corrupt images: refused by the CLI's checks, or booted and used. */
function corruptImages(n: number, seed: number): Tally {
  const t = new Tally();
  const r = new Rand(seed);
  quietPanics = true;
  for (let i = 0; i < n; i++) {
    const img = corruptImage(r, 1 + r.below(4));
    if (checkImage(img) !== null) {
      t.add("refused by the image check");
      continue;
    }
    try {
      new RootDir(img).read("init");
    } catch {
      t.add("refused by the root-directory look");
      continue;
    }
    const script = "ls\ncat README\necho x > f\ncat f\nrm f\nmkdir d\nls d\n";
    const o = runImage(img, ["sh"], script);
    t.add(`booted: ${o.ending === "halted" ? "ran to the end" : kind(o)}`, o);
  }
  return t;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      programs: { type: "string", default: "300" },
      syscalls: { type: "string", default: "100" },
      images: { type: "string", default: "500" },
      seed: { type: "string", default: "1" },
    },
  });
  const seed = Number(values.seed);
  const t0 = performance.now();
  const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
  const p = randomPrograms(Number(values.programs), seed);
  console.log(`random programs: ${values.programs} (4 KiB of random bytes each): ${p.line()}`);
  console.log(`  pages lost: ${p.lost}  (${secs()} s so far)`);
  const s = randomSyscalls(Number(values.syscalls), seed);
  console.log(
    `random system calls: ${s.syscalls} made by ${values.syscalls} programs: ${s.line()}`,
  );
  console.log(`  pages lost: ${s.lost}  (${secs()} s so far)`);
  const c = corruptImages(Number(values.images), seed);
  console.log(`corrupt images: ${values.images}: ${c.line()}`);
  console.log(`  pages lost: ${c.lost}  (${secs()} s in all)`);
  const bugs = (p.counts.bug ?? 0) + (s.counts.bug ?? 0) + (c.counts["booted: bug"] ?? 0);
  const lost = p.lost + s.lost + c.lost;
  console.log(bugs === 0 && lost === 0 ? "no xv6lazy bug, no lost page" : "FAILURES above");
  Deno.exit(bugs === 0 && lost === 0 ? 0 : 1);
}
