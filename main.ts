// xv6lazy: boot xv6 with lazy page allocation on an emulated RV64 hart, and run its
// shell, one of its programs, or the lazy lab's grader. See README.md and --help.

import { parseArgs, styleText } from "./machine/deps.ts";
import { RootDir, sameBytes } from "./kernel/fsroot.ts";
import { restoreTerminal, StdoutError, writeErr, writeOut } from "./machine/host.ts";
import { runSession } from "./userland/session.ts";
import { checkImage, mkfs } from "./kernel/mkfs.ts";
import { fsFiles, programImages } from "./userland/images.ts";
import { type CapturedRun, captureRun } from "./userland/grade_run.ts";
import { grade, pointsOf, selectedRuns } from "./userland/grade.ts";
import { chooseRules, LAB_YEARS, type LabYear, type RulesChoice } from "./userland/grade_rules.ts";
import type { SbrkAbi } from "./kernel/sbrkabi.ts";
import { qemuMain } from "./userland/qemu_cli.ts";
import { bootQemu } from "./userland/qemu_boot.ts";
import { firstLine, UsageError } from "./cli/usage_error.ts";
import { readImageFile } from "./cli/image_file.ts";
import { ownFlagAfterProgram, runArgs, typedCommand } from "./cli/run_args.ts";
import { parseTraceFilter } from "./cli/trace_filter.ts";
import { addStats, printStats, type StatsTotal } from "./cli/stats.ts";
import { GradeJson, gradeSubset, saveRunLog } from "./cli/grade_output.ts";
import {
  checkKernelFlags,
  DEFAULT_CPUS,
  kernelBooter,
  type KernelConfig,
  kernelConfig,
} from "./cli/kernel_mode.ts";
import { FULL_SYSTEM_WALL_FACTOR } from "./userland/fullsystem.ts";
import {
  EXIT_BROKEN_PIPE,
  EXIT_INTERNAL,
  EXIT_IOERR,
  EXIT_PANIC,
  EXIT_STOPPED,
  EXIT_USAGE,
} from "./cli/exits.ts";

export const VERSION = "0.1.0";

/** Emulated seconds a run-mode or piped session may take unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT = 600;

const HELP = `xv6lazy ${VERSION}: xv6 with lazy page allocation, on an emulated RISC-V machine.

Usage:
  xv6lazy [FLAGS]                    boot to the xv6 shell
  xv6lazy [FLAGS] PROGRAM [ARGS...]  run one program and exit with its status
  xv6lazy [FLAGS] grade [PART...]    grade the lab the way \`make grade\` does
  xv6lazy --list                     list the programs on the disk
  xv6lazy --kernel FILE [FLAGS] ...  the same with a real xv6 kernel (see below)
  xv6lazy qemu [QEMU OPTIONS]        stand in for qemu-system-riscv64 (see qemu -help)

Shell: with a terminal, keys go to xv6's console (backspace, ^U erases the line,
^D ends input, ^P lists processes with their size and resident pages); quit
with Ctrl-C twice or Ctrl-A x. With piped input, every line is typed into the
shell and xv6lazy exits 0 once the input is used up and the system is idle.

PROGRAM is a file in the root directory of the disk (usertests, lazytests, ls,
cat, echo, grep, wc, sh, ...). Its output streams to stdout and xv6lazy exits
with the program's exit status (-1 becomes 255). Flags for xv6lazy itself go
before PROGRAM; everything after it goes to the program (xv6lazy's own long
flags there are refused; write -- before PROGRAM to pass them on anyway).

grade boots fresh systems the way the lab's grader does, types a command at
the shell prompt of each ('echo hi', 'lazytests', 'usertests'), and judges the
console output with the grader's rules, in emulated time. The rules are those
of the lab revision whose usertests is on the disk (2019, 2020, or the 2022
port; a year without a lab uses the nearest earlier one), or of --lab YEAR; the
report's first line says which. It prints the report and 'Score: N/M', and
exits 0 only at full marks. PART picks runs: pte, lazy, usertests (default:
all the rules' runs; the 2019 and 2020 rules have no pte run).

Real kernels: --kernel FILE boots that RISC-V kernel ELF (xv6's kernel/kernel,
as \`make\` builds it) on an emulated QEMU virt board (RAM at 0x80000000, CLINT,
PLIC, UART, virtio disk), with --fs IMAGE (its fs.img) or else the built-in disk.
The shell, PROGRAM and grade work as above, with these differences. The kernel
never says when it waits for input, so piped input is typed one line at each
'$ ' prompt, and xv6lazy exits 0 at the prompt after the last line; PROGRAM is
typed at the first prompt and xv6lazy exits 0 at the next one (the shell does
not tell a program's status). A panic ends the run with the panic line and exit
code ${EXIT_PANIC}. Time limits (--timeout, and grade's 30/300/600 s) count nominal
seconds of 10^9 board steps: the board's clock (the guest's 10 MHz mtime) moves
one tick for each instruction that every hart runs side by side, about 100 times
slower per instruction than under QEMU, so a nominal second is 100 s of guest
time. grade also stops a run after ${FULL_SYSTEM_WALL_FACTOR} times its limit in wall-clock seconds,
as a backstop. --stats shows instructions per privilege mode (U, S, M), board
steps and MIPS. --eager, --sbrk-abi, --trace and --quiet concern the built-in
kernel only and are refused with --kernel.

Flags:
  --fs IMAGE   boot from an xv6 file-system image file instead of the built-in
               disk (made at boot from the embedded programs); the file is not
               changed unless --save is given
  --save       with --fs: write the disk back to IMAGE at exit
  --kernel FILE
               boot this xv6 kernel ELF on the emulated board (see above)
  --cpus N     with --kernel: the number of harts, 1 to 8 (default ${DEFAULT_CPUS}, as
               xv6's Makefile)
  --mem SIZE   with --kernel: RAM size from 16M to 1G, like 128M (the
               default, what xv6 expects); a plain number is MiB
  --virtio=auto|legacy|modern
               with --kernel: the virtio disk's register layout. legacy:
               version 1 (QEMU's default; xv6 of 2019-2020). modern: version 2
               (QEMU's -global virtio-mmio.force-legacy=false; xv6 from 2021).
               auto (default): guessed from the kernel file (the modern
               driver's messages), then checked at boot: a kernel that panics
               with 'could not find virtio disk' before using the disk is
               booted again with the other layout
  --eager      turn lazy allocation off (sbrk allocates at once, as before the lab)
  --sbrk-abi=auto|classic|2025
               what system call 12 means. classic: sbrk(n), lazy (the lab).
               2025: sbrk(n, type) of xv6-riscv 2025, type 1 (SBRK_EAGER)
               allocating at once, type 2 (SBRK_LAZY) lazily. auto (default):
               decided per program at exec from its code: 2025 when most calls
               to its sbrk stub (li a7,12; ecall) load 1 or 2 into a1 just
               before, as 2025's sbrk and sbrklazy do; else classic
  --stats      at exit, print counters on stderr, each with what it counts: page
               faults served, pages allocated and freed, processes killed by
               faults, instructions retired, ticks, run time, MIPS, wall time
               (with --kernel: instructions per mode, board steps, MIPS)
  --trace[=FILTER]
               print a line on stderr for every lazy page fault (pid, virtual
               address, the physical page it got), every sbrk, and every fault
               that kills a process. FILTER: comma-separated sbrk, faults, pid:N
  --timeout SECONDS
               stop a run-mode or piped session after SECONDS of emulated time
               (nominal seconds with --kernel; default ${DEFAULT_TIMEOUT}; 0 = no limit; an
               interactive shell has none)
  --quiet      leave out the page-table dump that exec prints for process 1
  --list       list the programs in the disk's root directory, and exit
  --lab YEAR   with grade: use the rules of that year's lab (2019, 2020 or 2022)
  --json       with grade: print the report as JSON (items, points, verdicts,
               reasons, times) instead of text
  --logs DIR   with grade: save each run's console output as DIR/xv6.out.RUN
  -h, --help   show this help
  --version    show the version

Examples:
  xv6lazy                          interactive xv6 shell
  printf 'echo hi\\nls\\n' | xv6lazy  type two commands into the shell
  xv6lazy usertests sbrkmuch       run one usertests test
  xv6lazy --stats lazytests        run lazytests, then show the counters
  xv6lazy --eager lazytests        see lazytests fail without lazy allocation
  xv6lazy --trace=pid:4 usertests sbrkarg  the sbrk calls and faults of one test
  xv6lazy grade                    the lab's grade report
  xv6lazy grade lazy --logs out    grade only lazytests, keeping its output
  xv6lazy --fs fs.img grade        grade another disk's programs by their year's rules
  xv6lazy --fs fs.img --save       a shell on a disk image, saving changes
  xv6lazy --kernel kernel/kernel --fs fs.img          your kernel's shell
  xv6lazy --kernel kernel/kernel --fs fs.img usertests -q
  xv6lazy --kernel kernel/kernel --fs fs.img grade    grade your lab
  xv6lazy --kernel kernel/kernel --cpus 1 --stats     one hart, then counters

Exit codes: the program's status in run mode; 0 for the shell; for grade 0 at
full marks, else 1; ${EXIT_USAGE} for bad usage; ${EXIT_PANIC} when the xv6 kernel panicked; ${EXIT_IOERR} when
stdout cannot be written (${EXIT_BROKEN_PIPE}, quietly, when its reader has gone); ${EXIT_STOPPED} when
xv6lazy stopped a system that could not finish (--timeout, or no process can
make progress); ${EXIT_INTERNAL} for an internal error.
`;

interface Flags {
  fs?: string;
  kernel?: string;
  cpus?: string;
  mem?: string;
  virtio?: string;
  /** --sbrk-abi was given (it is refused with --kernel). */
  sbrkAbiGiven: boolean;
  save: boolean;
  eager: boolean;
  sbrkAbi: "auto" | SbrkAbi;
  lab?: LabYear;
  stats: boolean;
  trace: boolean;
  /** --trace=FILTER's FILTER. */
  traceFilter?: string;
  timeout?: string;
  quiet: boolean;
  list: boolean;
  json: boolean;
  logs?: string;
  help: boolean;
  version: boolean;
}

const OPTIONS = {
  fs: { type: "string" },
  kernel: { type: "string" },
  cpus: { type: "string" },
  mem: { type: "string" },
  virtio: { type: "string" },
  save: { type: "boolean" },
  eager: { type: "boolean" },
  "sbrk-abi": { type: "string" },
  lab: { type: "string" },
  stats: { type: "boolean" },
  trace: { type: "boolean" },
  timeout: { type: "string" },
  quiet: { type: "boolean" },
  list: { type: "boolean" },
  json: { type: "boolean" },
  logs: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Whether a flag takes the next argument as its value (`--fs IMAGE`, not `--fs=IMAGE`). */
function takesValue(a: string): boolean {
  const name = a.slice(2) as keyof typeof OPTIONS;
  return a.startsWith("--") && OPTIONS[name]?.type === "string";
}

/** The command line: xv6lazy's flags, and the program with its arguments (or grade and its parts). */
export interface CommandLine {
  flags: Flags;
  rest: string[];
  /** `--` stood before PROGRAM: its arguments go to it whatever they look like. */
  explicit: boolean;
}

/** Split the command line into xv6lazy's flags and the program with its arguments. */
export function parseCommandLine(args: string[]): CommandLine {
  // Flags come before PROGRAM; the program's own arguments may look like flags.
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a === "--") break;
    if (!a.startsWith("-") || a === "-") break;
    i += takesValue(a) ? 2 : 1;
  }
  let own = args.slice(0, Math.min(i, args.length));
  let rest = args.slice(Math.min(i, args.length));
  const explicit = rest[0] === "--";
  if (explicit) rest = rest.slice(1);
  else if (rest[0] === "grade") {
    // `xv6lazy grade --eager lazy` reads naturally too: flags anywhere, parts as words.
    const parts: string[] = [];
    for (let j = 1; j < rest.length; j++) {
      if (!rest[j].startsWith("-")) parts.push(rest[j]);
      else {
        own.push(rest[j]);
        if (takesValue(rest[j]) && j + 1 < rest.length) own.push(rest[++j]);
      }
    }
    rest = ["grade", ...parts];
  }
  // --trace=FILTER: the filter is kept apart, since --trace alone takes no value.
  let traceFilter: string | undefined;
  own = own.map((a) => {
    if (!a.startsWith("--trace=")) return a;
    traceFilter = a.slice("--trace=".length);
    return "--trace";
  });
  let values;
  try {
    ({ values } = parseArgs({
      args: own,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    // parseArgs' messages start with a capital and may add advice about `--`; keep the fact.
    const fact = firstLine(e).replace(/\. To specify a positional argument.*$/, "");
    throw new UsageError(`${fact.charAt(0).toLowerCase()}${fact.slice(1)} (try --help)`);
  }
  return {
    flags: {
      fs: values.fs,
      kernel: values.kernel,
      cpus: values.cpus,
      mem: values.mem,
      virtio: values.virtio,
      sbrkAbiGiven: values["sbrk-abi"] !== undefined,
      save: values.save ?? false,
      eager: values.eager ?? false,
      sbrkAbi: sbrkAbiFlag(values["sbrk-abi"]),
      lab: labFlag(values.lab),
      stats: values.stats ?? false,
      trace: values.trace ?? false,
      traceFilter,
      timeout: values.timeout,
      quiet: values.quiet ?? false,
      list: values.list ?? false,
      json: values.json ?? false,
      logs: values.logs,
      help: values.help ?? false,
      version: values.version ?? false,
    },
    rest,
    explicit,
  };
}

/** The value of --sbrk-abi: auto (the default), classic or 2025. */
function sbrkAbiFlag(v: string | undefined): "auto" | SbrkAbi {
  if (v === undefined || v === "auto" || v === "classic" || v === "2025") return v ?? "auto";
  throw new UsageError(`--sbrk-abi must be auto, classic or 2025, not '${v}'`);
}

/** The value of --lab: a year that has a table of rules. */
function labFlag(v: string | undefined): LabYear | undefined {
  if (v === undefined) return undefined;
  const year = LAB_YEARS.find((y) => String(y) === v);
  if (year === undefined) {
    throw new UsageError(`--lab must be one of ${LAB_YEARS.join(", ")}, not '${v}'`);
  }
  return year;
}

/** The disk to boot: the user's image file, or a fresh one from the embedded programs. */
function loadImage(flags: Flags): Uint8Array {
  if (flags.fs === undefined) {
    if (flags.save) throw new UsageError("--save needs --fs IMAGE");
    return mkfs(fsFiles);
  }
  const bytes = readImageFile(flags.fs);
  const bad = checkImage(bytes) ?? rootProblem(bytes);
  if (bad !== null) throw new UsageError(`${flags.fs} is not a usable xv6 disk image: ${bad}`);
  return bytes;
}

/** Why an image's root directory cannot be read, or null if it can. */
function rootProblem(bytes: Uint8Array): string | null {
  try {
    new RootDir(bytes);
    return null;
  } catch (e) {
    return firstLine(e);
  }
}

/** The root directory of the image, and its /init's bytes; a UsageError if they cannot be read. */
function lookAtRoot(flags: Flags, image: Uint8Array): { root: RootDir; init: Uint8Array | null } {
  try {
    const root = new RootDir(image);
    return { root, init: root.read("init") };
  } catch (e) {
    throw new UsageError(`${flags.fs} is not a usable xv6 disk image: ${firstLine(e)}`);
  }
}

/** With --save, write the disk image back to the --fs file. */
function saveImage(flags: Flags, image: Uint8Array): void {
  if (!flags.save || flags.fs === undefined) return;
  try {
    Deno.writeFileSync(flags.fs, image);
  } catch (e) {
    throw new UsageError(`cannot write disk image ${flags.fs}: ${firstLine(e)}`);
  }
}

/** Colour the report only on a terminal, and never with NO_COLOR. */
function colourOn(): boolean {
  return Deno.stdout.isTerminal() && !Deno.noColor;
}

/** Flags that make no sense with grade, or only with it: refuse them in one line. */
function checkGradeFlags(flags: Flags, grading: boolean): void {
  if (grading) {
    if (flags.trace) throw new UsageError("--trace does not work with grade (try it in run mode)");
    if (flags.timeout !== undefined) {
      throw new UsageError("--timeout does not apply to grade, which keeps the grader's limits");
    }
    if (flags.quiet) throw new UsageError("--quiet does not apply to grade");
  } else {
    if (flags.json) throw new UsageError("--json goes with grade");
    if (flags.logs !== undefined) throw new UsageError("--logs goes with grade");
    if (flags.lab !== undefined) throw new UsageError("--lab goes with grade");
  }
}

/** The rules to grade by: --lab YEAR, else those of the revision of the disk's usertests. */
function gradeRules(flags: Flags, image: Uint8Array): RulesChoice {
  const { root } = lookAtRoot(flags, image);
  let usertests: Uint8Array | null;
  try {
    usertests = root.read("usertests");
  } catch (e) {
    throw new UsageError(`${flags.fs} is not a usable xv6 disk image: ${firstLine(e)}`);
  }
  return chooseRules(usertests, flags.lab);
}

/**
 * `xv6lazy grade [PART...]`: fresh boots judged by the rules of the disk's lab revision
 * (or --lab's); 0 only at full marks of the runs graded.
 */
async function gradeCommand(
  flags: Flags,
  image: Uint8Array,
  parts: string[],
  kernel: KernelConfig | null,
): Promise<number> {
  const choice = gradeRules(flags, image);
  const { rules } = choice;
  const only = gradeSubset(parts, rules);
  const colour = colourOn() && !flags.json;
  const progress = Deno.stderr.isTerminal();
  const json = flags.json ? new GradeJson(VERSION, choice, only) : null;
  let total: StatsTotal | null = null;
  const system = kernel ? kernelBooter(kernel, image) : undefined;
  const score = await grade(
    (run) => {
      const t0 = performance.now();
      const out: CapturedRun = captureRun(run, {
        fsImage: image, // not reset between runs, as with the lab's grader
        eager: flags.eager,
        sbrkAbi: flags.sbrkAbi,
        system,
        onTestStart: progress
          ? (name) => {
            const t = ((performance.now() - t0) / 1000).toFixed(1);
            writeErr(`\r\x1b[K  ... ${run.command}: ${name} (${t}s)`);
          }
          : undefined,
      });
      if (progress) writeErr("\r\x1b[K"); // clear the progress line
      if (flags.logs !== undefined) out.log = saveRunLog(flags.logs, run, out.text);
      if (out.stats) total = addStats(total, out.stats, out.seconds, out.seconds);
      return out;
    },
    {
      write: json ? () => {} : writeOut,
      paint: (st, s) =>
        colour ? styleText(st === "OK" ? "green" : "red", s, { validateStream: false }) : s,
      only,
      onRun: json?.onRun,
    },
    choice,
  );
  if (json) {
    const k = kernel
      ? { file: kernel.path, cpus: kernel.cpus, mem: kernel.ramSize, virtio: kernel.virtio }
      : undefined;
    writeOut(json.render(flags.eager, k));
  }
  saveImage(flags, image);
  if (flags.stats && total) printStats(total);
  return score === pointsOf(rules, selectedRuns(rules, only)) ? 0 : 1;
}

/** --timeout SECONDS, or the default for the session: emulated seconds, 0 = no limit. */
function timeoutSeconds(flags: Flags, interactiveShell: boolean): number {
  if (flags.timeout === undefined) return interactiveShell ? 0 : DEFAULT_TIMEOUT;
  const t = Number(flags.timeout);
  if (flags.timeout.trim() === "" || !Number.isFinite(t) || t < 0) {
    throw new UsageError(`--timeout wants a number of seconds, not '${flags.timeout}'`);
  }
  return t;
}

/** `xv6lazy --list`: the programs (ELF files) in the disk's root directory, one a line. */
function listPrograms(flags: Flags, image: Uint8Array): number {
  const { root } = lookAtRoot(flags, image);
  const names = root.names().filter((n) => {
    if (n === "." || n === "..") return false;
    const bytes = root.read(n);
    return bytes !== null && bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 &&
      bytes[2] === 0x4c && bytes[3] === 0x46;
  });
  writeOut(names.sort().map((n) => n + "\n").join(""));
  return 0;
}

/** Run xv6lazy with a command line; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "qemu") return await qemuMain(args.slice(1), VERSION, bootQemu);
  const { flags, rest, explicit } = parseCommandLine(args);
  if (flags.help) {
    writeOut(HELP);
    return 0;
  }
  if (flags.version) {
    writeOut(`xv6lazy ${VERSION}\n`);
    return 0;
  }
  const grading = rest[0] === "grade" && !explicit;
  checkGradeFlags(flags, grading);
  checkKernelFlags(flags, {
    eager: flags.eager,
    sbrkAbiGiven: flags.sbrkAbiGiven,
    trace: flags.trace,
    quiet: flags.quiet,
  });
  const traceFilter = flags.traceFilter !== undefined
    ? parseTraceFilter(flags.traceFilter)
    : undefined;
  if (rest.length > 0 && !grading && !explicit) {
    const stray = ownFlagAfterProgram(rest, Object.keys(OPTIONS));
    if (stray !== null) {
      throw new UsageError(
        `${stray} comes after ${rest[0]}, so it would go to ${rest[0]}; put xv6lazy's ` +
          `flags before PROGRAM (or write -- before PROGRAM to pass it on)`,
      );
    }
  }
  const interactiveShell = rest.length === 0 && Deno.stdin.isTerminal();
  const timeout = grading ? 0 : timeoutSeconds(flags, interactiveShell);
  const kernel = kernelConfig(flags);
  const image = loadImage(flags);
  if (flags.list) return listPrograms(flags, image);
  if (grading) return await gradeCommand(flags, image, rest.slice(1), kernel);

  let initArgs: string[] | undefined;
  let typed: string | undefined;
  if (rest.length > 0) {
    const { root, init } = lookAtRoot(flags, image);
    const name = rest[0].replace(/^\/+/, "");
    if (name === "" || (!name.includes("/") && !root.has(name))) {
      throw new UsageError(
        `unknown program '${rest[0]}' (the disk's root directory has: ${programList(root)})`,
      );
    }
    if (!kernel && init !== null && sameBytes(init, programImages.init)) initArgs = runArgs(rest);
    // A foreign image's init may not understand run mode: type the command instead.
    else typed = typedCommand(rest);
  } else if (interactiveShell) {
    const what = kernel ? `${kernel.path} on ${kernel.cpus} hart(s)` : "xv6";
    writeErr(`xv6lazy: booting ${what}; quit with Ctrl-A x or Ctrl-C twice\n`);
  }
  const result = await runSession({
    fsImage: image,
    eager: flags.eager,
    sbrkAbi: flags.sbrkAbi,
    initArgs,
    typed,
    trace: flags.trace,
    traceFilter,
    timeoutSeconds: timeout,
    quiet: flags.quiet,
    system: kernel ? kernelBooter(kernel, image) : undefined,
  });
  saveImage(flags, image);
  if (flags.stats) {
    printStats({ stats: result.stats, seconds: result.seconds, runSeconds: result.runSeconds });
  }
  return result.code;
}

/** The programs in an image's root directory, for the unknown-program message. */
function programList(root: RootDir): string {
  return root.names().filter((n) => n !== "." && n !== ".." && n !== "console").sort().join(
    " ",
  );
}

/** Entry point: every failure becomes one line on stderr and an exit code. */
async function entry(): Promise<never> {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    restoreTerminal();
    code = failureCode(e);
  }
  restoreTerminal();
  Deno.exit(code);
}

/** Report a failure that ended main() in one line (or none), and choose the exit code. */
function failureCode(e: unknown): number {
  if (e instanceof UsageError) {
    writeErrSafe(`xv6lazy: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof StdoutError && !e.brokenPipe) {
    writeErrSafe(`xv6lazy: ${e.message}\n`);
    return EXIT_IOERR;
  }
  if (e instanceof StdoutError || e instanceof Deno.errors.BrokenPipe) {
    return EXIT_BROKEN_PIPE; // the reader went away (e.g. `| head`): stop quietly
  }
  writeErrSafe(`xv6lazy: internal error: ${firstLine(e)}\n`);
  return EXIT_INTERNAL;
}

/** Write to stderr, ignoring a closed stream. */
function writeErrSafe(s: string): void {
  try {
    writeErr(s);
  } catch {
    // stderr is gone too; the exit code still tells.
  }
}

if (import.meta.main) await entry();
