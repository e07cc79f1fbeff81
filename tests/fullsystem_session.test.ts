// The pieces behind `--kernel` that need no subprocess: prompts and lines for typing
// into a shell, the virtio layout guess and check, and grade's time limit counted
// on the board's clock.

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";
import { ConsoleDevice } from "../machine/console.ts";
import { LineQueue, PromptCounter } from "../userland/typing.ts";
import {
  bootFullSystem,
  fullSystemBooter,
  NOMINAL_STEPS_PER_SECOND,
  PanicWatch,
} from "../userland/fullsystem.ts";
import { canCheckLayout, guessLayout, holdsText } from "../userland/virtio_layout.ts";
import { captureRun } from "../userland/grade_run.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";

const METAL = join(import.meta.dirname!, "..", "userland", "metal", "bin");
const metal = (name: string) => Deno.readFileSync(join(METAL, name));
const enc = new TextEncoder();

Deno.test("PromptCounter counts `$ ` prompts, also when one is split between chunks", () => {
  const p = new PromptCounter();
  p.see(enc.encode("init: starting sh\n$"));
  assertEquals(p.count, 0);
  p.see(enc.encode(" ls\nREADME\n$ "));
  assertEquals(p.count, 2);
  p.see(enc.encode("$$ $x"));
  assertEquals(p.count, 3);
});

Deno.test("LineQueue gives whole lines, and a last line without newline once input ends", () => {
  const q = new LineQueue();
  q.push(enc.encode("ls\nech"));
  assertEquals(new TextDecoder().decode(q.take()!), "ls\n");
  assertEquals(q.take(), null, "half a line waits for the rest");
  q.push(enc.encode("o hi"));
  assertEquals(q.take(), null);
  assert(!q.done());
  q.end();
  assertEquals(new TextDecoder().decode(q.take()!), "echo hi\n");
  assertEquals(q.take(), null);
  assert(q.done());
});

Deno.test("virtio layout: the guess reads the kernel file's driver messages", () => {
  assert(holdsText(enc.encode("xx virtio disk should not be ready\0"), "should not be ready"));
  assertEquals(guessLayout(enc.encode("\0virtio disk FEATURES_OK unset\0")), "modern");
  assertEquals(guessLayout(enc.encode("\0virtio disk should not be ready\0")), "modern");
  assertEquals(guessLayout(metal("virtio2")), "legacy", "virtio2 names no modern message");
  assert(canCheckLayout(metal("virtio2")));
  assert(!canCheckLayout(metal("shell")), "the metal shell has no virtio driver");
});

Deno.test("virtio layout: a wrong guess is booted again with the other layout, its output dropped", () => {
  let out = "";
  const con = new ConsoleDevice((b) => (out += new TextDecoder().decode(b)));
  const sys = bootFullSystem({
    kernel: metal("virtio2"),
    fsImage: mkfs(fsFiles),
    console: con,
    cpus: 2,
  });
  assertEquals(sys.layout, "legacy");
  let state = sys.run(1_000_000);
  for (let i = 0; i < 10 && state !== "halted"; i++) state = sys.run(1_000_000);
  assertEquals(state, "halted");
  assertEquals(sys.exitStatus, 0);
  assert(sys.rebooted);
  assertEquals(sys.layout, "modern");
  assertEquals(out, "booting\nvirtio version 2 accepted\n");
  // Forced, there is no second boot.
  const forced = bootFullSystem({
    kernel: metal("virtio2"),
    fsImage: mkfs(fsFiles),
    console: new ConsoleDevice(),
    cpus: 1,
    virtio: "legacy",
  });
  for (let i = 0; i < 10 && forced.run(1_000_000) !== "halted"; i++);
  assert(!forced.rebooted);
  assertEquals(forced.panic, "panic: could not find virtio disk");
});

Deno.test("grade with a real kernel: a run's limit is counted on the board's clock", () => {
  const booter = fullSystemBooter({ kernel: metal("shell"), fsImage: mkfs(fsFiles), cpus: 1 });
  assertEquals(booter.seconds(booter.boot(new ConsoleDevice())), 0);
  // A clock 10^4 times faster than the nominal one, so that 30 s come in 3 * 10^6 steps.
  const fast = {
    ...booter,
    seconds: (s: Parameters<typeof booter.seconds>[0]) => booter.seconds(s) * 1e4,
  };
  const run = { id: "lazytests" as const, title: "t", command: "spin", limitSeconds: 30 };
  const out = captureRun(run, { fsImage: mkfs(fsFiles), eager: false, system: fast });
  assertEquals(out.ended, `time limit (30 s of ${booter.clock})`);
  const steps = out.stats?.boardSteps ?? 0;
  assert(steps >= 30 / 1e4 * NOMINAL_STEPS_PER_SECOND, String(steps));
  assert(steps < 30 / 1e4 * NOMINAL_STEPS_PER_SECOND + 2_000_000, String(steps));
  assert(out.text.endsWith("$ spin\n"), out.text);
  // The same run, answered: it ends at the next prompt.
  const echo = captureRun({ ...run, command: "echo ok" }, {
    fsImage: mkfs(fsFiles),
    eager: false,
    system: booter,
  });
  assertEquals(echo.ended, "prompt");
  assert(echo.text.endsWith("$ echo ok\nok\n$ "), echo.text);
});

Deno.test("the panic watch sees a kernel panic that follows part of a program's line", () => {
  const w = new PanicWatch();
  const enc = (s: string) => new TextEncoder().encode(s);
  w.see(enc("usertests starting\ntest sbrkfail: "), 10);
  assertEquals(w.line(), null);
  w.see(enc("panic: uvmcopy: page not"), 20);
  assertEquals(w.at, 20);
  assert(!w.complete());
  w.see(enc(" present\n"), 30);
  assert(w.complete());
  assertEquals(w.line(), "panic: uvmcopy: page not present");
});
