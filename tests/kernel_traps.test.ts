// Misbehaving user programs are killed (status -1) by the kernel and never crash
// the emulator; the console's line discipline edits input as xv6's does.

import { assertEquals, assertMatch } from "./deps.ts";
import { runProgram, start } from "./boot.ts";

/** Run vmtest with the given steps and return status and output. */
function vmtest(...steps: string[]) {
  return runProgram(["vmtest", ...steps]);
}

Deno.test("an illegal instruction kills the process with scause 2 and stval = the bits", () => {
  const r = vmtest("i");
  assertEquals(r.status, -1);
  assertMatch(
    r.output,
    /scause 0x0000000000000002 pid=\d+\n +sepc=0x[0-9a-f]+ stval=0x00000000ffffffff/,
  );
});

Deno.test("ebreak kills the process with scause 3", () => {
  const r = vmtest("b");
  assertEquals(r.status, -1);
  assertMatch(r.output, /scause 0x0000000000000003/);
});

Deno.test("jumping into kernel memory is an instruction page fault", () => {
  const r = vmtest("j2147483648");
  assertEquals(r.status, -1);
  assertMatch(r.output, /scause 0x000000000000000c .*\n.*stval=0x0000000080000000/);
});

Deno.test("a fork bomb is refused at NPROC and cleaned up", () => {
  const r = runProgram(["forktest"]);
  assertEquals(r.status, 0);
  assertMatch(r.output, /fork test OK/);
});

Deno.test("running out of memory kills the faulting process and loses no page", () => {
  const b = start(["lazytests", "out of memory"]);
  const free0 = b.kernel.stats().freePages; // only init exists here
  assertEquals(b.settle(), "halted");
  assertMatch(b.out.text(), /test out of memory: OK/);
  assertEquals(b.kernel.stats().freePages, free0);
  assertEquals(b.kernel.stats().faultKills >= 1, true);
});

/** Boot to the shell, type raw bytes, and return the transcript once idle. */
function typed(input: string): string {
  const b = start([]);
  b.console.pushInput(input);
  b.settle();
  return b.out.text();
}

Deno.test("console: backspace erases, ^U kills the line", () => {
  const t = typed("echo abX\x7fc\necho gone\x15echo kept\n");
  assertMatch(t, /\nabc\n/);
  assertMatch(t, /\nkept\n/);
});

Deno.test("console: ^D at the start of a line ends the shell's input; init restarts it", () => {
  const t = typed("\x04echo again\n");
  assertEquals(t.match(/init: starting sh/g)?.length, 2);
  assertMatch(t, /\nagain\n/);
});

Deno.test("console: ^P lists the processes with their size and resident pages", () => {
  const t = typed("\x10");
  assertMatch(
    t,
    /\n1 sleeping init \(size 12288, 3 pages resident\)\n2 sleeping sh \(size \d+, \d+ pages resident\)\n/,
  );
});

Deno.test("console: ^P shows a lazy heap as size without resident pages", () => {
  const b = start(["vmtest", "s1073741824", "t0", "w"]);
  b.settle();
  b.console.pushInput("\x10");
  b.settle();
  const m = b.out.text().match(/\d+ sleeping vmtest \(size (\d+), (\d+) pages resident\)/);
  assertEquals(m !== null && Number(m[1]) > 1 << 30 && Number(m[2]) < 20, true, b.out.text());
});
