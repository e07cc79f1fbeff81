// The clock: ticks counted by timer interrupts that the hart raises every TICK
// units of time, so time is deterministic. A unit is one retired user instruction;
// the kernel's own work is charged too (TRAP_COST per trap), as a real kernel's
// instructions would take time, so a process that only makes system calls still
// sees the clock move at a realistic pace.

import { cpu } from "./cpu.ts";
import { wakeup } from "./proc.ts";

/** Instructions per timer tick (one scheduling quantum). */
export const TICK = 100_000;

/** Time charged for the kernel's handling of one trap (about what xv6's trap path executes). */
export const TRAP_COST = 100;

/** The channel sleep() waits on for ticks to change. */
export const tickschan = { name: "ticks" };

export const clock = { ticks: 0 };

/** Reset the clock at boot and arm the first timer interrupt. */
export function clockinit(): void {
  clock.ticks = 0;
  cpu.hart.timecmp = cpu.hart.instret + TICK;
}

/** A timer interrupt: advance ticks, wake sleepers, and arm the next interrupt. */
export function clockintr(): void {
  clock.ticks++;
  wakeup(tickschan);
  cpu.hart.timecmp = cpu.hart.instret + TICK;
}

/** Charge n units of kernel work to the clock: the next timer interrupt comes that much sooner. */
export function charge(n: number): void {
  cpu.hart.timecmp -= n;
}
