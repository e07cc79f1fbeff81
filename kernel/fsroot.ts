// Read-only look at an xv6 file-system image from the host: the names in its root
// directory and the bytes of a root-directory file. The CLI uses it to tell an
// unknown program from a known one before booting, and to see whether an image's
// /init is xv6lazy's own (which understands run mode).

import { BSIZE } from "../machine/disk.ts";
import {
  decodeDinode,
  decodeDirent,
  decodeSuperblock,
  type Dinode,
  dinodeOffset,
  DIRENT_SIZE,
  IBLOCK,
  NDIRECT,
  NINDIRECT,
  ROOTINO,
  type SuperBlock,
  T_DIR,
} from "./fslayout.ts";

/** A root-directory reader over an image; throws Error with a one-line reason if corrupt. */
export class RootDir {
  private readonly sb: SuperBlock;
  private readonly entries = new Map<string, number>();

  constructor(private readonly image: Uint8Array) {
    this.sb = decodeSuperblock(this.block(1));
    const root = this.inode(ROOTINO);
    if (root.type !== T_DIR) throw new Error("the root inode is not a directory");
    const data = this.contents(root);
    for (let off = 0; off + DIRENT_SIZE <= data.length; off += DIRENT_SIZE) {
      const de = decodeDirent(data, off);
      if (de.inum !== 0 && !this.entries.has(de.name)) this.entries.set(de.name, de.inum);
    }
  }

  /** Names in the root directory, "." and ".." included. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether name is a regular file (or any non-directory) in the root directory. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The bytes of a root-directory entry, or null when there is no such name. */
  read(name: string): Uint8Array | null {
    const inum = this.entries.get(name);
    if (inum === undefined) return null;
    return this.contents(this.inode(inum));
  }

  /** Block n of the image (a view, no copy); throws if it lies outside. */
  private block(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || (n + 1) * BSIZE > this.image.length) {
      throw new Error(`block ${n} lies outside the image`);
    }
    return this.image.subarray(n * BSIZE, (n + 1) * BSIZE);
  }

  /** The on-disk inode inum, decoded. */
  private inode(inum: number): Dinode {
    if (inum < 1 || inum >= this.sb.ninodes) throw new Error(`inode ${inum} is out of range`);
    return decodeDinode(this.block(IBLOCK(inum, this.sb)), dinodeOffset(inum));
  }

  /** A file's bytes, gathered from its direct and indirect blocks. */
  private contents(ip: Dinode): Uint8Array {
    const nblocks = Math.ceil(ip.size / BSIZE);
    if (nblocks > NDIRECT + NINDIRECT) throw new Error(`a file is too large (${ip.size} bytes)`);
    const out = new Uint8Array(ip.size);
    let indirect: DataView | null = null;
    for (let bn = 0; bn < nblocks; bn++) {
      let addr: number;
      if (bn < NDIRECT) {
        addr = ip.addrs[bn];
      } else {
        if (!indirect) {
          const b = this.block(ip.addrs[NDIRECT]);
          indirect = new DataView(b.buffer, b.byteOffset, BSIZE);
        }
        addr = indirect.getUint32(4 * (bn - NDIRECT), true);
      }
      const n = Math.min(BSIZE, ip.size - bn * BSIZE);
      out.set(this.block(addr).subarray(0, n), bn * BSIZE);
    }
    return out;
  }
}

/** Byte-for-byte equality of two arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
