// --stats: the kernel's counters and the run's speed, printed on stderr at exit,
// each line with what it counts.

import type { KernelStats } from "../kernel/main.ts";
import { writeErr } from "../machine/host.ts";
import { TIMEBASE_HZ } from "../machine/board.ts";
import { NOMINAL_STEPS_PER_SECOND } from "../userland/fullsystem.ts";

/** Counters summed over one or more runs (grade makes three). */
export interface StatsTotal {
  stats: KernelStats;
  /** Wall-clock seconds from boot to the end, waiting for input included. */
  seconds: number;
  /** Of those, the seconds spent running the system. */
  runSeconds: number;
}

/** Add one run's counters to the running total. */
export function addStats(
  total: StatsTotal | null,
  s: KernelStats,
  seconds: number,
  runSeconds: number,
): StatsTotal {
  if (!total) return { stats: { ...s }, seconds, runSeconds };
  const t = total.stats;
  for (const k of Object.keys(t) as (keyof KernelStats)[]) t[k] = (t[k] ?? 0) + (s[k] ?? 0);
  total.seconds += seconds;
  total.runSeconds += runSeconds;
  return total;
}

/** The --stats table: one row per figure, with its value and what it means. */
export function statsRows(total: StatsTotal): [string, string, string][] {
  const s = total.stats;
  const mips = total.runSeconds > 0 ? s.instructions / total.runSeconds / 1e6 : 0;
  if (s.userInstructions !== undefined) return boardRows(total, mips);
  return [
    ["page faults served", String(s.pageFaults), "lazy faults given a fresh zeroed page"],
    ["pages allocated", String(s.pagesAllocated), "physical pages handed out (kalloc)"],
    ["pages freed", String(s.pagesFreed), "physical pages given back (kfree)"],
    ["processes killed by faults", String(s.faultKills), "faults the kernel could not serve"],
    ["instructions retired", String(s.instructions), "RISC-V instructions of user code"],
    ["ticks", String(s.ticks), "timer ticks of emulated time (10 a second)"],
    ["run time", `${total.runSeconds.toFixed(2)} s`, "host time spent running xv6"],
    ["MIPS", mips.toFixed(1), "instructions retired / run time, in millions"],
    ["wall time", `${total.seconds.toFixed(2)} s`, "boot to exit, waiting for input included"],
  ];
}

/** The --stats table of a real kernel on the board: what the host can count from outside. */
function boardRows(total: StatsTotal, mips: number): [string, string, string][] {
  const s = total.stats;
  const steps = s.boardSteps ?? 0;
  return [
    ["instructions retired", String(s.instructions), "RISC-V instructions, all harts and modes"],
    ["  in U mode", String(s.userInstructions ?? 0), "user programs"],
    ["  in S mode", String(s.supervisorInstructions ?? 0), "the kernel"],
    ["  in M mode", String(s.machineInstructions ?? 0), "machine mode (start-up, timer traps)"],
    ["board steps", String(steps), "ticks of the board's 10 MHz clock, one a hart step"],
    ["board time", `${(steps / TIMEBASE_HZ).toFixed(2)} s`, "the guest's own clock (mtime)"],
    [
      "nominal time",
      `${(steps / NOMINAL_STEPS_PER_SECOND).toFixed(2)} s`,
      "board steps / 10^9, as --timeout and grade count",
    ],
    ["regions compiled", String(s.regionsCompiled ?? 0), "code pages translated to WebAssembly"],
    ["regions shared", String(s.regionsShared ?? 0), "translations one hart took from another"],
    ["interpreted", String(s.interpreted ?? 0), "instructions not run as translated code"],
    ["run time", `${total.runSeconds.toFixed(2)} s`, "host time spent running the board"],
    ["MIPS", mips.toFixed(1), "instructions retired / run time, in millions"],
    ["wall time", `${total.seconds.toFixed(2)} s`, "boot to exit, waiting for input included"],
  ];
}

/** The --stats table as text: a title line, then one line per row. */
export function statsTable(total: StatsTotal): string {
  const rows = statsRows(total);
  const w = Math.max(...rows.map((r) => r[1].length));
  return "xv6lazy stats:\n" +
    rows.map(([k, v, what]) => `  ${k.padEnd(28)}${v.padStart(w)}  ${what}\n`).join("");
}

/** Print the --stats table on stderr. */
export function printStats(total: StatsTotal): void {
  writeErr(statsTable(total));
}
