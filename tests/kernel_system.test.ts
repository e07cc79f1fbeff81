// Whole-system tests: boot xv6 on the built-in image and drive the shell and
// programs — processes, pipes, redirection, the file system, persistence across
// a reboot of the same disk image, and determinism.

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { runProgram, start } from "./boot.ts";

/** Boot to the shell, type the lines, and return the console transcript once idle. */
function shell(lines: string[], image?: Uint8Array): { text: string; image: Uint8Array } {
  const b = start([], { image });
  b.console.pushInput(lines.map((l) => l + "\n").join(""));
  assertEquals(b.settle(), "waiting");
  return { text: b.out.text(), image: b.kernel.disk.image };
}

Deno.test("boots to the shell prompt and runs echo", () => {
  const { text } = shell(["echo hi there"]);
  assertMatch(text, /init: starting sh/);
  assertMatch(text, /\$ echo hi there\nhi there\n\$ /);
});

Deno.test("pipes, redirection, sequencing and a file read back", () => {
  const { text } = shell(["echo hello world | wc", "echo x > f; cat f", "cat < f | grep x"]);
  assertMatch(text, /\n1 2 12 ?\n/);
  assertMatch(text, /cat f\nx\n/);
  assertMatch(text, /grep x\nx\n/);
});

Deno.test("mkdir, link, unlink and ls on the real file system", () => {
  const { text } = shell([
    "mkdir d",
    "echo abc > d/f",
    "ln d/f g",
    "rm d/f",
    "cat g",
    "ls d",
    "cat d/f",
  ]);
  assertMatch(text, /cat g\nabc\n/);
  assertMatch(text, /ls d\n\. +1 \d+ \d+\n\.\. +1 1 \d+\n\$ /);
  assertMatch(text, /cat: cannot open d\/f/);
});

Deno.test("a file larger than the direct blocks survives copy and a reboot of the image", () => {
  const first = shell(["cat usertests > big", "wc big", "wc usertests"]);
  const counts = [...first.text.matchAll(/\n(\d+ \d+ \d+) (big|usertests)\n/g)];
  assertEquals(counts.length, 2);
  assertEquals(counts[0][1], counts[1][1]);
  const bytes = Number(counts[0][1].split(" ")[2]);
  assert(bytes > 12 * 1024, `usertests is only ${bytes} bytes`);
  const second = shell(["wc big"], first.image);
  assertMatch(second.text, new RegExp(`\\n${counts[0][1]} big\\n`));
});

Deno.test("fork, exec, wait and exit status in run mode", () => {
  const ok = runProgram(["echo", "hello", "world"]);
  assertEquals(ok.status, 0);
  assertMatch(ok.output, /hello world\n/);
  const missing = runProgram(["nosuchprogram"]);
  assertEquals(missing.status, 127);
  assertMatch(missing.output, /init: exec nosuchprogram failed/);
});

Deno.test("the same command gives the same output and instruction count", () => {
  const a = runProgram(["usertests", "forkfork"]);
  const b = runProgram(["usertests", "forkfork"]);
  assertEquals(a.status, 0);
  assertEquals(a.output, b.output);
  assertEquals(a.kernel.stats().instructions, b.kernel.stats().instructions);
});

Deno.test("vmprint shows pid 1's page table with consistent pte and pa", () => {
  const r = runProgram(["echo", "hi"]);
  const lines = r.output.split("\n").filter((l) => / pte 0x/.test(l));
  assert(lines.length >= 9);
  for (const l of lines) {
    const m = l.match(/pte 0x([0-9a-f]{16}) pa 0x([0-9a-f]{16})/);
    assert(m, l);
    const pte = BigInt("0x" + m[1]);
    assertEquals(BigInt("0x" + m[2]), (pte >> 10n) << 12n, l);
  }
  assertMatch(r.output, /^page table 0x[0-9a-f]{16}$/m);
  assertMatch(r.output, /^ \.\.0: pte/m);
  assertMatch(r.output, /^ \.\. \.\. \.\.2: pte/m);
  assertMatch(r.output, /^ \.\.255: pte/m);
  assertMatch(r.output, /^ \.\. \.\.511: pte/m);
  assertMatch(r.output, /^ \.\. \.\. \.\.510: pte/m);
});

Deno.test("kill, exit statuses, reparenting and preemption (usertests' process tests)", () => {
  for (const t of ["killstatus", "exitwait", "reparent", "twochildren", "preempt", "forktest"]) {
    const r = runProgram(["usertests", t]);
    assertMatch(r.output, new RegExp(`test ${t}: (kill\\.\\.\\. wait\\.\\.\\. )?OK`), t);
    assertEquals(r.status, 0, t);
  }
});
