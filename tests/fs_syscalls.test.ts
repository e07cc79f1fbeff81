// Tests of the file-system system calls (sysfile), open files (file) and pipes over
// a real Sv39 user address space: arguments go in the trapframe as the hart would
// leave them, user buffers live in lazily allocated user pages.

import assert from "./deps.ts";
import { Disk } from "../machine/disk.ts";
import { Ram } from "../machine/ram.ts";
import type { Hart } from "../machine/hart.ts";
import { cpuinit } from "../kernel/cpu.ts";
import { kinit } from "../kernel/kalloc.ts";
import { allocproc, type KGen, type Proc, procinit, setproc } from "../kernel/proc.ts";
import { copyin, copyout } from "../kernel/vm.ts";
import { tfreg, tfset } from "../kernel/trapframe.ts";
import { binit } from "../kernel/bio.ts";
import { fsinit, iput, itable, namei } from "../kernel/fs.ts";
import { ftable } from "../kernel/file.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { T_DIR, T_FILE } from "../kernel/fslayout.ts";
import { PGSIZE, ROOTDEV } from "../kernel/param.ts";
import * as sf from "../kernel/sysfile.ts";
import { O_CREATE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "../kernel/sysfile.ts";

const README = new TextEncoder().encode("the readme file\n");

// User memory map used by the tests (all lazily allocated below p.sz).
const PATH = 0x1000; // path strings
const PATH2 = 0x1800;
const BUF = 0x4000; // data buffers
const SZ = 64 * PGSIZE;
const BAD = 0x8000_0000; // far above p.sz
const HUGE = Number.MAX_SAFE_INTEGER;

let p: Proc;
let q: Proc;

/** Boot RAM, processes and the file system; p (current) and q have cwd "/". */
function boot(): void {
  const ram = new Ram();
  cpuinit(ram, { sfenceVma() {} } as unknown as Hart);
  kinit(ram);
  procinit();
  binit(new Disk(mkfs([{ name: "README", bytes: README }])));
  fsinit(ROOTDEV);
  p = allocproc()!;
  q = allocproc()!;
  for (const r of [p, q]) {
    r.sz = SZ;
    r.state = "RUNNING";
    r.cwd = namei("/");
  }
  run(p);
}

/** Make r the current process. */
function run(r: Proc): void {
  cur = r;
  setproc(r);
}

let cur: Proc;

/** Store a NUL-terminated string at user address va. */
function putstr(va: number, s: string): void {
  const b = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  assert.equal(copyout(cur.pagetable, va, b), 0);
}

/** Read n bytes of user memory. */
function peek(va: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  assert.equal(copyin(cur.pagetable, b, va), 0);
  return b;
}

/** Write bytes into user memory. */
function poke(va: number, b: Uint8Array): void {
  assert.equal(copyout(cur.pagetable, va, b), 0);
}

/** Start system call fn with args in a0.. as the current process; a number, or a suspended routine. */
function start(fn: () => number | KGen<number>, ...args: number[]): number | KGen<number> {
  args.forEach((v, i) => {
    if (v === HUGE) {
      tfset(cur.trapframe, tfreg(10 + i), -1); // all ones: a huge 64-bit address
    } else tfset(cur.trapframe, tfreg(10 + i), v);
  });
  return fn();
}

/** Run a system call to completion; "blocked" if it went to sleep. */
function sys(fn: () => number | KGen<number>, ...args: number[]): number | "blocked" {
  const r = start(fn, ...args);
  if (typeof r === "number") return r;
  const s = r.next();
  return s.done ? s.value : "blocked";
}

/** Resume a routine that slept; its result, or "blocked" again. */
function resume(g: KGen<number>): number | "blocked" {
  const s = g.next();
  return s.done ? s.value : "blocked";
}

/** Open path with mode; the fd. */
function open(path: string, mode: number): number {
  putstr(PATH, path);
  return sys(sf.sys_open, PATH, mode) as number;
}

/** One-path system call. */
function call1(fn: () => number, path: string): number {
  putstr(PATH, path);
  return sys(fn, PATH) as number;
}

/** Two-path system call (link). */
function call2(fn: () => number, a: string, b: string): number {
  putstr(PATH, a);
  putstr(PATH2, b);
  return sys(fn, PATH, PATH2) as number;
}

/** Decode a struct stat at user address va. */
function stat(va: number): { dev: number; ino: number; type: number; nlink: number; size: number } {
  const v = new DataView(peek(va, 24).buffer);
  return {
    dev: v.getInt32(0, true),
    ino: v.getUint32(4, true),
    type: v.getInt16(8, true),
    nlink: v.getInt16(10, true),
    size: v.getUint32(16, true) + v.getUint32(20, true) * 2 ** 32,
  };
}

/** Pattern bytes. */
function pattern(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed + (i >> 8)) & 0xff);
}

/** Every descriptor of both processes closed, cwds dropped: nothing may remain referenced. */
function assertClean(): void {
  for (const r of [p, q]) {
    run(r);
    for (let fd = 0; fd < 16; fd++) if (r.ofile[fd]) sys(sf.sys_close, fd);
  }
  run(p);
  assert.equal(ftable.filter((f) => f.ref > 0).length, 0, "open files leaked");
  const cwds = new Set([p.cwd, q.cwd]);
  const refs = itable.filter((ip) => ip.ref > 0 && !cwds.has(ip));
  assert.equal(refs.length, 0, "inode references leaked");
}

Deno.test("open, read, fstat, close", () => {
  boot();
  run(p);
  const fd = open("/README", O_RDONLY);
  assert.equal(fd, 0);
  assert.equal(sys(sf.sys_read, fd, BUF, 100), README.length);
  assert.deepEqual(peek(BUF, README.length), README);
  assert.equal(sys(sf.sys_read, fd, BUF, 100), 0);
  assert.equal(sys(sf.sys_fstat, fd, BUF + 512), 0);
  assert.deepEqual(stat(BUF + 512), {
    dev: ROOTDEV,
    ino: 2,
    type: T_FILE,
    nlink: 1,
    size: README.length,
  });
  assert.equal(sys(sf.sys_write, fd, BUF, 1), -1); // read-only
  assert.equal(sys(sf.sys_fstat, fd, BAD), -1);
  assert.equal(sys(sf.sys_fstat, fd, HUGE), -1);
  assert.equal(sys(sf.sys_close, fd), 0);
  assert.equal(sys(sf.sys_close, fd), -1);
  assert.equal(sys(sf.sys_read, 99, BUF, 1), -1);
  assert.equal(sys(sf.sys_read, -1, BUF, 1), -1);
  assert.equal(open("/nope", O_RDONLY), -1);
  assert.equal(sys(sf.sys_open, BAD, O_RDONLY), -1); // bad path pointer
  assert.equal(sys(sf.sys_open, HUGE, O_RDONLY), -1);
  assertClean();
});

Deno.test("create, write, read back, truncate; bad buffers fail cleanly", () => {
  boot();
  run(p);
  const data = pattern(30000);
  poke(BUF, data);
  const fd = open("big", O_CREATE | O_RDWR);
  assert.ok(fd >= 0);
  assert.equal(sys(sf.sys_write, fd, BUF, data.length), data.length);
  assert.equal(sys(sf.sys_write, fd, BAD, 10), -1);
  assert.equal(sys(sf.sys_write, fd, HUGE, 10), -1);
  assert.equal(sys(sf.sys_write, fd, BUF, -1), -1);
  assert.equal(sys(sf.sys_close, fd), 0);
  const rd = open("/big", O_RDONLY);
  assert.equal(sys(sf.sys_read, rd, BAD, 10), -1);
  assert.equal(sys(sf.sys_read, rd, BUF + 0x10000, 40000), data.length);
  assert.deepEqual(peek(BUF + 0x10000, data.length), data);
  assert.equal(sys(sf.sys_fstat, rd, BUF), 0);
  assert.equal(stat(BUF).size, data.length);
  // O_TRUNC empties it; the old descriptor now writes beyond EOF and fails.
  const wr = open("big", O_WRONLY | O_TRUNC);
  assert.ok(wr >= 0);
  assert.equal(sys(sf.sys_fstat, rd, BUF), 0);
  assert.equal(stat(BUF).size, 0);
  assert.equal(sys(sf.sys_read, wr, BUF, 1), -1); // write-only
  const rw = open("big", O_RDWR);
  assert.equal(sys(sf.sys_write, wr, BUF, 4), 4);
  assert.equal(sys(sf.sys_read, rw, BUF + 100, 10), 4);
  // dup shares the offset.
  const d = sys(sf.sys_dup, wr) as number;
  assert.ok(d > wr);
  assert.equal(sys(sf.sys_write, d, BUF, 4), 4);
  assert.equal(sys(sf.sys_fstat, d, BUF + 200), 0);
  assert.equal(stat(BUF + 200).size, 8);
  // O_CREATE on an existing file opens it; on a directory fails.
  const again = open("big", O_CREATE | O_RDONLY);
  assert.ok(again >= 0);
  assert.equal(open("/", O_CREATE | O_RDONLY), -1);
  assertClean();
});

Deno.test("directories: mkdir, chdir, relative paths, unlink rules, link", () => {
  boot();
  run(p);
  assert.equal(call1(sf.sys_mkdir, "dd"), 0);
  assert.equal(call1(sf.sys_mkdir, "dd"), -1);
  assert.equal(call1(sf.sys_mkdir, "nope/x"), -1);
  assert.equal(call1(sf.sys_chdir, "dd"), 0);
  const fd = open("ff", O_CREATE | O_WRONLY);
  assert.ok(fd >= 0);
  assert.equal(sys(sf.sys_close, fd), 0);
  assert.equal(open("../dd/ff", O_RDONLY) >= 0, true);
  assert.equal(open(".", O_RDWR), -1); // directories only read-only
  const dfd = open(".", O_RDONLY);
  assert.ok(dfd >= 0);
  assert.equal(sys(sf.sys_write, dfd, BUF, 1), -1);
  assert.equal(sys(sf.sys_fstat, dfd, BUF), 0);
  assert.equal(stat(BUF).type, T_DIR);
  assert.equal(call1(sf.sys_chdir, "ff"), -1); // not a directory
  assert.equal(call1(sf.sys_unlink, "."), -1);
  assert.equal(call1(sf.sys_unlink, ".."), -1);
  assert.equal(call1(sf.sys_chdir, "/"), 0);
  assert.equal(call1(sf.sys_unlink, "dd/."), -1);
  assert.equal(call1(sf.sys_unlink, "dd"), -1); // not empty
  // link: files yes, directories no, never over an existing name.
  assert.equal(call2(sf.sys_link, "dd/ff", "/ln"), 0);
  assert.equal(call2(sf.sys_link, "dd/ff", "/ln"), -1);
  assert.equal(call2(sf.sys_link, "dd", "/ln2"), -1);
  assert.equal(call2(sf.sys_link, "nope", "/ln3"), -1);
  assert.equal(call2(sf.sys_link, "dd/ff", "/nodir/x"), -1);
  const l = open("ln", O_RDONLY);
  assert.equal(sys(sf.sys_fstat, l, BUF), 0);
  assert.equal(stat(BUF).nlink, 2);
  assert.equal(call1(sf.sys_unlink, "dd/ff"), 0);
  assert.equal(sys(sf.sys_fstat, l, BUF), 0);
  assert.equal(stat(BUF).nlink, 1);
  assert.equal(call1(sf.sys_unlink, "dd"), 0);
  assert.equal(open("dd", O_RDONLY), -1);
  assert.equal(call1(sf.sys_unlink, "ln"), 0);
  // mknod makes a device file; opening one without a driver works, reading fails.
  assert.equal(call1(sf.sys_unlink, "nope"), -1);
  putstr(PATH, "dev");
  assert.equal(sys(sf.sys_mknod, PATH, 9, 0), 0);
  const dev = open("dev", O_RDWR);
  assert.ok(dev >= 0);
  assert.equal(sys(sf.sys_read, dev, BUF, 1), -1);
  assert.equal(sys(sf.sys_fstat, dev, BUF), 0);
  assert.equal(stat(BUF).type, 3);
  assertClean();
});

Deno.test("a removed cwd is freed when the process leaves it", () => {
  boot();
  run(p);
  assert.equal(call1(sf.sys_mkdir, "gone"), 0);
  assert.equal(call1(sf.sys_chdir, "gone"), 0);
  assert.equal(call1(sf.sys_unlink, "../gone"), 0);
  assert.equal(call1(sf.sys_chdir, "/"), 0);
  assertClean();
});

Deno.test("descriptor table full: no leaks", () => {
  boot();
  run(p);
  for (let i = 0; i < 16; i++) assert.equal(open("README", O_RDONLY), i);
  assert.equal(open("README", O_RDONLY), -1);
  assert.equal(sys(sf.sys_dup, 0), -1);
  poke(BUF, new Uint8Array(8));
  assert.equal(sys(sf.sys_pipe, BUF), -1);
  assertClean();
});

Deno.test("pipes: data, EOF, bad addresses, blocking and wakeup", () => {
  boot();
  run(p);
  assert.equal(sys(sf.sys_pipe, BAD), -1);
  assert.equal(p.ofile.filter((f) => f).length, 0);
  assert.equal(sys(sf.sys_pipe, BUF), 0);
  const v = new DataView(peek(BUF, 8).buffer);
  const [rfd, wfd] = [v.getInt32(0, true), v.getInt32(4, true)];
  assert.deepEqual([rfd, wfd], [0, 1]);
  poke(BUF + 64, pattern(600));
  assert.equal(sys(sf.sys_write, wfd, BUF + 64, 5), 5);
  assert.equal(sys(sf.sys_write, rfd, BUF + 64, 5), -1); // wrong end
  assert.equal(sys(sf.sys_read, rfd, BAD, 5), -1); // data stays
  assert.equal(sys(sf.sys_read, rfd, BUF + 2048, 100), 5);
  assert.deepEqual(peek(BUF + 2048, 5), pattern(5));
  assert.equal(sys(sf.sys_write, wfd, BAD, 5), -1);
  // Empty with a writer: the reader sleeps.
  const g = start(sf.sys_read, rfd, BUF + 2048, 100) as KGen<number>;
  assert.equal(resume(g), "blocked");
  assert.equal(p.state, "SLEEPING");
  // q (sharing the write end) writes 600 bytes: 512 fit, then it sleeps.
  q.ofile[0] = p.ofile[wfd];
  p.ofile[wfd]!.ref++;
  run(q);
  const w = start(sf.sys_write, 0, BUF + 64, 600) as KGen<number>;
  poke(BUF + 64, pattern(600));
  assert.equal(resume(w), "blocked");
  assert.equal(q.state, "SLEEPING");
  assert.equal(p.state, "RUNNABLE");
  run(p);
  p.state = "RUNNING";
  assert.equal(resume(g), 100);
  assert.deepEqual(peek(BUF + 2048, 100), pattern(600).subarray(0, 100));
  assert.equal(q.state, "RUNNABLE");
  run(q);
  q.state = "RUNNING";
  assert.equal(resume(w), 600);
  run(p);
  assert.equal(sys(sf.sys_read, rfd, BUF + 4096, 1000), 500);
  assert.deepEqual(peek(BUF + 4096, 500), pattern(600).subarray(100));
  // Close every write end: EOF.
  assert.equal(sys(sf.sys_close, wfd), 0);
  run(q);
  assert.equal(sys(sf.sys_close, 0), 0);
  run(p);
  assert.equal(sys(sf.sys_read, rfd, BUF, 10), 0);
  assert.equal(sys(sf.sys_close, rfd), 0);
  // Reader gone: writes fail. Killed while waiting: -1.
  assert.equal(sys(sf.sys_pipe, BUF), 0);
  assert.equal(sys(sf.sys_close, 0), 0);
  assert.equal(sys(sf.sys_write, 1, BUF + 64, 10), -1);
  assert.equal(sys(sf.sys_close, 1), 0);
  assert.equal(sys(sf.sys_pipe, BUF), 0);
  const k = start(sf.sys_read, 0, BUF, 10) as KGen<number>;
  assert.equal(resume(k), "blocked");
  p.killed = true;
  assert.equal(resume(k), -1);
  p.killed = false;
  p.state = "RUNNING";
  assertClean();
});

Deno.test("exec argument fetching rejects bad argv", () => {
  boot();
  run(p);
  putstr(PATH, "/README");
  // argv pointer outside memory
  assert.equal(sys(sf.sys_exec, PATH, BAD), -1);
  assert.equal(sys(sf.sys_exec, PATH, HUGE), -1);
  // argv[0] is a bad string pointer
  const arr = new Uint8Array(16);
  new DataView(arr.buffer).setUint32(0, BAD, true);
  poke(BUF, arr);
  assert.equal(sys(sf.sys_exec, PATH, BUF), -1);
  // too many arguments
  const many = new Uint8Array(8 * 40);
  for (let i = 0; i < 40; i++) new DataView(many.buffer).setUint32(8 * i, PATH, true);
  poke(BUF, many);
  assert.equal(sys(sf.sys_exec, PATH, BUF), -1);
  assertClean();
});

Deno.test("fs state: nothing referenced after the tests' processes drop their cwds", () => {
  boot();
  run(p);
  for (const r of [p, q]) {
    if (r.cwd) iput(r.cwd);
    r.cwd = null;
  }
  assert.equal(itable.filter((ip) => ip.ref > 0).length, 0);
  setproc(null);
});
