// The on-disk format of xv6's file system: constants, the superblock, dinodes and
// directory entries, with little-endian encode/decode helpers shared by the kernel
// and mkfs.
//
// Disk layout (blocks):
// [ boot | superblock | log header + log data | inode blocks | free bitmap | data ]

import { BSIZE } from "../machine/disk.ts";

export { BSIZE };

export const FSMAGIC = 0x10203040;
export const ROOTINO = 1; // inode number of "/"
export const NDIRECT = 12; // direct block addresses in an inode
export const NINDIRECT = BSIZE / 4; // addresses in the single indirect block
export const MAXFILE = NDIRECT + NINDIRECT; // largest file, in blocks
export const DINODE_SIZE = 64; // bytes per on-disk inode
export const IPB = BSIZE / DINODE_SIZE; // inodes per block
export const BPB = BSIZE * 8; // bitmap bits per block
export const DIRSIZ = 14; // longest name in a directory entry
export const DIRENT_SIZE = 2 + DIRSIZ; // bytes per directory entry

// Inode types (also struct stat's type field).
export const T_DIR = 1;
export const T_FILE = 2;
export const T_DEVICE = 3;

/** xv6's struct superblock (block 1), all fields uint32. */
export interface SuperBlock {
  magic: number;
  size: number; // image size in blocks
  nblocks: number; // data blocks
  ninodes: number;
  nlog: number; // log blocks (header included)
  logstart: number;
  inodestart: number;
  bmapstart: number;
}

const SB_FIELDS = [
  "magic",
  "size",
  "nblocks",
  "ninodes",
  "nlog",
  "logstart",
  "inodestart",
  "bmapstart",
] as const;

/** Little-endian view of a block, for field access. */
function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Decode the superblock from the first 32 bytes of block 1's contents. */
export function decodeSuperblock(b: Uint8Array): SuperBlock {
  const v = view(b);
  const sb = {} as SuperBlock;
  SB_FIELDS.forEach((f, i) => (sb[f] = v.getUint32(i * 4, true)));
  return sb;
}

/** Encode sb into the first 32 bytes of b. */
export function encodeSuperblock(sb: SuperBlock, b: Uint8Array): void {
  const v = view(b);
  SB_FIELDS.forEach((f, i) => v.setUint32(i * 4, sb[f] >>> 0, true));
}

/** Block holding inode inum. */
export function IBLOCK(inum: number, sb: SuperBlock): number {
  return Math.floor(inum / IPB) + sb.inodestart;
}

/** Bitmap block holding the free bit of block b. */
export function BBLOCK(b: number, sb: SuperBlock): number {
  return Math.floor(b / BPB) + sb.bmapstart;
}

/** xv6's struct dinode in host form. */
export interface Dinode {
  type: number;
  major: number;
  minor: number;
  nlink: number;
  size: number;
  addrs: number[]; // NDIRECT + 1 entries
}

/** Decode the dinode at byte offset off of a block. */
export function decodeDinode(b: Uint8Array, off: number): Dinode {
  const v = view(b);
  const addrs: number[] = [];
  for (let i = 0; i <= NDIRECT; i++) addrs.push(v.getUint32(off + 12 + 4 * i, true));
  return {
    type: v.getInt16(off, true),
    major: v.getInt16(off + 2, true),
    minor: v.getInt16(off + 4, true),
    nlink: v.getInt16(off + 6, true),
    size: v.getUint32(off + 8, true),
    addrs,
  };
}

/** Encode d at byte offset off of a block. */
export function encodeDinode(d: Dinode, b: Uint8Array, off: number): void {
  const v = view(b);
  v.setInt16(off, d.type, true);
  v.setInt16(off + 2, d.major, true);
  v.setInt16(off + 4, d.minor, true);
  v.setInt16(off + 6, d.nlink, true);
  v.setUint32(off + 8, d.size >>> 0, true);
  for (let i = 0; i <= NDIRECT; i++) v.setUint32(off + 12 + 4 * i, (d.addrs[i] ?? 0) >>> 0, true);
}

/** Offset of inode inum inside its block. */
export function dinodeOffset(inum: number): number {
  return (inum % IPB) * DINODE_SIZE;
}

/** A directory entry: inum 0 marks a free slot; name is a binary string of <= DIRSIZ bytes. */
export interface Dirent {
  inum: number;
  name: string;
}

/** Decode a 16-byte dirent from b at off (the name stops at the first NUL). */
export function decodeDirent(b: Uint8Array, off = 0): Dirent {
  const inum = b[off] | (b[off + 1] << 8);
  let name = "";
  for (let i = 0; i < DIRSIZ; i++) {
    const c = b[off + 2 + i];
    if (c === 0) break;
    name += String.fromCharCode(c);
  }
  return { inum, name };
}

/** Encode a dirent into b at off, truncating the name to DIRSIZ and NUL-padding it. */
export function encodeDirent(de: Dirent, b: Uint8Array, off = 0): void {
  b[off] = de.inum & 0xff;
  b[off + 1] = (de.inum >> 8) & 0xff;
  for (let i = 0; i < DIRSIZ; i++) {
    b[off + 2 + i] = i < de.name.length ? de.name.charCodeAt(i) & 0xff : 0;
  }
}

/** Compare two names the way xv6's namecmp does: only the first DIRSIZ bytes count. */
export function namecmp(a: string, b: string): boolean {
  return a.slice(0, DIRSIZ) === b.slice(0, DIRSIZ);
}
