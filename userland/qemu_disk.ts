// The disk image of `xv6lazy qemu -drive file=F`: the whole file in memory for the
// virtio device, with the guest's writes going back to the file as QEMU's do.
//
// The device tells us each byte range it changed (VirtioBlk's onWrite); those ranges
// are written to the file at the next flush, which the machine's loop does after
// every slice of instructions (tens of milliseconds) and once more at the end, so the
// file follows the guest as closely as a host can see. Under -snapshot the file is
// only read: the guest's writes stay in memory and vanish at exit, unless Ctrl-A s
// asks for them to be saved (as in QEMU).

/** A disk image file opened for the board. */
export class QemuDisk {
  /** The image as the guest sees it (the virtio device reads and writes this). */
  readonly image: Uint8Array;
  /** Byte ranges changed since the last flush, as [start, end) pairs, in arrival order. */
  private pending: number[] = [];
  private file: Deno.FsFile | null;

  private constructor(readonly path: string, image: Uint8Array, file: Deno.FsFile | null) {
    this.image = image;
    this.file = file;
  }

  /**
   * Open path: read it whole; keep it open for writing unless snapshot. Throws a
   * one-line Error saying why the file cannot be used.
   */
  static open(path: string, snapshot: boolean): QemuDisk {
    let file: Deno.FsFile | null = null;
    try {
      if (!snapshot) file = Deno.openSync(path, { read: true, write: true });
      const image = Deno.readFileSync(path);
      return new QemuDisk(path, image, file);
    } catch (e) {
      file?.close();
      const why = e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
        ? "permission denied"
        : e instanceof Deno.errors.NotFound
        ? "no such file"
        : e instanceof Error
        ? e.message.split("\n")[0]
        : String(e);
      throw new Error(`could not open '${path}'${snapshot ? "" : " for writing"}: ${why}`);
    }
  }

  /** Whether the guest's writes reach the file. */
  get writesThrough(): boolean {
    return this.file !== null;
  }

  /** The device changed image[offset, offset + length): remember it for the next flush. */
  readonly changed = (offset: number, length: number): void => {
    if (this.file === null || length <= 0) return;
    const n = this.pending.length;
    if (n > 0 && this.pending[n - 1] === offset) this.pending[n - 1] = offset + length; // extends
    else this.pending.push(offset, offset + length);
  };

  /** Write the changed ranges to the file (no-op under -snapshot). Throws on an I/O error. */
  flush(): void {
    const file = this.file;
    if (file === null || this.pending.length === 0) return;
    const ranges = this.pending;
    this.pending = [];
    for (let i = 0; i < ranges.length; i += 2) {
      writeAt(file, ranges[i], this.image.subarray(ranges[i], ranges[i + 1]));
    }
  }

  /** Ctrl-A s under -snapshot: write the whole image to the file now. */
  saveAll(): void {
    const file = Deno.openSync(this.path, { write: true });
    try {
      writeAt(file, 0, this.image);
    } finally {
      file.close();
    }
  }

  /** Flush and close the file; safe to call more than once. */
  close(): void {
    if (this.file === null) return;
    try {
      this.flush();
    } finally {
      this.file.close();
      this.file = null;
    }
  }
}

/** Write all of bytes at byte offset pos of an open file. */
function writeAt(file: Deno.FsFile, pos: number, bytes: Uint8Array): void {
  file.seekSync(pos, Deno.SeekMode.Start);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}
