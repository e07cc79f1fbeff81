// The grader's rule tables, one per revision of the lazy lab, judged against
// synthetic transcripts of each revision's usertests and lazytests, and the
// choice of table from the test names in a disk's usertests.

import { assert, assertEquals } from "./deps.ts";
import { grade, judgeAll, type RunOutcome, score } from "../userland/grade.ts";
import {
  chooseRules,
  LAB_RULES,
  type LabRules,
  RULES_2019,
  RULES_2020,
  RULES_2022,
  rulesForYear,
  rulesLine,
  totalPoints,
  usertestsYear,
} from "../userland/grade_rules.ts";
import { programImages } from "../userland/images.ts";
import { GradeJson, gradeSubset } from "../cli/grade_output.ts";

/** Each revision's usertests, in run order (from that year's user/usertests.c). */
const ORDER: Record<number, string[]> = {
  2019: (
    "reparent2 pgbug sbrkbugs badwrite badarg reparent twochildren forkfork forkforkfork " +
    "argptest createdelete linkunlink linktest unlinkread concreate subdir fourfiles sharedfd " +
    "exectest bigargtest bigwrite bsstest sbrkbasic sbrkmuch kernmem sbrkfail sbrkarg " +
    "validatetest stacktest opentest writetest writebig createtest openiput exitiput iput mem " +
    "pipe1 preempt exitwait rmdot fourteen bigfile dirfile iref forktest bigdir"
  ).split(" "),
  2020: (
    "execout copyin copyout copyinstr1 copyinstr2 copyinstr3 rwsbrk truncate1 truncate2 " +
    "truncate3 reparent2 pgbug sbrkbugs badwrite badarg reparent twochildren forkfork " +
    "forkforkfork argptest createdelete linkunlink linktest unlinkread concreate subdir " +
    "fourfiles sharedfd exectest bigargtest bigwrite bsstest sbrkbasic sbrkmuch kernmem " +
    "sbrkfail sbrkarg validatetest stacktest opentest writetest writebig createtest openiput " +
    "exitiput iput mem pipe1 preempt exitwait rmdot fourteen bigfile dirfile iref forktest bigdir"
  ).split(" "),
  2021: (
    "MAXVAplus manywrites execout copyin copyout copyinstr1 copyinstr2 copyinstr3 rwsbrk " +
    "truncate1 truncate2 truncate3 reparent2 pgbug sbrkbugs badwrite badarg reparent " +
    "twochildren forkfork forkforkfork argptest createdelete linkunlink linktest unlinkread " +
    "concreate subdir fourfiles sharedfd dirtest exectest bigargtest bigwrite bsstest sbrkbasic " +
    "sbrkmuch kernmem sbrkfail sbrkarg sbrklast sbrk8000 validatetest stacktest opentest " +
    "writetest writebig createtest openiput exitiput iput mem pipe1 killstatus preempt exitwait " +
    "rmdot fourteen bigfile dirfile iref forktest bigdir"
  ).split(" "),
  2022: (
    "copyin copyout copyinstr1 copyinstr2 copyinstr3 rwsbrk truncate1 truncate2 truncate3 " +
    "openiput exitiput iput opentest writetest writebig createtest dirtest exectest pipe1 " +
    "killstatus preempt exitwait reparent twochildren forkfork forkforkfork reparent2 mem " +
    "sharedfd fourfiles createdelete unlinkread linktest concreate linkunlink subdir " +
    "bigwrite bigfile fourteen rmdot dirfile iref forktest sbrkbasic sbrkmuch kernmem " +
    "MAXVAplus sbrkfail sbrkarg validatetest bsstest bigargtest argptest stacktest " +
    "textwrite pgbug sbrkbugs sbrklast sbrk8000 badarg bigdir manywrites badwrite execout " +
    "diskfull outofinodes"
  ).split(" "),
  2025: (
    "copyin copyout copyinstr1 copyinstr2 copyinstr3 rwsbrk truncate1 truncate2 truncate3 " +
    "openiput exitiput iput opentest writetest writebig createtest dirtest exectest pipe1 " +
    "killstatus preempt exitwait reparent twochildren forkfork forkforkfork reparent2 mem " +
    "sharedfd fourfiles createdelete unlinkread linktest concreate linkunlink subdir " +
    "bigwrite bigfile fourteen rmdot dirfile iref forktest sbrkbasic sbrkmuch kernmem " +
    "MAXVAplus sbrkfail sbrkarg validatetest bsstest bigargtest argptest stacktest " +
    "nowrite pgbug sbrkbugs sbrklast sbrk8000 badarg lazy_alloc lazy_unmap lazy_copy bigdir " +
    "manywrites badwrite execout diskfull outofinodes"
  ).split(" "),
};

/** usertests' output for a test list, stopping at failAt (as usertests does). */
function usertestsText(tests: string[], failAt?: string): string {
  let t = "$ usertests\nusertests starting\n";
  for (const name of tests) {
    t += `test ${name}: `;
    if (name === "sbrkfail") t += "\nusertrap(): out of memory pid=9 va=0x0000000000051000\n";
    if (name === failAt) return t + "FAILED\nSOME TESTS FAILED\n$ ";
    t += "OK\n";
  }
  return t + "ALL TESTS PASSED\n$ ";
}

/** The page-table dump the kernel prints when pid 1 execs init. */
const PTE_DUMP = [
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
].join("\n") + "\ninit: starting sh\n";

const LAZYTESTS = "$ lazytests\nlazytests starting\nrunning test lazy alloc\n" +
  "test lazy alloc: OK\nrunning test lazy unmap\ntest lazy unmap: OK\n" +
  "running test out of memory\ntest out of memory: OK\nALL TESTS PASSED\n$ ";

/** Every run's transcript for a revision's programs (every boot prints the dump first). */
function outcomes(year: number, failAt?: string): Record<string, RunOutcome> {
  return {
    pte: { text: PTE_DUMP + "$ echo hi\nhi\n$ ", seconds: 1 },
    lazytests: { text: PTE_DUMP + LAZYTESTS, seconds: 1 },
    usertests: { text: PTE_DUMP + usertestsText(ORDER[year], failAt), seconds: 1 },
  };
}

/** Titles of the items that fail. */
function failing(rules: LabRules, o: Record<string, RunOutcome>): string[] {
  return judgeAll(o, rules).filter((r) => !r.verdict.ok).map((r) => r.item.title);
}

Deno.test("each table has its year's points, and its pairs name that year's tests in order", () => {
  assertEquals(totalPoints(RULES_2019), 100);
  assertEquals(totalPoints(RULES_2020), 118); // 119 in the script, less its `time` point
  assertEquals(totalPoints(RULES_2022), 100);
  assertEquals(RULES_2019.items.length, 11);
  assertEquals(RULES_2020.items.length, 57);
  assertEquals(RULES_2022.items.length, 28);
  for (const rules of [RULES_2019, RULES_2020, RULES_2022]) {
    const order = ORDER[rules.year];
    for (const it of rules.items) {
      if (it.rule.kind !== "pair") continue;
      assert(order.indexOf(it.rule.x) >= 0, `${rules.year}: ${it.rule.x}`);
      assert(order.indexOf(it.rule.y) > order.indexOf(it.rule.x), `${rules.year}: ${it.title}`);
    }
    // Every item belongs to one of the table's runs.
    for (const it of rules.items) assert(rules.runs.some((r) => r.id === it.run), it.title);
  }
  assertEquals(RULES_2019.runs.map((r) => [r.command, r.limitSeconds]), [
    ["lazytests", 30],
    ["usertests", 150],
  ]);
  assertEquals(RULES_2020.runs.map((r) => [r.command, r.limitSeconds]), [
    ["lazytests", 30],
    ["usertests", 300],
  ]);
});

Deno.test("each revision's passing transcripts get full marks under its own rules", () => {
  for (const year of [2019, 2020, 2022]) {
    const rules = LAB_RULES[year as 2019 | 2020 | 2022];
    const results = judgeAll(outcomes(year), rules);
    for (const r of results) assert(r.verdict.ok, `${year} ${r.item.title}: ${r.verdict.reasons}`);
    assertEquals(score(results), totalPoints(rules));
  }
});

Deno.test("one revision's transcripts under another's rules lose the items whose pairs differ", () => {
  // The figure: a 2020 disk judged by the 2022 port's rules scores 91.
  const r2020 = outcomes(2020);
  assertEquals(failing(RULES_2022, r2020), [
    "usertests: stacktest",
    "usertests: execout",
    "usertests: sbrk8000",
    "usertests: mem",
    "usertests: forktest",
  ]);
  assertEquals(score(judgeAll(r2020, RULES_2022)), 91);
  // And the 2022 port's programs under 2020's rules.
  assert(failing(RULES_2020, outcomes(2022)).includes("usertests: argptest"));
  // The nearest earlier table fits the years without a lab: 2021 keeps 2020's pairs, and
  // 2025 keeps 2022's except that textwrite is called nowrite there.
  assertEquals(failing(RULES_2020, outcomes(2021)), []);
  assertEquals(failing(RULES_2022, outcomes(2025)), ["usertests: stacktest"]);
});

Deno.test("a usertests failure drops exactly the items whose test Y never started, per revision", () => {
  for (const year of [2019, 2020, 2022]) {
    const rules = LAB_RULES[year as 2019 | 2020 | 2022];
    const order = ORDER[year];
    for (const failed of ["sbrkarg", "forkfork", "pgbug", order[0], order.at(-1)!]) {
      const text = PTE_DUMP + usertestsText(order, failed);
      const at = order.indexOf(failed);
      for (const r of judgeAll({ ...outcomes(year), usertests: { text, seconds: 1 } }, rules)) {
        if (r.item.run !== "usertests") continue;
        const want = r.item.rule.kind === "pair" ? order.indexOf(r.item.rule.y) <= at : false;
        assertEquals(r.verdict.ok, want, `${year}, ${failed} failed: ${r.item.title}`);
      }
    }
  }
});

Deno.test("2019: the printout is judged on the lazytests run, with no 'hi' line needed", () => {
  const o = outcomes(2019);
  assertEquals(failing(RULES_2019, o), []);
  // Without the dump, only the printout fails; the 2022 rules' own pte run is not made.
  const noDump = { ...o, lazytests: { text: LAZYTESTS, seconds: 1 } };
  assertEquals(failing(RULES_2019, noDump), ["lazy: pte printout"]);
  assert(!RULES_2019.runs.some((r) => r.id === "pte"));
  // A pa that does not match its pte fails it, as in the later graders.
  const bad = PTE_DUMP.replace("pa 0x0000000087fff000", "pa 0x0000000087ffe000");
  assertEquals(failing(RULES_2019, { ...o, lazytests: { text: bad + LAZYTESTS, seconds: 1 } }), [
    "lazy: pte printout",
  ]);
});

/** A stand-in program image: test names as C strings among other bytes. */
function imageWith(names: string[]): Uint8Array {
  return new TextEncoder().encode("\x7fELF\0\0junk\0" + names.map((n) => n + "\0").join(""));
}

Deno.test("the revision is read from the test names in a usertests image", () => {
  for (const year of [2019, 2020, 2021, 2022, 2025]) {
    assertEquals(usertestsYear(imageWith(ORDER[year])), year, String(year));
  }
  assertEquals(usertestsYear(imageWith(["sbrkmuch", "nowrite"])), 2024);
  // Our own usertests is the 2022 port's; other programs are not a usertests at all.
  assertEquals(usertestsYear(programImages.usertests), 2022);
  assertEquals(usertestsYear(programImages.cat), null);
  // A name inside a longer string does not count.
  assertEquals(usertestsYear(imageWith(["sbrkmuch", "xtextwrite", "textwritex"])), 2019);
});

Deno.test("the rules: --lab wins, else the disk's revision, else the nearest earlier table", () => {
  const of = (year: number) => imageWith(ORDER[year]);
  assertEquals(chooseRules(of(2022), 2019).rules, RULES_2019);
  assertEquals(chooseRules(of(2022), 2019).why, "chosen by --lab 2019");
  assertEquals(chooseRules(of(2020)).rules, RULES_2020);
  assertEquals(chooseRules(of(2020)).why, "the disk's usertests is 2020's");
  assertEquals(chooseRules(of(2021)).rules, RULES_2020);
  assertEquals(chooseRules(of(2025)).rules, RULES_2022);
  assert(chooseRules(of(2025)).why.includes("nearest earlier rules"));
  assertEquals(chooseRules(null).rules, RULES_2022);
  assertEquals(chooseRules(programImages.cat).rules, RULES_2022);
  assertEquals(rulesForYear(2018), RULES_2019);
  assertEquals(rulesForYear(2023), RULES_2022);
});

Deno.test("the report's first line names the rules; its score is out of their total", async () => {
  const choice = chooseRules(imageWith(ORDER[2020]));
  let out = "";
  const o = outcomes(2020, "iput");
  const n = await grade((run) => o[run.id], {
    write: (s) => (out += s),
    paint: (_st, s) => s,
  }, choice);
  const lines = out.split("\n");
  assertEquals(lines[0], rulesLine(choice));
  assertEquals(
    lines[0],
    "Rules: 2020, 6.S081 Fall 2020 lazy lab (grade-lab-lazy), 118 points " +
      "(the disk's usertests is 2020's)",
  );
  // 2020 has no printout run: the first run is lazytests.
  assertEquals(lines[1], "== Test running lazytests == ");
  assertEquals(n, score(judgeAll(o, RULES_2020)));
  assert(n < 118);
  assertEquals(lines.at(-2), `Score: ${n}/118`);
});

Deno.test("a subset and its JSON report follow the chosen rules (grade --lab 2020 usertests --json)", async () => {
  const choice = chooseRules(programImages.usertests, 2020);
  const only = gradeSubset(["usertests"], choice.rules);
  const json = new GradeJson("9.9.9", choice, only);
  let out = "";
  const made: string[] = [];
  const o = outcomes(2020, "iput");
  const n = await grade(
    (run) => {
      made.push(run.id);
      return o[run.id];
    },
    { write: (s) => (out += s), paint: (_st, s) => s, only, onRun: json.onRun },
    choice,
  );
  assertEquals(made, ["usertests"]);
  const lines = out.split("\n");
  assertEquals(lines[0], rulesLine(choice));
  assert(lines[0].endsWith("(chosen by --lab 2020)"), lines[0]);
  // The 2020 usertests items: 118 less the two lazytests items' 40; iput failed, so its
  // pair (iput, mem) and the ones after it are lost.
  const usertestsItems = judgeAll(o, RULES_2020).filter((r) => r.item.run === "usertests");
  assertEquals(n, score(usertestsItems));
  assert(n > 0 && n < 78, String(n));
  assertEquals(lines.at(-2), `Score: ${n}/78`);
  const doc = JSON.parse(json.render(false));
  assertEquals(doc.rules, {
    year: 2020,
    source: RULES_2020.source,
    points: 118,
    why: "chosen by --lab 2020",
  });
  assertEquals([doc.score, doc.possible], [n, 78]);
  assertEquals(doc.runs.map((r: { id: string }) => r.id), ["usertests"]);
  assertEquals(doc.items.length, 55);
  const iput = doc.items.find((i: { title: string }) => i.title === "usertests: iput");
  assertEquals([iput.ok, iput.earned, iput.points], [false, 0, 1]);
});
