// Buffer cache: NBUF in-memory copies of disk blocks, so that a block is read from
// the disk once while in use and every user of a block sees the same copy.
//
// The disk is synchronous and the kernel is not preemptive, so a buffer needs no
// sleep-lock: bread hands back the cached buffer with its reference count raised,
// brelse drops it. Buffers with refcnt 0 are recycled least recently used first.

import { BSIZE, Disk } from "../machine/disk.ts";
import { NBUF } from "./param.ts";

/** One cached block: xv6's struct buf. */
export class Buf {
  valid = false; // data holds the block's contents
  dev = -1;
  blockno = -1;
  refcnt = 0;
  readonly data = new Uint8Array(BSIZE);
}

interface Bcache {
  disk: Disk | null;
  // Most recently used at the end; the first unreferenced entry is the victim.
  lru: Buf[];
}

const bcache: Bcache = { disk: null, lru: [] };

/** Start a fresh cache of NBUF empty buffers over disk (forgets any earlier cache). */
export function binit(disk: Disk): void {
  bcache.disk = disk;
  bcache.lru = Array.from({ length: NBUF }, () => new Buf());
}

/** The disk the cache sits on (for mkfs checks and tests). */
export function bdisk(): Disk {
  if (bcache.disk === null) throw new Error("panic: bio: binit not called");
  return bcache.disk;
}

/** Find blockno in the cache, or take over the least recently used free buffer. */
function bget(dev: number, blockno: number): Buf {
  for (const b of bcache.lru) {
    if (b.dev === dev && b.blockno === blockno) {
      b.refcnt++;
      return b;
    }
  }
  for (const b of bcache.lru) {
    if (b.refcnt === 0) {
      b.dev = dev;
      b.blockno = blockno;
      b.valid = false;
      b.refcnt = 1;
      return b;
    }
  }
  throw new Error("panic: bget: no buffers");
}

/** Return a referenced buffer holding the contents of the block. */
export function bread(dev: number, blockno: number): Buf {
  const b = bget(dev, blockno);
  if (!b.valid) {
    bdisk().read(blockno, b.data);
    b.valid = true;
  }
  return b;
}

/** Write a buffer's contents to its disk block. */
export function bwrite(b: Buf): void {
  if (b.refcnt < 1) throw new Error("panic: bwrite");
  bdisk().write(b.blockno, b.data);
}

/** Drop a reference; an unreferenced buffer moves to the most-recently-used end. */
export function brelse(b: Buf): void {
  if (b.refcnt < 1) throw new Error("panic: brelse");
  b.refcnt--;
  if (b.refcnt === 0) {
    const i = bcache.lru.indexOf(b);
    bcache.lru.splice(i, 1);
    bcache.lru.push(b);
  }
}

/** Keep a buffer in the cache (the log pins blocks until they are installed). */
export function bpin(b: Buf): void {
  b.refcnt++;
}

/** Undo bpin. */
export function bunpin(b: Buf): void {
  if (b.refcnt < 1) throw new Error("panic: bunpin");
  b.refcnt--;
}
