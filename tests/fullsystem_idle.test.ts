// Harts that idle by spinning (userland/metal/idle.c: an old xv6 scheduler's idle
// loop, in S-mode on the boot stack, without WFI) must not make a board of three
// harts cost three times one: the board gives a spinning hart a small share of each
// round, and whole turns again once it runs user code.

import { assert, assertEquals } from "./deps.ts";
import { type MetalRun, runMetal } from "./metal_harness.ts";

/** Total instructions retired over all harts. */
function total(r: MetalRun): number {
  return r.instret.reduce((a, b) => a + b, 0);
}

/** The mtime ticks jobs A and B took, from the program's last line. */
function ticks(r: MetalRun): [number, number] {
  const m = r.output.match(/ticks: A (\d+), B (\d+)/);
  assert(m !== null, `no ticks line in: ${r.output}`);
  return [Number(m[1]), Number(m[2])];
}

/** The output without its timing line (the same on any number of harts). */
function results(r: MetalRun): string {
  return r.output.replace(/ticks: .*\n/, "").replace(/hart \d: checksum/g, "checksum");
}

Deno.test("idle harts: three spinning harts cost little more than one hart", () => {
  const one = runMetal("idle", { cpus: 1 });
  const three = runMetal("idle", { cpus: 3 });
  assertEquals(one.code, 0);
  assertEquals(three.code, 0);
  assertEquals(results(three), results(one));
  assertEquals(three.board.modeCounts().user, one.board.modeCounts().user, "the same user work");
  // Unthrottled, harts 1 and 2 would each spin as long as the whole run: 3x.
  const cost = total(three) / total(one);
  assert(cost < 1.3, `3 harts retired ${cost.toFixed(2)}x the instructions of 1`);
  assert(three.instret[2] > 0, "the idle hart still runs");
});

Deno.test("idle harts: a hart leaving its idle loop for user code gets whole turns at once", () => {
  const r = runMetal("idle", { cpus: 2 });
  const [a, b] = ticks(r);
  // Job B ran on hart 1 after it had spun for all of job A; at a sixteenth of a
  // turn it would take about 16 times as long.
  assert(b < a * 1.05, `job A took ${a} ticks, job B ${b}`);
  assert(r.output.includes("job B on hart 1"), r.output);
});

Deno.test("idle harts: throttling is deterministic and the same translated or interpreted", () => {
  const fast = runMetal("idle", { cpus: 3 });
  const again = runMetal("idle", { cpus: 3 });
  const slow = runMetal("idle", { cpus: 3, jit: false });
  assertEquals(again.instret, fast.instret);
  assertEquals(again.output, fast.output);
  assertEquals(slow.instret, fast.instret, "instructions per hart, interpreted vs translated");
  assertEquals(slow.output, fast.output);
});
