// `xv6lazy grade` as a teacher uses it (issue 11, item 8): a subset of the runs,
// per-run logs in a directory, and a JSON report; run as a subprocess.

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";
import { assertOneErrorLine, xv6lazy } from "./cli_harness.ts";

Deno.test("item 8: grade lazy --logs DIR --json: the failing run's log, and a JSON report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logs = join(dir, "logs");
    const r = await xv6lazy(["grade", "lazy", "--eager", "--json", "--logs", logs]);
    assertEquals(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assertEquals([doc.score, doc.possible], [0, 50]);
    assertEquals(doc.runs.length, 1);
    const log = join(logs, "xv6.out.lazytests");
    assertEquals(doc.runs[0].log, log);
    const text = await Deno.readTextFile(log);
    assert(text.includes("$ lazytests\nlazytests starting\n"), text);
    for (const it of doc.items) {
      assertEquals(it.ok, false);
      assert(it.reasons.length > 0 && typeof it.seconds === "number", JSON.stringify(it));
    }

    const t = await xv6lazy(["grade", "--eager", "lazy", "--logs", logs]);
    assertEquals(t.code, 1, t.stderr);
    const lines = t.stdout.split("\n");
    assert(lines.includes("    the run's output ended with:"), t.stdout);
    assert(lines.includes("      | SOME TESTS FAILED"), t.stdout);
    assert(lines.includes(`    output saved to ${log}`), t.stdout);
    assertEquals(lines.at(-2), "Score: 0/50");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("item 8: grade pte scores 10/10 and exits 0; bad parts and flags are refused", async () => {
  const r = await xv6lazy(["grade", "pte"]);
  assertEquals(r.code, 0, r.stderr);
  assert(!r.stdout.includes("lazytests"), r.stdout);
  assertEquals(r.stdout.split("\n").at(-2), "Score: 10/10");
  const bad = await xv6lazy(["grade", "lazytest"]);
  assertEquals(bad.code, 2);
  assertOneErrorLine(bad, "'lazytest'");
  const json = await xv6lazy(["--json", "echo", "hi"]);
  assertEquals(json.code, 2);
  assertOneErrorLine(json, "--json");
});

Deno.test("grade --lab YEAR PART --json: the subset and the report follow that year's rules", async () => {
  // 2019 judges the page-table printout on the lazytests run: 10 + 20 + 20 points.
  const r = await xv6lazy(["grade", "--lab", "2019", "lazy", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assertEquals([doc.rules.year, doc.rules.why], [2019, "chosen by --lab 2019"]);
  assertEquals([doc.score, doc.possible], [50, 50]);
  assertEquals(doc.items.map((i: { title: string }) => i.title), [
    "lazy: pte printout",
    "lazy: map",
    "lazy: unmap",
  ]);
  const t = await xv6lazy(["--lab", "2019", "grade", "lazy"]);
  assertEquals(t.code, 0, t.stderr);
  assert(t.stdout.startsWith("Rules: 2019, "), t.stdout);
  assertEquals(t.stdout.split("\n").at(-2), "Score: 50/50");
  // A part the year's grader does not have, and --lab without grade, are refused.
  const pte = await xv6lazy(["grade", "--lab", "2020", "pte"]);
  assertEquals(pte.code, 2);
  assertOneErrorLine(pte, "the 2020 rules have no part 'pte' (their parts: lazy, usertests)");
  const lab = await xv6lazy(["--lab", "2020", "echo", "hi"]);
  assertEquals(lab.code, 2);
  assertOneErrorLine(lab, "--lab goes with grade");
});
