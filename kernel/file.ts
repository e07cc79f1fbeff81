// Open files: the system-wide file table (NFILE entries) that file descriptors point
// into, and the generic read/write/stat/close that dispatch on the kind of file
// (pipe, inode, or device through devsw).

import { BSIZE } from "../machine/disk.ts";
import { begin_op, end_op } from "./log.ts";
import { ilock, type Inode, iput, iunlock, readi, stati, writei } from "./fs.ts";
import { MAXOPBLOCKS, NDEV, NFILE } from "./param.ts";
import { type Pipe, pipeclose, piperead, pipewrite } from "./pipe.ts";
import { type KGen, myproc } from "./proc.ts";
import { copyout } from "./vm.ts";

export type FileType = "none" | "pipe" | "inode" | "device";

/** An open file: xv6's struct file. */
export class File {
  type: FileType = "none";
  ref = 0; // reference count (descriptors and dups pointing here)
  readable = false;
  writable = false;
  pipe: Pipe | null = null; // type "pipe"
  ip: Inode | null = null; // types "inode" and "device"
  off = 0; // type "inode"
  major = 0; // type "device"
}

/** A device driver's entry points, indexed by major number in devsw. */
export interface DevSw {
  read: (dst: number, n: number) => KGen<number>;
  write: (src: number, n: number) => number;
}

/** Device switch: the console registers devsw[CONSOLE]. */
export const devsw: DevSw[] = new Array(NDEV);

/** The system-wide open-file table. */
export const ftable: File[] = [];

/** Empty the file table (fresh boot). */
export function fileinit(): void {
  ftable.length = 0;
  for (let i = 0; i < NFILE; i++) ftable.push(new File());
}
fileinit();

/** Allocate a file structure with one reference; null if the table is full. */
export function filealloc(): File | null {
  for (const f of ftable) {
    if (f.ref === 0) {
      f.ref = 1;
      return f;
    }
  }
  return null;
}

/** Add a reference to f (dup, fork). */
export function filedup(f: File): File {
  if (f.ref < 1) throw new Error("panic: filedup");
  f.ref++;
  return f;
}

/** Drop a reference; the last one releases the pipe end or the inode. */
export function fileclose(f: File): void {
  if (f.ref < 1) throw new Error("panic: fileclose");
  if (--f.ref > 0) return;
  const { type, pipe, ip, writable } = f;
  f.type = "none";
  f.pipe = null;
  f.ip = null;
  f.off = 0;
  f.readable = f.writable = false;
  if (type === "pipe" && pipe !== null) {
    pipeclose(pipe, writable);
  } else if ((type === "inode" || type === "device") && ip !== null) {
    begin_op();
    iput(ip);
    end_op();
  }
}

/** The 24-byte struct stat {int dev; uint ino; short type; short nlink; uint64 size}. */
export function encodeStat(
  st: { dev: number; ino: number; type: number; nlink: number; size: number },
): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setInt32(0, st.dev, true);
  v.setUint32(4, st.ino >>> 0, true);
  v.setInt16(8, st.type, true);
  v.setInt16(10, st.nlink, true);
  v.setUint32(16, st.size >>> 0, true);
  v.setUint32(20, Math.floor(st.size / 0x1_0000_0000), true);
  return b;
}

/** Copy f's metadata as a struct stat to user address addr; 0, or -1 on failure. */
export function filestat(f: File, addr: number): number {
  if ((f.type !== "inode" && f.type !== "device") || f.ip === null) return -1;
  ilock(f.ip);
  const st = stati(f.ip);
  iunlock(f.ip);
  return copyout(myproc().pagetable, addr, encodeStat(st)) === 0 ? 0 : -1;
}

/** Read up to n bytes from f to user address addr; may block (pipes, devices). */
export function* fileread(f: File, addr: number, n: number): KGen<number> {
  if (!f.readable) return -1;
  if (f.type === "pipe" && f.pipe !== null) return yield* piperead(f.pipe, addr, n);
  if (f.type === "device") {
    const dev = f.major >= 0 && f.major < NDEV ? devsw[f.major] : undefined;
    if (!dev) return -1;
    return yield* dev.read(addr, n);
  }
  if (f.type === "inode" && f.ip !== null) {
    ilock(f.ip);
    const r = readi(f.ip, addr, f.off, n);
    if (r > 0) f.off += r;
    iunlock(f.ip);
    return r;
  }
  throw new Error("panic: fileread");
}

/** Write n bytes from user address addr to f; n, or -1 if not all could be written. */
export function* filewrite(f: File, addr: number, n: number): KGen<number> {
  if (!f.writable) return -1;
  if (f.type === "pipe" && f.pipe !== null) return yield* pipewrite(f.pipe, addr, n);
  if (f.type === "device") {
    const dev = f.major >= 0 && f.major < NDEV ? devsw[f.major] : undefined;
    if (!dev) return -1;
    return dev.write(addr, n);
  }
  if (f.type === "inode" && f.ip !== null) {
    // Each chunk is its own transaction: inode, indirect block, bitmap and the
    // data blocks of a chunk (counted twice for unaligned writes) must fit in
    // MAXOPBLOCKS log blocks.
    const max = Math.floor((MAXOPBLOCKS - 1 - 1 - 2) / 2) * BSIZE;
    let i = 0;
    while (i < n) {
      const n1 = Math.min(n - i, max);
      begin_op();
      ilock(f.ip);
      const r = writei(f.ip, addr + i, f.off, n1);
      if (r > 0) f.off += r;
      iunlock(f.ip);
      end_op();
      if (r !== n1) break; // error or disk full
      i += r;
    }
    return i === n ? n : -1;
  }
  throw new Error("panic: filewrite");
}
