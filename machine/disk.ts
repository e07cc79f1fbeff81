// The block device: an in-memory disk image of 1024-byte blocks.
//
// The kernel's buffer cache reads and writes whole blocks; the image can be loaded
// from, and saved back to, a host file by the CLI.

export const BSIZE = 1024;

export class Disk {
  readonly image: Uint8Array;
  readonly nblocks: number;
  /** Counters for --stats and tests. */
  reads = 0;
  writes = 0;

  constructor(image: Uint8Array) {
    if (image.length === 0 || image.length % BSIZE !== 0) {
      throw new Error(`disk image size ${image.length} is not a positive multiple of ${BSIZE}`);
    }
    this.image = image;
    this.nblocks = image.length / BSIZE;
  }

  /** Copy block blockno into dst (BSIZE bytes). */
  read(blockno: number, dst: Uint8Array): void {
    this.check(blockno);
    this.reads++;
    dst.set(this.image.subarray(blockno * BSIZE, (blockno + 1) * BSIZE));
  }

  /** Copy src (BSIZE bytes) into block blockno. */
  write(blockno: number, src: Uint8Array): void {
    this.check(blockno);
    this.writes++;
    this.image.set(src.subarray(0, BSIZE), blockno * BSIZE);
  }

  /** A block number outside the disk is a kernel bug: fail loudly. */
  private check(blockno: number): void {
    if (!Number.isInteger(blockno) || blockno < 0 || blockno >= this.nblocks) {
      throw new Error(`disk: block ${blockno} out of range (disk has ${this.nblocks})`);
    }
  }
}
