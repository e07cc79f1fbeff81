// `xv6lazy grade`: boot fresh systems the way the lab's grader does, capture their
// console output, and print a report in the shape of `make grade`.
//
// Each run boots the system in shell mode, waits for the `$ ` prompt, types one
// command, and captures until the next `$ ` prompt. Capturing also stops when the
// system halts, when it goes idle waiting for input, or at the run's time limit.
//
// Time limits: the grader allows 30 s (pte printout), 30 s (lazytests) and 600 s
// (usertests). They are enforced here in emulated time, which is deterministic: the
// kernel's clock ticks every 100,000 instructions and when every process sleeps,
// and xv6 counts 10 ticks per second, so the limits are 300, 300 and 6000 ticks.
// As a backstop against a host-side stall, a run also stops after twice its limit
// in wall-clock seconds.
//
// A real kernel on the virt board (--kernel) is timed by the board's clock in
// nominal seconds of 10^9 steps (fullsystem.ts says why): 30 s is 3 * 10^10 board
// steps. Its wall-clock backstop is wider (FULL_SYSTEM_WALL_FACTOR times the limit).

import { boot, type BootOptions, type KernelStats, type System } from "../kernel/main.ts";
import { ConsoleDevice } from "../machine/console.ts";
import type { GradeRun, RunOutcome } from "./grade.ts";
import type { OtherSystem } from "./fullsystem.ts";

/** xv6's timer rate: one tick is about 0.1 s. */
export const TICKS_PER_SECOND = 10;
/** The wall-clock backstop, as a multiple of a run's limit. */
export const WALL_FACTOR = 2;
/** Instructions per call to kernel.run(). */
const SLICE = 1_000_000;

export interface CaptureOptions {
  fsImage: Uint8Array;
  eager: boolean;
  /** What system call 12 means (--sbrk-abi); default: decided per program. */
  sbrkAbi?: BootOptions["sbrkAbi"];
  /** Called with each test that starts (from `test NAME: ` / `running test NAME`). */
  onTestStart?: (name: string) => void;
  /** Boot this system instead of the built-in kernel (eager and sbrkAbi are then unused). */
  system?: OtherSystem;
}

/** A captured run, with the kernel's counters. */
export interface CapturedRun extends RunOutcome {
  stats?: KernelStats;
}

/** Finds test headers as they appear in growing console text. */
class HeaderScanner {
  private from = 0;
  private readonly re = /\ntest ([^\s:]+): |\nrunning test ([^\n]+)\n/g;

  constructor(private readonly onStart: (name: string) => void) {}

  /** Look at new output for test headers and report each test that starts. */
  scan(text: string): void {
    this.re.lastIndex = Math.max(0, this.from - 1);
    let m: RegExpExecArray | null;
    let end = -1;
    while ((m = this.re.exec(text)) !== null) {
      this.onStart(m[1] ?? m[2]);
      end = this.re.lastIndex;
    }
    // A header cut off at the end of the text is found on the next scan.
    this.from = end >= 0 ? end : Math.max(this.from, text.length - 80);
  }
}

/** Boot one system, type run.command at its first prompt, and capture until the next. */
export function captureRun(run: GradeRun, opts: CaptureOptions): CapturedRun {
  const t0 = performance.now();
  const decoder = new TextDecoder();
  let text = "";
  const dev = new ConsoleDevice((b) => {
    text += decoder.decode(b, { stream: true });
  });
  let kernel: System;
  try {
    kernel = opts.system ? opts.system.boot(dev) : boot({
      fsImage: opts.fsImage,
      console: dev,
      eager: opts.eager,
      sbrkAbi: opts.sbrkAbi,
    });
  } catch (e) {
    return { text, seconds: (performance.now() - t0) / 1000, error: `boot failed: ${message(e)}` };
  }
  if ((kernel.panic ?? null) !== null) {
    return {
      text,
      seconds: (performance.now() - t0) / 1000,
      error: `boot failed: ${kernel.panic}`,
    };
  }
  const sys = kernel;
  const clock = opts.system
    ? { seconds: () => opts.system!.seconds(sys), name: opts.system.clock }
    : { seconds: () => sys.stats().ticks / TICKS_PER_SECOND, name: "emulated time" };
  const limitWhat = opts.system
    ? `${run.limitSeconds} s of ${clock.name}`
    : `${run.limitSeconds} s = ${run.limitSeconds * TICKS_PER_SECOND} ticks of emulated time`;
  const wallFactor = opts.system?.wallFactor ?? WALL_FACTOR;
  const wallLimit = run.limitSeconds * wallFactor * 1000;
  // Each test's own time: from its header to the next header (or the end of the run).
  const starts: [string, number][] = [];
  const scanner = new HeaderScanner((name) => {
    starts.push([name, performance.now()]);
    opts.onTestStart?.(name);
  });
  let typedAt = -1;
  let promptFrom = 0; // where to look for the next prompt (the text before is searched)
  let ended: string;
  for (;;) {
    let state;
    try {
      state = kernel.run(SLICE);
    } catch (e) {
      ended = `the kernel stopped: ${message(e)}`;
      break;
    }
    scanner.scan(text);
    if (typedAt < 0) {
      if (text.includes("$ ")) {
        typedAt = text.length;
        promptFrom = typedAt;
        dev.pushInput(run.command + "\n");
        continue;
      }
    } else if (text.indexOf("$ ", promptFrom) >= 0) {
      ended = "prompt";
      break;
    } else {
      promptFrom = Math.max(typedAt, text.length - 1); // a `$` at the end may get its space
    }
    if (state === "halted") {
      ended = kernel.panic ?? `the system halted (status ${kernel.exitStatus})`;
      break;
    }
    if (state === "waiting" && !(kernel.consoleWaiting?.() ?? true)) {
      ended = "no process can make progress (none runs, sleeps on the clock or reads the console)";
      break;
    }
    if (state === "waiting" && !dev.hasInput()) {
      ended = typedAt < 0 ? "idle before the first prompt" : "idle, waiting for input";
      break;
    }
    if (clock.seconds() >= run.limitSeconds) {
      ended = `time limit (${limitWhat})`;
      break;
    }
    if (performance.now() - t0 >= wallLimit) {
      ended = `wall-clock backstop (${run.limitSeconds * wallFactor} s)`;
      break;
    }
  }
  text += decoder.decode();
  const end = performance.now();
  const testSeconds: Record<string, number> = {};
  starts.forEach(([name, at], i) => {
    testSeconds[name] = ((starts[i + 1]?.[1] ?? end) - at) / 1000;
  });
  return { text, seconds: (end - t0) / 1000, ended, stats: kernel.stats(), testSeconds };
}

/** An exception's message, for a one-line report. */
function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
