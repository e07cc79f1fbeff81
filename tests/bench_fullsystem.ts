// Full-system figures of `deno task bench`, on the project's own test kernel
// (userland/metal/bin/testkernel, one hart) booted on the virt board in this process.
// Each workload is one command typed at the kernel's shell, measured from typing it
// to the next prompt: wall and CPU seconds, and the instructions the hart retired in
// U, S and M mode.
//
//   cpu N    a CPU-bound U-mode program (cpubench's workload)     fullsystem_user_*
//   sys N    N system calls: trap entry and exit, copyin, checksum  fullsystem_kernel_*
//   touch N  N pages stored to from U, each one faulted in by the kernel, then freed:
//            fullsystem_touch_*
//
// Run directly: `deno run -A tests/bench_fullsystem.ts`.

import { Board } from "../machine/board.ts";
import { ConsoleDevice } from "../machine/console.ts";
import { cpuUsage } from "../machine/deps.ts";
import { PromptCounter } from "../userland/typing.ts";
import { metalDisk, metalImage } from "./metal_harness.ts";

/** Figures of one measurement: `name: value` lines, in order. */
export type Figures = Record<string, number | string>;

/** Instructions retired per privilege mode. */
export interface ModeCounts {
  user: number;
  supervisor: number;
  machine: number;
}

/** One command's cost: wall and CPU seconds, instructions per mode, what it printed. */
export interface Measure {
  seconds: number;
  cpuSeconds: number;
  modes: ModeCounts;
  output: string;
}

/** The workloads' sizes: a few seconds each on the project's 2-core build machine. */
export const CPU_ROUNDS = 800;
export const SYS_CALLS = 1_000_000;
export const TOUCH_PAGES = 30_000;
export const TOUCH_TIMES = 6;

/** Board time per slice between looks for the prompt (0.1 s of mtime). */
const SLICE = 1_000_000;
/** The most board time one command may take (an endless loop fails the bench). */
const MAX_STEPS = 100_000_000_000;

/** The sum of all modes' instructions. */
export function totalOf(m: ModeCounts): number {
  return m.user + m.supervisor + m.machine;
}

/** Per-mode shares as one figure, e.g. "U 0.4% S 99.5% M 0.1%": where the work went. */
export function modesText(m: ModeCounts): string {
  const total = totalOf(m) || 1;
  const pct = (n: number) => `${(n / total * 100).toFixed(1)}%`;
  return `U ${pct(m.user)} S ${pct(m.supervisor)} M ${pct(m.machine)}`;
}

/** The test kernel on a board of one hart, driven one command at a time. */
export class TestKernel {
  readonly board: Board;
  private readonly console: ConsoleDevice;
  private readonly prompts = new PromptCounter();
  private text = "";
  private readonly decoder = new TextDecoder();

  /** Boot it and wait for its first prompt. */
  constructor() {
    this.console = new ConsoleDevice((bytes) => {
      this.prompts.see(bytes);
      this.text += this.decoder.decode(bytes, { stream: true });
    });
    this.board = new Board({
      kernel: metalImage("testkernel"),
      disk: metalDisk(),
      console: this.console,
      cpus: 1,
    });
    this.untilPrompt(1);
  }

  /** Run the board until the shell has printed its n-th prompt. */
  private untilPrompt(n: number): void {
    const end = this.board.time + MAX_STEPS;
    while (this.prompts.count < n) {
      this.board.inputArrived();
      const state = this.board.run(SLICE);
      if (state === "halted" || this.board.time >= end) {
        throw new Error(`testkernel stopped before its prompt: ${this.text.slice(-300)}`);
      }
    }
  }

  /** Type one command and measure it until the next prompt. */
  type(command: string): Measure {
    const before = this.board.modeCounts();
    const start = this.text.length;
    const t0 = performance.now();
    const c0 = cpuUsage();
    this.console.pushInput(command + "\n");
    this.untilPrompt(this.prompts.count + 1);
    const c1 = cpuUsage(c0);
    const seconds = (performance.now() - t0) / 1000;
    const after = this.board.modeCounts();
    return {
      seconds,
      cpuSeconds: (c1.user + c1.system) / 1e6,
      modes: {
        user: after.user - before.user,
        supervisor: after.supervisor - before.supervisor,
        machine: after.machine - before.machine,
      },
      output: this.text.slice(start),
    };
  }
}

/** Add one measure to another (for a workload typed several times). */
function addMeasure(a: Measure | null, b: Measure): Measure {
  if (a === null) return b;
  return {
    seconds: a.seconds + b.seconds,
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    modes: {
      user: a.modes.user + b.modes.user,
      supervisor: a.modes.supervisor + b.modes.supervisor,
      machine: a.modes.machine + b.modes.machine,
    },
    output: a.output + b.output,
  };
}

/** Type `command` `times` times; fail unless each ran to its end (no kill, no usage line). */
function workload(tk: TestKernel, command: string, times = 1): Measure {
  let total: Measure | null = null;
  const [name, arg] = command.split(" ");
  for (let i = 0; i < times; i++) {
    const m = tk.type(command);
    if (!m.output.includes(`${name} ${arg}: `) || m.output.includes("killed")) {
      throw new Error(`testkernel '${command}' did not finish: ${m.output}`);
    }
    total = addMeasure(total, m);
  }
  return total!;
}

/** The figures of one workload under a prefix: MIPS (wall and CPU), seconds, modes. */
function rateFigures(prefix: string, m: Measure): Figures {
  const n = totalOf(m.modes);
  return {
    [`${prefix}_mips`]: n / m.seconds / 1e6,
    [`${prefix}_cpu_mips`]: n / m.cpuSeconds / 1e6,
    [`${prefix}_seconds`]: m.seconds,
    [`${prefix}_instructions`]: n,
    [`${prefix}_modes`]: modesText(m.modes),
  };
}

/** Boot the test kernel once and measure its three workloads. */
export function benchTestKernel(): Figures {
  const tk = new TestKernel();
  const cpu = workload(tk, `cpu ${CPU_ROUNDS}`);
  const sys = workload(tk, `sys ${SYS_CALLS}`);
  const touch = workload(tk, `touch ${TOUCH_PAGES}`, TOUCH_TIMES);
  const faults = [...touch.output.matchAll(/: (\d+) page faults/g)]
    .reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    ...rateFigures("fullsystem_user", cpu),
    ...rateFigures("fullsystem_kernel", sys),
    fullsystem_touch_seconds: touch.seconds,
    fullsystem_touch_cpu_seconds: touch.cpuSeconds,
    fullsystem_touch_faults: faults,
    fullsystem_touch_fault_rate: faults / touch.seconds,
    fullsystem_touch_mips: totalOf(touch.modes) / touch.seconds / 1e6,
    fullsystem_touch_modes: modesText(touch.modes),
  };
}

if (import.meta.main) {
  for (const [k, v] of Object.entries(benchTestKernel())) console.log(`${k}: ${v}`);
}
