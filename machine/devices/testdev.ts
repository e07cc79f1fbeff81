// The "test finisher" of QEMU's virt board (SiFive's sifive_test) at VIRT_TEST.
// A bare-metal program ends the simulation by storing a 32-bit word at offset 0:
//
//   0x5555                  pass: power off, exit status 0
//   0x3333 | (code << 16)   fail: power off, exit status `code`
//   0x7777                  reset the machine
//
// Any other value, or a store elsewhere, is ignored; reads return 0. QEMU takes
// 2- and 4-byte accesses here. This project's bare-metal test programs use it to
// report their result; the board decides what "power off" and "reset" mean.

import type { MmioDevice } from "../bus.ts";

export const FINISHER_FAIL = 0x3333;
export const FINISHER_PASS = 0x5555;
export const FINISHER_RESET = 0x7777;

export type FinisherKind = "pass" | "fail" | "reset";

export class TestFinisher implements MmioDevice {
  readonly name = "test";

  /** onFinish hears each recognised command: pass (code 0), fail with its code, or reset. */
  constructor(private readonly onFinish: (kind: FinisherKind, code: number) => void) {}

  /** Whether QEMU would accept this access: 2 or 4 bytes inside the 4 KiB page. */
  accessOk(off: number, size: number): boolean {
    return (size === 2 || size === 4) && off + size <= 0x1000;
  }

  /** Nothing to read. */
  read(_off: number, _size: number): number {
    return 0;
  }

  /** A store at offset 0 is a command: the low half says which, the high half is the code. */
  write(off: number, _size: number, value: number): void {
    if (off !== 0) return;
    const status = value & 0xffff;
    const code = (value >>> 16) & 0xffff;
    if (status === FINISHER_PASS) this.onFinish("pass", 0);
    else if (status === FINISHER_FAIL) this.onFinish("fail", code);
    else if (status === FINISHER_RESET) this.onFinish("reset", 0);
  }
}
