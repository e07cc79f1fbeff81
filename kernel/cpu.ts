// The machine as the kernel sees it: the RAM and the one hart it runs user code on.

import type { Hart } from "../machine/hart.ts";
import type { Ram } from "../machine/ram.ts";

export const cpu = {
  ram: null as unknown as Ram,
  hart: null as unknown as Hart,
};

/** Attach the kernel to a machine (at boot). */
export function cpuinit(ram: Ram, hart: Hart): void {
  cpu.ram = ram;
  cpu.hart = hart;
}

/** Flush the hart's cached translations after a page-table change. */
export function sfence_vma(): void {
  cpu.hart.sfenceVma();
}
