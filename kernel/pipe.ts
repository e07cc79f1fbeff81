// Pipes: a PIPESIZE-byte ring buffer shared by a read-end File and a write-end File.
// Readers sleep while it is empty and a writer remains; writers sleep while it is
// full and a reader remains.

import { type File, filealloc, fileclose } from "./file.ts";
import { PGSIZE } from "./param.ts";
import { type KGen, killed, myproc, sleep, wakeup } from "./proc.ts";
import { copyin, copyout } from "./vm.ts";

export const PIPESIZE = 512;

/** xv6's struct pipe; nread/nwrite count bytes ever read/written. */
export class Pipe {
  readonly data = new Uint8Array(PIPESIZE);
  nread = 0;
  nwrite = 0;
  readopen = true;
  writeopen = true;
  // Sleep channels: readers wait on readchan (xv6's &pi->nread), writers on writechan.
  readonly readchan = {};
  readonly writechan = {};
}

/** Make a pipe and its two files: [read end, write end]; null if no file slots. */
export function pipealloc(): [File, File] | null {
  const f0 = filealloc();
  if (f0 === null) return null;
  const f1 = filealloc();
  if (f1 === null) {
    fileclose(f0);
    return null;
  }
  const pi = new Pipe();
  f0.type = "pipe";
  f0.readable = true;
  f0.writable = false;
  f0.pipe = pi;
  f1.type = "pipe";
  f1.readable = false;
  f1.writable = true;
  f1.pipe = pi;
  return [f0, f1];
}

/** Close one end; wake whoever waits on the other end. */
export function pipeclose(pi: Pipe, writable: boolean): void {
  if (writable) {
    pi.writeopen = false;
    wakeup(pi.readchan);
  } else {
    pi.readopen = false;
    wakeup(pi.writechan);
  }
}

/** Bytes from user address addr that can be moved in one step without crossing a page. */
function pagechunk(addr: number, want: number): number {
  return Math.min(want, PGSIZE - (addr % PGSIZE));
}

/** Write n bytes from user address addr; blocks while full. -1 if the reader left or we were killed. */
export function* pipewrite(pi: Pipe, addr: number, n: number): KGen<number> {
  const p = myproc();
  let i = 0;
  while (i < n) {
    if (!pi.readopen || killed(p)) {
      wakeup(pi.readchan);
      return -1;
    }
    const space = PIPESIZE - (pi.nwrite - pi.nread);
    if (space === 0) {
      wakeup(pi.readchan);
      yield* sleep(pi.writechan);
      continue;
    }
    const at = pi.nwrite % PIPESIZE;
    const m = pagechunk(addr + i, Math.min(n - i, space, PIPESIZE - at));
    const tmp = new Uint8Array(m);
    if (copyin(p.pagetable, tmp, addr + i) !== 0) break; // bad address
    pi.data.set(tmp, at);
    pi.nwrite += m;
    i += m;
  }
  wakeup(pi.readchan);
  return i > 0 || n <= 0 ? i : -1;
}

/** Read up to n bytes to user address addr; blocks while empty and a writer remains; 0 at EOF. */
export function* piperead(pi: Pipe, addr: number, n: number): KGen<number> {
  const p = myproc();
  while (pi.nread === pi.nwrite && pi.writeopen) {
    if (killed(p)) return -1;
    yield* sleep(pi.readchan);
  }
  let i = 0;
  let bad = false;
  while (i < n && pi.nread !== pi.nwrite) {
    const at = pi.nread % PIPESIZE;
    const m = pagechunk(addr + i, Math.min(n - i, pi.nwrite - pi.nread, PIPESIZE - at));
    if (copyout(p.pagetable, addr + i, pi.data.subarray(at, at + m)) !== 0) {
      bad = true;
      break;
    }
    pi.nread += m;
    i += m;
  }
  wakeup(pi.writechan);
  return bad && i === 0 ? -1 : i;
}
