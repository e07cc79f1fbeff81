// The console: a line discipline over the console device. Typed characters are
// echoed and collected into lines (backspace erases, ^U kills the line, ^D ends
// input, ^P lists processes); read() returns a line at a time.

import type { ConsoleDevice } from "../machine/console.ts";
import { CONSOLE } from "./param.ts";
import { devsw } from "./file.ts";
import { copyin, copyout } from "./vm.ts";
import { anysleeping, type KGen, myproc, procdump, sleep, wakeup } from "./proc.ts";

const INPUT_BUF = 128;
const ctrl = (c: string) => c.charCodeAt(0) - 64;
const BACKSPACE = 0x100;

/** The console's input state: a circular buffer with read, write and edit indexes. */
const cons = {
  device: null as unknown as ConsoleDevice,
  buf: new Uint8Array(INPUT_BUF),
  r: 0, // read index
  w: 0, // write index: end of the last complete line
  e: 0, // edit index
};

/** Attach the console to a device and register it as device CONSOLE. */
export function consoleinit(device: ConsoleDevice): void {
  cons.device = device;
  cons.r = cons.w = cons.e = 0;
  devsw[CONSOLE] = { read: consoleread, write: consolewrite };
}

/** Kernel printf: write a message straight to the console device. */
export function kprintf(s: string): void {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  cons.device.write(b);
}

/** Echo one character (BACKSPACE erases the last one on the screen). */
function consputc(c: number): void {
  if (c === BACKSPACE) cons.device.write(Uint8Array.of(8, 0x20, 8));
  else cons.device.write(Uint8Array.of(c));
}

/** write() on the console: copy the user's bytes out to the device. */
function consolewrite(src: number, n: number): number {
  const b = new Uint8Array(Math.max(0, n));
  if (copyin(myproc().pagetable, b, src) < 0) return -1;
  cons.device.write(b);
  return n;
}

/** read() on the console: wait for a line, copy up to n bytes of it; 0 at ^D. */
function* consoleread(dst: number, n: number): KGen<number> {
  const target = n;
  let c = 0;
  while (n > 0) {
    while (cons.r === cons.w) {
      if (myproc().killed) return -1;
      yield* sleep(cons);
    }
    c = cons.buf[cons.r++ % INPUT_BUF];
    if (c === ctrl("D")) {
      if (n < target) cons.r--; // keep ^D for the next read, so it returns 0
      break;
    }
    if (copyout(myproc().pagetable, dst++, Uint8Array.of(c)) < 0) break;
    n--;
    if (c === 10) break;
  }
  return target - n;
}

/** One typed character: edit the line buffer, echo, and wake readers at end of line. */
export function consoleintr(c: number): void {
  if (c === ctrl("P")) {
    procdump(kprintf);
  } else if (c === ctrl("U")) {
    while (cons.e !== cons.w && cons.buf[(cons.e - 1) % INPUT_BUF] !== 10) {
      cons.e--;
      consputc(BACKSPACE);
    }
  } else if (c === ctrl("H") || c === 0x7f) {
    if (cons.e !== cons.w) {
      cons.e--;
      consputc(BACKSPACE);
    }
  } else if (c !== 0 && cons.e - cons.r < INPUT_BUF) {
    if (c === 13) c = 10;
    if (c !== ctrl("D")) consputc(c);
    cons.buf[cons.e++ % INPUT_BUF] = c;
    if (c === 10 || c === ctrl("D") || cons.e - cons.r === INPUT_BUF) {
      cons.w = cons.e;
      wakeup(cons);
    }
  }
}

/** Whether some process sleeps in console read (so typed input would be taken). */
export function consolewaiting(): boolean {
  return anysleeping(cons);
}

/**
 * Deliver host input the way a person types: only while some process waits in
 * console read with no complete line buffered, and one line at a time.
 */
export function consolepoll(): void {
  if (cons.r !== cons.w || !anysleeping(cons)) return;
  while (cons.device.hasInput() && cons.r === cons.w) consoleintr(cons.device.getc());
}
