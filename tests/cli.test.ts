// The xv6lazy command line, run as a subprocess: `deno run -A main.ts ...`.
// The tests that boot xv6 need the kernel; the argument and input checks do not.

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";

const ROOT = join(import.meta.dirname!, "..");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function xv6lazy(args: string[], input?: string): Promise<Result> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const child = cmd.spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Exactly one line on stderr, starting `xv6lazy: `, and no stack trace. */
function assertOneErrorLine(r: Result, mention: string): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assertEquals(lines.length, 1, r.stderr);
  assert(lines[0].startsWith("xv6lazy: "), r.stderr);
  assert(lines[0].includes(mention), `'${lines[0]}' should mention '${mention}'`);
  assert(!/\bat .*:\d+:\d+/.test(r.stderr), "no stack trace");
}

function lines(s: string): string[] {
  return s.split("\n");
}

async function tempImage(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".img" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("--help explains the modes and flags, and exits 0", async () => {
  const r = await xv6lazy(["--help"]);
  assertEquals(r.code, 0);
  const words = [
    "grade",
    "--fs",
    "--save",
    "--eager",
    "--sbrk-abi",
    "--lab",
    "--stats",
    "--version",
    "Ctrl-A x",
  ];
  for (const word of words) {
    assert(r.stdout.includes(word), `help mentions ${word}`);
  }
  assertEquals(r.stderr, "");
  const v = await xv6lazy(["--version"]);
  assertEquals(v.code, 0);
  assert(/^xv6lazy \d+\.\d+\.\d+\n$/.test(v.stdout), v.stdout);
});

Deno.test("an unknown flag gives one line on stderr and exit 2", async () => {
  const r = await xv6lazy(["--bogus"]);
  assertEquals(r.code, 2);
  assertOneErrorLine(r, "--bogus");
  assertEquals(r.stdout, "");
  const m = await xv6lazy(["--fs"]);
  assertEquals(m.code, 2);
  assertOneErrorLine(m, "--fs");
});

Deno.test("--fs with a missing or corrupt image gives one clear line", async () => {
  const missing = await xv6lazy(["--fs", "/nonexistent/fs.img", "ls"]);
  assertEquals(missing.code, 2);
  assertOneErrorLine(missing, "/nonexistent/fs.img");
  assert(missing.stderr.includes("no such file"), missing.stderr);

  const junk = new Uint8Array(5000).map((_, i) => (i * 7919) & 0xff);
  const odd = await tempImage(junk);
  const zeros = await tempImage(new Uint8Array(2000 * 1024));
  try {
    for (const path of [odd, zeros]) {
      const r = await xv6lazy(["--fs", path]);
      assertEquals(r.code, 2, r.stderr);
      assertOneErrorLine(r, "not a usable xv6 disk image");
    }
  } finally {
    await Deno.remove(odd);
    await Deno.remove(zeros);
  }
});

Deno.test("--save without --fs is refused", async () => {
  const r = await xv6lazy(["--save", "ls"]);
  assertEquals(r.code, 2);
  assertOneErrorLine(r, "--save");
});

Deno.test("an unknown program gives one clear line and exit 2", async () => {
  const r = await xv6lazy(["nosuchprogram", "arg"]);
  assertEquals(r.code, 2);
  assertOneErrorLine(r, "nosuchprogram");
  assertEquals(r.stdout, "");
});

// --- The tests below boot xv6 and need the kernel. ---

Deno.test("run mode: echo prints its arguments and exits 0", async () => {
  const r = await xv6lazy(["echo", "hello", "world"]);
  assertEquals(r.code, 0, r.stderr);
  assert(lines(r.stdout).includes("hello world"), r.stdout);
});

Deno.test("run mode: the program's exit status is xv6lazy's, and its flags are its own", async () => {
  const r = await xv6lazy(["usertests", "-x"]);
  assertEquals(r.code, 1, r.stderr);
  assert(r.stdout.includes("Usage: usertests"), r.stdout);
});

Deno.test("run mode: piped stdin reaches the program, and its end reads as end-of-file", async () => {
  const r = await xv6lazy(["wc"], "a b c\nd e\n");
  assertEquals(r.code, 0, r.stderr);
  assert(lines(r.stdout).includes("2 5 10 "), r.stdout);
});

Deno.test("shell mode with piped input types each line and exits 0 when idle", async () => {
  const r = await xv6lazy([], "echo hi\n");
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.includes("$ "), r.stdout);
  assert(lines(r.stdout).includes("hi"), r.stdout);
  const two = await xv6lazy([], "echo one\necho two\n");
  assertEquals(two.code, 0, two.stderr);
  const out = lines(two.stdout);
  assert(out.indexOf("one") >= 0 && out.indexOf("two") > out.indexOf("one"), two.stdout);
});

Deno.test("the same command twice gives identical output", async () => {
  const a = await xv6lazy(["usertests", "sbrkmuch"]);
  const b = await xv6lazy(["usertests", "sbrkmuch"]);
  assertEquals(a.code, 0, a.stderr);
  assertEquals(a.stdout, b.stdout);
  const c = await xv6lazy([], "ls\necho x > f\ncat f\n");
  const d = await xv6lazy([], "ls\necho x > f\ncat f\n");
  assertEquals(c.stdout, d.stdout);
});

Deno.test("--stats prints the counters on stderr", async () => {
  const r = await xv6lazy(["--stats", "echo", "hi"]);
  assertEquals(r.code, 0, r.stderr);
  for (const what of ["page faults served", "pages allocated", "pages freed", "MIPS", "ticks"]) {
    assert(r.stderr.includes(what), r.stderr);
  }
  assert(!r.stdout.includes("page faults served"), "stats go to stderr");
});

Deno.test("--trace shows each sbrk, each lazy fault with its page, and the fatal fault", async () => {
  const r = await xv6lazy(["--trace", "vmtest", "s8192", "t100", "t5000", "t9000"]);
  assertEquals(r.code, 255, r.stderr);
  const trace = lines(r.stderr).filter((l) => l.startsWith("[trace] "));
  const faults = trace.filter((l) => l.includes("lazy fault: pid"));
  assertEquals(faults.length, 2, r.stderr);
  for (const f of faults) assert(/va 0x[0-9a-f]{16} -> pa 0x000000008[0-9a-f]{7}/.test(f), f);
  assert(trace.some((l) => l.includes("sbrk: pid") && l.includes("+8192")), r.stderr);
  assert(
    trace.at(-1)!.includes("killed: pid") && trace.at(-1)!.includes("scause 0x000000000000000f"),
  );
});

Deno.test("--fs boots a disk image, and only --save changes the file", async () => {
  const path = await tempImage(mkfs(fsFiles));
  try {
    const before = await Deno.readFile(path);
    const a = await xv6lazy(["--fs", path], "echo kept > note\n");
    assertEquals(a.code, 0, a.stderr);
    assertEquals(await Deno.readFile(path), before, "without --save the file is left alone");
    const b = await xv6lazy(["--fs", path, "--save"], "echo kept > note\n");
    assertEquals(b.code, 0, b.stderr);
    const c = await xv6lazy(["--fs", path, "cat", "note"]);
    assertEquals(c.code, 0, c.stderr);
    assert(lines(c.stdout).includes("kept"), c.stdout);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("--fs with a foreign init: the command is typed into the shell", async () => {
  // An init that differs from xv6lazy's own (an extra byte after the ELF image) is
  // treated as one that may not know run mode.
  const files = fsFiles.map((f) =>
    f.name === "init" ? { name: f.name, bytes: Uint8Array.of(...f.bytes, 0) } : f
  );
  const path = await tempImage(mkfs(files));
  try {
    const r = await xv6lazy(["--fs", path, "echo", "typed", "in"]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("$ echo typed in\ntyped in\n$ "), r.stdout);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("grade scores 100/100 and exits 0", async () => {
  const r = await xv6lazy(["grade"]);
  assertEquals(
    lines(r.stdout)[0],
    "Rules: 2022, 2022 port of the lazy lab (grade-lab-lazy), 100 points " +
      "(the disk's usertests is 2022's)",
  );
  assert(r.stdout.includes("== Test running lazytests == \n"), r.stdout);
  assert(lines(r.stdout).includes("  usertests: all tests: OK "), r.stdout);
  assertEquals(lines(r.stdout).at(-2), "Score: 100/100");
  assertEquals(r.code, 0);
});

Deno.test("grade --eager loses exactly the two lazy items and exits 1", async () => {
  const r = await xv6lazy(["grade", "--eager"]);
  const out = lines(r.stdout);
  assert(out.includes("  lazy: map: FAIL "), r.stdout);
  assert(out.includes("  lazy: unmap: FAIL "), r.stdout);
  assert(out.includes("  usertests: all tests: OK "), r.stdout);
  assertEquals(out.at(-2), "Score: 50/100");
  assertEquals(r.code, 1);
});

Deno.test("grade --lab 2019 judges the built-in programs by 2019's rules", async () => {
  const r = await xv6lazy(["grade", "--lab", "2019"]);
  const out = lines(r.stdout);
  assert(out[0].startsWith("Rules: 2019, ") && out[0].endsWith("(chosen by --lab 2019)"), out[0]);
  assert(out.includes("  lazy: pte printout: OK "), r.stdout);
  // 2019's pair argptest -> createdelete: in the 2022 port's order createdelete comes first.
  assert(out.includes("  usertests: argptest: FAIL "), r.stdout);
  // 2019's usertests limit is 150 s; the 2022 port's usertests needs longer.
  assert(out.includes("    (capture stopped: time limit (150 s = 1500 ticks of emulated time))"));
  assert(out.includes("  usertests: all tests: FAIL "), r.stdout);
  assertEquals(r.code, 1);
});

Deno.test("bad --lab and --sbrk-abi values give one line and exit 2", async () => {
  const lab = await xv6lazy(["--lab", "2021", "grade"]);
  assertEquals(lab.code, 2);
  assertOneErrorLine(lab, "--lab must be one of 2019, 2020, 2022");
  const abi = await xv6lazy(["--sbrk-abi=new", "ls"]);
  assertEquals(abi.code, 2);
  assertOneErrorLine(abi, "--sbrk-abi must be auto, classic or 2025");
});

Deno.test("--sbrk-abi: sbrk2025 passes as detected, and fails when its type is ignored", async () => {
  const auto = await xv6lazy(["sbrk2025"]);
  assertEquals(auto.code, 0, auto.stdout);
  assert(auto.stdout.includes("sbrk2025: OK\n"), auto.stdout);
  const classic = await xv6lazy(["--sbrk-abi", "classic", "sbrk2025"]);
  assert(classic.stdout.includes("sbrk2025: eager sbrk never failed\n"), classic.stdout);
  assertEquals(classic.code, 1);
});
