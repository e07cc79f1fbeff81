// `deno task bench --kernel K --fs IMG`: the figures of a real xv6 kernel, measured
// as a user meets them, by running the command line in a child process:
//
//   usertests  deno run -A main.ts --kernel K --fs COPY --cpus N --stats --timeout 0
//              usertests [ARGS]: boots, types usertests at the first prompt, exits at
//              the next; --stats (on stderr) gives the instructions per mode and MIPS
//   grade      deno run -A main.ts --kernel K --fs COPY --cpus N --stats grade
//   QEMU       (--qemu) qemu-system-riscv64 with xv6 Makefile's options, usertests typed
//              at the first "$ " and the run ended at the next
//
// Each run gets a fresh copy of IMG in a temporary folder: the user's file is never
// touched. Wall time is measured here; CPU time is what the kernel charged this
// process for its children once they were reaped (cutime + cstime of /proc/self/stat,
// the figures getrusage(RUSAGE_CHILDREN) gives), Deno's or QEMU's, all threads. Deno
// lets only --allow-all (-A, as `deno task bench` runs) read /proc/self; without it, or
// off Linux, CPU figures are "n/a".

import { join } from "../machine/deps.ts";
import { guessLayout, type VirtioLayout } from "../userland/virtio_layout.ts";
import { PromptCounter } from "../userland/typing.ts";
import { CPU_ROUNDS, type Figures, modesText } from "./bench_fullsystem.ts";
import { metalDisk } from "./metal_harness.ts";
import { METAL_DIR } from "../userland/build.ts";
import { V8_FLAGS } from "../tools/v8_flags.ts";

/** main.ts, run as a user runs it. */
const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** The longest any one child may run before it is killed (a hung kernel ends the bench). */
export const CHILD_LIMIT_SECONDS = 4 * 3600;
/** Linux's USER_HZ: the unit of /proc/self/stat's times (100 on every Linux architecture). */
const USER_HZ = 100;

/** What the bench measures on a real kernel. */
export interface KernelBenchOptions {
  kernel: string;
  fs: string;
  cpus: number;
  /** Also run usertests under qemu-system-riscv64. */
  qemu: boolean;
  /** Also time `grade`. */
  grade: boolean;
  /** The arguments typed after `usertests` ("" for the full run). */
  usertestsArgs: string;
}

/** A finished child: exit code (null when killed), output, wall and CPU seconds. */
export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** CPU seconds of the child (and its own reaped children), or null off Linux. */
  cpuSeconds: number | null;
  timedOut: boolean;
}

/** The children's CPU clock ticks in a /proc/PID/stat line: cutime + cstime (fields 16, 17). */
export function childTicks(stat: string): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[13]) + Number(fields[14]);
}

/** CPU seconds of this process's reaped children so far, or null if /proc cannot say. */
export function childrenCpuSeconds(): number | null {
  try {
    return childTicks(Deno.readTextFileSync("/proc/self/stat")) / USER_HZ;
  } catch {
    return null;
  }
}

/** How a child's output is answered: text to type, or stop (kill it, the run is over). */
export interface Conversation {
  /** Called once the child has started, with the way to end the run (for a deadline). */
  start?(stop: () => void): void;
  /** Called with each chunk of stdout; may type into stdin or end the run. */
  see(bytes: Uint8Array, type: (text: string) => void, stop: () => void): void;
  /** Called once the child has ended. */
  end?(): void;
}

/** Run a command to its end (or until the conversation stops it), timing it. */
export async function runChild(
  cmd: string,
  args: string[],
  talk?: Conversation,
): Promise<ChildResult> {
  const cpu0 = childrenCpuSeconds();
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    stdin: talk ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let timedOut = false;
  let ended = -1; // when the conversation stopped the run
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, CHILD_LIMIT_SECONDS * 1000);
  const writer = talk ? child.stdin.getWriter() : null;
  const type = (text: string) => {
    writer?.write(new TextEncoder().encode(text)).catch(() => {});
  };
  const stop = () => {
    if (ended < 0) ended = performance.now();
    kill();
  };
  talk?.start?.(stop);
  const decoder = new TextDecoder();
  let stdout = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      talk?.see(chunk, type, stop);
    }
  })();
  const stderr = new Response(child.stderr).text();
  const status = await child.status;
  clearTimeout(timer);
  talk?.end?.();
  await reading;
  await writer?.close().catch(() => {});
  const t1 = ended >= 0 ? ended : performance.now();
  const cpu1 = childrenCpuSeconds();
  return {
    code: ended >= 0 ? null : status.code,
    stdout,
    stderr: await stderr,
    seconds: (t1 - t0) / 1000,
    cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
    timedOut,
  };
}

/** The counters --stats printed on stderr with a real kernel, or null if it printed none. */
export interface BoardStats {
  instructions: number;
  user: number;
  supervisor: number;
  machine: number;
  /** Instructions per second while the board ran, in millions. */
  mips: number;
}

/** Read the --stats table (cli/stats.ts) of a full-system run. */
export function parseStats(stderr: string): BoardStats | null {
  const num = (label: string): number | null => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)`, "m").exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const instructions = num("instructions retired");
  const user = num("in U mode"), supervisor = num("in S mode"), machine = num("in M mode");
  const mips = num("MIPS");
  if (instructions === null || user === null || supervisor === null || machine === null) {
    return null;
  }
  return { instructions, user, supervisor, machine, mips: mips ?? 0 };
}

/** The command words of `usertests ARGS`. */
export function usertestsCommand(args: string): string[] {
  return ["usertests", ...args.split(/\s+/).filter((w) => w !== "")];
}

/** xv6lazy's command line for a real kernel on a disk copy, then `rest`. */
export function xv6lazyArgs(o: KernelBenchOptions, fs: string, rest: string[]): string[] {
  return [
    "run",
    "-A",
    V8_FLAGS,
    MAIN,
    "--kernel",
    o.kernel,
    "--fs",
    fs,
    "--cpus",
    String(o.cpus),
    "--stats",
  ]
    .concat(rest);
}

/** qemu-system-riscv64's options, as xv6's Makefile gives them, for this kernel and disk. */
export function qemuArgs(kernel: string, fs: string, cpus: number, layout: VirtioLayout): string[] {
  return [
    "-machine",
    "virt",
    "-bios",
    "none",
    "-kernel",
    kernel,
    "-m",
    "128M",
    "-smp",
    String(cpus),
    "-nographic",
    "-global",
    `virtio-mmio.force-legacy=${layout === "legacy"}`,
    "-drive",
    `file=${fs},if=none,format=raw,id=x0`,
    "-device",
    "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
  ];
}

/** Seconds a kernel under QEMU gets to reach its first prompt (xv6 needs about one). */
export const BOOT_LIMIT_SECONDS = 120;

/**
 * Type `line` at the first "$ " prompt, and end the run at the next one; end it too
 * when the kernel panics (it would spin for ever) or shows no prompt in time.
 */
export function typeAtPrompt(line: string, bootLimit = BOOT_LIMIT_SECONDS): Conversation {
  const prompts = new PromptCounter();
  const decoder = new TextDecoder();
  let tail = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    start(stop) {
      timer = setTimeout(() => {
        if (prompts.count === 0) stop();
      }, bootLimit * 1000);
    },
    see(bytes, type, stop) {
      const before = prompts.count;
      prompts.see(bytes);
      tail = (tail + decoder.decode(bytes, { stream: true })).slice(-200);
      if (before === 0 && prompts.count >= 1) type(line + "\n");
      if (prompts.count >= 2 || /(^|\n)panic: .*\n/.test(tail)) stop();
    },
    end() {
      clearTimeout(timer);
    },
  };
}

/** Whether a usertests run's output ended well; if not, say why on stderr. */
function passed(what: string, r: ChildResult): string {
  if (r.stdout.includes("ALL TESTS PASSED") && !r.timedOut) return "yes";
  const last = (r.stdout + r.stderr).trimEnd().split("\n").slice(-3).join(" | ");
  console.error(`bench: ${what} did not pass (exit code ${r.code ?? "none"}): ${last}`);
  return r.timedOut ? "timeout" : "no";
}

/** Figures common to the timed children: wall and CPU seconds, instructions, MIPS, modes. */
function childFigures(prefix: string, r: ChildResult): Figures {
  const f: Figures = {
    [`${prefix}_wall_seconds`]: r.seconds,
    [`${prefix}_cpu_seconds`]: r.cpuSeconds ?? "n/a",
  };
  const s = parseStats(r.stderr);
  if (s !== null) {
    f[`${prefix}_instructions`] = s.instructions;
    f[`${prefix}_mips`] = s.mips;
    f[`${prefix}_modes`] = modesText(s);
  }
  return f;
}

/** A fresh copy of the disk image in a temporary folder; returns its path and the folder. */
function copyImage(fs: string): { path: string; dir: string } {
  const dir = Deno.makeTempDirSync({ prefix: "xv6lazy-bench-" });
  const path = join(dir, "fs.img");
  Deno.copyFileSync(fs, path);
  return { path, dir };
}

/** Run f on a fresh copy of the image, removing the copy afterwards. */
async function onCopy<T>(fs: string, f: (path: string) => Promise<T>): Promise<T> {
  const { path, dir } = copyImage(fs);
  try {
    return await f(path);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The virtio layout QEMU must give this kernel (xv6lazy guesses it the same way). */
export function kernelLayout(kernel: string): VirtioLayout {
  return guessLayout(Deno.readFileSync(kernel));
}

/** usertests on xv6lazy: `main.ts --kernel K --fs COPY --cpus N --stats usertests ARGS`. */
export async function benchKernelUsertests(o: KernelBenchOptions): Promise<Figures> {
  const command = usertestsCommand(o.usertestsArgs);
  const r = await onCopy(
    o.fs,
    (fs) => runChild(Deno.execPath(), xv6lazyArgs(o, fs, ["--timeout", "0", ...command])),
  );
  return {
    kernel_usertests_passed: passed("usertests on xv6lazy", r),
    ...childFigures("kernel_usertests", r),
  };
}

/** grade on xv6lazy: `main.ts --kernel K --fs COPY --cpus N --stats grade`. */
export async function benchKernelGrade(o: KernelBenchOptions): Promise<Figures> {
  const r = await onCopy(o.fs, (fs) => runChild(Deno.execPath(), xv6lazyArgs(o, fs, ["grade"])));
  const score = /Score: (\d+\/\d+)/.exec(r.stdout);
  if (score === null) {
    console.error(`bench: grade gave no score (exit code ${r.code}): ${r.stderr.trim()}`);
  }
  return {
    kernel_grade_score: r.timedOut ? "timeout" : score ? score[1] : "none",
    ...childFigures("kernel_grade", r),
  };
}

/** The same usertests under qemu-system-riscv64, typed at the first prompt. */
export async function benchQemuUsertests(o: KernelBenchOptions): Promise<Figures> {
  const command = usertestsCommand(o.usertestsArgs).join(" ");
  const layout = kernelLayout(o.kernel);
  const r = await onCopy(
    o.fs,
    (fs) =>
      runChild(
        "qemu-system-riscv64",
        qemuArgs(o.kernel, fs, o.cpus, layout),
        typeAtPrompt(command),
      ),
  );
  return {
    qemu_usertests_passed: passed("usertests on QEMU", r),
    qemu_usertests_wall_seconds: r.seconds,
    qemu_usertests_cpu_seconds: r.cpuSeconds ?? "n/a",
  };
}

/** a / b when both are numbers and b is positive, else "n/a" (a figure that was not measured). */
function ratio(a: unknown, b: unknown): number | string {
  return typeof a === "number" && typeof b === "number" && b > 0 ? a / b : "n/a";
}

/** xv6lazy's time over QEMU's for the same usertests run (added after the medians). */
export function ratioFigures(f: Figures): Figures {
  if (f.qemu_usertests_wall_seconds === undefined) return {};
  return {
    usertests_wall_ratio: ratio(f.kernel_usertests_wall_seconds, f.qemu_usertests_wall_seconds),
    usertests_cpu_ratio: ratio(f.kernel_usertests_cpu_seconds, f.qemu_usertests_cpu_seconds),
  };
}

/** The test kernel's `line` under qemu-system-riscv64 (one hart), typed at its prompt. */
async function qemuTestKernel(line: string): Promise<ChildResult> {
  const kernel = join(METAL_DIR, "bin", "testkernel");
  const dir = Deno.makeTempDirSync({ prefix: "xv6lazy-bench-" });
  const disk = join(dir, "disk.img");
  Deno.writeFileSync(disk, metalDisk());
  try {
    const r = await runChild(
      "qemu-system-riscv64",
      qemuArgs(kernel, disk, 1, kernelLayout(kernel)),
      typeAtPrompt(line),
    );
    if (r.timedOut || !r.stdout.includes(`${line}: `)) {
      throw new Error(`testkernel '${line}' under QEMU did not finish: ${r.stdout.slice(-300)}`);
    }
    return r;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** cpu N (the bench's CPU-bound U-mode workload) under QEMU, less QEMU's start and boot. */
export async function benchQemuTestKernel(): Promise<Figures> {
  const full = await qemuTestKernel(`cpu ${CPU_ROUNDS}`);
  const base = await qemuTestKernel("cpu 1");
  const cpu = full.cpuSeconds !== null && base.cpuSeconds !== null
    ? full.cpuSeconds - base.cpuSeconds
    : "n/a";
  return {
    qemu_fullsystem_user_seconds: full.seconds - base.seconds,
    qemu_fullsystem_user_cpu_seconds: cpu,
  };
}

/** xv6lazy's time for the test kernel's cpu N over QEMU's (added after the medians). */
export function cpuRatioFigures(f: Figures): Figures {
  const n = f.fullsystem_user_instructions, mips = f.fullsystem_user_cpu_mips;
  const cpu = typeof n === "number" && typeof mips === "number" ? n / mips / 1e6 : "n/a";
  const mipsOverQemu = ratio(n, f.qemu_fullsystem_user_seconds);
  return {
    qemu_fullsystem_user_mips: typeof mipsOverQemu === "number" ? mipsOverQemu / 1e6 : "n/a",
    fullsystem_user_cpu_ratio: ratio(cpu, f.qemu_fullsystem_user_cpu_seconds),
    fullsystem_user_wall_ratio: ratio(f.fullsystem_user_seconds, f.qemu_fullsystem_user_seconds),
  };
}
