// Interactive and streaming sessions: boot one system and connect its console to the
// host's stdin and stdout until it halts, goes idle, or the user leaves.
//
//   shell mode  no init arguments; sh reads commands from the console
//   run mode    init runs one program and halts with its exit status
//   typed mode  a foreign image's shell gets one command typed at its first prompt,
//               and the session ends at the next prompt (as the lab's grader does)
//
// The system is the built-in kernel, or another one (`system`: a real kernel on the
// virt board). A real kernel's timer always ticks, so it never reports that it
// waits for input: with one, piped input is typed a line at each `$ ` prompt, and
// the session ends at the prompt after the last line.
//
// The loop never spins: when the kernel reports that nothing can run it waits for
// stdin (so keystrokes, Ctrl-A x and signals are served), and when no input could
// change that either, a piped or run-mode session stops with a message.

import { boot, type BootOptions, type KernelStats, type System } from "../kernel/main.ts";
import { ConsoleDevice } from "../machine/console.ts";
import {
  enterRawMode,
  letEventsIn,
  OutputBuffer,
  restoreTerminal,
  stdinKind,
  StdinPump,
  writeErr,
  writeErrQuiet,
  writeOut,
  yieldDue,
} from "../machine/host.ts";
import { EXIT_PANIC, EXIT_STOPPED } from "../cli/exits.ts";
import { TICKS_PER_SECOND } from "./grade_run.ts";
import { LineQueue, PromptCounter } from "./typing.ts";
import type { OtherSystem } from "./fullsystem.ts";

/** Instructions per call to kernel.run(). */
export const SLICE = 1_000_000;

export interface SessionOptions {
  fsImage: Uint8Array;
  eager: boolean;
  /** What system call 12 means (--sbrk-abi); default: decided per program. */
  sbrkAbi?: BootOptions["sbrkAbi"];
  /** Run mode: the program and its arguments. */
  initArgs?: string[];
  /** Typed mode: the command line to type at the first prompt. */
  typed?: string;
  /** Print a line on stderr for every lazy page fault, sbrk and fatal fault (--trace). */
  trace?: boolean;
  /** With trace: which lines to print (--trace=FILTER); all when absent. */
  traceFilter?: (line: string) => boolean;
  /** Stop after this many seconds of emulated time (--timeout); 0 or absent: no limit. */
  timeoutSeconds?: number;
  /** Leave out the page-table dump of pid 1 (--quiet). */
  quiet?: boolean;
  /** Boot this system instead of the built-in kernel (the options above it ignore). */
  system?: OtherSystem;
}

export interface SessionResult {
  /** The host exit code. */
  code: number;
  stats: KernelStats;
  /** Wall-clock seconds from boot to the end. */
  seconds: number;
  /** Of those, the seconds spent running the system (not waiting for input). */
  runSeconds: number;
}

const CTRL_A = 0x01;
const CTRL_C = 0x03;
const CTRL_D = 0x04;

/** Map an xv6 exit status to a host exit code (-1 -> 255). */
export function exitCode(status: number): number {
  return status & 0xff;
}

/** Boot a system and connect it to the host until it is done. */
export async function runSession(opts: SessionOptions): Promise<SessionResult> {
  const out = new OutputBuffer(Deno.stdout.isTerminal());
  const dev = new ConsoleDevice(out.sink);
  const interactive = stdinKind() === "terminal" && opts.typed === undefined;

  // Keystrokes: Ctrl-C twice in a row, or Ctrl-A then x, leave xv6lazy; Ctrl-A Ctrl-A
  // sends one Ctrl-A. Everything else goes to the console (Enter arrives as CR, which
  // the console driver turns into a newline).
  let quit = false;
  let lastWasCtrlC = false;
  let afterCtrlA = false;
  const keys = (bytes: Uint8Array): void => {
    for (const c of bytes) {
      if (afterCtrlA) {
        afterCtrlA = false;
        if (c === 0x78 || c === 0x58) quit = true;
        else if (c === CTRL_A) dev.pushInput(Uint8Array.of(c));
        continue;
      }
      if (c === CTRL_A) {
        afterCtrlA = true;
        continue;
      }
      if (c === CTRL_C) {
        if (lastWasCtrlC) quit = true;
        else writeErrQuiet("\n[xv6lazy: press Ctrl-C again (or Ctrl-A x) to quit]\n");
        lastWasCtrlC = true;
        continue;
      }
      lastWasCtrlC = false;
      dev.pushInput(Uint8Array.of(c));
    }
  };

  // A system that never waits for input gets piped input a line at each prompt.
  const lines = opts.system !== undefined && !interactive && opts.typed === undefined
    ? new LineQueue()
    : null;
  let pump: StdinPump | null = null;
  if (opts.typed === undefined) {
    pump = new StdinPump(
      interactive ? keys : lines ? (b) => lines.push(b) : (b) => dev.pushInput(b),
    );
    if (interactive) enterRawMode();
    pump.start();
  }

  const traceFilter = opts.traceFilter ?? (() => true);
  const kernel: System = opts.system ? opts.system.boot(dev) : boot({
    fsImage: opts.fsImage,
    console: dev,
    eager: opts.eager,
    sbrkAbi: opts.sbrkAbi,
    initArgs: opts.initArgs,
    quiet: opts.quiet,
    trace: opts.trace
      ? (line) => {
        if (!traceFilter(line)) return;
        out.flush(); // keep trace lines in order with the console's output
        writeErrQuiet(`[trace] ${line}\n`);
      }
      : undefined,
  });
  const t0 = performance.now();
  let running = 0; // milliseconds spent inside kernel.run
  let lastYield = t0;
  const prompts = new PromptCounter(); // typed mode and lines: the shell's `$ ` prompts
  let answered = 0; // prompts answered with a typed line
  let lastByte = 10; // the last byte the console printed
  const consoleSink = dev.sink;
  dev.sink = (b) => {
    if (b.length > 0) lastByte = b[b.length - 1];
    prompts.see(b);
    consoleSink(b);
  };
  const finish = (code: number): SessionResult => {
    out.flushOrThrow();
    // Leave the host's prompt on a line of its own (after xv6's "$ ", say).
    if (lastByte !== 10 && Deno.stdout.isTerminal()) writeOut("\n");
    restoreTerminal();
    return {
      code,
      stats: kernel.stats(),
      seconds: (performance.now() - t0) / 1000,
      runSeconds: running / 1000,
    };
  };
  // xv6lazy ends a system that cannot finish: say why on stderr, in one line.
  const stop = (why: string): SessionResult => {
    out.flushOrThrow();
    if (lastByte !== 10 && Deno.stdout.isTerminal()) {
      writeOut("\n"); // the message starts a line of its own on the terminal
      lastByte = 10;
    }
    writeErr(`xv6lazy: stopped: ${why}\n`);
    return finish(EXIT_STOPPED);
  };
  const what = opts.initArgs ? opts.initArgs[0] : `'${opts.typed}'`;
  const timeout = opts.timeoutSeconds ?? 0;
  const seconds = opts.system
    ? () => opts.system!.seconds(kernel)
    : () => kernel.stats().ticks / TICKS_PER_SECOND;
  const clock = opts.system?.clock ?? "emulated time";
  let deadlockNoted = false;

  try {
    for (;;) {
      if (lines && pump?.ended) lines.end();
      if (pump?.ended && !dev.inputEnded && !lines) {
        // In run mode the end of host input reads as ^D typed at the console, so a
        // program reading stdin sees end-of-file. The shell instead just goes idle.
        if (opts.initArgs) dev.pushInput(Uint8Array.of(CTRL_D));
        dev.endInput();
      }
      const r0 = performance.now();
      const state = kernel.run(SLICE);
      running += performance.now() - r0;
      out.flushOrThrow();
      if (state === "halted") {
        const panic = kernel.panic ?? null;
        if (panic === null) return finish(exitCode(kernel.exitStatus));
        writeErr(`xv6lazy: the xv6 kernel panicked (${panic})\n`);
        return finish(EXIT_PANIC);
      }
      if (quit) return finish(opts.initArgs ? 130 : 0);
      if (opts.typed !== undefined && prompts.count > answered) {
        if (answered > 0) return finish(0); // the prompt after the command's
        answered = prompts.count;
        dev.pushInput(opts.typed + "\n");
        continue;
      }
      if (lines && prompts.count > answered) {
        // The guest is held at its prompt until the next line (or the end) is here.
        let line = lines.take();
        while (line === null) {
          if (lines.done()) return finish(0); // the prompt after the last line
          await pump!.next();
          if (pump!.ended) lines.end();
          line = lines.take();
        }
        answered = prompts.count;
        dev.pushInput(line);
        lastYield = performance.now();
        continue;
      }
      if (timeout > 0 && seconds() >= timeout) {
        return stop(
          `${timeout} s of ${clock} have passed (--timeout ${timeout}; 0 means no limit)`,
        );
      }
      if (state === "waiting") {
        // Nothing can run, and no process sleeps on the clock.
        const reading = kernel.consoleWaiting?.() ?? true;
        if (pump && !pump.ended && (reading || interactive)) {
          if (!reading && !deadlockNoted) {
            deadlockNoted = true;
            writeErrQuiet(
              "\n[xv6lazy: every process is blocked and none reads the console; " +
                "quit with Ctrl-A x or Ctrl-C twice]\n",
            );
          }
          await pump.next(); // yields to the event loop: keystrokes, signals
          lastYield = performance.now();
          continue;
        }
        if (!reading) {
          return stop(
            "no process can make progress: each one waits for something (a pipe, a child, " +
              "...) that only another blocked process could provide",
          );
        }
        // Some process waits for console input that will never come.
        if (opts.initArgs || opts.typed !== undefined) {
          return stop(`${what} is waiting for console input, but the input has ended`);
        }
        return finish(0); // shell mode: the input is used up and the system is idle
      }
      // An idle real kernel rests as long as its clock skipped (or until a key comes).
      const rest = interactive && pump ? opts.system?.idleMs?.(kernel) ?? 0 : 0;
      if (rest > 0 && !dev.hasInput()) {
        await Promise.race([new Promise((r) => setTimeout(r, rest)), pump!.next()]);
        lastYield = performance.now();
        continue;
      }
      if (yieldDue(lastYield)) {
        // Let the stdin reader deliver keystrokes.
        await letEventsIn();
        lastYield = performance.now();
      }
    }
  } finally {
    out.flush();
    restoreTerminal();
  }
}
