// The grader's judge on synthetic console transcripts; no kernel involved.

import { assert, assertEquals } from "./deps.ts";
import {
  failureLines,
  grade,
  GRADE_ITEMS,
  GRADE_RUNS,
  type GradeItem,
  judge,
  judgeAll,
  outputLines,
  pairMatches,
  type RunOutcome,
  score,
  TOTAL_POINTS,
} from "../userland/grade.ts";

/** usertests' tests in run order: 60 quick, then 6 slow (TESTS.md sections 3 and 4). */
const USERTESTS = (
  "copyin copyout copyinstr1 copyinstr2 copyinstr3 rwsbrk truncate1 truncate2 truncate3 " +
  "openiput exitiput iput opentest writetest writebig createtest dirtest exectest pipe1 " +
  "killstatus preempt exitwait reparent twochildren forkfork forkforkfork reparent2 mem " +
  "sharedfd fourfiles createdelete unlinkread linktest concreate linkunlink subdir " +
  "bigwrite bigfile fourteen rmdot dirfile iref forktest sbrkbasic sbrkmuch kernmem " +
  "MAXVAplus sbrkfail sbrkarg validatetest bsstest bigargtest argptest stacktest " +
  "textwrite pgbug sbrkbugs sbrklast sbrk8000 badarg bigdir manywrites badwrite execout " +
  "diskfull outofinodes"
).split(" ");

const KILLED = "usertrap(): unexpected scause 0x000000000000000f pid=7\n" +
  "            sepc=0x0000000000000186 stval=0x000000003f005000\n";

/** A usertests transcript as the shell shows it, with kernel noise inside some tests. */
function usertestsTranscript(
  opts: { failAt?: string; keepGoing?: boolean; allPassed?: boolean } = {},
): string {
  let t = "$ usertests\nusertests starting\n" + KILLED;
  for (const name of USERTESTS) {
    if (name === "bigdir") t += "usertests slow tests starting\n";
    t += `test ${name}: `;
    if (name === "preempt") t += "kill... wait... ";
    if (name === "sbrkbasic" || name === "kernmem") t += "\n" + KILLED;
    if (name === opts.failAt) {
      t += "FAILED\nSOME TESTS FAILED\n";
      if (!opts.keepGoing) return t + "$ ";
    } else {
      t += "OK\n";
    }
  }
  if (opts.allPassed ?? opts.failAt === undefined) t += "ALL TESTS PASSED\n";
  return t + "$ ";
}

const PTE_BLOCK = [
  "page table 0x0000000087ffb000",
  " ..0: pte 0x0000000021ffdc01 pa 0x0000000087ff7000",
  " .. ..0: pte 0x0000000021ffd801 pa 0x0000000087ff6000",
  " .. .. ..0: pte 0x0000000021ffe01b pa 0x0000000087ff8000",
  " .. .. ..1: pte 0x0000000021ffd407 pa 0x0000000087ff5000",
  " .. .. ..2: pte 0x0000000021ffd017 pa 0x0000000087ff4000",
  " ..255: pte 0x0000000021ffe801 pa 0x0000000087ffa000",
  " .. ..511: pte 0x0000000021ffe401 pa 0x0000000087ff9000",
  " .. .. ..510: pte 0x0000000021fffc07 pa 0x0000000087fff000",
  " .. .. ..511: pte 0x000000002000040b pa 0x0000000080001000",
];

function pteTranscript(lines: string[] = PTE_BLOCK): string {
  return lines.join("\n") + "\ninit: starting sh\n$ echo hi\nhi\n$ ";
}

const LAZY_PASS =
  "$ lazytests\nlazytests starting\nrunning test lazy alloc\ntest lazy alloc: OK\n" +
  "running test lazy unmap\n" + KILLED + "test lazy unmap: OK\nrunning test out of memory\n" +
  KILLED + "test out of memory: OK\nALL TESTS PASSED\n$ ";

function item(title: string): GradeItem {
  const it = GRADE_ITEMS.find((i) => i.title === title);
  if (!it) throw new Error(`no item ${title}`);
  return it;
}

function passingOutcomes(): Record<"pte" | "lazytests" | "usertests", RunOutcome> {
  return {
    pte: { text: pteTranscript(), seconds: 1 },
    lazytests: { text: LAZY_PASS, seconds: 1 },
    usertests: { text: usertestsTranscript(), seconds: 1 },
  };
}

function failingTitles(outcomes: Partial<Record<string, RunOutcome>>): string[] {
  return judgeAll(outcomes).filter((r) => !r.verdict.ok).map((r) => r.item.title);
}

Deno.test("the items add up to 100 points, with the lab's titles and order", () => {
  assertEquals(USERTESTS.length, 66);
  assertEquals(TOTAL_POINTS, 100);
  assertEquals(GRADE_ITEMS.length, 28);
  assertEquals(GRADE_RUNS.map((r) => [r.command, r.limitSeconds]), [
    ["echo hi", 30],
    ["lazytests", 30],
    ["usertests", 600],
  ]);
  // Every pair names real tests, with X before Y in run order.
  for (const it of GRADE_ITEMS) {
    if (it.rule.kind !== "pair") continue;
    assert(USERTESTS.indexOf(it.rule.x) >= 0, it.rule.x);
    assert(USERTESTS.indexOf(it.rule.y) > USERTESTS.indexOf(it.rule.x), it.title);
  }
});

Deno.test("a fully passing set of transcripts scores every item OK", () => {
  const results = judgeAll(passingOutcomes());
  for (const r of results) assert(r.verdict.ok, `${r.item.title}: ${r.verdict.reasons}`);
  assertEquals(score(results), 100);
});

Deno.test("a usertests failure drops exactly the items whose Y never started", () => {
  // usertests stops at the first failure, so an item passes only when test Y started,
  // that is when Y comes no later than the failing test.
  for (const failed of ["validatetest", "copyin", "sbrklast", "execout", "forkfork", "badarg"]) {
    const text = usertestsTranscript({ failAt: failed });
    const f = USERTESTS.indexOf(failed);
    for (const it of GRADE_ITEMS.filter((i) => i.run === "usertests")) {
      const verdict = judge(it, text);
      const expected = it.rule.kind === "pair" ? USERTESTS.indexOf(it.rule.y) <= f : false;
      assertEquals(verdict.ok, expected, `${failed}: ${it.title}`);
    }
  }
  // One case spelled out: validatetest fails right after sbrkarg.
  const outcomes = {
    ...passingOutcomes(),
    usertests: { text: usertestsTranscript({ failAt: "validatetest" }), seconds: 1 },
  };
  assertEquals(failingTitles(outcomes), [
    "usertests: pgbug",
    "usertests: sbrkbugs",
    "usertests: argptest",
    "usertests: stacktest",
    "usertests: execout",
    "usertests: sbrk8000",
    "usertests: forkforkfork",
    "usertests: exectest",
    "usertests: all tests",
  ]);
  assertEquals(score(judgeAll(outcomes)), 100 - 2 - 2 - 2 - 3 - 1 - 3 - 1 - 1 - 5);
});

Deno.test("the pair rule lets any text lie between X's header and OK", () => {
  // With output that goes on after a failure (as usertests -C does), the failing test
  // lies inside the span of sbrkbugs..badarg, and the rule still matches.
  const text = usertestsTranscript({ failAt: "sbrklast", keepGoing: true, allPassed: false });
  assert(judge(item("usertests: sbrkbugs"), text).ok);
  assertEquals(failingTitles({ ...passingOutcomes(), usertests: { text, seconds: 1 } }), [
    "usertests: all tests",
  ]);
});

Deno.test("pair rule details: newline before the header, OK right before test Y", () => {
  assert(pairMatches("x\ntest a: OK\ntest b: OK\n", "a", "b"));
  assert(pairMatches("x\ntest a: noise\nmore OK\ntest b", "a", "b"));
  assert(!pairMatches("test a: OK\ntest b: OK\n", "a", "b"), "needs a newline before test a");
  assert(!pairMatches("x\ntest a:OK\ntest b", "a", "b"), "needs the space after the colon");
  assert(!pairMatches("x\ntest a: FAILED\ntest b", "a", "b"));
  assert(!pairMatches("x\ntest a: OK \ntest b", "a", "b"), "OK must end its line");
  assert(!pairMatches("x\ntest b: OK\ntest a: OK\n", "a", "b"), "Y must come after X");
  assert(pairMatches("x\ntest a: OK\ntest bcd: OK\n", "a", "b"), "test Y is a prefix");
  assert(!pairMatches("x\ntest a: OK\r\ntest b", "a", "b"), "CR LF is not the newline asked for");
});

Deno.test("missing ALL TESTS PASSED loses exactly 5 points", () => {
  const text = usertestsTranscript({ allPassed: false });
  const outcomes = { ...passingOutcomes(), usertests: { text, seconds: 1 } };
  assertEquals(failingTitles(outcomes), ["usertests: all tests"]);
  assertEquals(score(judgeAll(outcomes)), 95);
  // The line must be exactly that: no prefix, no trailing text.
  const it = item("usertests: all tests");
  assert(!judge(it, "x\nALL TESTS PASSED!\n").ok);
  assert(!judge(it, "x\n ALL TESTS PASSED\n").ok);
  assert(judge(it, "x\nALL TESTS PASSED").ok, "the last line needs no newline");
});

Deno.test("lazy items: the titles look swapped, the lines decide", () => {
  const onlyAlloc = "lazytests starting\nrunning test lazy alloc\ntest lazy alloc: OK\n" +
    "running test lazy unmap\ntest lazy unmap: FAILED\nSOME TESTS FAILED\n$ ";
  assert(judge(item("lazy: unmap"), onlyAlloc).ok, "lazy: unmap checks 'test lazy alloc: OK'");
  assert(!judge(item("lazy: map"), onlyAlloc).ok, "lazy: map checks 'test lazy unmap: OK'");
  const onlyUnmap = onlyAlloc.replace("alloc: OK", "alloc: FAILED").replace(
    "unmap: FAILED",
    "unmap: OK",
  );
  assert(judge(item("lazy: map"), onlyUnmap).ok);
  assert(!judge(item("lazy: unmap"), onlyUnmap).ok);
  // Whole lines only.
  assert(!judge(item("lazy: unmap"), "test lazy alloc: OK \n").ok);
  assert(!judge(item("lazy: unmap"), "xtest lazy alloc: OK\n").ok);
  // Out of memory is not scored.
  const noOom = LAZY_PASS.replace("test out of memory: OK", "test out of memory: FAILED");
  assertEquals(failingTitles({ ...passingOutcomes(), lazytests: { text: noOom, seconds: 1 } }), []);
});

Deno.test("pte printout: a wrong pa fails only that item", () => {
  const bad = [...PTE_BLOCK];
  bad[8] = " .. .. ..510: pte 0x0000000021fffc07 pa 0x0000000087ffe000";
  const outcomes = { ...passingOutcomes(), pte: { text: pteTranscript(bad), seconds: 1 } };
  assertEquals(failingTitles(outcomes), ["pte printout"]);
  assertEquals(score(judgeAll(outcomes)), 90);
  const v = judge(item("pte printout"), pteTranscript(bad));
  assertEquals(v.reasons.length, 1);
  assert(v.reasons[0].includes("0x0000000087fff000"), v.reasons[0]);
});

Deno.test("pte printout: the first matching line of each entry is the one checked", () => {
  const wrongLater = [...PTE_BLOCK, " .. .. ..2: pte 0x0000000021ffd017 pa 0x0000000000000000"];
  assert(judge(item("pte printout"), pteTranscript(wrongLater)).ok);
  const bad = [...PTE_BLOCK];
  bad[4] = " .. .. ..1: pte 0x0000000021ffd407 pa 0x0000000000000000";
  bad.push(PTE_BLOCK[4]);
  assert(!judge(item("pte printout"), pteTranscript(bad)).ok);
});

Deno.test("pte printout: format of depth markers, index and hex values", () => {
  const pte = item("pte printout");
  const variant = (i: number, line: string) => {
    const l = [...PTE_BLOCK];
    l[i] = line;
    return judge(pte, pteTranscript(l)).ok;
  };
  // Whitespace around the markers is free; the count of markers is not.
  assert(variant(3, "..  ..   ..0: pte 0x0000000021ffe01b pa 0x0000000087ff8000"));
  assert(variant(3, "\t.. .. .. 0: pte 0x0000000021ffe01b pa 0x0000000087ff8000"));
  assert(!variant(3, " .. ..0: pte 0x0000000021ffe01b pa 0x0000000087ff8000"));
  assert(!variant(3, " .. .. .. ..0: pte 0x0000000021ffe01b pa 0x0000000087ff8000"));
  // Eight zeros after 0x, lowercase digits.
  assert(!variant(3, " .. .. ..0: pte 0x21ffe01b pa 0x87ff8000"));
  assert(!variant(3, " .. .. ..0: pte 0x0000000021FFE01B pa 0x0000000087FF8000"));
  // The index is exact.
  assert(!variant(3, " .. .. ..00: pte 0x0000000021ffe01b pa 0x0000000087ff8000"));
  // The header, the `hi` line and every one of the nine entries are needed.
  assert(!variant(0, "page table 0x87ffb000"));
  for (let i = 1; i < PTE_BLOCK.length; i++) {
    assert(!variant(i, "removed"), `entry line ${i} is required`);
  }
  const noHi = PTE_BLOCK.join("\n") + "\n$ echo hi\n$ ";
  assertEquals(judge(pte, noHi).reasons, ["missing a line beginning 'hi'"]);
  assert(judge(pte, PTE_BLOCK.join("\n") + "\nhi there\n").ok, "a line beginning hi is enough");
  // Order does not matter, and neither do extra entries.
  const shuffled = [...PTE_BLOCK].reverse();
  shuffled.push(" .. .. ..3: pte 0x0000000021ffd017 pa 0x0000000087ff4000");
  assert(judge(pte, pteTranscript(shuffled)).ok);
});

Deno.test("output lines split on LF, CR LF and CR", () => {
  assertEquals(outputLines("a\r\nb\rc\nd\n"), ["a", "b", "c", "d"]);
  assert(judge(item("usertests: all tests"), "x\r\nALL TESTS PASSED\r\n$ ").ok);
});

Deno.test("a run that failed to happen fails its items as 'parent failed'", () => {
  const outcomes = {
    ...passingOutcomes(),
    lazytests: { text: "", seconds: 0, error: "boot failed: no disk" },
  };
  const results = judgeAll(outcomes);
  const lazy = results.filter((r) => r.item.run === "lazytests");
  assertEquals(lazy.map((r) => r.verdict.ok), [false, false]);
  assertEquals(lazy[0].verdict.reasons, ["parent failed: running lazytests"]);
  assertEquals(score(results), 50);
});

/** The reference report (shared/reference), without its `$ make qemu-gdb` and time lines. */
const REFERENCE = `== Test pte printout == 
pte printout: OK 
== Test running lazytests == 
== Test   lazy: map == 
  lazy: map: OK 
== Test   lazy: unmap == 
  lazy: unmap: OK 
== Test usertests == 
${
  [
    "pgbug",
    "sbrkbugs",
    "argptest",
    "sbrkmuch",
    "sbrkfail",
    "sbrkarg",
    "stacktest",
    "execout",
    "copyin",
    "copyout",
    "copyinstr1",
    "copyinstr2",
    "copyinstr3",
    "rwsbrk",
    "sbrk8000",
    "reparent",
    "twochildren",
    "forkfork",
    "forkforkfork",
    "exectest",
    "sbrkbasic",
    "kernmem",
    "mem",
    "forktest",
    "all tests",
  ].map((t) => `== Test   usertests: ${t} == \n  usertests: ${t}: OK \n`).join("")
}Score: 100/100
`;

async function report(outcomes: Record<string, RunOutcome>): Promise<[number, string]> {
  let out = "";
  const n = await grade((run) => outcomes[run.id], {
    write: (s) => (out += s),
    paint: (_st, s) => s,
  });
  return [n, out];
}

Deno.test("the report has the reference's shape", async () => {
  const outcomes: Record<string, RunOutcome> = passingOutcomes();
  for (const o of Object.values(outcomes)) o.seconds = 0.05; // too quick to show a time
  const [n, out] = await report(outcomes);
  assertEquals(n, 100);
  // The first line names the rules (see grade_rules.test.ts); the rest is make grade's shape.
  const [first, ...rest] = out.split("\n");
  assert(first.startsWith("Rules: 2022, "), first);
  const shown = rest.filter((l) => !l.startsWith("$ ") && l !== "").join("\n") + "\n";
  assertEquals(shown, REFERENCE);
});

Deno.test("the report shows times, failures with reasons, and the score", async () => {
  const outcomes: Record<string, RunOutcome> = {
    ...passingOutcomes(),
    usertests: { text: usertestsTranscript({ allPassed: false }), seconds: 366, ended: "prompt" },
  };
  outcomes.pte.seconds = 1.84;
  const [n, out] = await report(outcomes);
  assertEquals(n, 95);
  const lines = out.split("\n");
  assert(lines.includes("pte printout: OK (1.8s) "), out);
  assert(lines.includes("(366.0s) "), out);
  const i = lines.indexOf("  usertests: all tests: FAIL ");
  assert(i > 0, out);
  assertEquals(lines[i + 1], "    missing the line 'ALL TESTS PASSED'");
  assertEquals(lines.at(-2), "Score: 95/100");
});

Deno.test("the report marks a stopped capture and a failed parent", async () => {
  const outcomes: Record<string, RunOutcome> = {
    ...passingOutcomes(),
    lazytests: { text: "", seconds: 0, error: "boot failed: bad disk" },
  };
  outcomes.usertests.ended = "time limit (600 s = 6000 ticks of emulated time)";
  const [n, out] = await report(outcomes);
  assertEquals(n, 50);
  assert(out.includes("running lazytests: FAIL \n    boot failed: bad disk\n"), out);
  assert(out.includes("  lazy: map: FAIL \n    parent failed: running lazytests\n"), out);
  assert(out.includes("    (capture stopped: time limit (600 s = 6000 ticks"), out);
});

Deno.test("the report quotes the lines where a test program reported a failure", async () => {
  const text = usertestsTranscript({ failAt: "validatetest" });
  const [n, out] = await report({ ...passingOutcomes(), usertests: { text, seconds: 1 } });
  assertEquals(n, 80);
  assert(out.includes("\n    output: test validatetest: FAILED\n"), out);
  assertEquals(failureLines(LAZY_PASS), []);
});
