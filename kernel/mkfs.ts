// mkfs: build an xv6 file-system image in memory (the host-side tool of xv6, in TS),
// and checkImage: a sanity check of an image given on the command line.
//
// Layout for the defaults (FSSIZE 2000, 200 inodes):
//   0 boot | 1 superblock | 2..32 log (header + LOGSIZE) | 33..45 inodes | 46 bitmap | 47.. data

import { BSIZE } from "../machine/disk.ts";
import { FSSIZE, LOGSIZE } from "./param.ts";
import {
  BPB,
  decodeDinode,
  decodeSuperblock,
  type Dinode,
  dinodeOffset,
  DIRENT_SIZE,
  DIRSIZ,
  encodeDinode,
  encodeDirent,
  encodeSuperblock,
  FSMAGIC,
  IBLOCK,
  IPB,
  MAXFILE,
  NDIRECT,
  ROOTINO,
  type SuperBlock,
  T_DIR,
  T_FILE,
} from "./fslayout.ts";

export const NINODES = 200;

export interface MkfsOptions {
  size?: number; // blocks in the image (FSSIZE)
  ninodes?: number; // inodes (NINODES)
  nlog?: number; // log blocks including the header (LOGSIZE, as the lab's mkfs writes)
}

/** The superblock mkfs would write for the given options. */
export function mkfsLayout(opts: MkfsOptions = {}): SuperBlock {
  const size = opts.size ?? FSSIZE;
  const ninodes = opts.ninodes ?? NINODES;
  const nlog = opts.nlog ?? LOGSIZE;
  const nbitmap = Math.floor(size / BPB) + 1;
  const ninodeblocks = Math.floor(ninodes / IPB) + 1;
  const nmeta = 2 + nlog + ninodeblocks + nbitmap;
  return {
    magic: FSMAGIC,
    size,
    nblocks: size - nmeta,
    ninodes,
    nlog,
    logstart: 2,
    inodestart: 2 + nlog,
    bmapstart: 2 + nlog + ninodeblocks,
  };
}

/** Build an image holding a root directory with each file in it. Throws on bad input. */
export function mkfs(
  files: { name: string; bytes: Uint8Array }[],
  opts: MkfsOptions = {},
): Uint8Array {
  const sb = mkfsLayout(opts);
  if (sb.nblocks <= 0) throw new Error("mkfs: image too small");
  const img = new Uint8Array(sb.size * BSIZE);
  const block = (b: number) => img.subarray(b * BSIZE, (b + 1) * BSIZE);
  encodeSuperblock(sb, block(1));

  let freeinode = 1;
  let freeblock = sb.size - sb.nblocks; // first data block

  // Allocate an inode number and write a fresh dinode for it.
  const ialloc = (type: number): number => {
    const inum = freeinode++;
    if (inum >= sb.ninodes) throw new Error("mkfs: out of inodes");
    const d: Dinode = { type, major: 0, minor: 0, nlink: 1, size: 0, addrs: [] };
    encodeDinode(d, block(IBLOCK(inum, sb)), dinodeOffset(inum));
    return inum;
  };
  const rinode = (inum: number): Dinode =>
    decodeDinode(block(IBLOCK(inum, sb)), dinodeOffset(inum));
  const winode = (inum: number, d: Dinode) =>
    encodeDinode(d, block(IBLOCK(inum, sb)), dinodeOffset(inum));
  // Take the next data block.
  const newblock = (): number => {
    if (freeblock >= sb.size) throw new Error("mkfs: out of blocks");
    return freeblock++;
  };

  // Append bytes to inode inum, allocating blocks in order.
  const iappend = (inum: number, data: Uint8Array): void => {
    const d = rinode(inum);
    let off = d.size;
    let done = 0;
    while (done < data.length) {
      const fbn = Math.floor(off / BSIZE);
      if (fbn >= MAXFILE) throw new Error("mkfs: file too large");
      let x: number;
      if (fbn < NDIRECT) {
        if (d.addrs[fbn] === 0) d.addrs[fbn] = newblock();
        x = d.addrs[fbn];
      } else {
        if (d.addrs[NDIRECT] === 0) d.addrs[NDIRECT] = newblock();
        const ind = new DataView(img.buffer, d.addrs[NDIRECT] * BSIZE, BSIZE);
        x = ind.getUint32((fbn - NDIRECT) * 4, true);
        if (x === 0) {
          x = newblock();
          ind.setUint32((fbn - NDIRECT) * 4, x, true);
        }
      }
      const n = Math.min(data.length - done, (fbn + 1) * BSIZE - off);
      img.set(data.subarray(done, done + n), x * BSIZE + (off - fbn * BSIZE));
      done += n;
      off += n;
    }
    d.size = off;
    winode(inum, d);
  };
  // Append one directory entry.
  const addent = (dir: number, name: string, inum: number) => {
    const de = new Uint8Array(DIRENT_SIZE);
    encodeDirent({ inum, name }, de);
    iappend(dir, de);
  };

  const rootino = ialloc(T_DIR);
  if (rootino !== ROOTINO) throw new Error("mkfs: root inode is not 1");
  addent(rootino, ".", rootino);
  addent(rootino, "..", rootino);

  const seen = new Set<string>();
  for (const f of files) {
    const name = f.name.replace(/^\/+/, "");
    if (
      name === "" || name.includes("/") || name.length > DIRSIZ || name === "." || name === ".."
    ) {
      throw new Error(`mkfs: bad file name ${JSON.stringify(f.name)}`);
    }
    if (seen.has(name)) throw new Error(`mkfs: duplicate file name ${name}`);
    seen.add(name);
    const inum = ialloc(T_FILE);
    addent(rootino, name, inum);
    iappend(inum, f.bytes);
  }

  // As xv6's mkfs does, round the root directory's size up to a whole block.
  const root = rinode(rootino);
  root.size = (Math.floor(root.size / BSIZE) + 1) * BSIZE;
  winode(rootino, root);

  // Mark the metadata and every used data block in the bitmap.
  if (freeblock > BPB) throw new Error("mkfs: bitmap too small");
  const bmap = block(sb.bmapstart);
  for (let i = 0; i < freeblock; i++) bmap[i >> 3] |= 1 << (i % 8);
  return img;
}

/** Why bytes is not a plausible xv6 file-system image (one line), or null if it is. */
export function checkImage(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length % BSIZE !== 0) {
    return `image size ${bytes.length} is not a positive multiple of ${BSIZE} bytes`;
  }
  const nblk = bytes.length / BSIZE;
  if (nblk < 3) return `image is too small (${nblk} blocks)`;
  const sb = decodeSuperblock(bytes.subarray(BSIZE, 2 * BSIZE));
  if (sb.magic !== FSMAGIC) {
    return `bad superblock magic 0x${sb.magic.toString(16)} (want 0x${FSMAGIC.toString(16)})`;
  }
  if (sb.size > nblk) return `superblock size ${sb.size} exceeds the image's ${nblk} blocks`;
  if (sb.ninodes < 2) return `superblock ninodes ${sb.ninodes} is too small`;
  if (sb.nlog < 2 || sb.logstart < 2) {
    return `bad log area (logstart ${sb.logstart}, nlog ${sb.nlog})`;
  }
  const ninodeblocks = Math.ceil(sb.ninodes / IPB);
  const nbitmap = Math.ceil(sb.size / BPB);
  if (
    sb.inodestart < sb.logstart + sb.nlog ||
    sb.bmapstart < sb.inodestart + ninodeblocks ||
    sb.bmapstart + nbitmap > sb.size ||
    sb.nblocks > sb.size - (sb.bmapstart + nbitmap)
  ) {
    return "superblock fields are inconsistent with each other or with the image size";
  }
  // A log header that recovery would choke on.
  const lh = new DataView(bytes.buffer, bytes.byteOffset + sb.logstart * BSIZE, BSIZE);
  const n = lh.getInt32(0, true);
  if (n < 0 || n > LOGSIZE || n > sb.nlog - 1) return `bad log header (n = ${n})`;
  for (let i = 0; i < n; i++) {
    const b = lh.getInt32(4 + 4 * i, true);
    if (b < 0 || b >= sb.size) return `log header names block ${b}, outside the file system`;
  }
  const root = decodeDinode(
    bytes.subarray(IBLOCK(ROOTINO, sb) * BSIZE, (IBLOCK(ROOTINO, sb) + 1) * BSIZE),
    dinodeOffset(ROOTINO),
  );
  if (root.type !== T_DIR) return `root inode ${ROOTINO} is not a directory (type ${root.type})`;
  for (const a of root.addrs) {
    if (a >= sb.size) return `root inode has block address ${a}, outside the file system`;
  }
  return null;
}
