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

import { Board, type BoardState, TIMEBASE_HZ } from "../machine/board.ts";
import type { ConsoleDevice } from "../machine/console.ts";
import type { KernelStats, RunState, System } from "../kernel/main.ts";

export interface FullSystemOptions {
  /** The kernel ELF file. */
  kernel: Uint8Array;
  /** The disk image; the guest writes it in place. */
  fsImage: Uint8Array;
  console: ConsoleDevice;
  cpus: number;
  ramSize?: number;
  legacyVirtio?: boolean;
}

/** mtime ticks per xv6 timer tick (xv6 programs the timer every 1,000,000 ticks: 0.1 s). */
export const XV6_TICK = TIMEBASE_HZ / 10;
/** Steps a panicking kernel gets to finish its message. */
const PANIC_GRACE = 2_000_000;

/** The board as a Kernel for sessions and the grader, with the host-side watchdogs. */
export interface FullSystem extends System {
  readonly board: Board;
  /** Why the run ended, when the host ended it (panic), else null. */
  readonly reason: string | null;
}

/** Build the board, load the kernel and return it ready to run. */
export function bootFullSystem(opts: FullSystemOptions): FullSystem {
  const con = opts.console;
  let panicAt = -1;
  let reason: string | null = null;
  let status = 0;
  let tail = "";
  const decoder = new TextDecoder();
  const sink = con.sink;
  const board = new Board({
    kernel: opts.kernel,
    disk: opts.fsImage,
    console: con,
    cpus: opts.cpus,
    ramSize: opts.ramSize,
    legacyVirtio: opts.legacyVirtio,
  });
  con.sink = (bytes) => {
    tail = (tail + decoder.decode(bytes, { stream: true })).slice(-200);
    if (panicAt < 0 && /(^|\n)panic: /.test(tail)) panicAt = board.time;
    sink(bytes);
  };

  /** Run one slice, then apply the watchdogs. */
  const run = (budget: number): RunState => {
    if (reason !== null) return "halted";
    board.inputArrived();
    const state: BoardState = board.run(budget);
    if (state === "halted") {
      status = board.halted?.code ?? -1;
      return "halted";
    }
    if (panicAt >= 0 && board.time - panicAt >= PANIC_GRACE) {
      const line = tail.slice(tail.lastIndexOf("panic: ")).split("\n")[0];
      reason = `the kernel panicked (${line.trim()})`;
      status = -1;
      return "halted";
    }
    return state;
  };

  return {
    board,
    get reason() {
      return reason;
    },
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
      };
    },
  };
}
