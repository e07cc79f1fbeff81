// The lab's test programs on this kernel: the full usertests run (all 66 tests,
// ALL TESTS PASSED, no lost pages), the quick subset, single tests, lazytests,
// and lazytests under --eager, where the lab's lazy tests must fail.

import { assert, assertEquals, assertMatch, assertNotMatch } from "./deps.ts";
import { runProgram } from "./boot.ts";

// The test names and groups, in run order, as ../shared/TESTS.md lists them.
const QUICK = (
  "copyin copyout copyinstr1 copyinstr2 copyinstr3 rwsbrk truncate1 truncate2 truncate3 " +
  "openiput exitiput iput opentest writetest writebig createtest dirtest exectest pipe1 " +
  "killstatus preempt exitwait reparent twochildren forkfork forkforkfork reparent2 mem " +
  "sharedfd fourfiles createdelete unlinkread linktest concreate linkunlink subdir bigwrite " +
  "bigfile fourteen rmdot dirfile iref forktest sbrkbasic sbrkmuch kernmem MAXVAplus sbrkfail " +
  "sbrkarg validatetest bsstest bigargtest argptest stacktest textwrite pgbug sbrkbugs " +
  "sbrklast sbrk8000 badarg"
).split(" ");
const SLOW = "bigdir manywrites badwrite execout diskfull outofinodes".split(" ");

/** The names of the tests whose result line says OK, in order of appearance. */
function passed(output: string): string[] {
  return [...output.matchAll(/test (\S+): (?:[^\n]*\n)*?[^\n]*?OK\n/g)].map((m) => m[1]);
}

/** Names of tests that started (printed their header), in order. */
function started(output: string): string[] {
  return [...output.matchAll(/test (\S+): /g)].map((m) => m[1]);
}

Deno.test("usertests: every test passes, in order, with no lost pages", () => {
  const r = runProgram(["usertests"]);
  assertEquals(started(r.output), [...QUICK, ...SLOW]);
  assertEquals(passed(r.output), [...QUICK, ...SLOW]);
  assertMatch(r.output, /^usertests slow tests starting$/m);
  assertNotMatch(r.output, /lost some free pages|SOME TESTS FAILED|panic/);
  assertMatch(r.output, /^ALL TESTS PASSED$/m);
  assertEquals(r.status, 0);
});

Deno.test("usertests -q runs only the quick tests", () => {
  const r = runProgram(["usertests", "-q"]);
  assertEquals(started(r.output), QUICK);
  assertNotMatch(r.output, /slow tests starting/);
  assertMatch(r.output, /^ALL TESTS PASSED$/m);
  assertEquals(r.status, 0);
});

Deno.test("usertests NAME runs that one test; a bad flag prints usage", () => {
  const one = runProgram(["usertests", "sbrkmuch"]);
  assertEquals(started(one.output), ["sbrkmuch"]);
  assertEquals(one.status, 0);
  const bad = runProgram(["usertests", "-x"]);
  assertMatch(bad.output, /Usage: usertests \[-c\] \[-C\] \[-q\] \[testname\]/);
  assertEquals(bad.status, 1);
});

Deno.test("lazytests: lazy alloc, lazy unmap and out of memory pass", () => {
  const r = runProgram(["lazytests"]);
  for (const name of ["lazy alloc", "lazy unmap", "out of memory"]) {
    assertMatch(r.output, new RegExp(`^test ${name}: OK$`, "m"));
  }
  assertMatch(r.output, /^ALL TESTS PASSED$/m);
});

Deno.test("--eager: the lab's lazy tests fail as on a kernel without lazy allocation", () => {
  const r = runProgram(["lazytests"], { eager: true });
  assertMatch(r.output, /^test lazy alloc: FAILED$/m);
  assertMatch(r.output, /^test lazy unmap: FAILED$/m);
  assertMatch(r.output, /^SOME TESTS FAILED$/m);
  assertEquals(r.kernel.stats().pageFaults, 0);
  // Ordinary programs are unaffected.
  const echo = runProgram(["echo", "still", "works"], { eager: true });
  assertEquals(echo.status, 0);
  assert(echo.output.includes("still works\n"));
});
