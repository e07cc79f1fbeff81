// The clock: ticks counted by timer interrupts that the hart raises every TICK
// retired instructions, so time is deterministic.

import { cpu } from "./cpu.ts";
import { wakeup } from "./proc.ts";

/** Instructions per timer tick (one scheduling quantum). */
export const TICK = 100_000;

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
