// xv6lazy: boot xv6 with lazy page allocation on an emulated RV64 hart, and run its
// shell, one of its programs, or the lazy lab's grader. See README.md and --help.

import { parseArgs, styleText } from "./machine/deps.ts";
import { RootDir, sameBytes } from "./kernel/fsroot.ts";
import { restoreTerminal, writeErr, writeOut } from "./machine/host.ts";
import { runSession } from "./userland/session.ts";
import { checkImage, mkfs } from "./kernel/mkfs.ts";
import type { KernelStats } from "./kernel/main.ts";
import { fsFiles, programImages } from "./userland/images.ts";
import { type CapturedRun, captureRun } from "./userland/grade_run.ts";
import { grade } from "./userland/grade.ts";
import { chooseRules, LAB_YEARS, type LabYear, totalPoints } from "./userland/grade_rules.ts";
import type { SbrkAbi } from "./kernel/sbrkabi.ts";

export const VERSION = "0.1.0";

const HELP = `xv6lazy ${VERSION}: xv6 with lazy page allocation, on an emulated RISC-V machine.

Usage:
  xv6lazy [FLAGS]                    boot to the xv6 shell
  xv6lazy [FLAGS] PROGRAM [ARGS...]  run one program and exit with its status
  xv6lazy [FLAGS] grade              grade the lab the way \`make grade\` does

Shell: with a terminal, keys go to xv6's console (backspace, ^U erases the line,
^D ends input, ^P lists processes with their size and resident pages); quit
with Ctrl-C twice or Ctrl-A x. With piped input, every line is typed into the
shell and xv6lazy exits 0 once the input is used up and the system is idle.

PROGRAM is a file in the root directory of the disk (usertests, lazytests, ls,
cat, echo, grep, wc, sh, ...). Its output streams to stdout and xv6lazy exits
with the program's exit status (-1 becomes 255). Flags for xv6lazy itself go
before PROGRAM; everything after it goes to the program.

grade boots fresh systems the way the lab's grader does, types a command at
the shell prompt of each ('echo hi', 'lazytests', 'usertests'), and judges the
console output with the grader's rules, in emulated time. The rules are those
of the lab revision whose usertests is on the disk (2019, 2020, or the 2022
port; a year without a lab uses the nearest earlier one), or of --lab YEAR; the
report's first line says which. It prints the report and 'Score: N/M', and
exits 0 only at full marks.

Flags:
  --fs IMAGE   boot from an xv6 file-system image file instead of the built-in
               disk (made at boot from the embedded programs); the file is not
               changed unless --save is given
  --save       with --fs: write the disk back to IMAGE at exit
  --eager      turn lazy allocation off (sbrk allocates at once, as before the lab)
  --sbrk-abi=auto|classic|2025
               what system call 12 means. classic: sbrk(n), lazy (the lab).
               2025: sbrk(n, type) of xv6-riscv 2025, type 1 (SBRK_EAGER)
               allocating at once, type 2 (SBRK_LAZY) lazily. auto (default):
               decided per program at exec from its code: 2025 when most calls
               to its sbrk stub (li a7,12; ecall) load 1 or 2 into a1 just
               before, as 2025's sbrk and sbrklazy do; else classic
  --lab YEAR   grade with the rules of that year's lab (2019, 2020 or 2022)
  --stats      at exit, print counters on stderr: page faults served, pages
               allocated and freed, processes killed by faults, instructions
               retired, MIPS, timer ticks
  --trace      print a line on stderr for every lazy page fault (pid, virtual
               address, the physical page it got), every sbrk, and every fault
               that kills a process: watch lazy allocation happen
  -h, --help   show this help
  --version    show the version

Examples:
  xv6lazy                          interactive xv6 shell
  printf 'echo hi\\nls\\n' | xv6lazy  type two commands into the shell
  xv6lazy usertests sbrkmuch       run one usertests test
  xv6lazy --stats lazytests        run lazytests, then show the counters
  xv6lazy --eager lazytests        see lazytests fail without lazy allocation
  xv6lazy --trace usertests sbrkarg  every sbrk and lazy fault of one test
  xv6lazy grade                    the lab's grade report
  xv6lazy --fs fs.img grade        grade another disk's programs by their year's rules
  xv6lazy --fs fs.img --save       a shell on a disk image, saving changes

Exit codes: the program's status in run mode; 0 for the shell; for grade 0 at
full marks, else 1; 2 for bad usage; 70 for an internal error.
`;

/** A mistake on the command line or in its inputs: one line on stderr, exit 2. */
class UsageError extends Error {}

interface Flags {
  fs?: string;
  save: boolean;
  eager: boolean;
  sbrkAbi: "auto" | SbrkAbi;
  lab?: LabYear;
  stats: boolean;
  trace: boolean;
  help: boolean;
  version: boolean;
}

const OPTIONS = {
  fs: { type: "string" },
  save: { type: "boolean" },
  eager: { type: "boolean" },
  "sbrk-abi": { type: "string" },
  lab: { type: "string" },
  stats: { type: "boolean" },
  trace: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Flags whose value may come as the next argument. */
const VALUE_FLAGS = ["--fs", "--sbrk-abi", "--lab"];

/** Split the command line into xv6lazy's flags and the program with its arguments. */
export function parseCommandLine(args: string[]): { flags: Flags; rest: string[] } {
  // Flags come before PROGRAM; the program's own arguments may look like flags.
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    if (a === "--") break;
    if (!a.startsWith("-") || a === "-") break;
    i += VALUE_FLAGS.includes(a) ? 2 : 1;
  }
  let own = args.slice(0, Math.min(i, args.length));
  let rest = args.slice(Math.min(i, args.length));
  if (rest[0] === "--") rest = rest.slice(1);
  else if (rest[0] === "grade") {
    // `xv6lazy grade --eager` reads naturally too.
    own = own.concat(rest.slice(1));
    rest = ["grade"];
  }
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
      save: values.save ?? false,
      eager: values.eager ?? false,
      sbrkAbi: sbrkAbiFlag(values["sbrk-abi"]),
      lab: labFlag(values.lab),
      stats: values.stats ?? false,
      trace: values.trace ?? false,
      help: values.help ?? false,
      version: values.version ?? false,
    },
    rest,
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

/** The first line of an exception's message. */
function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0];
}

/** The disk to boot: the user's image file, or a fresh one from the embedded programs. */
function loadImage(flags: Flags): Uint8Array {
  if (flags.fs === undefined) {
    if (flags.save) throw new UsageError("--save needs --fs IMAGE");
    return mkfs(fsFiles);
  }
  if (flags.fs === "") throw new UsageError("--fs needs a file name");
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(flags.fs);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
      ? "permission denied"
      : e instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : firstLine(e);
    throw new UsageError(`cannot read disk image ${flags.fs}: ${why}`);
  }
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

/** With --save, write the disk image back to the --fs file. */
function saveImage(flags: Flags, image: Uint8Array): void {
  if (!flags.save || flags.fs === undefined) return;
  try {
    Deno.writeFileSync(flags.fs, image);
  } catch (e) {
    throw new UsageError(`cannot write disk image ${flags.fs}: ${firstLine(e)}`);
  }
}

interface StatsTotal {
  stats: KernelStats;
  seconds: number;
}

/** Add one run's counters to the running total (grade sums its three runs). */
function addStats(total: StatsTotal | null, s: KernelStats, seconds: number): StatsTotal {
  if (!total) return { stats: { ...s }, seconds };
  const t = total.stats;
  for (const k of Object.keys(t) as (keyof KernelStats)[]) t[k] = (t[k] ?? 0) + (s[k] ?? 0);
  total.seconds += seconds;
  return total;
}

/** Print the --stats table on stderr. */
function printStats(total: StatsTotal): void {
  const s = total.stats;
  const mips = total.seconds > 0 ? s.instructions / total.seconds / 1e6 : 0;
  const rows: [string, string][] = [
    ["page faults served", String(s.pageFaults)],
    ["pages allocated", String(s.pagesAllocated)],
    ["pages freed", String(s.pagesFreed)],
    ["processes killed by faults", String(s.faultKills)],
    ["instructions retired", String(s.instructions)],
    ["MIPS", mips.toFixed(1)],
    ["ticks", String(s.ticks)],
    ["wall time", `${total.seconds.toFixed(2)} s`],
  ];
  writeErr("xv6lazy stats:\n" + rows.map(([k, v]) => `  ${k.padEnd(28)}${v}\n`).join(""));
}

/** Colour the report only on a terminal, and never with NO_COLOR. */
function colourOn(): boolean {
  return Deno.stdout.isTerminal() && !Deno.noColor;
}

/** `xv6lazy grade`: fresh boots, judged by the rules of the disk's lab revision; 0 only at full marks. */
async function gradeCommand(flags: Flags, image: Uint8Array): Promise<number> {
  const choice = chooseRules(new RootDir(image).read("usertests"), flags.lab);
  const colour = colourOn();
  const progress = Deno.stderr.isTerminal();
  let total: StatsTotal | null = null;
  const full = totalPoints(choice.rules);
  const score = await grade(
    (run) => {
      const t0 = performance.now();
      const out: CapturedRun = captureRun(run, {
        fsImage: image, // not reset between runs, as with the lab's grader
        eager: flags.eager,
        sbrkAbi: flags.sbrkAbi,
        onTestStart: progress
          ? (name) => {
            const t = ((performance.now() - t0) / 1000).toFixed(1);
            writeErr(`\r\x1b[K  ... ${run.command}: ${name} (${t}s)`);
          }
          : undefined,
      });
      if (progress) writeErr("\r\x1b[K"); // clear the progress line
      if (out.stats) total = addStats(total, out.stats, out.seconds);
      return out;
    },
    {
      write: writeOut,
      paint: (st, s) =>
        colour ? styleText(st === "OK" ? "green" : "red", s, { validateStream: false }) : s,
    },
    choice,
  );
  saveImage(flags, image);
  if (flags.stats && total) printStats(total);
  return score === full ? 0 : 1;
}

/** Run xv6lazy with a command line; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { flags, rest } = parseCommandLine(args);
  if (flags.help) {
    writeOut(HELP);
    return 0;
  }
  if (flags.version) {
    writeOut(`xv6lazy ${VERSION}\n`);
    return 0;
  }
  const image = loadImage(flags);
  if (rest[0] === "grade") return await gradeCommand(flags, image);

  let initArgs: string[] | undefined;
  let typed: string | undefined;
  if (rest.length > 0) {
    const root = new RootDir(image);
    const initBytes = root.read("init");
    const ownInit = initBytes !== null && sameBytes(initBytes, programImages.init);
    if (ownInit) {
      const name = rest[0].replace(/^\/+/, "");
      if (name === "" || (!name.includes("/") && !root.has(name))) {
        throw new UsageError(
          `unknown program '${rest[0]}' (the disk's root directory has: ${programList(root)})`,
        );
      }
      initArgs = rest;
    } else {
      // A foreign image's init may not understand run mode: type the command instead.
      typed = rest.join(" ");
    }
  } else if (Deno.stdin.isTerminal()) {
    writeErr("xv6lazy: booting xv6; quit with Ctrl-A x or Ctrl-C twice\n");
  }
  const result = await runSession({
    fsImage: image,
    eager: flags.eager,
    sbrkAbi: flags.sbrkAbi,
    initArgs,
    typed,
    trace: flags.trace,
  });
  saveImage(flags, image);
  if (flags.stats) printStats({ stats: result.stats, seconds: result.seconds });
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
    if (e instanceof UsageError) {
      writeErrSafe(`xv6lazy: ${e.message}\n`);
      code = 2;
    } else if (e instanceof Deno.errors.BrokenPipe) {
      code = 0; // stdout went away (e.g. `| head`): stop quietly
    } else {
      writeErrSafe(`xv6lazy: internal error: ${firstLine(e)}\n`);
      code = 70;
    }
  }
  restoreTerminal();
  Deno.exit(code);
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
