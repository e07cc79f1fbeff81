// Test harness: boot a fresh system on the built-in file system and drive it.

import { CapturedOutput, ConsoleDevice } from "../machine/console.ts";
import { boot, type Kernel, type RunState } from "../kernel/main.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";
import type { BootOptions } from "../kernel/main.ts";

/** Boot options a test may set. */
export interface StartOptions {
  eager?: boolean;
  image?: Uint8Array;
  sbrkAbi?: BootOptions["sbrkAbi"];
}

export interface Booted {
  kernel: Kernel;
  console: ConsoleDevice;
  out: CapturedOutput;
  /** Run until the system halts or waits for console input; returns the state. */
  settle(maxInstructions?: number): RunState;
}

/** Boot with the built-in image (or the given one), in run mode when args are given. */
export function start(args: string[], opts: StartOptions = {}): Booted {
  const out = new CapturedOutput();
  const console = new ConsoleDevice(out.sink);
  const kernel = boot({
    fsImage: opts.image ?? mkfs(fsFiles),
    console,
    eager: opts.eager,
    sbrkAbi: opts.sbrkAbi,
    initArgs: args,
  });
  const settle = (maxInstructions = 5_000_000_000): RunState => {
    const limit = kernel.stats().instructions + maxInstructions;
    for (;;) {
      const s = kernel.run(10_000_000);
      if (s !== "running") return s;
      if (kernel.stats().instructions >= limit) return s;
    }
  };
  return { kernel, console, out, settle };
}

/** Boot, run one program to completion, and return its output and exit status. */
export function runProgram(
  args: string[],
  opts: StartOptions & { input?: string; maxInstructions?: number } = {},
): { output: string; status: number; state: RunState; kernel: Kernel } {
  const b = start(args, opts);
  if (opts.input !== undefined) b.console.pushInput(opts.input);
  const state = b.settle(opts.maxInstructions);
  return { output: b.out.text(), status: b.kernel.exitStatus, state, kernel: b.kernel };
}
