// `deno task bench`: the project's performance figures, measured in one run.
//
//   hart_mips     million RV64 instructions retired per second (CPU-bound C program)
//   fault_rate    lazy page faults served per second while memtouch touches 100 MiB
//   grade_seconds wall time of a full `xv6lazy grade` (three fresh boots)
//
// Reproduce: deno task bench

import { benchHart } from "./bench_hart.ts";
import { start } from "./boot.ts";

/** Print one figure as `name: value`. */
function report(name: string, value: number | string): void {
  const v = typeof value === "number" ? Number(value.toFixed(2)) : value;
  console.log(`${name}: ${v}`);
}

/** Lazy page faults per second while one process touches 100 MiB of fresh sbrk memory. */
function benchFaults(): void {
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
  report("fault_pages", faults);
  report("fault_seconds", seconds);
  report("fault_rate", faults / seconds);
}

/** Wall time of `main.ts grade` run as a user would run it. */
async function benchGrade(): Promise<void> {
  const t0 = performance.now();
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "grade"],
    stdout: "piped",
    stderr: "piped",
  });
  const r = await cmd.output();
  const seconds = (performance.now() - t0) / 1000;
  const text = new TextDecoder().decode(r.stdout);
  const score = text.match(/Score: (\d+)\/100/);
  report("grade_seconds", seconds);
  report("grade_score", score ? Number(score[1]) : "none");
}

const hart = await benchHart();
for (const [k, v] of Object.entries(hart)) report(k, v);
benchFaults();
await benchGrade();
