// The grade report's extras (issue 11, item 8) on synthetic transcripts: each test's
// own time, the last lines of a failing run's output, where its log was saved, a
// subset of the runs, and the JSON form. No kernel involved.

import { assert, assertEquals } from "./deps.ts";
import { grade, itemTest, type RunId, type RunOutcome } from "../userland/grade.ts";
import { GradeJson, gradeSubset } from "../cli/grade_output.ts";
import { UsageError } from "../cli/usage_error.ts";
import {
  DEFAULT_RULES,
  RULES_2019,
  RULES_2020,
  type RulesChoice,
} from "../userland/grade_rules.ts";

/** The built-in disk's choice of rules (its usertests is the 2022 port's). */
const CHOICE: RulesChoice = { rules: DEFAULT_RULES, why: "the disk's usertests is 2022's" };

const LAZY_PASS = "$ lazytests\nlazytests starting\nrunning test lazy alloc\n" +
  "test lazy alloc: OK\nrunning test lazy unmap\ntest lazy unmap: OK\n" +
  "running test out of memory\ntest out of memory: OK\nALL TESTS PASSED\n$ ";

const LAZY_FAIL = "$ lazytests\nlazytests starting\nrunning test lazy alloc\n" +
  "test lazy alloc: FAILED\nrunning test lazy unmap\nsbrk(1073741824) failed\n" +
  "test lazy unmap: FAILED\nSOME TESTS FAILED\n$ ";

/** Grade only lazytests with the given outcome; the score and the text report. */
async function gradeLazy(
  outcome: RunOutcome,
  json?: GradeJson,
): Promise<[number, string]> {
  let out = "";
  const only: RunId[] = ["lazytests"];
  const n = await grade(
    (run) => {
      assertEquals(run.id, "lazytests", "only the chosen run is made");
      return outcome;
    },
    { write: (s) => (out += s), paint: (_st, s) => s, only, onRun: json?.onRun },
    CHOICE,
  );
  return [n, out];
}

Deno.test("item 8: a subset is graded out of its own points, with each test's own time", async () => {
  const [n, out] = await gradeLazy({
    text: LAZY_PASS,
    seconds: 2.5,
    testSeconds: { "lazy alloc": 0.05, "lazy unmap": 1.5, "out of memory": 0.9 },
  });
  assertEquals(n, 50);
  const lines = out.split("\n");
  assertEquals(lines[0], `Rules: 2022, ${DEFAULT_RULES.source}, 100 points (${CHOICE.why})`);
  const runs = lines.slice(1).join("\n"); // the first line names the rules, whose why may say usertests
  assert(!runs.includes("pte printout") && !runs.includes("usertests"), out);
  // "lazy: map" is judged on the lazy unmap test's line (the grader's titles are swapped).
  assert(lines.includes("  lazy: map: OK (1.5s) "), out);
  assert(lines.includes("  lazy: unmap: OK "), out); // too quick to show a time
  assertEquals(lines.at(-2), "Score: 50/50");
  assertEquals(
    itemTest({
      title: "t",
      points: 1,
      run: "usertests",
      sub: true,
      rule: { kind: "pte", hiLine: true },
    }),
    null,
  );
});

Deno.test("item 8: a failing run shows the last lines of its output and where it was saved", async () => {
  const [n, out] = await gradeLazy({ text: LAZY_FAIL, seconds: 1, log: "logs/xv6.out.lazytests" });
  assertEquals(n, 0);
  const lines = out.split("\n");
  const at = lines.indexOf("    the run's output ended with:");
  assert(at > 0, out);
  assertEquals(lines.slice(at + 1, at + 9), [
    "      | lazytests starting",
    "      | running test lazy alloc",
    "      | test lazy alloc: FAILED",
    "      | running test lazy unmap",
    "      | sbrk(1073741824) failed",
    "      | test lazy unmap: FAILED",
    "      | SOME TESTS FAILED",
    "      | $ ",
  ]);
  assert(lines.includes("    output saved to logs/xv6.out.lazytests"), out);
  assertEquals(lines.at(-2), "Score: 0/50");
  const [, passing] = await gradeLazy({ text: LAZY_PASS, seconds: 1, log: "x" });
  assert(!passing.includes("ended with") && !passing.includes("saved to"), passing);
});

Deno.test("item 8: --json carries items, points, verdicts, reasons and times", async () => {
  const json = new GradeJson("9.9.9", CHOICE, ["lazytests"]);
  await gradeLazy({
    text: LAZY_FAIL,
    seconds: 1.25,
    ended: "prompt",
    testSeconds: { "lazy unmap": 0.75 },
  }, json);
  const doc = JSON.parse(json.render(true));
  assertEquals(doc.xv6lazy, "9.9.9");
  assertEquals(doc.rules, {
    year: 2022,
    source: DEFAULT_RULES.source,
    points: 100,
    why: "the disk's usertests is 2022's",
  });
  assertEquals([doc.score, doc.possible, doc.eager], [0, 50, true]);
  assertEquals(doc.runs, [{
    id: "lazytests",
    title: "running lazytests",
    command: "lazytests",
    seconds: 1.25,
    ended: "prompt",
    error: null,
    log: null,
  }]);
  assertEquals(doc.items.map((i: { title: string }) => i.title), ["lazy: map", "lazy: unmap"]);
  const map = doc.items[0];
  assertEquals([map.points, map.earned, map.ok, map.seconds], [25, 0, false, 0.75]);
  assertEquals(map.reasons, ["missing the line 'test lazy unmap: OK'"]);
});

/** The UsageError gradeSubset throws for these parts and rules (fails if none). */
function subsetError(parts: string[], rules = DEFAULT_RULES): string {
  try {
    gradeSubset(parts, rules);
  } catch (e) {
    assert(e instanceof UsageError, String(e));
    return e.message;
  }
  throw new Error(`gradeSubset(${parts}) took them`);
}

Deno.test("item 8: grade's parts are pte, lazy and usertests", () => {
  assertEquals(gradeSubset([], DEFAULT_RULES), undefined);
  assertEquals(gradeSubset(["usertests", "lazy", "pte"], DEFAULT_RULES), [
    "usertests",
    "lazytests",
    "pte",
  ]);
  assertEquals(
    subsetError(["lazy", "usertest"]),
    "grade has no part 'usertest' (parts: pte, lazy, usertests)",
  );
});

Deno.test("grade's parts are those of the chosen rules: 2019 and 2020 have no pte run", () => {
  assertEquals(gradeSubset(["usertests", "lazytests"], RULES_2020), ["usertests", "lazytests"]);
  assertEquals(
    subsetError(["pte"], RULES_2020),
    "the 2020 rules have no part 'pte' (their parts: lazy, usertests)",
  );
  assertEquals(
    subsetError(["lazy", "pte"], RULES_2019),
    "the 2019 rules have no part 'pte' (their parts: lazy, usertests)",
  );
});
