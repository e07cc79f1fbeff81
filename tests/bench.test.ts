// `deno task bench`'s command line, its report lines and the pieces the full-system
// figures are read from. Fast, and no timing: timing targets live only in the bench.

import { assert, assertEquals, assertThrows } from "./deps.ts";
import {
  BenchUsageError,
  commandLine,
  figureLine,
  FIGURES,
  knownFigure,
  medianFigures,
  parseBenchArgs,
} from "./bench.ts";
import { modesText, TestKernel } from "./bench_fullsystem.ts";
import {
  childTicks,
  cpuRatioFigures,
  parseStats,
  qemuArgs,
  ratioFigures,
  typeAtPrompt,
  usertestsCommand,
  xv6lazyArgs,
} from "./bench_kernel.ts";
import { benchHart, HART_RUNS } from "./bench_hart.ts";
import { statsTable } from "../cli/stats.ts";
import { V8_FLAGS } from "../tools/v8_flags.ts";

Deno.test("bench: no arguments measure the default figures once", () => {
  assertEquals(parseBenchArgs([]), { runs: 1, qemu: false, kernel: null, help: false });
  assert(parseBenchArgs(["--qemu"]).qemu);
  assertEquals(parseBenchArgs(["--runs", "3"]).runs, 3);
  assert(parseBenchArgs(["-h"]).help);
});

Deno.test("bench: --kernel and its flags", () => {
  const o = parseBenchArgs([
    "--kernel",
    "k",
    "--fs",
    "fs.img",
    "--cpus",
    "2",
    "--qemu",
    "--usertests-args",
    "-q",
    "--runs",
    "5",
  ]);
  assertEquals(o, {
    runs: 5,
    qemu: false,
    help: false,
    kernel: { kernel: "k", fs: "fs.img", cpus: 2, qemu: true, grade: true, usertestsArgs: "-q" },
  });
  const d = parseBenchArgs([
    "--kernel",
    "k",
    "--fs",
    "i",
    "--no-grade",
    "--usertests-args=sbrkmuch",
  ]);
  assertEquals(d.kernel, {
    kernel: "k",
    fs: "i",
    cpus: 3,
    qemu: false,
    grade: false,
    usertestsArgs: "sbrkmuch",
  });
});

Deno.test("bench: bad command lines are refused with one line", () => {
  const bad: [string[], RegExp][] = [
    [["--fs", "i"], /--fs goes with --kernel/],
    [["--cpus", "2"], /--cpus goes with --kernel/],
    [["--usertests-args", "-q"], /--usertests-args goes with --kernel/],
    [["--kernel", "k"], /--kernel needs --fs IMG/],
    [["--kernel", "k", "--fs", "i", "--cpus", "0"], /--cpus wants a whole number, 1 to 8/],
    [["--kernel", "k", "--fs", "i", "--cpus", "9"], /--cpus wants/],
    [["--runs", "0"], /--runs wants a whole number, 1 or more, not '0'/],
    [["--runs", "two"], /--runs wants/],
    [["--frobnicate"], /frobnicate/],
    [["usertests"], /usertests/],
  ];
  for (const [args, message] of bad) {
    assertThrows(() => parseBenchArgs(args), (e: Error) => {
      assert(e instanceof BenchUsageError, `${args.join(" ")}: ${e}`);
      assert(message.test(e.message), `${args.join(" ")}: ${e.message}`);
      assert(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("bench: report lines are `name: value`, numbers with two decimals at most", () => {
  assertEquals(figureLine("hart_mips", 228.3149), "hart_mips: 228.31");
  assertEquals(figureLine("fault_pages", 25600), "fault_pages: 25600");
  assertEquals(figureLine("usertests_passed", "yes"), "usertests_passed: yes");
  assertEquals(figureLine("test_seconds_bigdir", 0.0849), "test_seconds_bigdir: 0.08");
  assertEquals(
    figureLine("fullsystem_touch_modes", modesText({ user: 1, supervisor: 998, machine: 1 })),
    "fullsystem_touch_modes: U 0.1% S 99.8% M 0.1%",
  );
  assertThrows(() => figureLine("no_such_figure", 1));
  assert(!knownFigure("test_seconds_"));
});

Deno.test("bench: the header comment of bench.ts lists every figure", () => {
  const text = Deno.readTextFileSync(new URL("./bench.ts", import.meta.url));
  const header = text.split("\n").filter((l) => l.startsWith("//")).join("\n");
  for (const name of FIGURES) assert(header.includes(name), `${name} is not in the header`);
  assert(header.includes("deno task bench --kernel K --fs IMG"), "the command to reproduce");
});

Deno.test("bench: the median of several runs, text from the last", () => {
  const m = medianFigures([
    { a: 3, b: "no", c: 1 },
    { a: 1, b: "yes" },
    { a: 2, b: "yes", c: 4 },
  ]);
  assertEquals(m, { a: 2, b: "yes", c: 2.5 });
});

Deno.test("bench: bench_command quotes what the shell would split", () => {
  assertEquals(
    commandLine(["--kernel", "k", "--fs", "my fs.img", "--usertests-args", "-q"]),
    "deno task bench --kernel k --fs 'my fs.img' --usertests-args -q",
  );
});

Deno.test("bench: the --stats table of a full-system run is read back", () => {
  const table = statsTable({
    stats: {
      instructions: 600,
      ticks: 0,
      pageFaults: 0,
      pagesAllocated: 0,
      pagesFreed: 0,
      freePages: 0,
      faultKills: 0,
      syscalls: 0,
      userInstructions: 100,
      supervisorInstructions: 450,
      machineInstructions: 50,
      boardSteps: 600,
    },
    seconds: 2,
    runSeconds: 0.0001,
  });
  assertEquals(parseStats(table), {
    instructions: 600,
    user: 100,
    supervisor: 450,
    machine: 50,
    mips: 6,
  });
  assertEquals(parseStats("no table here"), null);
});

Deno.test("bench: children's CPU ticks from a /proc stat line", () => {
  // pid (comm with spaces) state, then fields 4..; utime 14, stime 15, cutime 16, cstime 17.
  const rest = Array.from({ length: 20 }, (_, i) => String(i + 3));
  rest[13] = "250"; // field 16
  rest[14] = "50"; // field 17
  assertEquals(childTicks(`42 (deno x) ${rest.join(" ")}`), 300);
});

Deno.test("bench: the child command lines", () => {
  assertEquals(usertestsCommand(""), ["usertests"]);
  assertEquals(usertestsCommand(" -q "), ["usertests", "-q"]);
  const o = { kernel: "K", fs: "IMG", cpus: 2, qemu: true, grade: true, usertestsArgs: "" };
  const a = xv6lazyArgs(o, "/tmp/copy.img", ["usertests"]);
  assertEquals(a.slice(0, 3), ["run", "-A", V8_FLAGS]);
  assert(a[3].endsWith("main.ts"));
  assertEquals(a.slice(4), [
    "--kernel",
    "K",
    "--fs",
    "/tmp/copy.img",
    "--cpus",
    "2",
    "--stats",
    "usertests",
  ]);
  const q = qemuArgs("K", "C", 3, "legacy").join(" ");
  assert(q.includes("-machine virt -bios none -kernel K -m 128M -smp 3 -nographic"), q);
  assert(q.includes("-global virtio-mmio.force-legacy=true"), q);
  assert(q.includes("-drive file=C,if=none,format=raw,id=x0"), q);
  assert(q.includes("-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"), q);
  assert(qemuArgs("K", "C", 1, "modern").includes("virtio-mmio.force-legacy=false"));
});

Deno.test("bench: QEMU's conversation types at the first prompt and stops at the next", () => {
  const typed: string[] = [];
  let stopped = 0;
  const talk = typeAtPrompt("usertests -q");
  const see = (s: string) =>
    talk.see(new TextEncoder().encode(s), (t) => typed.push(t), () => stopped++);
  see("xv6 kernel is booting\n\ninit: starting sh\n$");
  assertEquals(typed, []);
  see(" ");
  assertEquals(typed, ["usertests -q\n"]);
  see("usertests -q\nusertests starting\nALL TESTS PASSED\n");
  assertEquals(stopped, 0);
  see("$ ");
  assertEquals([typed.length, stopped], [1, 1]);
});

Deno.test("bench: ratios only with QEMU's figures", () => {
  assertEquals(ratioFigures({ kernel_usertests_wall_seconds: 10 }), {});
  assertEquals(
    ratioFigures({
      kernel_usertests_wall_seconds: 10,
      kernel_usertests_cpu_seconds: "n/a",
      qemu_usertests_wall_seconds: 4,
      qemu_usertests_cpu_seconds: 4,
    }),
    { usertests_wall_ratio: 2.5, usertests_cpu_ratio: "n/a" },
  );
  // The test kernel's cpu N: xv6lazy's CPU seconds come from its instructions and CPU MIPS.
  assertEquals(
    cpuRatioFigures({
      fullsystem_user_instructions: 2e9,
      fullsystem_user_cpu_mips: 1000,
      fullsystem_user_seconds: 3,
      qemu_fullsystem_user_seconds: 2,
      qemu_fullsystem_user_cpu_seconds: 4,
    }),
    {
      qemu_fullsystem_user_mips: 1000,
      fullsystem_user_cpu_ratio: 0.5,
      fullsystem_user_wall_ratio: 1.5,
    },
  );
});

Deno.test("bench: the test kernel's workloads run from U-mode and are counted per mode", () => {
  const tk = new TestKernel();
  const touch = tk.type("touch 10");
  assert(touch.output.includes("touch 10: 11 page faults"), touch.output);
  assert(touch.modes.supervisor > touch.modes.user, "the faults are the kernel's work");
  const cpu = tk.type("cpu 1");
  assert(cpu.output.includes("cpu 1: "), cpu.output);
  assert(cpu.modes.user > 2 * cpu.modes.supervisor, "cpu is a user program's work");
  const sys = tk.type("sys 100");
  assert(sys.output.includes("sys 100: "), sys.output);
  assert(sys.seconds >= 0 && sys.cpuSeconds >= 0);
});

Deno.test("bench: QEMU's run ends at a panic, or when no prompt comes in time", async () => {
  let stopped = 0;
  const talk = typeAtPrompt("usertests", 0.02);
  talk.start!(() => stopped++);
  talk.see(new TextEncoder().encode("panic: could not find virtio disk\n"), () => {}, () => {
    stopped++;
  });
  assertEquals(stopped, 1);
  await new Promise((r) => setTimeout(r, 60));
  assertEquals(stopped, 2, "no prompt within the boot limit");
  talk.end!();
});

Deno.test("bench: hart_mips runs cpubench again and again from a fresh start on one hart", async () => {
  const r = await benchHart();
  assertEquals(r.fallback, 0, "userland/bin/cpubench is committed");
  // Each run starts from the program as loaded (data and bss put back), so each
  // retires what the first did; a run that went on from the last one's data would not.
  assertEquals(r.instructions, HART_RUNS * r.hart_first_instructions);
  assert(r.hart_first_instructions > 50_000_000, `${r.hart_first_instructions} instructions`);
  assert(r.exit_status >= 0 && r.exit_status < 256);
});
