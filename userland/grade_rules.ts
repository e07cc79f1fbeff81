// The lazy lab's grading rules, one table per revision of the lab, and how the
// grader picks the table for a disk image.
//
// Each table is data taken from that year's `grade-lab-lazy` script: the runs the
// grader makes (command typed, time limit), and the scored items with their points
// and the rule that judges each (grade.ts applies the rules). The revisions:
//   2019  6.S081 Fall 2019, lazy branch of xv6-riscv-fall19 (final version, 2019-10-10)
//   2020  6.S081 Fall 2020, lazy branch of xv6-labs-2020
//   2022  the 2022 port of the lab to that year's xv6-riscv (shared/TESTS.md section 8)
// The lab was not given at MIT after 2020. A disk whose usertests comes from a year
// without a table is judged by the nearest earlier table: 2021's usertests keeps
// 2020's order (with tests added between pairs), and 2023-2025's keep 2022's.

import type { GradeItem, GradeRun } from "./grade.ts";

/** The revisions that have a table. */
export type LabYear = 2019 | 2020 | 2022;
export const LAB_YEARS: readonly LabYear[] = [2019, 2020, 2022];

/** One revision's grader: its runs and its scored items, in the order it reports them. */
export interface LabRules {
  year: LabYear;
  /** The grader these rules come from, as the report's first line names it. */
  source: string;
  runs: readonly GradeRun[];
  items: readonly GradeItem[];
}

/** A run of the grader: boot, type the command, capture until the next prompt or the limit. */
function run(id: GradeRun["id"], title: string, command: string, limitSeconds: number): GradeRun {
  return { id, title, command, limitSeconds };
}

/** A usertests item judged by the pair rule: test X passed and test Y started. */
function pair(x: string, y: string, points: number): GradeItem {
  return {
    title: `usertests: ${x}`,
    points,
    run: "usertests",
    sub: true,
    rule: { kind: "pair", x, y },
  };
}

/** Pair items from [X, Y, points] rows. */
function pairs(rows: readonly (readonly [string, string, number])[]): GradeItem[] {
  return rows.map(([x, y, points]) => pair(x, y, points));
}

/** A lazytests item: a line that must appear exactly. */
function lazyLine(title: string, points: number, line: string): GradeItem {
  return { title, points, run: "lazytests", sub: true, rule: { kind: "line", line } };
}

/** The usertests item for the line ALL TESTS PASSED. */
function allPassed(title: string, points: number): GradeItem {
  return {
    title,
    points,
    run: "usertests",
    sub: true,
    rule: { kind: "line", line: "ALL TESTS PASSED" },
  };
}

// The map/unmap titles and their lines look swapped in every year; the lines are
// what the graders check.
const LAZY_MAP_LINE = "test lazy unmap: OK";
const LAZY_UNMAP_LINE = "test lazy alloc: OK";

/**
 * 2019: the page-table printout is judged on the lazytests run. The 2019 script
 * compared the dump line for line with the one its own reference kernel printed,
 * physical addresses included, which no other kernel reproduces; these rules check
 * the same nine entries as the later graders do (shape, and each pa consistent with
 * its pte), without the `hi` line that only the later graders ask for.
 */
export const RULES_2019: LabRules = {
  year: 2019,
  source: "6.S081 Fall 2019 lazy lab (grade-lab-lazy)",
  runs: [
    run("lazytests", "running lazytests", "lazytests", 30),
    run("usertests", "usertests", "usertests", 150),
  ],
  items: [
    {
      title: "lazy: pte printout",
      points: 10,
      run: "lazytests",
      sub: true,
      rule: { kind: "pte", hiLine: false },
    },
    lazyLine("lazy: map", 20, LAZY_MAP_LINE),
    lazyLine("lazy: unmap", 20, LAZY_UNMAP_LINE),
    ...pairs([
      ["pgbug", "sbrkbugs", 4],
      ["sbrkbugs", "badarg", 4],
      ["argptest", "createdelete", 4],
      ["sbrkmuch", "kernmem", 4],
      ["sbrkfail", "sbrkarg", 4],
      ["sbrkarg", "validatetest", 5],
      ["stacktest", "opentest", 5],
    ]),
    allPassed("usertests: all tests", 20),
  ],
};

/**
 * 2020: no page-table printout (that moved to the page-table lab), and a pair item for
 * nearly every usertests test. The script's last item, `time` (1 point for a time.txt
 * in the student's source tree), concerns no output and is left out.
 */
export const RULES_2020: LabRules = {
  year: 2020,
  source: "6.S081 Fall 2020 lazy lab (grade-lab-lazy)",
  runs: [
    run("lazytests", "running lazytests", "lazytests", 30),
    run("usertests", "usertests", "usertests", 300),
  ],
  items: [
    lazyLine("lazy: map", 20, LAZY_MAP_LINE),
    lazyLine("lazy: unmap", 20, LAZY_UNMAP_LINE),
    ...pairs([
      ["pgbug", "sbrkbugs", 4],
      ["sbrkbugs", "badarg", 4],
      ["argptest", "createdelete", 4],
      ["sbrkmuch", "kernmem", 4],
      ["sbrkfail", "sbrkarg", 4],
      ["sbrkarg", "validatetest", 5],
      ["stacktest", "opentest", 5],
      ["execout", "copyin", 1],
      ["copyin", "copyout", 1],
      ["copyout", "copyinstr1", 1],
      ["copyinstr1", "copyinstr2", 1],
      ["copyinstr2", "copyinstr3", 1],
      ["copyinstr3", "rwsbrk", 1],
      ["rwsbrk", "truncate1", 1],
      ["truncate1", "truncate2", 1],
      ["truncate2", "truncate3", 1],
      ["truncate3", "reparent2", 1],
      ["reparent2", "pgbug", 1],
      ["badarg", "reparent", 1],
      ["reparent", "twochildren", 1],
      ["twochildren", "forkfork", 1],
      ["forkfork", "forkforkfork", 1],
      ["forkforkfork", "argptest", 1],
      ["createdelete", "linkunlink", 1],
      ["linkunlink", "linktest", 1],
      ["linktest", "unlinkread", 1],
      ["unlinkread", "concreate", 1],
      ["concreate", "subdir", 1],
      ["subdir", "fourfiles", 1],
      ["fourfiles", "sharedfd", 1],
      ["sharedfd", "exectest", 1],
      ["exectest", "bigargtest", 1],
      ["bigargtest", "bigwrite", 1],
      ["bigwrite", "bsstest", 1],
      ["bsstest", "sbrkbasic", 1],
      ["sbrkbasic", "sbrkmuch", 1],
      ["kernmem", "sbrkfail", 1],
      ["validatetest", "stacktest", 1],
      ["opentest", "writetest", 1],
      ["writetest", "writebig", 1],
      ["writebig", "createtest", 1],
      ["createtest", "openiput", 1],
      ["openiput", "exitiput", 1],
      ["exitiput", "iput", 1],
      ["iput", "mem", 1],
      ["mem", "pipe1", 1],
      ["pipe1", "preempt", 1],
      ["preempt", "exitwait", 1],
      ["exitwait", "rmdot", 1],
      ["rmdot", "fourteen", 1],
      ["fourteen", "bigfile", 1],
      ["bigfile", "dirfile", 1],
      ["dirfile", "iref", 1],
      ["iref", "forktest", 1],
      ["forktest", "bigdir", 1],
    ]),
  ],
};

/** 2022 port: the printout has a run of its own (`echo hi`), and usertests has a slow group. */
export const RULES_2022: LabRules = {
  year: 2022,
  source: "2022 port of the lazy lab (grade-lab-lazy)",
  runs: [
    run("pte", "pte printout", "echo hi", 30),
    run("lazytests", "running lazytests", "lazytests", 30),
    run("usertests", "usertests", "usertests", 600),
  ],
  items: [
    {
      title: "pte printout",
      points: 10,
      run: "pte",
      sub: false,
      rule: { kind: "pte", hiLine: true },
    },
    lazyLine("lazy: map", 25, LAZY_MAP_LINE),
    lazyLine("lazy: unmap", 25, LAZY_UNMAP_LINE),
    ...pairs([
      ["pgbug", "sbrkbugs", 2],
      ["sbrkbugs", "badarg", 2],
      ["argptest", "stacktest", 2],
      ["sbrkmuch", "kernmem", 2],
      ["sbrkfail", "sbrkarg", 2],
      ["sbrkarg", "validatetest", 3],
      ["stacktest", "textwrite", 3],
      ["execout", "diskfull", 1],
      ["copyin", "copyout", 1],
      ["copyout", "copyinstr1", 1],
      ["copyinstr1", "copyinstr2", 1],
      ["copyinstr2", "copyinstr3", 1],
      ["copyinstr3", "rwsbrk", 1],
      ["rwsbrk", "truncate1", 1],
      ["sbrk8000", "badarg", 3],
      ["reparent", "twochildren", 1],
      ["twochildren", "forkfork", 1],
      ["forkfork", "forkforkfork", 1],
      ["forkforkfork", "argptest", 1],
      ["exectest", "bigargtest", 1],
      ["sbrkbasic", "sbrkmuch", 1],
      ["kernmem", "sbrkfail", 1],
      ["mem", "sharedfd", 1],
      ["forktest", "sbrkbasic", 1],
    ]),
    allPassed("usertests: all tests", 5),
  ],
};

/** The tables by year. */
export const LAB_RULES: Readonly<Record<LabYear, LabRules>> = {
  2019: RULES_2019,
  2020: RULES_2020,
  2022: RULES_2022,
};

/** The rules used when nothing says otherwise: the built-in disk's programs are the 2022 port's. */
export const DEFAULT_RULES: LabRules = RULES_2022;

/** The points a table can give. */
export function totalPoints(rules: LabRules): number {
  return rules.items.reduce((n, it) => n + it.points, 0);
}

/**
 * Tests that first appeared in a given year's usertests (xv6-riscv's history), newest
 * first: the first one a usertests holds dates it. One that holds none is 2019's or older.
 */
export const REVISION_MARKERS: readonly { test: string; year: number }[] = [
  { test: "lazy_alloc", year: 2025 },
  { test: "nowrite", year: 2024 },
  { test: "textwrite", year: 2022 },
  { test: "MAXVAplus", year: 2021 },
  { test: "sbrk8000", year: 2021 },
  { test: "execout", year: 2020 },
  { test: "copyinstr1", year: 2020 },
];

/** A test every usertests since 2019 has, to know a usertests when we see one. */
const ALWAYS_THERE = "sbrkmuch";

/** Whether a program image holds `name` as a C string of its own (NUL after, no name char before). */
function holdsName(image: Uint8Array, name: string): boolean {
  const want = new TextEncoder().encode(name + "\0");
  for (let i = image.indexOf(want[0], 1); i >= 1; i = image.indexOf(want[0], i + 1)) {
    if (i + want.length > image.length) return false;
    let same = true;
    for (let k = 1; k < want.length && same; k++) same = image[i + k] === want[k];
    if (same && !/[A-Za-z0-9_]/.test(String.fromCharCode(image[i - 1]))) return true;
  }
  return false;
}

/** The year of the xv6 revision a usertests image comes from, or null if it is not one. */
export function usertestsYear(image: Uint8Array): number | null {
  if (!holdsName(image, ALWAYS_THERE)) return null;
  for (const m of REVISION_MARKERS) if (holdsName(image, m.test)) return m.year;
  return 2019;
}

/** The table for a revision's year: its own, or the nearest one before it (2019 for older). */
export function rulesForYear(year: number): LabRules {
  let best: LabRules = RULES_2019;
  for (const y of LAB_YEARS) if (y <= year) best = LAB_RULES[y];
  return best;
}

/** The rules chosen for a grading, and why, for the report's first line. */
export interface RulesChoice {
  rules: LabRules;
  why: string;
}

/** Choose the rules: --lab YEAR if given, else by the image's usertests (null if absent). */
export function chooseRules(usertests: Uint8Array | null, lab?: LabYear): RulesChoice {
  if (lab !== undefined) return { rules: LAB_RULES[lab], why: `chosen by --lab ${lab}` };
  const year = usertests === null ? null : usertestsYear(usertests);
  if (year === null) {
    const what = usertests === null
      ? "no usertests on the disk"
      : "the disk's usertests is unknown";
    return { rules: DEFAULT_RULES, why: `${what}; the default rules apply` };
  }
  const rules = rulesForYear(year);
  const seen = `the disk's usertests is ${year}'s`;
  if (rules.year === year) return { rules, why: seen };
  return { rules, why: `${seen}; that year had no lazy lab, so the nearest earlier rules apply` };
}

/** The report's first line: which rules judge this grading, and why. */
export function rulesLine(choice: RulesChoice): string {
  const { rules, why } = choice;
  return `Rules: ${rules.year}, ${rules.source}, ${totalPoints(rules)} points (${why})`;
}
