// Honest verdicts and a command line that explains itself (issue 11, items 7, 9, 10):
// xv6lazy's flags after PROGRAM, unknown test names, lazytests' status, --trace
// filters, --stats' figures, --quiet and --list.

import { assert, assertEquals } from "./deps.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";
import { assertOneErrorLine, tempImage, xv6lazy } from "./cli_harness.ts";

function lines(s: string): string[] {
  return s.split("\n");
}

Deno.test("item 7: xv6lazy's own flags after PROGRAM are refused unless -- says so", async () => {
  const r = await xv6lazy(["lazytests", "--stats"]);
  assertEquals(r.code, 2, r.stderr);
  assertOneErrorLine(r, "--stats");
  assertEquals(r.stdout, "");
  const passed = await xv6lazy(["--quiet", "--", "lazytests", "--stats"]);
  assertEquals(passed.code, 1, passed.stderr);
  assert(lines(passed.stdout).includes("lazytests: no test called --stats"), passed.stdout);
  assert(!passed.stdout.includes("ALL TESTS PASSED"), passed.stdout);
});

Deno.test("item 7: a usertests name that matches no test says so and fails", async () => {
  const r = await xv6lazy(["usertests", "nosuchtest"]);
  assertEquals(r.code, 1, r.stderr);
  assert(lines(r.stdout).includes("usertests: no test called nosuchtest"), r.stdout);
  assert(!r.stdout.includes("ALL TESTS PASSED"), r.stdout);
});

Deno.test("item 7: lazytests exits 0 when it passes", async () => {
  const r = await xv6lazy(["lazytests"]);
  assert(lines(r.stdout).includes("ALL TESTS PASSED"), r.stdout);
  assertEquals(r.code, 0, r.stderr);
  const eager = await xv6lazy(["--eager", "lazytests"]);
  assertEquals(eager.code, 1, eager.stderr);
});

Deno.test("item 7: --fs IMAGE with an unknown program exits 2, whoever's init it has", async () => {
  const foreign = fsFiles.map((f) =>
    f.name === "init" ? { name: f.name, bytes: Uint8Array.of(...f.bytes, 0) } : f
  );
  for (const files of [fsFiles, foreign]) {
    const path = await tempImage(mkfs(files));
    try {
      const r = await xv6lazy(["--fs", path, "nosuchprog"]);
      assertEquals(r.code, 2, r.stderr);
      assertOneErrorLine(r, "unknown program 'nosuchprog'");
    } finally {
      await Deno.remove(path);
    }
  }
});

Deno.test("item 9: --trace=pid:N shows one process's events, --trace=faults only faults", async () => {
  const r = await xv6lazy(["--trace=pid:4", "usertests", "sbrkarg"]);
  assertEquals(r.code, 0, r.stderr);
  const trace = lines(r.stderr).filter((l) => l.startsWith("[trace] "));
  assert(trace.length > 0 && trace.length < 20, `${trace.length} lines`);
  for (const l of trace) assert(/^\[trace\] [a-z ]+: pid 4 \(usertests\) /.test(l), l);
  assert(trace.some((l) => l.includes("lazy fault: pid 4")), r.stderr);

  const f = await xv6lazy(["--trace=faults", "vmtest", "s8192", "t100", "t5000", "t9000"]);
  assertEquals(f.code, 255, f.stderr);
  const kinds = lines(f.stderr).filter((l) => l.startsWith("[trace] ")).map((l) =>
    l.slice(8, l.indexOf(":"))
  );
  assertEquals(kinds, ["lazy fault", "lazy fault", "killed"]);

  const bad = await xv6lazy(["--trace=pids", "echo"]);
  assertEquals(bad.code, 2);
  assertOneErrorLine(bad, "pids");
});

Deno.test("item 9: grade --trace is refused in one line", async () => {
  const r = await xv6lazy(["grade", "--trace"]);
  assertEquals(r.code, 2, r.stderr);
  assertOneErrorLine(r, "--trace");
  assertEquals(r.stdout, "");
});

Deno.test("item 10: --stats' MIPS counts running time only, and every line says what it is", async () => {
  // The shell idles until its input comes, 2 s after the start: wall time, not run time.
  const r = await xv6lazy(["--stats"], { input: "echo hi\n", inputAfterMs: 2000 });
  assertEquals(r.code, 0, r.stderr);
  const row = (name: string): string[] => {
    const l = lines(r.stderr).find((l) => l.startsWith(`  ${name} `));
    assert(l !== undefined, `no '${name}' line in ${r.stderr}`);
    return l.slice(2 + 28).trim().split(/\s+/);
  };
  const wall = Number(row("wall time")[0]);
  const run = Number(row("run time")[0]);
  const instructions = Number(row("instructions retired")[0]);
  const mips = Number(row("MIPS")[0]);
  assert(wall >= 1, `wall ${wall}`);
  assert(run < wall - 0.5, `run ${run} of wall ${wall}`);
  assert(Math.abs(mips - instructions / run / 1e6) < 0.1 + mips * 0.01, `${mips}`);
  for (const name of ["page faults served", "pages allocated", "ticks", "MIPS", "run time"]) {
    assert(row(name).length >= 3, `'${name}' explains itself`);
  }
});

Deno.test("item 10: --quiet leaves out the page-table dump; --list lists the programs", async () => {
  const q = await xv6lazy(["--quiet", "echo", "hi"]);
  assertEquals(q.code, 0, q.stderr);
  assertEquals(q.stdout, "hi\n");
  const l = await xv6lazy(["--list"]);
  assertEquals(l.code, 0, l.stderr);
  const names = lines(l.stdout).filter((n) => n !== "");
  for (const p of ["sh", "init", "usertests", "lazytests", "echo"]) assert(names.includes(p), p);
  assert(!names.includes("README") && !names.includes("console"), l.stdout);
  assertEquals(names, [...names].sort());
});
