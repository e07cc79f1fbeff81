// Full-system mode for the sessions and the grader: a real xv6 kernel ELF booted on
// the virt board (machine/board.ts), behind the same small interface the built-in
// kernel offers (run a slice, exit status, counters, disk), so the shell, typed mode
// and grading work the same whichever kernel runs.
//
// What the host can tell about a real kernel it cannot look inside:
//  - it powered off through the test finisher: halted with that status;
//  - it printed "panic: ": it is given a little more time to print the rest, then
//    the run ends as halted with status -1 and a one-line reason;
//  - every hart waits in WFI with no timer set: run() answers "waiting" (only input
//    can wake it). A real kernel always has a timer set, so sessions decide when it
//    is done from its prompts instead.
//
// The virtio layout (--virtio auto, the default) is chosen as virtio_layout.ts says:
// a guess from the kernel file, checked at boot. While the check is open the board
// runs on a console of its own, whose output is held back and which gets no input;
// a "could not find virtio disk" panic then boots a fresh board with the other
// layout (the guest has not touched the disk yet, so nothing else needs undoing).
//
// Time. The board's clock (mtime, 10 MHz) advances one tick per step of each hart,
// about 100 times slower, per instruction, than the clock of the CPU xv6 was tuned
// on (QEMU runs xv6 at roughly 10^9 instructions per second). Time limits meant for
// such a machine (the lab grader's, --timeout) are therefore counted in board steps
// at the nominal rate NOMINAL_STEPS_PER_SECOND.

import { Board, type BoardState, TIMEBASE_HZ } from "../machine/board.ts";
import { ConsoleDevice } from "../machine/console.ts";
import type { KernelStats, RunState, System } from "../kernel/main.ts";
import {
  canCheckLayout,
  guessLayout,
  NO_DISK_PANIC,
  otherLayout,
  type VirtioChoice,
  type VirtioLayout,
} from "./virtio_layout.ts";

export interface FullSystemOptions {
  /** The kernel ELF file. */
  kernel: Uint8Array;
  /** The disk image; the guest writes it in place. */
  fsImage: Uint8Array;
  console: ConsoleDevice;
  cpus: number;
  ramSize?: number;
  /** The virtio register layout (--virtio); default auto. */
  virtio?: VirtioChoice;
  /** Force a layout: true legacy, false modern (overrides virtio). */
  legacyVirtio?: boolean;
}

/** mtime ticks per xv6 timer tick (xv6 programs the timer every 1,000,000 ticks: 0.1 s). */
export const XV6_TICK = TIMEBASE_HZ / 10;
/** Board steps that make one nominal second, for time limits (see the header). */
export const NOMINAL_STEPS_PER_SECOND = 1_000_000_000;
/**
 * grade's wall-clock backstop with a real kernel, as a multiple of a run's limit: wide
 * enough that a correct kernel finishes within its step budget at today's speed even
 * on three harts that spin when idle; the budget in steps is what normally ends a run.
 */
export const FULL_SYSTEM_WALL_FACTOR = 10;
/** Steps a panicking kernel gets to finish its message. */
const PANIC_GRACE = 2_000_000;
/** The longest the layout check stays open: real kernels settle it in about 0.4 G steps. */
const CHECK_STEPS = 2_000_000_000;
/** The longest rest idleMs() suggests, so that input is still seen promptly. */
const MAX_REST_MS = 100;
/** The virtio transport's Status register; xv6 writes it once the device is accepted. */
const VIRTIO_STATUS = 0x070;

/** The board as a Kernel for sessions and the grader, with the host-side watchdogs. */
export interface FullSystem extends System {
  /** The board running now (a new one after a layout change). */
  readonly board: Board;
  /** Why the run ended, when the host ended it (panic), else null. */
  readonly reason: string | null;
  /** The kernel's panic line ("panic: ...") once the watchdog ended the run, else null. */
  readonly panic: string | null;
  /** The virtio layout the board gives. */
  readonly layout: VirtioLayout;
  /** True when the first layout was wrong and the board was booted again. */
  readonly rebooted: boolean;
  /** The board's clock in nominal seconds (NOMINAL_STEPS_PER_SECOND). */
  nominalSeconds(): number;
  /**
   * When every hart waits in WFI after the last slice, the milliseconds of guest time
   * (10 MHz clock) that slice covered, at most MAX_REST_MS; else 0.
   */
  idleMs(): number;
}

/**
 * Watches console output for the kernel's "panic: " line. The line need not start the
 * console line: a kernel may panic after a program printed part of a line (usertests'
 * "test sbrkfail: panic: uvmcopy: page not present").
 */
export class PanicWatch {
  private tail = "";
  private readonly decoder = new TextDecoder();
  /** Board time at which "panic: " appeared, or -1. */
  at = -1;

  /** Look at output bytes printed at board time `now`. */
  see(bytes: Uint8Array, now: number): void {
    this.tail = (this.tail + this.decoder.decode(bytes, { stream: true })).slice(-240);
    if (this.at < 0 && this.tail.includes("panic: ")) this.at = now;
  }

  /** The panic line so far (complete or not), or null before any panic. */
  line(): string | null {
    if (this.at < 0) return null;
    const i = this.tail.lastIndexOf("panic: ");
    return i < 0 ? "panic" : this.tail.slice(i).split("\n")[0].trim();
  }

  /** Whether the panic line has ended (a newline followed it). */
  complete(): boolean {
    const i = this.tail.lastIndexOf("panic: ");
    return this.at >= 0 && i >= 0 && this.tail.indexOf("\n", i) >= 0;
  }
}

/** A system other than the built-in kernel, as sessions and the grader boot and time it. */
export interface OtherSystem {
  /** Boot it, with this console. */
  boot(console: ConsoleDevice): System;
  /** The time --timeout and the grader's limits count, in their seconds. */
  seconds(sys: System): number;
  /** What those seconds are, for messages. */
  clock: string;
  /** The grader's wall-clock backstop, as a multiple of a run's limit. */
  wallFactor: number;
  /**
   * Milliseconds an interactive session may rest after the last slice: the guest time
   * it skipped while idle (0 while it works), so that an idle guest does not keep a
   * host core busy. Unset: never rest.
   */
  idleMs?(sys: System): number;
}

/** The board with these options, booted afresh for each session or grading run. */
export function fullSystemBooter(opts: Omit<FullSystemOptions, "console">): OtherSystem {
  return {
    boot: (console) => bootFullSystem({ ...opts, console }),
    seconds: (sys) => (sys as FullSystem).nominalSeconds(),
    clock: "nominal time (10^9 board steps a second)",
    wallFactor: FULL_SYSTEM_WALL_FACTOR,
    idleMs: (sys) => (sys as FullSystem).idleMs(),
  };
}

/** Build the board, load the kernel and return it ready to run. */
export function bootFullSystem(opts: FullSystemOptions): FullSystem {
  const outer = opts.console;
  const choice: VirtioChoice = opts.legacyVirtio === undefined
    ? opts.virtio ?? "auto"
    : opts.legacyVirtio
    ? "legacy"
    : "modern";
  let layout: VirtioLayout = choice === "auto" ? guessLayout(opts.kernel) : choice;
  let checking = choice === "auto" && canCheckLayout(opts.kernel);
  let rebooted = false;
  let held: Uint8Array[] = [];
  let reason: string | null = null;
  let panic: string | null = null;
  let status = 0;
  let watch = new PanicWatch();
  let board!: Board;
  let innerConsole!: ConsoleDevice;
  let sliceStart = 0; // board time when the last slice began

  /** Power on a fresh board with the current layout, its console feeding the outer one. */
  const start = (): void => {
    watch = new PanicWatch();
    const inner = new ConsoleDevice((bytes) => {
      watch.see(bytes, board.time);
      if (checking) held.push(bytes.slice());
      else outer.write(bytes);
    });
    board = new Board({
      kernel: opts.kernel,
      disk: opts.fsImage,
      console: inner,
      cpus: opts.cpus,
      ramSize: opts.ramSize,
      legacyVirtio: layout === "legacy",
    });
    innerConsole = inner;
  };
  start();

  /** Pass the host's input on to the board's console (not while the layout check is open). */
  const forwardInput = (): void => {
    if (checking) return;
    while (outer.hasInput()) innerConsole.pushInput(Uint8Array.of(outer.getc()));
    if (outer.inputEnded) innerConsole.endInput();
  };

  /** Close the layout check: show what was held back. */
  const release = (): void => {
    checking = false;
    const h = held;
    held = [];
    for (const b of h) outer.write(b);
  };

  /** After a slice with the check open: keep this board, or boot the other layout. */
  const check = (state: BoardState): void => {
    if (board.virtio.read(VIRTIO_STATUS, 4) !== 0) return release();
    const line = watch.line();
    if (line !== null && (watch.complete() || board.time - watch.at >= PANIC_GRACE)) {
      if (!line.includes(NO_DISK_PANIC) || rebooted) return release();
      layout = otherLayout(layout);
      rebooted = true;
      held = [];
      start(); // still checking: the second layout may be no better
      return;
    }
    if (state !== "running" || board.time >= CHECK_STEPS) release();
  };

  /** Run one slice, then apply the watchdogs. */
  const run = (budget: number): RunState => {
    if (reason !== null) return "halted";
    forwardInput();
    board.inputArrived();
    sliceStart = board.time;
    const state: BoardState = board.run(budget);
    if (checking) {
      const before = board;
      check(state);
      if (board !== before) return "running"; // booted again with the other layout
    }
    if (state === "halted") {
      status = board.halted?.code ?? -1;
      return "halted";
    }
    if (watch.at >= 0 && !checking && board.time - watch.at >= PANIC_GRACE) {
      panic = watch.line();
      reason = `the kernel panicked (${panic})`;
      status = -1;
      return "halted";
    }
    return state;
  };

  return {
    get board() {
      return board;
    },
    get reason() {
      return reason;
    },
    get panic() {
      return panic;
    },
    get layout() {
      return layout;
    },
    get rebooted() {
      return rebooted;
    },
    nominalSeconds: () => board.time / NOMINAL_STEPS_PER_SECOND,
    idleMs: () => board.idleMs(sliceStart, MAX_REST_MS),
    run,
    get exitStatus() {
      return status;
    },
    stats: (): KernelStats => {
      const modes = board.modeCounts();
      return {
        instructions: modes.user + modes.supervisor + modes.machine,
        ticks: Math.floor(board.time / XV6_TICK),
        pageFaults: 0,
        pagesAllocated: 0,
        pagesFreed: 0,
        freePages: 0,
        faultKills: 0,
        syscalls: 0,
        userInstructions: modes.user,
        supervisorInstructions: modes.supervisor,
        machineInstructions: modes.machine,
        boardSteps: board.time,
        regionsCompiled: board.regionsCompiled(),
        regionsShared: board.regionsShared(),
        interpreted: board.interpreted(),
      };
    },
  };
}
