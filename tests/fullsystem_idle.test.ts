// Harts that idle by spinning (userland/metal/idle.c: an old xv6 scheduler's idle
// loop, in S-mode on the boot stack, without WFI) must not make a board of three
// harts cost three times one: the board gives a spinning hart a small share of each
// round, and whole turns again once it runs user code. A spinning hart that turns its
// interrupts on as it lets go of a lock (userland/metal/idlelock.c, as xv6's
// scheduler does) rests between turns, never while it holds a lock, and rests too
// when it finds a lock another hart holds.

import { assert, assertEquals } from "./deps.ts";
import { metalDisk, metalImage, type MetalRun, runMetal } from "./metal_harness.ts";
import { Board, QUANTUM, SOLO_QUANTUM } from "../machine/board.ts";
import { CapturedOutput, ConsoleDevice } from "../machine/console.ts";

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

Deno.test("a lone hart takes turns of SOLO_QUANTUM steps, harts that share the board QUANTUM", () => {
  const one = runMetal("idle", { cpus: 1 });
  const two = runMetal("idle", { cpus: 2 });
  assertEquals(results(two), results(one));
  // A round of turns moves time on by one quantum; each hart takes at most one turn a
  // round (none while it rests), and one more in the round the guest powers off.
  assertEquals(one.board.quantum, SOLO_QUANTUM);
  assertEquals(two.board.quantum, QUANTUM);
  const rounds = (r: MetalRun) => Math.floor(r.board.time / r.board.quantum) + 1;
  assert(one.board.turns[0] <= rounds(one), `${one.board.turns[0]} turns, ${rounds(one)} rounds`);
  assert(two.board.turns[0] > rounds(one), "two harts switch more often");
  assert(one.board.turns[0] > 0);
});

Deno.test("idle harts: a hart leaving its idle loop for user code gets whole turns at once", () => {
  const r = runMetal("idle", { cpus: 2 });
  const [a, b] = ticks(r);
  // Job B ran on hart 1 after it had spun for all of job A; at a sixteenth of a
  // turn it would take about 16 times as long.
  assert(b < a * 1.05, `job A took ${a} ticks, job B ${b}`);
  assert(r.output.includes("job B on hart 1"), r.output);
});

/** Program `name` on 3 harts runs alike twice, and alike translated or interpreted. */
function assertSameEveryWay(name: string): void {
  const fast = runMetal(name, { cpus: 3 });
  const again = runMetal(name, { cpus: 3 });
  const slow = runMetal(name, { cpus: 3, jit: false });
  assertEquals(again.instret, fast.instret);
  assertEquals(again.output, fast.output);
  assertEquals(slow.instret, fast.instret, "instructions per hart, interpreted vs translated");
  assertEquals(slow.output, fast.output);
}

Deno.test("idle harts: throttling is deterministic and the same translated or interpreted", () => {
  assertSameEveryWay("idle");
});

/** Job A's mtime ticks, from the last line of idlelock's output. */
function ticksA(r: MetalRun): number {
  const m = r.output.match(/ticks: A (\d+)/);
  assert(m !== null, `no ticks line in: ${r.output}`);
  return Number(m[1]);
}

Deno.test("idle harts: spinning harts that take locks as xv6's scheduler does rest between turns", () => {
  const one = runMetal("idlelock", { cpus: 1 });
  const three = runMetal("idlelock", { cpus: 3 });
  assertEquals(one.code, 0);
  assertEquals(three.code, 0);
  assertEquals(results(three), results(one));
  // Hart 2 idles all along. At a sixteenth of each round, without rests, it would
  // retire about a seventh of what hart 0 does.
  const share = three.instret[2] / three.instret[0];
  assert(share < 0.02, `idle hart 2 retired ${share.toFixed(3)} of hart 0's instructions`);
  assert(three.instret[2] > 0, "the idle hart still runs");
  // Hart 0 takes every lock 200 times while harts 1 and 2 scan them. Had an idle
  // hart rested (or been left a sixteenth of a turn) holding one, hart 0 would wait.
  const slower = ticksA(three) / ticksA(one);
  assert(slower < 1.02, `job A took ${slower.toFixed(3)}x the ticks on 3 harts`);
});

Deno.test("idle harts: an idle hart that finds a spinlock taken rests instead of a turn each round", () => {
  const r = runMetal("idlelock", { cpus: 3 });
  assertEquals(r.code, 0);
  // Hart 0 holds slot 0's lock through about 4 M steps of work (200 rounds), and
  // hart 2 spins on it. Taking a turn each round to find it still taken, hart 2 took
  // 2,802 turns in 4,488 rounds; resting LOCK_REST rounds at a time, 98 in 3,480.
  const rounds = r.board.time / QUANTUM;
  const turns = r.board.turns[2];
  assert(turns < rounds / 10, `idle hart 2 took ${turns} turns in ${rounds} rounds`);
  assert(r.output.includes("slot 0 held for work"), r.output);
});

Deno.test("idle harts: resting is deterministic and the same translated or interpreted", () => {
  assertSameEveryWay("idlelock");
});

Deno.test("idle harts: a debugger's single steps through translated CSR writes each retire one", () => {
  const r = runMetal("idlelock", { cpus: 2, budget: 3_000_000 });
  const hart = r.board.harts[1]; // in its idle loop, translated, toggling sstatus.SIE
  let toggles = 0;
  for (let i = 0; i < 400; i++) {
    const before = hart.instret, sie = hart.csrs.mstatus & 2;
    r.board.debugStep(1);
    assertEquals(hart.instret, before + 1, `step ${i} retired ${hart.instret - before}`);
    if ((hart.csrs.mstatus & 2) !== sie) toggles++;
  }
  assert(toggles >= 4, `only ${toggles} changes of SIE in 400 steps`);
});

/** The project's test kernel on a fresh board of three harts, its console captured. */
function testKernelBoard(): { out: CapturedOutput; board: Board } {
  const out = new CapturedOutput();
  const board = new Board({
    kernel: metalImage("testkernel"),
    disk: metalDisk(),
    console: new ConsoleDevice(out.sink),
    cpus: 3,
  });
  return { out, board };
}

Deno.test("idle harts: before any user code, hart 0 sets up in whole turns while the others wait", () => {
  // The test kernel's hart 0 builds its page tables and starts the disk on its boot
  // stack; harts 1 and 2 spin on a flag meanwhile. Were hart 0 taken for an idle hart,
  // all three would get a sixteenth of each round (the boot took 3.58 M steps so, with
  // 217,621 instructions on each waiting hart; 2.0 M and 127,621 now).
  const { out, board } = testKernelBoard();
  while (!out.text().includes("harts running")) board.run(100_000);
  const [h0, h1, h2] = board.harts.map((h) => h.instret);
  assert(board.time < 2 * h0, `the boot took ${board.time} steps for ${h0} of hart 0's`);
  assert(h1 + h2 < h0 / 4, `waiting harts retired ${h1} and ${h2} against ${h0}`);
});

Deno.test("idle harts: idleMs is the guest time a slice skipped while every hart waits in WFI", () => {
  // At its prompt the test kernel waits for a key in WFI on hart 0, the others in WFI
  // for good; its timer still ticks, so the board's clock jumps from tick to tick.
  const { out, board } = testKernelBoard();
  assertEquals(board.idleMs(0, 100), 0, "booting: harts at work");
  while (!out.text().includes("$ ")) board.run(100_000);
  board.run(1_000_000);
  const since = board.time;
  board.run(300_000);
  assert(board.harts.every((h) => h.waiting), "every hart waits in WFI");
  const ms = (board.time - since) / 10_000; // 10 MHz: 10,000 ticks a millisecond
  assert(ms >= 30, `the slice covered ${ms} ms`);
  assertEquals(board.idleMs(since, 1000), ms);
  assertEquals(board.idleMs(since, 20), 20, "capped");
});
