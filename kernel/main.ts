// Boot: build the machine, initialise the kernel's subsystems, start init, and run.

import type { ConsoleDevice } from "../machine/console.ts";
import type { Disk } from "../machine/disk.ts";
import { Machine } from "../machine/machine.ts";
import { cpu, cpuinit } from "./cpu.ts";
import { kinit, kstats } from "./kalloc.ts";
import { vmconfig, vmstats } from "./vm.ts";
import { machinestate, procinit, userinit } from "./proc.ts";
import { consoleinit, consolewaiting, kprintf } from "./console.ts";
import { binit } from "./bio.ts";
import { fsinit } from "./fs.ts";
import { ROOTDEV } from "./param.ts";
import { clock, clockinit } from "./clock.ts";
import { exec } from "./exec.ts";
import { type RunState, schedinit, scheduler } from "./sched.ts";
import { trapstats } from "./trap.ts";
import { type SbrkAbi, sbrkconfig } from "./sbrkabi.ts";

export type { RunState };

export interface BootOptions {
  /** The root file-system image (xv6 format); the kernel reads and writes it in place. */
  fsImage: Uint8Array;
  /** Console device: where output goes and input comes from. */
  console: ConsoleDevice;
  /** Turn lazy allocation off: sbrk allocates at once, as before the lab. */
  eager?: boolean;
  /** What system call 12 means: decided per program at exec ("auto", the default), or forced. */
  sbrkAbi?: "auto" | SbrkAbi;
  /** Extra arguments for /init (run mode: `init PROG ARGS...`); empty = the shell. */
  initArgs?: string[];
  /** Receives one line per lazy page fault, sbrk and fatal fault (--trace). */
  trace?: (line: string) => void;
  /** Leave out the page-table dump of pid 1 (--quiet). */
  quiet?: boolean;
}

export interface KernelStats {
  instructions: number;
  ticks: number;
  pageFaults: number; // lazy page faults served
  pagesAllocated: number;
  pagesFreed: number;
  freePages: number;
  faultKills: number; // processes killed by a fatal fault
  syscalls: number;
  /** Full-system mode: instructions retired in U, S and M mode. */
  userInstructions?: number;
  supervisorInstructions?: number;
  machineInstructions?: number;
  /** Full-system mode: steps of the board's clock (mtime ticks). */
  boardSteps?: number;
  /** Full-system mode: code regions compiled to WebAssembly, and taken from another hart. */
  regionsCompiled?: number;
  regionsShared?: number;
  /** Full-system mode: instructions the interpreter retired (the rest ran translated). */
  interpreted?: number;
}

/** A booted system as sessions and the grader drive it: the built-in kernel or a board. */
export interface System {
  /** Run up to budget instructions (plus the kernel work they cause). */
  run(budget: number): RunState;
  /** init's exit status once halted (run mode); -1 after a kernel panic. */
  readonly exitStatus: number;
  /** The panic message once the kernel has panicked (at boot or later), else null; absent: unknown. */
  readonly panic?: string | null;
  /** Whether typed input would be taken now (a process waits in a console read); absent: assume so. */
  consoleWaiting?(): boolean;
  /** Counters for --stats. */
  stats(): KernelStats;
}

export interface Kernel extends System {
  readonly panic: string | null;
  consoleWaiting(): boolean;
  /** The disk, so the CLI can save a --fs image back. */
  readonly disk: Disk;
}

/** Power on a fresh machine and boot xv6 on it. Only one system is live at a time in a host process. */
export function boot(opts: BootOptions): Kernel {
  const machine = new Machine(opts.fsImage, opts.console);
  const disk = machine.disk;
  panicmsg = null;
  consoleinit(machine.console); // first, as in xv6, so that a panic while booting is shown
  try {
    startkernel(machine, opts);
  } catch (e) {
    halt(e); // a panic while booting (a bad image, an /init that cannot run) halts the machine
  }
  return {
    run: (budget) => guardedRun(budget),
    get exitStatus() {
      return machinestate.exitStatus;
    },
    get panic() {
      return panicmsg;
    },
    consoleWaiting: () => !machinestate.halted && consolewaiting(),
    stats: () => ({
      instructions: cpu.hart.instret,
      ticks: clock.ticks,
      pageFaults: vmstats.lazyFaults,
      pagesAllocated: kstats.allocated,
      pagesFreed: kstats.freed,
      freePages: kstats.free,
      faultKills: machinestate.faultKills,
      syscalls: trapstats.syscalls,
    }),
    disk,
  };
}

/** Initialise every subsystem in xv6's order and make init runnable; throws on a panic. */
function startkernel(machine: Machine, opts: BootOptions): void {
  cpuinit(machine.ram, machine.hart);
  kinit(machine.ram);
  vmconfig.lazy = !opts.eager;
  vmconfig.trace = opts.trace ?? null;
  vmconfig.vmprint = !opts.quiet;
  sbrkconfig.abi = opts.sbrkAbi ?? "auto";
  vmstats.lazyFaults = 0;
  trapstats.syscalls = 0;
  procinit();
  schedinit();
  machinestate.runMode = (opts.initArgs ?? []).length > 0;
  binit(machine.disk);
  fsinit(ROOTDEV);
  clockinit();
  userinit(exec, opts.initArgs ?? []);
}

let panicmsg: string | null = null; // set once the kernel has panicked

/**
 * A kernel panic: print it on the console and halt the machine with status -1. An
 * exception the kernel did not raise itself (a TypeError, say) is a bug in xv6lazy,
 * and the message says so.
 */
function halt(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  const bug = e instanceof Error && e.constructor !== Error ? `bug in xv6lazy (${e.name}): ` : "";
  panicmsg = msg.startsWith("panic") ? msg : "panic: " + bug + msg;
  kprintf(`\n${panicmsg}\n`);
  machinestate.halted = true;
  machinestate.exitStatus = -1;
}

/** Run the scheduler; a kernel panic halts the machine with a message instead of crashing the host. */
function guardedRun(budget: number): RunState {
  if (machinestate.halted) return "halted";
  try {
    return scheduler(budget);
  } catch (e) {
    halt(e);
    return "halted";
  }
}
