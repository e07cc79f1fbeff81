// The scheduler: pick runnable processes round-robin and run them on the hart,
// handing each trap to usertrap(). When every process sleeps on the clock, time
// jumps to the next tick; when only console input can wake one, run() returns.

import { CSR_SEPC } from "../machine/hart.ts";
import { cpu } from "./cpu.ts";
import { clockintr, tickschan } from "./clock.ts";
import { consolepoll } from "./console.ts";
import { anysleeping, exit, machinestate, nextrunnable, type Proc, setproc } from "./proc.ts";
import { usertrap, usertrapret } from "./trap.ts";
import { uservec } from "./trapframe.ts";

export type RunState = "running" | "waiting" | "halted";

let resume: Proc | null = null; // the process whose slice the last budget cut short

/**
 * Idle clock jumps one call of scheduler() makes before it returns: time passes
 * without instructions while every process sleeps, and the caller must still get
 * to check its time limit (a process may sleep for years of emulated time).
 */
export const IDLE_TICKS_PER_RUN = 10;

/** Forget any cut-short process (at boot). */
export function schedinit(): void {
  resume = null;
}

/** Run processes until budget instructions have retired, the system idles, or it halts. */
export function scheduler(budget: number): RunState {
  const hart = cpu.hart;
  const end = hart.instret + budget;
  let jumps = 0;
  for (;;) {
    if (machinestate.halted) return "halted";
    if (hart.instret >= end) return "running";
    consolepoll();
    let p = resume;
    resume = null;
    if (p === null || p.state !== "RUNNABLE") p = nextrunnable();
    if (p === null) {
      if (anysleeping(tickschan)) {
        clockintr(); // idle: jump the clock to the next tick
        if (++jumps >= IDLE_TICKS_PER_RUN) return "running";
        continue;
      }
      return "waiting";
    }
    runproc(p, end);
  }
}

/** Run p: finish its parked kernel work, then its user code, until it blocks, yields or exits. */
function runproc(p: Proc, end: number): void {
  const hart = cpu.hart;
  setproc(p);
  p.state = "RUNNING";
  if (p.kthread !== null) {
    if (!p.kthread.next().done) return setproc(null); // slept again
    p.kthread = null;
  }
  while (p.state === "RUNNING" && !machinestate.halted) {
    if (p.killed) {
      exit(-1);
      break;
    }
    if (hart.instret >= end) {
      p.state = "RUNNABLE";
      resume = p;
      break;
    }
    usertrapret(p);
    const cause = hart.run(end - hart.instret);
    if (cause === -1) {
      uservec(p.trapframe, hart.pcLo, hart.pcHi);
      p.state = "RUNNABLE";
      resume = p;
      break;
    }
    uservec(p.trapframe, hart.readCsrLo(CSR_SEPC), hart.readCsrHi(CSR_SEPC));
    usertrap(p, cause);
  }
  setproc(null);
}
