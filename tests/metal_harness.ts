// Runs the project's bare-metal test programs (userland/metal/bin) on the virt
// board, as the full-system tests and a person at a terminal would: a disk of
// known contents, console input typed in, and the output, exit status and
// instruction counts collected.

import { join } from "../machine/deps.ts";
import { Board } from "../machine/board.ts";
import { CapturedOutput, ConsoleDevice } from "../machine/console.ts";
import { METAL_DIR } from "../userland/build.ts";

/** Bytes in a disk sector. */
export const SECTOR = 512;

/**
 * The test disk: byte j of sector s is (13 s + j) mod 256, so any sector's
 * contents are known to the programs (which check them) and to the tests.
 */
export function metalDisk(sectors = 64): Uint8Array {
  const d = new Uint8Array(sectors * SECTOR);
  for (let s = 0; s < sectors; s++) {
    for (let j = 0; j < SECTOR; j++) d[s * SECTOR + j] = (s * 13 + j) & 0xff;
  }
  return d;
}

/** The image of bare-metal program `name`, as committed. */
export function metalImage(name: string): Uint8Array {
  return Deno.readFileSync(join(METAL_DIR, "bin", name));
}

export interface MetalRun {
  /** Everything the program printed. */
  output: string;
  /** Its "ok ..." lines, without the "ok ". */
  oks: string[];
  /** Finisher status (0 = pass), or null if it never powered off. */
  code: number | null;
  /** Instructions retired by each hart. */
  instret: number[];
  board: Board;
}

export interface MetalOptions {
  cpus?: number;
  legacy?: boolean;
  /** false: interpret everything (hart.jitThreshold = 0); true: the default translator. */
  jit?: boolean;
  disk?: Uint8Array;
  /** Console input, typed before the run starts. */
  input?: string;
  /** Lines typed one at a time, each when a new prompt ("$ " at a line start) appears. */
  script?: string[];
  /** Most board time (mtime ticks) to run for. */
  budget?: number;
}

/** Board time per slice between looks at the output (10 ms of mtime). */
const SLICE = 100_000;

/** How many prompts ("$ " at the start of a line) the output holds. */
export function prompts(output: string): number {
  return output.split("\n").filter((l) => l.startsWith("$ ")).length;
}

/** Run program `name` until it powers off or the budget is spent. */
export function runMetal(name: string, opts: MetalOptions = {}): MetalRun {
  const out = new CapturedOutput();
  const con = new ConsoleDevice(out.sink);
  if (opts.input !== undefined) con.pushInput(opts.input);
  const board = new Board({
    kernel: metalImage(name),
    disk: opts.disk ?? metalDisk(),
    console: con,
    cpus: opts.cpus ?? 1,
    legacyVirtio: opts.legacy ?? false,
  });
  if (opts.jit === false) { for (const h of board.harts) h.jitThreshold = 0; }
  const end = opts.budget ?? 200_000_000;
  const script = opts.script ?? [];
  let typed = 0;
  while (board.halted === null && board.time < end) {
    if (typed < script.length && prompts(out.text()) > typed) {
      con.pushInput(script[typed++] + "\n");
    }
    board.inputArrived();
    if (board.run(SLICE) === "waiting" && typed >= script.length) break;
  }
  const output = out.text();
  const oks = output.split("\n").filter((l) => l.startsWith("ok ")).map((l) => l.slice(3));
  return {
    output,
    oks,
    code: board.halted?.code ?? null,
    instret: board.harts.map((h) => h.instret),
    board,
  };
}
