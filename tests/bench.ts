// `deno task bench`: the project's performance figures, measured in one run.
//
//   hart_mips     million RV64 instructions retired per second (CPU-bound C program)
//   fault_rate    lazy page faults served per second while memtouch touches 100 MiB
//   usertests_seconds, test_seconds_NAME
//                 wall time of usertests in-process, and of each slow test (or any over 0.5 s)
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

/** Wall time of a full usertests run and of each slow test, from the console's test headers. */
function benchUsertests(): void {
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
  b.settle();
  const t1 = performance.now();
  report("usertests_seconds", (t1 - t0) / 1000);
  report("usertests_passed", /^ALL TESTS PASSED$/m.test(b.out.text()) ? "yes" : "no");
  const slow = ["bigdir", "manywrites", "badwrite", "execout", "diskfull", "outofinodes"];
  for (let i = 0; i < marks.length; i++) {
    const end = i + 1 < marks.length ? marks[i + 1][1] : t1;
    const [name, at] = marks[i];
    if (slow.includes(name) || end - at > 500) report(`test_seconds_${name}`, (end - at) / 1000);
  }
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
benchUsertests();
await benchGrade();
