// Tests of the file-system layers (bio, log, inodes, directories, paths, mkfs) on a
// disk made by mkfs, without user processes: kernel buffers stand in for user memory.

import assert from "./deps.ts";
import { Disk } from "../machine/disk.ts";
import { bdisk, binit } from "../kernel/bio.ts";
import { begin_op, end_op, logcrash, logstate } from "../kernel/log.ts";
import {
  dirlink,
  dirlookup,
  fsinit,
  ialloc,
  iget,
  ilock,
  type Inode,
  iput,
  itable,
  iunlock,
  iunlockput,
  iupdate,
  namei,
  nameiparent,
  readi,
  skipelem,
  stati,
  superblock,
  writei,
} from "../kernel/fs.ts";
import { checkImage, mkfs, mkfsLayout } from "../kernel/mkfs.ts";
import {
  BSIZE,
  decodeDinode,
  decodeSuperblock,
  dinodeOffset,
  DIRENT_SIZE,
  IBLOCK,
  MAXFILE,
  NDIRECT,
  ROOTINO,
  T_DIR,
  T_FILE,
} from "../kernel/fslayout.ts";
import { ROOTDEV } from "../kernel/param.ts";
import { Proc, setproc } from "../kernel/proc.ts";

/** Bytes 0..n-1 of a recognisable pattern. */
function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 10)) & 0xff;
  return b;
}

const FILES = [
  { name: "README", bytes: new TextEncoder().encode("xv6 is a re-implementation of Unix V6.\n") },
  { name: "empty", bytes: new Uint8Array(0) },
  { name: "big", bytes: pattern(20 * BSIZE + 123) }, // uses the indirect block
  { name: "exact", bytes: pattern(2 * BSIZE, 3) },
];

/** Boot the fs layers over a fresh (or given) image; returns the disk. */
function boot(image?: Uint8Array): Disk {
  const disk = new Disk(image ?? mkfs(FILES));
  binit(disk);
  fsinit(ROOTDEV);
  return disk;
}

/** "Reboot": new cache, log and inode table over the same disk image. */
function reboot(disk: Disk): void {
  binit(disk);
  fsinit(ROOTDEV);
}

/** Count free blocks in the bitmap straight from the disk image. */
function freeBlocks(disk: Disk): number {
  const sb = decodeSuperblock(disk.image.subarray(BSIZE, 2 * BSIZE));
  const bm = disk.image.subarray(sb.bmapstart * BSIZE);
  let free = 0;
  for (let b = 0; b < sb.size; b++) if ((bm[b >> 3] & (1 << (b % 8))) === 0) free++;
  return free;
}

/** Number of inodes with a nonzero type, straight from the disk image. */
function usedInodes(disk: Disk): number {
  const sb = decodeSuperblock(disk.image.subarray(BSIZE, 2 * BSIZE));
  let used = 0;
  for (let i = 1; i < sb.ninodes; i++) {
    const blk = disk.image.subarray(IBLOCK(i, sb) * BSIZE);
    if (decodeDinode(blk, dinodeOffset(i)).type !== 0) used++;
  }
  return used;
}

/** Whole contents of a file by path. */
function readAll(path: string): Uint8Array | null {
  const ip = namei(path);
  if (ip === null) return null;
  ilock(ip);
  const out = new Uint8Array(ip.size);
  const n = readi(ip, out, 0, ip.size);
  iunlockput(ip);
  assert.equal(n, out.length);
  return out;
}

/** Create a file or directory at an absolute path, as sys_open/sys_mkdir would; returns inum. */
function makeNode(path: string, type: number): number {
  begin_op();
  const par = nameiparent(path);
  assert.ok(par, `parent of ${path}`);
  const dp = par.ip;
  ilock(dp);
  const ip = ialloc(dp.dev, type);
  assert.ok(ip);
  ilock(ip);
  ip.nlink = 1;
  iupdate(ip);
  if (type === T_DIR) {
    assert.equal(dirlink(ip, ".", ip.inum), 0);
    assert.equal(dirlink(ip, "..", dp.inum), 0);
    dp.nlink++;
    iupdate(dp);
  }
  assert.equal(dirlink(dp, par.name, ip.inum), 0);
  iunlockput(dp);
  const inum = ip.inum;
  iunlockput(ip);
  end_op();
  return inum;
}

/** Write data at off of the file at path, in filewrite-sized transactions; total written. */
function writeFile(path: string, data: Uint8Array, off = 0): number {
  const ip = namei(path);
  assert.ok(ip);
  const max = 3 * BSIZE;
  let i = 0;
  while (i < data.length) {
    const n1 = Math.min(data.length - i, max);
    begin_op();
    ilock(ip);
    const r = writei(ip, data.subarray(i, i + n1), off + i, n1);
    iunlock(ip);
    end_op();
    if (r > 0) i += r;
    if (r !== n1) break;
  }
  begin_op();
  iput(ip);
  end_op();
  return i;
}

/** Remove the entry at path, as sys_unlink does for a file. */
function unlinkFile(path: string): void {
  begin_op();
  const par = nameiparent(path);
  assert.ok(par);
  ilock(par.ip);
  const poff = { off: 0 };
  const ip = dirlookup(par.ip, par.name, poff);
  assert.ok(ip);
  ilock(ip);
  assert.equal(writei(par.ip, new Uint8Array(DIRENT_SIZE), poff.off, DIRENT_SIZE), DIRENT_SIZE);
  iunlockput(par.ip);
  ip.nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
}

/** No inode references are left over (what usertests' iref relies on). */
function assertNoRefs(): void {
  assert.equal(itable.filter((ip) => ip.ref > 0).length, 0);
}

Deno.test("mkfs layout matches xv6's numbers", () => {
  const img = mkfs(FILES);
  assert.equal(img.length, 2000 * BSIZE);
  const sb = decodeSuperblock(img.subarray(BSIZE));
  assert.deepEqual(sb, mkfsLayout());
  assert.equal(sb.magic, 0x10203040);
  assert.equal(sb.size, 2000);
  assert.equal(sb.ninodes, 200);
  // The lab revision's layout (TESTS.md §7.2): boot 1 + super 1 + log 30 + inodes 13 + bitmap 1.
  assert.equal(sb.nlog, 30);
  assert.equal(sb.logstart, 2);
  assert.equal(sb.inodestart, 32);
  assert.equal(sb.bmapstart, 45);
  assert.equal(sb.nblocks, 1954);
  assert.equal(checkImage(img), null);
  // Root: a directory with "." and ".." rounded to one block, as xv6's mkfs leaves it.
  const root = decodeDinode(img.subarray(IBLOCK(ROOTINO, sb) * BSIZE), dinodeOffset(ROOTINO));
  assert.equal(root.type, T_DIR);
  assert.equal(root.size, BSIZE);
  assert.equal(root.addrs[0], 46); // the first data block
});

Deno.test("namei finds every file and readi returns mkfs's bytes", () => {
  boot();
  for (const f of FILES) {
    assert.deepEqual(readAll("/" + f.name), f.bytes, f.name);
    assert.deepEqual(readAll("//" + f.name + "/"), f.bytes, f.name);
  }
  assert.equal(namei("/nope"), null);
  assert.equal(namei("/README/x"), null); // a file is not a directory
  const root = namei("/");
  assert.ok(root);
  ilock(root);
  assert.equal(root.inum, ROOTINO);
  assert.equal(stati(root).type, T_DIR);
  iunlockput(root);
  // Partial and past-EOF reads.
  const ip = namei("/big");
  assert.ok(ip);
  ilock(ip);
  const buf = new Uint8Array(100);
  assert.equal(readi(ip, buf, ip.size - 10, 100), 10);
  assert.equal(readi(ip, buf, ip.size, 100), 0);
  assert.equal(readi(ip, buf, ip.size + 1, 100), 0);
  iunlockput(ip);
  assertNoRefs();
});

Deno.test("relative paths start at the current process's cwd", () => {
  boot();
  makeNode("/dir", T_DIR);
  const p = new Proc(0);
  p.cwd = namei("/dir");
  setproc(p);
  try {
    makeNode("/dir/inner", T_FILE);
    const a = namei("inner");
    const b = namei("../dir/./inner");
    assert.ok(a && b);
    assert.equal(a, b);
    iput(a);
    iput(b);
    const up = namei("..");
    assert.ok(up);
    assert.equal(up.inum, ROOTINO);
    iput(up);
    const par = nameiparent("x");
    assert.ok(par);
    assert.equal(par.name, "x");
    assert.equal(par.ip, p.cwd);
    iput(par.ip);
    iput(p.cwd!);
  } finally {
    setproc(null);
  }
  assertNoRefs();
});

Deno.test("skipelem splits and truncates to DIRSIZ", () => {
  assert.deepEqual(skipelem("a/bb/c"), ["a", "bb/c"]);
  assert.deepEqual(skipelem("///a//bb"), ["a", "bb"]);
  assert.deepEqual(skipelem("a"), ["a", ""]);
  assert.equal(skipelem(""), null);
  assert.equal(skipelem("////"), null);
  assert.deepEqual(skipelem("abcdefghijklmnopq/x"), ["abcdefghijklmn", "x"]);
  boot();
  assert.equal(nameiparent("/"), null);
});

Deno.test("a file larger than the direct blocks, up to MAXFILE", () => {
  const disk = boot();
  const free0 = freeBlocks(disk);
  makeNode("/large", T_FILE);
  const data = pattern(MAXFILE * BSIZE, 11);
  assert.equal(writeFile("/large", data), data.length);
  assert.deepEqual(readAll("/large"), data);
  // MAXFILE data blocks plus the indirect block.
  assert.equal(freeBlocks(disk), free0 - MAXFILE - 1);
  // Never past MAXFILE; never starting beyond EOF.
  const ip = namei("/large");
  assert.ok(ip);
  begin_op();
  ilock(ip);
  assert.equal(writei(ip, new Uint8Array(1), MAXFILE * BSIZE, 1), -1);
  assert.equal(writei(ip, new Uint8Array(1), MAXFILE * BSIZE + 5, 1), -1);
  assert.equal(ip.size, MAXFILE * BSIZE);
  iunlockput(ip);
  end_op();
  assert.equal(logstate().outstanding, 0);
  // Overwrite in the middle, unaligned.
  const patch = pattern(5000, 99);
  assert.equal(writeFile("/large", patch, NDIRECT * BSIZE - 700), 5000);
  data.set(patch, NDIRECT * BSIZE - 700);
  assert.deepEqual(readAll("/large"), data);
  assertNoRefs();
});

Deno.test("unlink frees the file's blocks and inode", () => {
  const disk = boot();
  const free0 = freeBlocks(disk);
  const used0 = usedInodes(disk);
  const inum = makeNode("/tmp", T_FILE);
  assert.equal(writeFile("/tmp", pattern(30 * BSIZE)), 30 * BSIZE);
  assert.equal(freeBlocks(disk), free0 - 31);
  assert.equal(usedInodes(disk), used0 + 1);
  unlinkFile("/tmp");
  assert.equal(namei("/tmp"), null);
  assert.equal(freeBlocks(disk), free0);
  assert.equal(usedInodes(disk), used0);
  // The freed inode is the next one handed out.
  begin_op();
  const ip = ialloc(ROOTDEV, T_FILE);
  assert.ok(ip);
  assert.equal(ip.inum, inum);
  iput(ip);
  end_op();
  assertNoRefs();
});

Deno.test("an open (referenced) unlinked file keeps its data until the last iput", () => {
  const disk = boot();
  const free0 = freeBlocks(disk);
  makeNode("/held", T_FILE);
  writeFile("/held", pattern(3000));
  const ip = namei("/held");
  assert.ok(ip);
  unlinkFile("/held");
  assert.ok(freeBlocks(disk) < free0);
  ilock(ip);
  const buf = new Uint8Array(3000);
  assert.equal(readi(ip, buf, 0, 3000), 3000);
  assert.deepEqual(buf, pattern(3000));
  iunlock(ip);
  begin_op();
  iput(ip);
  end_op();
  assert.equal(freeBlocks(disk), free0);
  assertNoRefs();
});

Deno.test("mkdir, dirlink and .. ", () => {
  boot();
  const d = makeNode("/d", T_DIR);
  const e = makeNode("/d/e", T_DIR);
  makeNode("/d/e/f", T_FILE);
  writeFile("/d/e/f", new TextEncoder().encode("hello"));
  assert.deepEqual(readAll("/d/e/../e/./f"), new TextEncoder().encode("hello"));
  const up = namei("/d/e/..");
  assert.ok(up);
  assert.equal(up.inum, d);
  iput(up);
  const rootup = namei("/..");
  assert.ok(rootup);
  assert.equal(rootup.inum, ROOTINO);
  iput(rootup);
  // Link counts: / gained one for d's "..", d one for e's "..".
  const dp = iget(ROOTDEV, d);
  ilock(dp);
  assert.equal(dp.nlink, 2);
  assert.equal(dp.type, T_DIR);
  // dirlink refuses a duplicate name.
  begin_op();
  assert.equal(dirlink(dp, "e", e), -1);
  end_op();
  iunlockput(dp);
  const root = namei("/");
  assert.ok(root);
  ilock(root);
  assert.equal(root.nlink, 2);
  iunlockput(root);
  // Long names are truncated to DIRSIZ on the way in and on lookup.
  makeNode("/d/abcdefghijklmnopqrstuvwxyz", T_FILE);
  const t = namei("/d/abcdefghijklmn");
  assert.ok(t);
  iput(t);
  assertNoRefs();
});

Deno.test("persistence: a reboot over the same disk sees committed data", () => {
  const disk = boot();
  makeNode("/p", T_DIR);
  makeNode("/p/q", T_FILE);
  const data = pattern(17 * BSIZE + 5, 42);
  writeFile("/p/q", data);
  reboot(disk);
  assert.deepEqual(readAll("/p/q"), data);
  assert.equal(checkImage(disk.image), null);
  // And from a copy of the image, as the CLI's --fs would load it.
  boot(disk.image.slice());
  assert.deepEqual(readAll("/p/q"), data);
  assertNoRefs();
});

Deno.test("log recovery installs a committed but uninstalled transaction", () => {
  const disk = boot();
  makeNode("/r", T_FILE);
  const before = disk.image.slice();
  const data = pattern(2500, 5);
  const ip = namei("/r");
  assert.ok(ip);
  logcrash.afterCommit = true;
  try {
    begin_op();
    ilock(ip);
    assert.equal(writei(ip, data, 0, data.length), data.length);
    iunlock(ip);
    assert.throws(() => end_op(), /crash/);
  } finally {
    logcrash.afterCommit = false;
  }
  // Home locations untouched: only the log area changed.
  const sb = superblock();
  const img = disk.image;
  for (let b = 0; b < sb.size; b++) {
    if (b >= sb.logstart && b < sb.logstart + sb.nlog) continue;
    const same = img.subarray(b * BSIZE, (b + 1) * BSIZE).every((x, i) =>
      x === before[b * BSIZE + i]
    );
    assert.ok(same, `block ${b} changed before install`);
  }
  const n = new DataView(img.buffer, sb.logstart * BSIZE).getInt32(0, true);
  assert.ok(n > 0);
  // Crash-reboot on a copy of the disk: fsinit replays the log.
  const disk2 = boot(img.slice());
  assert.deepEqual(readAll("/r"), data);
  assert.equal(new DataView(disk2.image.buffer, sb.logstart * BSIZE).getInt32(0, true), 0);
  reboot(disk2);
  assert.deepEqual(readAll("/r"), data);
  // A crash before the commit point leaves nothing.
  boot(before.slice());
  assert.deepEqual(readAll("/r"), new Uint8Array(0));
});

Deno.test("a full disk gives short writes, not panics", () => {
  const disk = boot();
  const names: string[] = [];
  let total = 0;
  for (let i = 0; i < 20; i++) {
    const name = `/fill${i}`;
    makeNode(name, T_FILE);
    names.push(name);
    const w = writeFile(name, pattern(MAXFILE * BSIZE, i));
    total += w;
    if (w < MAXFILE * BSIZE) break;
  }
  assert.equal(freeBlocks(disk), 0);
  assert.ok(total > 1800 * BSIZE);
  // Another write gets nothing.
  const ip = namei(names[names.length - 1]);
  assert.ok(ip);
  begin_op();
  ilock(ip);
  const r = writei(ip, new Uint8Array(BSIZE), ip.size, BSIZE);
  assert.ok(r === -1 || r < BSIZE);
  iunlockput(ip);
  end_op();
  // Everything written reads back; freeing a file makes room again.
  for (const [i, name] of names.entries()) {
    const got = readAll(name);
    assert.ok(got);
    assert.deepEqual(got, pattern(MAXFILE * BSIZE, i).subarray(0, got.length));
  }
  unlinkFile(names[0]);
  assert.ok(freeBlocks(disk) > MAXFILE);
  reboot(disk);
  assert.equal(checkImage(disk.image), null);
  assertNoRefs();
});

Deno.test("out of inodes: ialloc returns null", () => {
  boot();
  const got: Inode[] = [];
  begin_op();
  for (;;) {
    const ip = ialloc(ROOTDEV, T_FILE);
    if (ip === null) break;
    // Keep them allocated on disk but drop the in-memory reference.
    ilock(ip);
    ip.nlink = 1;
    iupdate(ip);
    iunlockput(ip);
    got.push(ip);
    if (got.length % 8 === 0) {
      end_op();
      begin_op();
    }
  }
  end_op();
  assert.equal(got.length, 200 - 1 - 1 - FILES.length); // inode 0 unused, root, files
  assertNoRefs();
});

Deno.test("iget panics when the inode table is full", () => {
  boot();
  const held: Inode[] = [];
  assert.throws(() => {
    for (let i = 1; i < 200; i++) held.push(iget(ROOTDEV, i));
  }, /iget: no inodes/);
  assert.equal(held.length, itable.length);
});

Deno.test("checkImage rejects garbage, truncated and bad-magic images", () => {
  const good = mkfs(FILES);
  assert.equal(checkImage(good), null);
  assert.match(checkImage(new Uint8Array(0)) ?? "", /multiple/);
  assert.match(checkImage(good.subarray(0, good.length - 100)) ?? "", /multiple/);
  assert.ok(checkImage(good.subarray(0, 1000 * BSIZE)) !== null); // truncated
  assert.match(checkImage(pattern(2000 * BSIZE)) ?? "", /magic/);
  const badmagic = good.slice();
  badmagic[BSIZE] ^= 1;
  assert.match(checkImage(badmagic) ?? "", /magic/);
  const badroot = good.slice();
  const sb = decodeSuperblock(good.subarray(BSIZE));
  badroot[IBLOCK(ROOTINO, sb) * BSIZE + dinodeOffset(ROOTINO)] = T_FILE;
  assert.match(checkImage(badroot) ?? "", /root/);
  const badsb = good.slice();
  new DataView(badsb.buffer).setUint32(BSIZE + 24, 5000, true); // inodestart
  assert.ok(checkImage(badsb) !== null);
  const badlog = good.slice();
  new DataView(badlog.buffer).setInt32(2 * BSIZE, 1000, true);
  assert.match(checkImage(badlog) ?? "", /log/);
  assert.ok(checkImage(new Uint8Array(3 * BSIZE)) !== null);
});

Deno.test("bio: NBUF buffers, LRU reuse, panic when all are in use", async () => {
  const disk = boot();
  const { bread, brelse } = await import("../kernel/bio.ts");
  assert.equal(bdisk(), disk);
  const held = [];
  for (let b = 100; b < 130; b++) held.push(bread(ROOTDEV, b));
  assert.throws(() => bread(ROOTDEV, 200), /no buffers/);
  const again = bread(ROOTDEV, 100);
  assert.equal(again, held[0]);
  brelse(again);
  for (const b of held) brelse(b);
  const reads = disk.reads;
  brelse(bread(ROOTDEV, 129)); // still cached
  assert.equal(disk.reads, reads);
});
