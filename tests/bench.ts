// `deno task bench`: the project's performance figures, measured in one run and printed
// as `name: value`, one a line. With --runs N every figure is the median of N runs.
//
//   bench_command  the command that reproduces this output; runs: N
//
// Built-in kernel (the default run):
//   hart_mips     million RV64 instructions retired per second (cpubench, a CPU-bound C
//                 program, on a bare hart with Sv39 on; tests/bench_hart.ts), over 8 runs
//                 back to back on one hart so that translating is a small part of it;
//                 hart_first_mips and hart_first_instructions the first run alone (warm-up
//                 included); cpu_mips the same over CPU time; instructions, seconds and
//                 exit_status of those runs;
//                 fallback 1 if a stand-in loop ran because cpubench was not built
//   fault_rate    lazy page faults served per second while memtouch touches 100 MiB;
//                 fault_pages, fault_seconds
//   usertests_seconds, usertests_cpu_seconds, usertests_passed, test_seconds_NAME
//                 wall and CPU time of usertests in-process, and the wall time of each slow
//                 test (or any over 0.5 s)
//   grade_seconds, grade_cpu_seconds, grade_score
//                 a full `xv6lazy grade` (three fresh boots) run as a user runs it
//
// Full system, the project's test kernel (userland/metal/testkernel on the virt board,
// one hart, in this process; tests/bench_fullsystem.ts), one shell command each:
//   fullsystem_user_mips, fullsystem_user_cpu_mips, fullsystem_user_seconds,
//   fullsystem_user_instructions, fullsystem_user_modes
//                 a CPU-bound U-mode program (cpu N: cpubench's workload): MIPS over wall
//                 and over CPU time, seconds, instructions retired, and their shares in U,
//                 S and M mode (what dominates)
//   fullsystem_kernel_mips, fullsystem_kernel_cpu_mips, fullsystem_kernel_seconds,
//   fullsystem_kernel_instructions, fullsystem_kernel_modes
//                 the same for a kernel-heavy one (sys N: system calls, copyin, checksum)
//   fullsystem_touch_seconds, fullsystem_touch_cpu_seconds, fullsystem_touch_faults,
//   fullsystem_touch_fault_rate, fullsystem_touch_mips, fullsystem_touch_modes
//                 the page-touching workload (touch N, several times): every page faulted
//                 in from U by the kernel, then all freed
//   qemu_fullsystem_user_seconds, qemu_fullsystem_user_cpu_seconds
//                 (--qemu) the same cpu N under qemu-system-riscv64 (one hart, the same
//                 board and disk): the run typing `cpu N` less the run typing `cpu 1`, so
//                 QEMU's start and the boot drop out
//   qemu_fullsystem_user_mips, fullsystem_user_cpu_ratio, fullsystem_user_wall_ratio
//                 QEMU's MIPS on it (the same instructions; compare hart_mips for the
//                 built-in kernel's hart), and xv6lazy's time over QEMU's (above 1:
//                 xv6lazy is slower)
//
// A real xv6 kernel (--kernel K --fs IMG; tests/bench_kernel.ts), instead of the above:
//   kernel_file, kernel_fs, kernel_cpus, kernel_virtio (the layout QEMU is given),
//   kernel_usertests_command (what is typed at the prompt)
//   kernel_usertests_wall_seconds, kernel_usertests_cpu_seconds, kernel_usertests_passed,
//   kernel_usertests_instructions, kernel_usertests_mips, kernel_usertests_modes
//                 `main.ts --kernel K --fs COPY --cpus N --stats usertests`, from its start
//                 to the prompt after usertests: wall and CPU seconds, ALL TESTS PASSED or
//                 not, guest instructions (all harts), MIPS while the board ran, and the
//                 instructions' shares in U, S and M mode
//   kernel_grade_wall_seconds, kernel_grade_cpu_seconds, kernel_grade_score,
//   kernel_grade_instructions, kernel_grade_mips, kernel_grade_modes
//                 the same for `main.ts --kernel K --fs COPY --cpus N --stats grade`
//                 (unless --no-grade)
//   qemu_usertests_wall_seconds, qemu_usertests_cpu_seconds, qemu_usertests_passed
//                 (--qemu) the same usertests under qemu-system-riscv64 with xv6's options
//   usertests_wall_ratio, usertests_cpu_ratio
//                 xv6lazy's usertests time over QEMU's (above 1: xv6lazy is slower)
//
// Reproduce:
//   deno task bench [--qemu] [--runs N]
//   deno task bench --kernel K --fs IMG [--cpus N] [--qemu] [--no-grade]
//                   [--usertests-args "ARGS"] [--runs N]
//
// The image IMG is copied for every run and never changed. --cpus defaults to xv6's
// Makefile's 3; --usertests-args to "" (all tests; "-q" or a test name for a short run).

import { parseArgs } from "../machine/deps.ts";
import { cpuUsage } from "../machine/deps.ts";
import { MAX_CPUS } from "../machine/board.ts";
import { DEFAULT_CPUS } from "../cli/kernel_mode.ts";
import { benchHart } from "./bench_hart.ts";
import { start } from "./boot.ts";
import { benchTestKernel, type Figures } from "./bench_fullsystem.ts";
import { V8_FLAGS } from "../tools/v8_flags.ts";
import {
  benchKernelGrade,
  benchKernelUsertests,
  benchQemuTestKernel,
  benchQemuUsertests,
  cpuRatioFigures,
  type KernelBenchOptions,
  kernelLayout,
  ratioFigures,
  runChild,
  usertestsCommand,
} from "./bench_kernel.ts";

/** Every figure the bench may print (NAME: any test's name); the header lists each. */
export const FIGURES: readonly string[] = [
  "bench_command",
  "runs",
  "hart_mips",
  "hart_first_mips",
  "hart_first_instructions",
  "instructions",
  "seconds",
  "cpu_mips",
  "exit_status",
  "fallback",
  "fault_pages",
  "fault_seconds",
  "fault_rate",
  "usertests_seconds",
  "usertests_cpu_seconds",
  "usertests_passed",
  "test_seconds_NAME",
  "grade_seconds",
  "grade_cpu_seconds",
  "grade_score",
  ...["user", "kernel"].flatMap((w) =>
    ["mips", "cpu_mips", "seconds", "instructions", "modes"].map((f) => `fullsystem_${w}_${f}`)
  ),
  "fullsystem_touch_seconds",
  "fullsystem_touch_cpu_seconds",
  "fullsystem_touch_faults",
  "fullsystem_touch_fault_rate",
  "fullsystem_touch_mips",
  "fullsystem_touch_modes",
  "kernel_file",
  "kernel_fs",
  "kernel_cpus",
  "kernel_virtio",
  "kernel_usertests_command",
  ...["usertests", "grade"].flatMap((w) =>
    ["wall_seconds", "cpu_seconds", "instructions", "mips", "modes"].map((f) => `kernel_${w}_${f}`)
  ),
  "kernel_usertests_passed",
  "kernel_grade_score",
  "qemu_usertests_wall_seconds",
  "qemu_usertests_cpu_seconds",
  "qemu_usertests_passed",
  "qemu_fullsystem_user_seconds",
  "qemu_fullsystem_user_cpu_seconds",
  "qemu_fullsystem_user_mips",
  "fullsystem_user_cpu_ratio",
  "fullsystem_user_wall_ratio",
  "usertests_wall_ratio",
  "usertests_cpu_ratio",
];

const USAGE = `usage: deno task bench [--qemu] [--runs N]
       deno task bench --kernel K --fs IMG [--cpus N] [--qemu] [--no-grade]
                       [--usertests-args "ARGS"] [--runs N]
`;

/** A bad bench command line. */
export class BenchUsageError extends Error {}

/** What to measure. */
export interface BenchOptions {
  runs: number;
  /** Default run: also time the test kernel's cpu workload under qemu-system-riscv64. */
  qemu: boolean;
  /** The real kernel's figures instead of the default ones, or null. */
  kernel: KernelBenchOptions | null;
  help: boolean;
}

/** Whether a figure's name is one of FIGURES. */
export function knownFigure(name: string): boolean {
  return FIGURES.some((f) =>
    f.endsWith("_NAME") ? name.startsWith(f.slice(0, -4)) && name.length > f.length - 4 : f === name
  );
}

/** One figure as its output line: numbers with at most two decimals. */
export function figureLine(name: string, value: number | string): string {
  if (!knownFigure(name)) throw new Error(`bench figure '${name}' is not in the header's list`);
  const v = typeof value === "number" ? Number(value.toFixed(2)) : value;
  return `${name}: ${v}`;
}

/** Print figures, one line each. */
function report(f: Figures): void {
  for (const [k, v] of Object.entries(f)) console.log(figureLine(k, v));
}

/** A whole number from min up, for flag `name`. */
function count(name: string, v: string, min: number, max = Infinity): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) {
    const range = max === Infinity ? `${min} or more` : `${min} to ${max}`;
    throw new BenchUsageError(`--${name} wants a whole number, ${range}, not '${v}'`);
  }
  return n;
}

/** Read the bench's command line. */
export function parseBenchArgs(args: string[]): BenchOptions {
  // `--usertests-args -q`: the value may start with a dash; parseArgs wants it joined.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--usertests-args" && i + 1 < args.length) {
      joined.push(`--usertests-args=${args[++i]}`);
    } else joined.push(args[i]);
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: joined,
      options: {
        kernel: { type: "string" },
        fs: { type: "string" },
        cpus: { type: "string" },
        qemu: { type: "boolean" },
        "no-grade": { type: "boolean" },
        "usertests-args": { type: "string" },
        runs: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new BenchUsageError(msg.replace(/\. To specify a positional argument.*$/, ""));
  }
  const runs = values.runs === undefined ? 1 : count("runs", values.runs, 1);
  const help = values.help ?? false;
  if (values.kernel === undefined) {
    for (const flag of ["fs", "cpus", "no-grade", "usertests-args"] as const) {
      if (values[flag] !== undefined) throw new BenchUsageError(`--${flag} goes with --kernel K`);
    }
    return { runs, qemu: values.qemu ?? false, kernel: null, help };
  }
  if (values.kernel === "") throw new BenchUsageError("--kernel needs a file name");
  if (values.fs === undefined || values.fs === "") {
    throw new BenchUsageError("--kernel needs --fs IMG, the disk image the kernel boots");
  }
  return {
    runs,
    qemu: false,
    help,
    kernel: {
      kernel: values.kernel,
      fs: values.fs,
      cpus: values.cpus === undefined ? DEFAULT_CPUS : count("cpus", values.cpus, 1, MAX_CPUS),
      qemu: values.qemu ?? false,
      grade: !(values["no-grade"] ?? false),
      usertestsArgs: values["usertests-args"] ?? "",
    },
  };
}

/** The command line that reproduces a run, for the bench_command figure. */
export function commandLine(args: string[]): string {
  const quote = (a: string) => /^[\w./=:,+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  return ["deno", "task", "bench", ...args.map(quote)].join(" ");
}

/** The median of numbers (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Figures of several runs as one: the median of each number, the last run's text. */
export function medianFigures(runs: Figures[]): Figures {
  const out: Figures = {};
  for (const name of new Set(runs.flatMap((r) => Object.keys(r)))) {
    const values = runs.map((r) => r[name]).filter((v) => v !== undefined);
    const numbers = values.filter((v): v is number => typeof v === "number");
    out[name] = numbers.length === values.length ? median(numbers) : values[values.length - 1];
  }
  return out;
}

/** Measure `n` times and print the medians. */
async function measure(n: number, f: () => Figures | Promise<Figures>): Promise<Figures> {
  const runs: Figures[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  const m = medianFigures(runs);
  report(m);
  return m;
}

/** Lazy page faults per second while one process touches 100 MiB of fresh sbrk memory. */
function benchFaults(): Figures {
  const b = start(["memtouch", "100"]);
  const before = b.kernel.stats();
  const t0 = performance.now();
  const state = b.settle();
  const seconds = (performance.now() - t0) / 1000;
  const after = b.kernel.stats();
  const faults = after.pageFaults - before.pageFaults;
  if (state !== "halted" || b.kernel.exitStatus !== 0) {
    throw new Error(`memtouch did not finish cleanly: ${b.out.text().slice(-300)}`);
  }
  return { fault_pages: faults, fault_seconds: seconds, fault_rate: faults / seconds };
}

/** Wall time of a full usertests run and of each slow test, from the console's test headers. */
function benchUsertests(): Figures {
  const b = start(["usertests"]);
  const marks: [string, number][] = [];
  const sink = b.console.sink;
  let tail = "";
  b.console.sink = (bytes) => {
    sink(bytes);
    tail = (tail + new TextDecoder().decode(bytes)).slice(-200);
    const m = tail.match(/(?:^|\n)test (\S+): $/);
    if (m) marks.push([m[1], performance.now()]);
  };
  const t0 = performance.now();
  const c0 = cpuUsage();
  b.settle();
  const c1 = cpuUsage(c0);
  const t1 = performance.now();
  const f: Figures = {
    usertests_seconds: (t1 - t0) / 1000,
    usertests_cpu_seconds: (c1.user + c1.system) / 1e6,
    usertests_passed: /^ALL TESTS PASSED$/m.test(b.out.text()) ? "yes" : "no",
  };
  const slow = ["bigdir", "manywrites", "badwrite", "execout", "diskfull", "outofinodes"];
  for (let i = 0; i < marks.length; i++) {
    const end = i + 1 < marks.length ? marks[i + 1][1] : t1;
    const [name, at] = marks[i];
    if (slow.includes(name) || end - at > 500) f[`test_seconds_${name}`] = (end - at) / 1000;
  }
  return f;
}

/** Wall and CPU time of `main.ts grade` run as a user would run it. */
async function benchGrade(): Promise<Figures> {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const r = await runChild(Deno.execPath(), ["run", "-A", V8_FLAGS, main, "grade"]);
  const score = r.stdout.match(/Score: (\d+)\/100/);
  return {
    grade_seconds: r.seconds,
    grade_cpu_seconds: r.cpuSeconds ?? "n/a",
    grade_score: score ? Number(score[1]) : "none",
  };
}

/** Check the files a kernel run needs before any is started; a BenchUsageError says which. */
async function checkKernelRun(o: KernelBenchOptions): Promise<void> {
  for (const [flag, path] of [["--kernel", o.kernel], ["--fs", o.fs]]) {
    let ok = false;
    try {
      ok = Deno.statSync(path).isFile;
    } catch {
      ok = false;
    }
    if (!ok) throw new BenchUsageError(`${flag} ${path}: no such file`);
  }
  if (o.qemu) {
    try {
      await new Deno.Command("qemu-system-riscv64", { args: ["--version"], stdout: "null" })
        .output();
    } catch {
      throw new BenchUsageError("--qemu: qemu-system-riscv64 is not installed");
    }
  }
}

/** The bench: the default figures, or a real kernel's. */
async function main(args: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(args);
    if (opts.kernel) await checkKernelRun(opts.kernel);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    console.error(`bench: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE.trimEnd());
    return 0;
  }
  report({ bench_command: commandLine(args), runs: opts.runs });
  const k = opts.kernel;
  if (k !== null) {
    report({
      kernel_file: k.kernel,
      kernel_fs: k.fs,
      kernel_cpus: k.cpus,
      kernel_virtio: kernelLayout(k.kernel),
      kernel_usertests_command: usertestsCommand(k.usertestsArgs).join(" "),
    });
    const ut = await measure(opts.runs, () => benchKernelUsertests(k));
    if (k.grade) await measure(opts.runs, () => benchKernelGrade(k));
    if (k.qemu) {
      const q = await measure(opts.runs, () => benchQemuUsertests(k));
      report(ratioFigures({ ...ut, ...q }));
    }
    return 0;
  }
  await measure(opts.runs, benchHart);
  await measure(opts.runs, benchFaults);
  await measure(opts.runs, benchUsertests);
  await measure(opts.runs, benchGrade);
  const tk = await measure(opts.runs, benchTestKernel);
  if (opts.qemu) {
    const q = await measure(opts.runs, benchQemuTestKernel);
    report(cpuRatioFigures({ ...tk, ...q }));
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
