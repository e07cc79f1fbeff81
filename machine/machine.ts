// The computer the kernel runs on: 128 MiB of RAM, one RV64 hart with its Sv39
// MMU and timer, a console and a block device. The kernel is handed one of these.

import { ConsoleDevice } from "./console.ts";
import { Disk } from "./disk.ts";
import { Hart } from "./hart.ts";
import { Ram, RAM_SIZE, stateBytes } from "./ram.ts";

export class Machine {
  readonly ram: Ram;
  readonly hart: Hart;
  readonly disk: Disk;
  readonly console: ConsoleDevice;

  /** Power on: fresh RAM and hart, the given disk image and console. */
  constructor(diskImage: Uint8Array, console: ConsoleDevice) {
    this.ram = new Ram(RAM_SIZE, stateBytes(1));
    this.hart = new Hart(this.ram);
    this.disk = new Disk(diskImage);
    this.console = console;
  }
}
