// The single executable (issue 11, item 11): xv6lazy reads nothing from its source
// tree at run time, and `deno task compile` refuses a result that is not xv6lazy
// (DENORT_BIN naming deno itself) and explains a denort it cannot download.

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";
import { ROOT, tempImage, xv6lazy } from "./cli_harness.ts";
import {
  checkExecutable,
  executableKind,
  explainCompileFailure,
  RELEASE_TARGETS,
  targetKind,
} from "../tools/compile.ts";
import { TEST_V8_FLAGS, V8_FLAGS } from "../tools/v8_flags.ts";

Deno.test("item 11: xv6lazy runs with read permission for the image file only", async () => {
  const img = await tempImage(mkfs(fsFiles));
  try {
    const readme = new TextDecoder().decode(fsFiles.find((f) => f.name === "README")!.bytes);
    const r = await xv6lazy(["--quiet", "--fs", img, "cat", "README"], {
      denoArgs: ["run", "--no-prompt", `--allow-read=${img}`],
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, readme);
    const none = await xv6lazy(["--quiet", "echo", "hi"], { denoArgs: ["run", "--no-prompt"] });
    assertEquals(none.code, 0, none.stderr);
    assertEquals(none.stdout, "hi\n");
  } finally {
    await Deno.remove(img);
  }
});

Deno.test("item 11: deno task compile refuses an executable that is only Deno", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "xv6lazy");
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "tools", "compile.ts"), "--output", out],
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 1, err);
    assert(err.includes("is Deno itself, not xv6lazy") && err.includes("DENORT_BIN"), err);
    assert(!(await Deno.stat(out).then(() => true, () => false)), "the bad output is removed");
    // The check itself, on deno's own executable: it runs, but it is not xv6lazy.
    assert((await checkExecutable(Deno.execPath()))?.includes("Deno itself"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("item 11: a blocked denort download is one line naming the zip and its cache path", () => {
  const stderr = "Compile main.ts to xv6lazy\n" +
    "Download https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip\n" +
    "error: Writing deno compile executable to temporary file 'x.tmp'\n\nCaused by:\n" +
    "    0: Setting up base binary.\n    1: error sending request\n" +
    "    2: dns error: failed to lookup address information\n\nStack backtrace:\n" +
    "   0: <unknown>\n";
  const line = explainCompileFailure(stderr, "aarch64-apple-darwin", "/cache/deno");
  assert(!line.includes("\n"), line);
  assert(line.includes("denort-aarch64-apple-darwin.zip"), line);
  assert(line.includes("failed to lookup address information"), line);
  assert(
    line.includes(`/cache/deno/dl/release/v${Deno.version.deno}/denort-aarch64-apple-darwin.zip`),
    line,
  );
});

Deno.test("item 11: release targets, and telling their executables apart", async () => {
  assertEquals(RELEASE_TARGETS.map(targetKind), [
    "linux x86_64",
    "linux aarch64",
    "darwin x86_64",
    "darwin aarch64",
    "windows x86_64",
  ]);
  const f = await Deno.open(Deno.execPath());
  const head = new Uint8Array(4096);
  const n = (await f.read(head)) ?? 0;
  f.close();
  assertEquals(executableKind(head.subarray(0, n)), targetKind(Deno.build.target));
  const macho = new Uint8Array(32);
  new DataView(macho.buffer).setUint32(0, 0xfeedfacf, true);
  new DataView(macho.buffer).setUint32(4, 0x0100000c, true);
  assertEquals(executableKind(macho), "darwin aarch64");
  const pe = new Uint8Array(0x100);
  pe.set([0x4d, 0x5a]);
  const v = new DataView(pe.buffer);
  v.setUint32(0x3c, 0x80, true);
  v.setUint32(0x80, 0x50450000);
  v.setUint16(0x84, 0x8664, true);
  assertEquals(executableKind(pe), "windows x86_64");
  assertEquals(executableKind(new Uint8Array(64)), null);
});

Deno.test("deno.json's tasks run with tools/v8_flags.ts: bounds checks off, but not in the tests", async () => {
  const tasks: Record<string, string> =
    JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks;
  for (const name of ["start", "grade", "bench"]) {
    assert(tasks[name].startsWith(`deno run ${V8_FLAGS} `), `${name}: ${tasks[name]}`);
  }
  assert(tasks.test.startsWith(`deno test ${TEST_V8_FLAGS} `), tasks.test);
  assert(V8_FLAGS.includes("--no-wasm-bounds-checks"));
  assert(!TEST_V8_FLAGS.includes("bounds"));
});
