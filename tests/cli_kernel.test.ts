// `xv6lazy --kernel FILE` (issue 8, item 4) with the project's own bare-metal
// programs (userland/metal): the shell, piped input typed at prompts, a typed
// PROGRAM, panics, --timeout, the virtio layout check, --stats, grade, and the
// one-line errors for bad kernel files and flags.

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";
import { assertOneErrorLine, ROOT, xv6lazy } from "./cli_harness.ts";
import { elf } from "./tiny_elf.ts";

const METAL = join(ROOT, "userland", "metal", "bin");
const SHELL = join(METAL, "shell");
const HELLO = join(METAL, "hello");
const VIRTIO2 = join(METAL, "virtio2");
const BANNER = "metal shell on hart 0\n";

/** A temporary file holding bytes; returns its path. */
async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".elf" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("--kernel: a bare-metal program runs and its power-off status is the exit code", async () => {
  const r = await xv6lazy(["--kernel", HELLO]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "hello from hart 0 in M-mode\n");
  const halt = await xv6lazy(["--kernel", SHELL], { input: "halt 7\n" });
  assertEquals(halt.code, 7, halt.stderr);
  assertEquals(halt.stdout, `${BANNER}$ halt 7\n`);
});

Deno.test("--kernel: piped input is typed a line at each prompt; exit 0 at the prompt after the last", async () => {
  const r = await xv6lazy(["--kernel", SHELL], { input: "hello\necho hi there\necho last" });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, "");
  // The last line had no newline: it is typed as a line all the same.
  assertEquals(
    r.stdout,
    `${BANNER}$ hello\nyou typed: hello\n$ echo hi there\nhi there\n$ echo last\nlast\n$ `,
  );
  const again = await xv6lazy(["--kernel", SHELL], { input: "hello\necho hi there\necho last" });
  assertEquals(again.stdout, r.stdout, "the same input gives the same output");
});

Deno.test("--kernel: piped input that arrives late waits at the prompt, deterministically", async () => {
  const args = ["--kernel", SHELL, "--timeout", "0.05", "--stats"];
  const late = await xv6lazy(args, { input: "echo late\n", inputAfterMs: 1500 });
  // 1.5 s of waiting would be far more than 0.05 nominal seconds of a running guest.
  assertEquals(late.code, 0, late.stderr);
  assertEquals(late.stdout, `${BANNER}$ echo late\nlate\n$ `);
  const early = await xv6lazy(args, { input: "echo late\n" });
  assertEquals(early.stdout, late.stdout);
  const count = (r: { stderr: string }) => /instructions retired +(\d+)/.exec(r.stderr)?.[1];
  assert(count(early) !== undefined, early.stderr);
  assertEquals(count(late), count(early), "the guest ran the same instructions");
});

Deno.test("--kernel PROGRAM ARGS: typed at the first prompt, done at the next", async () => {
  const r = await xv6lazy(["--kernel", SHELL, "echo", "a", "b"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, `${BANNER}$ echo a b\na b\n$ `);
  // PROGRAM must still be on the disk (the built-in one here).
  const bad = await xv6lazy(["--kernel", SHELL, "nosuchprog"]);
  assertEquals(bad.code, 2);
  assertOneErrorLine(bad, "unknown program 'nosuchprog'");
});

Deno.test("--kernel: a guest that panics ends with its panic line and exit 3", async () => {
  const r = await xv6lazy(["--kernel", SHELL], { input: "panic\necho never\n" });
  assertEquals(r.code, 3, r.stderr);
  assertOneErrorLine(r, "(panic: asked to panic)");
  assert(r.stdout.includes("\npanic: asked to panic\n"), r.stdout);
  assert(!r.stdout.includes("never"), r.stdout);
});

Deno.test("--kernel: a guest that spins stops at --timeout, counted in nominal seconds", async () => {
  const r = await xv6lazy(["--kernel", SHELL, "--timeout", "0.02", "--stats"], {
    input: "spin\n",
  });
  assertEquals(r.code, 124, r.stderr);
  assert(r.stderr.startsWith("xv6lazy: stopped: 0.02 s of nominal time"), r.stderr);
  // 0.02 nominal seconds are 2 * 10^7 board steps.
  const steps = /board steps +(\d+)/.exec(r.stderr);
  assert(steps !== null, r.stderr);
  assert(Number(steps[1]) >= 20_000_000 && Number(steps[1]) < 22_000_000, steps[1]);
});

Deno.test("--kernel --stats: instructions per mode, board steps and MIPS", async () => {
  const r = await xv6lazy(["--kernel", SHELL, "--cpus", "2", "--stats"], { input: "echo x\n" });
  assertEquals(r.code, 0, r.stderr);
  const row = (name: string) => {
    const m = new RegExp(`^ +${name.replace(/ /g, " +")} +(\\S+)`, "m").exec(r.stderr);
    assert(m !== null, `no row '${name}' in ${r.stderr}`);
    return Number(m[1]);
  };
  const total = row("instructions retired");
  assertEquals(row("in U mode"), 0);
  assertEquals(row("in S mode"), 0);
  assertEquals(row("in M mode"), total, "the metal shell runs in M-mode only");
  assert(total > 0);
  assert(row("board steps") > 0);
  assert(row("regions compiled") > 0, "the shell's hot loops are translated");
  row("regions shared"); // the row is there (row() fails otherwise)
  const interpreted = row("interpreted");
  assert(interpreted > 0 && interpreted < total, `${interpreted} of ${total} interpreted`);
  assert(row("MIPS") > 0);
});

Deno.test("--virtio auto: a wrong first guess is found by the driver's panic and booted again", async () => {
  // virtio2 wants version 2 but holds none of the modern driver's messages: auto
  // guesses legacy, sees "could not find virtio disk", and boots again; the first
  // boot's output is not shown.
  const auto = await xv6lazy(["--kernel", VIRTIO2]);
  assertEquals(auto.code, 0, auto.stderr);
  assertEquals(auto.stdout, "booting\nvirtio version 2 accepted\n");
  const modern = await xv6lazy(["--kernel", VIRTIO2, "--virtio", "modern"]);
  assertEquals(modern.code, 0, modern.stderr);
  assertEquals(modern.stdout, auto.stdout);
  const legacy = await xv6lazy(["--kernel", VIRTIO2, "--virtio=legacy"]);
  assertEquals(legacy.code, 3, legacy.stderr);
  assertOneErrorLine(legacy, "panic: could not find virtio disk");
  assertEquals(legacy.stdout, "booting\npanic: could not find virtio disk\n");
});

Deno.test("--kernel: files that are no RV64 kernel are refused in one line, exit 2", async () => {
  const rv32 = elf(new Uint8Array(16));
  rv32[4] = 1; // ELFCLASS32
  const wrongMachine = elf(new Uint8Array(16));
  wrongMachine[18] = 62; // x86-64
  const files = {
    rv32: await tempFile(rv32),
    x86: await tempFile(wrongMachine),
    atZero: await tempFile(elf(new Uint8Array(16))), // a segment at address 0
  };
  try {
    const cases: [string[], string][] = [
      [["--kernel", join(ROOT, "README.md")], "not an ELF file"],
      [["--kernel", files.rv32], "not a 64-bit ELF file"],
      [["--kernel", files.x86], "not a RISC-V ELF file"],
      [["--kernel", files.atZero], "lies outside RAM"],
      [["--kernel", join(ROOT, "userland", "bin", "ls")], "lies outside RAM"],
      [["--kernel", join(ROOT, "no-such-kernel")], "no such file"],
      [["--kernel", ROOT], "not a regular file"],
      [["--kernel", ""], "--kernel needs a file name"],
    ];
    for (const [args, mention] of cases) {
      const r = await xv6lazy(args);
      assertEquals(r.code, 2, `${args}: ${r.stderr}`);
      assertOneErrorLine(r, mention);
      assertEquals(r.stdout, "");
    }
  } finally {
    for (const f of Object.values(files)) await Deno.remove(f);
  }
});

Deno.test("--cpus, --mem and --virtio: bounds, and only with --kernel", async () => {
  const bad: [string[], string][] = [
    [["--cpus", "0"], "--cpus wants a number of harts from 1 to 8, not '0'"],
    [["--cpus", "9"], "not '9'"],
    [["--cpus", "two"], "not 'two'"],
    [["--mem", "8M"], "--mem wants a RAM size from 16M to 1G"],
    [["--mem", "2G"], "not '2G'"],
    [["--mem", "lots"], "not 'lots'"],
    [["--virtio", "v3"], "--virtio must be auto, legacy, modern, not 'v3'"],
  ];
  for (const [flags, mention] of bad) {
    const r = await xv6lazy(["--kernel", HELLO, ...flags]);
    assertEquals(r.code, 2, `${flags}: ${r.stderr}`);
    assertOneErrorLine(r, mention);
  }
  for (const flags of [["--cpus", "2"], ["--mem", "256M"], ["--virtio", "legacy"]]) {
    const r = await xv6lazy(flags);
    assertEquals(r.code, 2, r.stderr);
    assertOneErrorLine(r, `${flags[0]} goes with --kernel FILE`);
  }
  // The extremes that are allowed do boot.
  const eight = await xv6lazy(["--kernel", SHELL, "--cpus", "8", "--mem", "16M"], {
    input: "echo eight\n",
  });
  assertEquals(eight.code, 0, eight.stderr);
  assert(eight.stdout.includes("\neight\n"), eight.stdout);
  const one = await xv6lazy(["--kernel", HELLO, "--cpus", "1", "--mem", "1G"]);
  assertEquals(one.code, 0, one.stderr);
  // A segment 20 MiB into RAM fits 128 MiB but not 16.
  const high = elf(new Uint8Array(16));
  const v = new DataView(high.buffer);
  v.setBigUint64(24, 0x8140_0000n, true); // entry
  v.setBigUint64(64 + 24, 0x8140_0000n, true); // p_paddr
  const path = await tempFile(high);
  try {
    const small = await xv6lazy(["--kernel", path, "--mem", "16M"]);
    assertEquals(small.code, 2, small.stderr);
    assertOneErrorLine(small, "lies outside RAM (0x80000000, 16 MiB)");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("--kernel: the built-in kernel's own flags are refused in one line", async () => {
  for (const flag of ["--eager", "--trace", "--trace=faults", "--sbrk-abi=classic", "--quiet"]) {
    const r = await xv6lazy(["--kernel", HELLO, flag]);
    assertEquals(r.code, 2, `${flag}: ${r.stderr}`);
    assertOneErrorLine(r, "does not apply with --kernel");
  }
});

Deno.test("grade --kernel: boots the kernel for each run and judges what it prints", async () => {
  const r = await xv6lazy(["--kernel", SHELL, "grade", "lazy"]);
  assertEquals(r.code, 1, r.stderr);
  const out = r.stdout.split("\n");
  assert(out[0].startsWith("Rules: 2022,"), out[0]);
  assert(out.includes("      | $ lazytests"), r.stdout);
  assert(out.includes("      | you typed: lazytests"), r.stdout);
  assert(out.includes("  lazy: map: FAIL "), r.stdout);
  assert(out.includes("    missing the line 'test lazy unmap: OK'"), r.stdout);
  assertEquals(out.at(-2), "Score: 0/50");
  const json = await xv6lazy(["--kernel", SHELL, "--json", "grade", "lazy"]);
  const doc = JSON.parse(json.stdout);
  assertEquals(doc.runs[0].ended, "prompt");
  assertEquals(doc.kernel, { file: SHELL, cpus: 3, mem: 128 * 1024 * 1024, virtio: "auto" });
  assertEquals(doc.items.map((i: { ok: boolean }) => i.ok), [false, false]);
});
