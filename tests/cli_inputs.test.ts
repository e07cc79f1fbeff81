// Bad inputs before and during boot (issue 11, items 2 and 3): a corrupt image or
// impossible arguments give a kernel panic (exit 3) or a one-line error (exit 2),
// never `xv6lazy: internal error`; special files and huge files are refused as --fs.

import { assert, assertEquals } from "./deps.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";
import { assertOneErrorLine, type Result, tempImage, xv6lazy } from "./cli_harness.ts";
import {
  BSIZE,
  decodeDinode,
  decodeDirent,
  decodeSuperblock,
  dinodeOffset,
  DIRENT_SIZE,
  encodeDinode,
  IBLOCK,
  ROOTINO,
  type SuperBlock,
} from "../kernel/fslayout.ts";
import { bytes } from "./tiny_elf.ts";

const PANIC = 3;

/** A fresh built-in image, its superblock, and a view of block n. */
function image(): { img: Uint8Array; sb: SuperBlock; block: (n: number) => Uint8Array } {
  const img = mkfs(fsFiles);
  const block = (n: number) => img.subarray(n * BSIZE, (n + 1) * BSIZE);
  return { img, sb: decodeSuperblock(block(1)), block };
}

/** Offset in the image of the root directory entry called name. */
function direntAt(img: Uint8Array, sb: SuperBlock, name: string): number {
  const root = decodeDinode(img.subarray(IBLOCK(ROOTINO, sb) * BSIZE), dinodeOffset(ROOTINO));
  const dir = root.addrs[0] * BSIZE;
  for (let off = dir; off < dir + BSIZE; off += DIRENT_SIZE) {
    if (decodeDirent(img, off).name === name) return off;
  }
  throw new Error(`no entry ${name}`);
}

/** A kernel panic: the console shows it, stderr says so in one line, exit 3. */
function assertPanic(r: Result, what: string): void {
  assertEquals(r.code, PANIC, `${what}: ${r.stderr}`);
  assert(r.stdout.includes("panic: "), `${what}: ${r.stdout.slice(-300)}`);
  assertOneErrorLine(r, "kernel panicked");
}

async function withImage(img: Uint8Array, f: (path: string) => Promise<void>): Promise<void> {
  const path = await tempImage(img);
  try {
    await f(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("item 2: an /init that is not executable is a kernel panic at boot, exit 3", async () => {
  const img = mkfs(
    fsFiles.map((f) => (f.name === "init" ? { name: "init", bytes: bytes(3, 900) } : f)),
  );
  await withImage(img, async (path) => {
    assertPanic(await xv6lazy(["--fs", path], { input: "ls\n" }), "shell");
    assertPanic(await xv6lazy(["--fs", path, "ls"]), "typed");
  });
});

Deno.test("item 2: a log header that replays garbage over the inodes is a kernel panic", async () => {
  const { img, sb, block } = image();
  const head = new DataView(img.buffer, sb.logstart * BSIZE, BSIZE);
  head.setInt32(0, 1, true); // one committed block...
  head.setInt32(4, IBLOCK(ROOTINO, sb), true); // ...whose home is the first inode block
  block(sb.logstart + 1).fill(0xff); // ...and whose logged copy is garbage
  await withImage(img, async (path) => {
    assertPanic(await xv6lazy(["--fs", path], { input: "ls\n" }), "log replay");
  });
});

Deno.test("item 2: /init's block or inode outside the image is one line and exit 2", async () => {
  const a = image();
  const inum = decodeDirent(a.img, direntAt(a.img, a.sb, "init")).inum;
  const ib = a.block(IBLOCK(inum, a.sb));
  const d = decodeDinode(ib, dinodeOffset(inum));
  d.addrs[0] = 60000;
  encodeDinode(d, ib, dinodeOffset(inum));
  await withImage(a.img, async (path) => {
    const r = await xv6lazy(["--fs", path, "ls"]);
    assertEquals(r.code, 2, r.stderr);
    assertOneErrorLine(r, "block 60000");
  });

  const b = image();
  new DataView(b.img.buffer).setUint16(direntAt(b.img, b.sb, "init"), 5000, true);
  await withImage(b.img, async (path) => {
    const r = await xv6lazy(["--fs", path, "ls"]);
    assertEquals(r.code, 2, r.stderr);
    assertOneErrorLine(r, "inode 5000");
    // The kernel meets the same bad inode as a panic, not as a host exception.
    const c = image();
    new DataView(c.img.buffer).setUint16(direntAt(c.img, c.sb, "wc"), 5000, true);
    await withImage(c.img, async (p2) => {
      const k = await xv6lazy(["--fs", p2, "wc"]);
      assertPanic(k, "inode out of range");
      assert(k.stdout.includes("inode 5000 out of range"), k.stdout.slice(-200));
    });
  });
});

Deno.test("item 2: too many or too long arguments are refused before boot, exit 2", async () => {
  const thirty = Array.from({ length: 30 }, (_, i) => `a${i}`);
  const ok = await xv6lazy(["echo", ...thirty]);
  assertEquals(ok.code, 0, ok.stderr);
  assert(ok.stdout.endsWith(thirty.join(" ") + "\n"), ok.stdout.slice(-200));
  const many = await xv6lazy(["echo", ...thirty, "a30"]);
  assertEquals(many.code, 2, many.stderr);
  assertOneErrorLine(many, "too many arguments");
  assertEquals(many.stdout, "");
  const long = await xv6lazy(["echo", "x".repeat(4096)]);
  assertEquals(long.code, 2, long.stderr);
  assertOneErrorLine(long, "arguments too long");
});

Deno.test("item 3: a FIFO, /dev/zero, a directory or a huge file as --fs: one line, at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(mk.success, "mkfifo");
    const sparse = `${dir}/huge.img`;
    const f = await Deno.create(sparse);
    await f.truncate(300 * 1024 * 1024); // sparse: no disk space used
    f.close();
    const cases: [string, string][] = [
      [fifo, "FIFO"],
      ["/dev/zero", "character device"],
      [dir, "directory"],
      [sparse, "MiB"],
    ];
    for (const [path, mention] of cases) {
      const r = await xv6lazy(["--fs", path, "ls"], { timeoutMs: 15_000 });
      assertEquals(r.code, 2, `${path}: ${r.stderr}`);
      assertOneErrorLine(r, mention);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
