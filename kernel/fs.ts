// The file system proper, in xv6's layers above the buffer cache and the log:
// block allocation (balloc/bfree), inodes (the in-memory table, ialloc, iget, ilock,
// iput, itrunc, bmap), inode contents (readi/writei), directories (dirlookup,
// dirlink) and path names (namei, nameiparent).
//
// An inode's lock only marks "loaded from disk and in use by this system call": the
// kernel never sleeps while holding one, so locking a locked inode is a bug.

import { BSIZE } from "../machine/disk.ts";
import { bread, brelse } from "./bio.ts";
import { begin_op, end_op, initlog, log_write } from "./log.ts";
import { NINODE, ROOTDEV } from "./param.ts";
import { myproc } from "./proc.ts";
import { copyin, copyout } from "./vm.ts";
import { fileinit } from "./file.ts";
import {
  BBLOCK,
  BPB,
  decodeDinode,
  decodeDirent,
  decodeSuperblock,
  dinodeOffset,
  DIRENT_SIZE,
  DIRSIZ,
  encodeDinode,
  encodeDirent,
  FSMAGIC,
  IBLOCK,
  MAXFILE,
  namecmp,
  NDIRECT,
  NINDIRECT,
  ROOTINO,
  type SuperBlock,
  T_DIR,
} from "./fslayout.ts";

/** An in-memory inode: xv6's struct inode. */
export class Inode {
  dev = 0;
  inum = 0;
  ref = 0; // references from the kernel (open files, cwd, path walks)
  locked = false; // held by the running system call (ilock .. iunlock)
  valid = false; // the fields below have been read from disk
  type = 0;
  major = 0;
  minor = 0;
  nlink = 0;
  size = 0;
  addrs: number[] = new Array(NDIRECT + 1).fill(0);
}

/** What fstat reports: xv6's struct stat. */
export interface Stat {
  dev: number;
  ino: number;
  type: number;
  nlink: number;
  size: number;
}

let sb: SuperBlock = decodeSuperblock(new Uint8Array(32));

/** The table of active inodes (NINODE entries). */
export const itable: Inode[] = [];

/** Forget every in-memory inode (fresh boot, or a test's reboot). */
export function resetFs(): void {
  itable.length = 0;
  for (let i = 0; i < NINODE; i++) itable.push(new Inode());
}
resetFs();

/** The superblock of the mounted file system. */
export function superblock(): SuperBlock {
  return sb;
}

/** Mount the file system on dev: read and check the superblock, recover the log. */
export function fsinit(dev: number): void {
  resetFs();
  fileinit(); // a fresh boot has no open files either (several boots may share one host process)
  const bp = bread(dev, 1);
  sb = decodeSuperblock(bp.data);
  brelse(bp);
  if (sb.magic !== FSMAGIC) throw new Error("panic: invalid file system");
  if (sb.size < 2 || sb.logstart < 2 || sb.bmapstart <= sb.inodestart) {
    throw new Error("panic: invalid file system superblock");
  }
  initlog(dev, sb);
}

// ---- Blocks ----

/** Zero a block (inside a transaction). */
function bzero(dev: number, bno: number): void {
  const bp = bread(dev, bno);
  bp.data.fill(0);
  log_write(bp);
  brelse(bp);
}

/** Allocate a zeroed disk block; 0 if the disk is full. */
export function balloc(dev: number): number {
  for (let b = 0; b < sb.size; b += BPB) {
    const bp = bread(dev, BBLOCK(b, sb));
    for (let bi = 0; bi < BPB && b + bi < sb.size; bi++) {
      const m = 1 << (bi % 8);
      if ((bp.data[bi >> 3] & m) === 0) {
        bp.data[bi >> 3] |= m;
        log_write(bp);
        brelse(bp);
        bzero(dev, b + bi);
        return b + bi;
      }
    }
    brelse(bp);
  }
  return 0;
}

/** Mark a disk block free in the bitmap. */
export function bfree(dev: number, b: number): void {
  const bp = bread(dev, BBLOCK(b, sb));
  const bi = b % BPB;
  const m = 1 << (bi % 8);
  if ((bp.data[bi >> 3] & m) === 0) throw new Error("panic: freeing free block");
  bp.data[bi >> 3] &= ~m;
  log_write(bp);
  brelse(bp);
}

// ---- Inodes ----

/** Allocate a fresh on-disk inode of the given type; null when none is free. */
export function ialloc(dev: number, type: number): Inode | null {
  for (let inum = 1; inum < sb.ninodes; inum++) {
    const bp = bread(dev, IBLOCK(inum, sb));
    const off = dinodeOffset(inum);
    const d = decodeDinode(bp.data, off);
    if (d.type === 0) {
      bp.data.fill(0, off, off + 64);
      encodeDinode(
        { type, major: 0, minor: 0, nlink: 0, size: 0, addrs: [] },
        bp.data,
        off,
      );
      log_write(bp);
      brelse(bp);
      return iget(dev, inum);
    }
    brelse(bp);
  }
  return null;
}

/** Write an in-memory inode's fields back to its disk block (inside a transaction). */
export function iupdate(ip: Inode): void {
  const bp = bread(ip.dev, IBLOCK(ip.inum, sb));
  encodeDinode(ip, bp.data, dinodeOffset(ip.inum));
  log_write(bp);
  brelse(bp);
}

/** Find or make the table entry for inode inum, with one more reference; not locked or read. */
export function iget(dev: number, inum: number): Inode {
  let empty: Inode | null = null;
  for (const ip of itable) {
    if (ip.ref > 0 && ip.dev === dev && ip.inum === inum) {
      ip.ref++;
      return ip;
    }
    if (empty === null && ip.ref === 0) empty = ip;
  }
  if (empty === null) throw new Error("panic: iget: no inodes");
  empty.dev = dev;
  empty.inum = inum;
  empty.ref = 1;
  empty.valid = false;
  empty.locked = false;
  return empty;
}

/** Take another reference to ip (open file dup, cwd copy). */
export function idup(ip: Inode): Inode {
  ip.ref++;
  return ip;
}

/** Lock ip for this system call, reading it from disk if needed. */
export function ilock(ip: Inode): void {
  if (ip.ref < 1) throw new Error("panic: ilock");
  if (ip.locked) throw new Error("panic: ilock: already locked");
  ip.locked = true;
  if (!ip.valid) {
    if (ip.inum < 1 || ip.inum >= sb.ninodes) {
      throw new Error(`panic: ilock: inode ${ip.inum} out of range`);
    }
    const bp = bread(ip.dev, IBLOCK(ip.inum, sb));
    const d = decodeDinode(bp.data, dinodeOffset(ip.inum));
    brelse(bp);
    ip.type = d.type;
    ip.major = d.major;
    ip.minor = d.minor;
    ip.nlink = d.nlink;
    ip.size = d.size;
    ip.addrs = d.addrs;
    ip.valid = true;
    if (ip.type === 0) throw new Error("panic: ilock: no type");
  }
}

/** Release the lock taken by ilock. */
export function iunlock(ip: Inode): void {
  if (!ip.locked || ip.ref < 1) throw new Error("panic: iunlock");
  ip.locked = false;
}

/** Drop a reference; the last reference to an unlinked inode frees it on disk (in a transaction). */
export function iput(ip: Inode): void {
  if (ip.ref < 1) throw new Error("panic: iput");
  if (ip.ref === 1 && ip.valid && ip.nlink === 0) {
    // No one else holds it, so no one else can have it locked.
    if (ip.locked) throw new Error("panic: iput: locked");
    ip.locked = true;
    itrunc(ip);
    ip.type = 0;
    iupdate(ip);
    ip.valid = false;
    ip.locked = false;
  }
  ip.ref--;
}

/** iunlock then iput. */
export function iunlockput(ip: Inode): void {
  iunlock(ip);
  iput(ip);
}

/** Disk address of block bn of ip, allocating it if absent; 0 if the disk is full. */
function bmap(ip: Inode, bn: number): number {
  if (bn < NDIRECT) {
    let addr = ip.addrs[bn];
    if (addr === 0) {
      addr = balloc(ip.dev);
      if (addr === 0) return 0;
      ip.addrs[bn] = addr;
    }
    return addr;
  }
  bn -= NDIRECT;
  if (bn < NINDIRECT) {
    let ind = ip.addrs[NDIRECT];
    if (ind === 0) {
      ind = balloc(ip.dev);
      if (ind === 0) return 0;
      ip.addrs[NDIRECT] = ind;
    }
    const bp = bread(ip.dev, ind);
    const v = new DataView(bp.data.buffer, bp.data.byteOffset, BSIZE);
    let addr = v.getUint32(bn * 4, true);
    if (addr === 0) {
      addr = balloc(ip.dev);
      if (addr !== 0) {
        v.setUint32(bn * 4, addr, true);
        log_write(bp);
      }
    }
    brelse(bp);
    return addr;
  }
  throw new Error("panic: bmap: out of range");
}

/** Free every data block of ip (and its indirect block) and set its size to 0. */
export function itrunc(ip: Inode): void {
  for (let i = 0; i < NDIRECT; i++) {
    if (ip.addrs[i] !== 0) {
      bfree(ip.dev, ip.addrs[i]);
      ip.addrs[i] = 0;
    }
  }
  if (ip.addrs[NDIRECT] !== 0) {
    const bp = bread(ip.dev, ip.addrs[NDIRECT]);
    const v = new DataView(bp.data.buffer, bp.data.byteOffset, BSIZE);
    for (let j = 0; j < NINDIRECT; j++) {
      const a = v.getUint32(j * 4, true);
      if (a !== 0) bfree(ip.dev, a);
    }
    brelse(bp);
    bfree(ip.dev, ip.addrs[NDIRECT]);
    ip.addrs[NDIRECT] = 0;
  }
  ip.size = 0;
  iupdate(ip);
}

/** The stat fields of a locked inode. */
export function stati(ip: Inode): Stat {
  return { dev: ip.dev, ino: ip.inum, type: ip.type, nlink: ip.nlink, size: ip.size };
}

/** Copy bytes to a user address (number, in myproc()'s page table) or a kernel buffer at index at. */
function either_copyout(dst: number | Uint8Array, at: number, src: Uint8Array): boolean {
  if (typeof dst === "number") return copyout(myproc().pagetable, dst + at, src) === 0;
  dst.set(src, at);
  return true;
}

/** Fill dst from a user address (number) or a kernel buffer at index at. */
function either_copyin(dst: Uint8Array, src: number | Uint8Array, at: number): boolean {
  if (typeof src === "number") return copyin(myproc().pagetable, dst, src + at) === 0;
  dst.set(src.subarray(at, at + dst.length));
  return true;
}

/** Read up to n bytes at offset off of locked ip into dst; bytes read, or -1 on a bad address. */
export function readi(ip: Inode, dst: number | Uint8Array, off: number, n: number): number {
  if (off > ip.size || n < 0) return 0;
  if (off + n > ip.size) n = ip.size - off;
  let tot = 0;
  while (tot < n) {
    const addr = bmap(ip, Math.floor(off / BSIZE));
    if (addr === 0) break;
    const bp = bread(ip.dev, addr);
    const m = Math.min(n - tot, BSIZE - (off % BSIZE));
    const ok = either_copyout(dst, tot, bp.data.subarray(off % BSIZE, off % BSIZE + m));
    brelse(bp);
    if (!ok) return -1;
    tot += m;
    off += m;
  }
  return tot;
}

/**
 * Write n bytes from src at offset off of locked ip (inside a transaction), growing
 * the file; bytes written (short if the disk fills), -1 if none could be or on a bad address.
 */
export function writei(ip: Inode, src: number | Uint8Array, off: number, n: number): number {
  if (off > ip.size || n < 0) return -1;
  if (off + n > MAXFILE * BSIZE) return -1;
  let tot = 0;
  let bad = false;
  while (tot < n) {
    const addr = bmap(ip, Math.floor(off / BSIZE));
    if (addr === 0) break;
    const m = Math.min(n - tot, BSIZE - (off % BSIZE));
    const tmp = new Uint8Array(m);
    if (!either_copyin(tmp, src, tot)) {
      bad = true;
      break;
    }
    const bp = bread(ip.dev, addr);
    bp.data.set(tmp, off % BSIZE);
    log_write(bp);
    brelse(bp);
    tot += m;
    off += m;
  }
  if (off > ip.size) ip.size = off;
  // Write the inode back even if the size did not change: bmap may have added blocks.
  iupdate(ip);
  if (bad || (tot === 0 && n > 0)) return -1;
  return tot;
}

// ---- Directories ----

/** Look name up in directory dp (locked); the entry's byte offset goes to poff. */
export function dirlookup(dp: Inode, name: string, poff?: { off: number }): Inode | null {
  if (dp.type !== T_DIR) throw new Error("panic: dirlookup not DIR");
  const buf = new Uint8Array(DIRENT_SIZE);
  for (let off = 0; off < dp.size; off += DIRENT_SIZE) {
    if (readi(dp, buf, off, DIRENT_SIZE) !== DIRENT_SIZE) throw new Error("panic: dirlookup read");
    const de = decodeDirent(buf);
    if (de.inum === 0) continue;
    if (namecmp(name, de.name)) {
      if (poff) poff.off = off;
      return iget(dp.dev, de.inum);
    }
  }
  return null;
}

/** Add entry (name, inum) to directory dp (locked); -1 if name exists or the write fails. */
export function dirlink(dp: Inode, name: string, inum: number): number {
  const ip = dirlookup(dp, name);
  if (ip !== null) {
    iput(ip);
    return -1;
  }
  const buf = new Uint8Array(DIRENT_SIZE);
  let off = 0;
  for (; off < dp.size; off += DIRENT_SIZE) {
    if (readi(dp, buf, off, DIRENT_SIZE) !== DIRENT_SIZE) throw new Error("panic: dirlink read");
    if (decodeDirent(buf).inum === 0) break;
  }
  encodeDirent({ inum, name: name.slice(0, DIRSIZ) }, buf);
  if (writei(dp, buf, off, DIRENT_SIZE) !== DIRENT_SIZE) return -1;
  return 0;
}

// ---- Path names ----

/** Split off the first element of path: [name truncated to DIRSIZ, rest], or null if none. */
export function skipelem(path: string): [string, string] | null {
  let i = 0;
  while (i < path.length && path[i] === "/") i++;
  if (i === path.length) return null;
  const start = i;
  while (i < path.length && path[i] !== "/") i++;
  const name = path.slice(start, Math.min(i, start + DIRSIZ));
  while (i < path.length && path[i] === "/") i++;
  return [name, path.slice(i)];
}

/** Walk path from / or the cwd; with parent, stop one level early and also return the last name. */
function namex(path: string, parent: boolean): { ip: Inode; name: string } | null {
  let ip: Inode;
  if (path.startsWith("/")) ip = iget(ROOTDEV, ROOTINO);
  else {
    const cwd = myproc().cwd;
    if (cwd === null) throw new Error("panic: namex: no cwd");
    ip = idup(cwd);
  }
  let name = "";
  for (let r = skipelem(path); r !== null; r = skipelem(path)) {
    [name, path] = r;
    ilock(ip);
    if (ip.type !== T_DIR) {
      iunlockput(ip);
      return null;
    }
    if (parent && path === "") {
      iunlock(ip);
      return { ip, name };
    }
    const next = dirlookup(ip, name);
    if (next === null) {
      iunlockput(ip);
      return null;
    }
    iunlockput(ip);
    ip = next;
  }
  if (parent) {
    iput(ip);
    return null;
  }
  return { ip, name };
}

/** The inode named by path (referenced, unlocked), or null. Call inside a transaction. */
export function namei(path: string): Inode | null {
  return namex(path, false)?.ip ?? null;
}

/** The directory holding path's last element, and that element's name; null if none. */
export function nameiparent(path: string): { ip: Inode; name: string } | null {
  return namex(path, true);
}

/** Run fn inside one file-system transaction (convenience for kernel code and tests). */
export function transaction<T>(fn: () => T): T {
  begin_op();
  const r = fn();
  end_op();
  return r;
}
