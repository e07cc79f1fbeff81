// The lab grader's verdicts, as pure functions over captured console text.
//
// This mirrors the lazy-lab grading rules (shared/TESTS.md section 8): how each item
// is matched against the console output of its run, and the report. Which runs and
// items a revision of the lab has is data in grade_rules.ts. Nothing here boots a
// system; see grade_run.ts for that.

import {
  DEFAULT_RULES,
  type LabRules,
  type RulesChoice,
  rulesLine,
  totalPoints,
} from "./grade_rules.ts";

/** The systems the grader boots (which of them, and in which order, is up to the rules). */
export type RunId = "pte" | "lazytests" | "usertests";

/** One boot of a fresh system: type `command` at the first prompt, stop at the next one. */
export interface GradeRun {
  id: RunId;
  /** The run's own title in the report ("running lazytests"). */
  title: string;
  /** The command typed at the shell prompt. */
  command: string;
  /** The grader's time limit for the run, in seconds. */
  limitSeconds: number;
}

/** How one scored item is matched against its run's output. */
export type Rule =
  /** The page-table dump (section 8.3), plus a line beginning `hi` if hiLine. */
  | { kind: "pte"; hiLine: boolean }
  /** A line that is exactly `line`. */
  | { kind: "line"; line: string }
  /** The usertests pair rule: `\ntest X: ` ... `OK\ntest Y`. */
  | { kind: "pair"; x: string; y: string };

/** A scored item of the report. */
export interface GradeItem {
  /** Title as the report prints it, without indentation ("lazy: map"). */
  title: string;
  points: number;
  /** The run whose output the item is judged on. */
  run: RunId;
  /** Sub-items are indented under their run's parent line. */
  sub: boolean;
  rule: Rule;
}

/** The verdict on one item: pass or fail, with the reasons for a failure. */
export interface Verdict {
  ok: boolean;
  /** Human-readable reasons, one per line; empty when ok. */
  reasons: string[];
}

/** The default rules' runs (the 2022 port's; see grade_rules.ts for every revision). */
export const GRADE_RUNS: readonly GradeRun[] = DEFAULT_RULES.runs;

/** The default rules' scored items, in the grader's order. */
export const GRADE_ITEMS: readonly GradeItem[] = DEFAULT_RULES.items;

/** The total of the default rules' points (100). */
export const TOTAL_POINTS: number = totalPoints(DEFAULT_RULES);

/** Output lines, split the way Python's splitlines() splits console text. */
export function outputLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The (depth, index) entries the pte printout must show (section 8.3). */
export const PTE_ENTRIES: readonly (readonly [number, number])[] = [
  [1, 0],
  [2, 0],
  [3, 0],
  [3, 1],
  [3, 2],
  [1, 255],
  [2, 511],
  [3, 510],
  [3, 511],
];

// `0x`, eight zeros, then one or more lowercase hex digits.
const HEX = "0x(0{8}[0-9a-f]+)";
const PTE_HEADER = new RegExp(`^page table ${HEX}`);

/** The grader's pattern for one page-table line at depth with index. */
function pteEntryPattern(depth: number, index: number): RegExp {
  return new RegExp(`^(?:\\s*\\.\\.){${depth}}\\s*${index}: pte ${HEX} pa ${HEX}`);
}

/** The pte printout rule: the header and nine entries, each with pa == (pte >> 10) << 12. */
function judgePte(text: string, hiLine: boolean): Verdict {
  const lines = outputLines(text);
  const reasons: string[] = [];
  if (hiLine && !lines.some((l) => l.startsWith("hi"))) {
    reasons.push("missing a line beginning 'hi'");
  }
  if (!lines.some((l) => PTE_HEADER.test(l))) {
    reasons.push("missing the header line 'page table 0x00000000...'");
  }
  for (const [depth, index] of PTE_ENTRIES) {
    const re = pteEntryPattern(depth, index);
    let found: RegExpExecArray | null = null;
    for (const l of lines) {
      found = re.exec(l);
      if (found) break;
    }
    const what = `${" ..".repeat(depth)}${index}: pte 0x00000000... pa 0x00000000...`;
    if (!found) {
      reasons.push(`missing a line '${what}'`);
      continue;
    }
    const pte = BigInt("0x" + found[1]);
    const pa = BigInt("0x" + found[2]);
    const want = (pte >> 10n) << 12n;
    if (pa !== want) {
      reasons.push(
        `'${found[0].trim()}': pa should be 0x${want.toString(16).padStart(16, "0")} ` +
          "((pte >> 10) << 12)",
      );
    }
  }
  return { ok: reasons.length === 0, reasons };
}

/** The output holds a line exactly equal to line. */
function judgeLine(text: string, line: string): Verdict {
  if (outputLines(text).some((l) => l === line)) return { ok: true, reasons: [] };
  return { ok: false, reasons: [`missing the line '${line}'`] };
}

/** True when `text` holds `\ntest X: `, later followed by `OK\ntest Y`. */
export function pairMatches(text: string, x: string, y: string): boolean {
  // The earliest header leaves the most room for the `OK\ntest Y` that must follow it.
  const start = text.indexOf(`\ntest ${x}: `);
  if (start < 0) return false;
  return text.indexOf(`OK\ntest ${y}`, start + x.length + 8) >= 0;
}

/** The pair rule: `\ntest X: ` ... `OK\ntest Y`. */
function judgePair(text: string, x: string, y: string): Verdict {
  if (pairMatches(text, x, y)) return { ok: true, reasons: [] };
  if (text.indexOf(`\ntest ${x}: `) < 0) {
    return { ok: false, reasons: [`test ${x} never started`] };
  }
  return {
    ok: false,
    reasons: [
      `no 'OK' followed by 'test ${y}' after 'test ${x}: ' (a test failed, or ${y} never started)`,
    ],
  };
}

/** Judge one item on the console text of its run. */
export function judge(item: GradeItem, text: string): Verdict {
  switch (item.rule.kind) {
    case "pte":
      return judgePte(text, item.rule.hiLine);
    case "line":
      return judgeLine(text, item.rule.line);
    case "pair":
      return judgePair(text, item.rule.x, item.rule.y);
  }
}

/** What a run left behind: its console text, or why it could not run at all. */
export interface RunOutcome {
  /** Everything the console printed, from boot on. */
  text: string;
  /** Wall-clock seconds the run took. */
  seconds: number;
  /** Set when the run itself failed (the system could not boot); sub-items then fail. */
  error?: string;
  /** Why capturing stopped ("prompt", "time limit", ...), for the report. */
  ended?: string;
  /** Wall-clock seconds each test program's test took, by test name, when known. */
  testSeconds?: Record<string, number>;
  /** Where the run's console output was saved (grade --logs), for the report. */
  log?: string;
}

/** The result of one item in a finished grading. */
export interface ItemResult {
  item: GradeItem;
  verdict: Verdict;
}

/** Judge every item of the rules against the outcomes of the runs; a failed run fails its items. */
export function judgeAll(
  outcomes: Partial<Record<RunId, RunOutcome>>,
  rules: LabRules = DEFAULT_RULES,
): ItemResult[] {
  return rules.items.map((item) => {
    const outcome = outcomes[item.run];
    if (!outcome) return { item, verdict: { ok: false, reasons: ["its run did not happen"] } };
    if (outcome.error !== undefined) {
      const parent = rules.runs.find((r) => r.id === item.run)!;
      return { item, verdict: { ok: false, reasons: [`parent failed: ${parent.title}`] } };
    }
    return { item, verdict: judge(item, outcome.text) };
  });
}

/** Points earned by a list of results. */
export function score(results: readonly ItemResult[]): number {
  return results.reduce((n, r) => n + (r.verdict.ok ? r.item.points : 0), 0);
}

/** How the report is printed. */
export interface ReportOptions {
  /** Write one chunk of the report (the CLI writes it to stdout at once). */
  write: (s: string) => void;
  /** Colour a status word; identity when colour is off. */
  paint: (status: "OK" | "FAIL", s: string) => string;
  /** Grade only these runs and their items (`grade lazy`); all when absent. */
  only?: readonly RunId[];
  /** Told each run's outcome and its items' results as they are judged (for --json). */
  onRun?: (run: GradeRun, outcome: RunOutcome, results: ItemResult[]) => void;
}

/** The runs a grading by these rules makes: all of them, or those in only, in the rules' order. */
export function selectedRuns(rules: LabRules, only?: readonly RunId[]): GradeRun[] {
  return rules.runs.filter((r) => only === undefined || only.includes(r.id));
}

/** The points the given runs' items are worth under these rules. */
export function pointsOf(rules: LabRules, runs: readonly GradeRun[]): number {
  return rules.items.filter((it) => runs.some((r) => r.id === it.run))
    .reduce((n, it) => n + it.points, 0);
}

/** The test-program test an item is about (`test NAME: OK`, the pair rule's X), or null. */
export function itemTest(item: GradeItem): string | null {
  if (item.rule.kind === "pair") return item.rule.x;
  if (item.rule.kind === "line") return /^test (.+): OK$/.exec(item.rule.line)?.[1] ?? null;
  return null;
}

/** The wall-clock seconds an item's own test took: its test's, else its whole run's. */
export function itemSeconds(item: GradeItem, outcome: RunOutcome): number {
  const test = itemTest(item);
  if (test === null) return item.sub ? 0 : outcome.seconds;
  return outcome.testSeconds?.[test] ?? 0;
}

/** Something that performs a run; the real one boots a system, tests pass a fake. */
export type Runner = (run: GradeRun) => RunOutcome | Promise<RunOutcome>;

/** The default choice of rules, for callers that do not choose. */
const DEFAULT_CHOICE: RulesChoice = { rules: DEFAULT_RULES, why: "the default rules" };

/**
 * Run every run of the chosen rules (or those in report.only) with `runner`, print
 * the report (its first line names the rules), and return the score.
 */
export async function grade(
  runner: Runner,
  report: ReportOptions,
  choice: RulesChoice = DEFAULT_CHOICE,
): Promise<number> {
  const { write, paint } = report;
  const { rules } = choice;
  const outcomes: Partial<Record<RunId, RunOutcome>> = {};
  const timeOf = (s: number) => (s > 0.1 ? `(${s.toFixed(1)}s) ` : "");
  const runs = selectedRuns(rules, report.only);
  let earned = 0;
  write(rulesLine(choice) + "\n");
  for (const run of runs) {
    write(`== Test ${run.title} == \n`);
    write(`$ xv6lazy: boot, type '${run.command}' at the prompt\n`);
    const outcome = await runner(run);
    outcomes[run.id] = outcome;
    const results = judgeAll(outcomes, rules).filter((r) => r.item.run === run.id);
    // The run itself: a scored item (pte printout) or a 0-point parent.
    const own = results.find((r) => !r.item.sub);
    let line = "";
    if (own) line += `${own.item.title}: ${status(own.verdict.ok, paint)} `;
    else if (outcome.error !== undefined) line += `${run.title}: ${status(false, paint)} `;
    line += timeOf(outcome.seconds);
    write(line + "\n");
    if (outcome.error !== undefined) write(`    ${outcome.error}\n`);
    else if (outcome.ended && outcome.ended !== "prompt") {
      write(`    (capture stopped: ${outcome.ended})\n`);
    }
    if (results.some((r) => !r.verdict.ok)) {
      if (outcome.error === undefined) {
        for (const l of failureLines(outcome.text)) write(`    output: ${l}\n`);
      }
      const tail = lastLines(outcome.text);
      if (tail.length > 0) write("    the run's output ended with:\n");
      for (const l of tail) write(`      | ${l}\n`);
      if (outcome.log) write(`    output saved to ${outcome.log}\n`);
    }
    report.onRun?.(run, outcome, results);
    if (own) {
      earned += own.verdict.ok ? own.item.points : 0;
      for (const r of own.verdict.reasons) write(`    ${r}\n`);
    }
    for (const r of results.filter((r) => r.item.sub)) {
      write(`== Test   ${r.item.title} == \n`);
      write(`  ${r.item.title}: ${status(r.verdict.ok, paint)} `);
      write(`${timeOf(itemSeconds(r.item, outcome))}\n`);
      for (const why of r.verdict.reasons) write(`    ${why}\n`);
      earned += r.verdict.ok ? r.item.points : 0;
    }
  }
  const graded = judgeAll(outcomes, rules).filter((r) => runs.some((x) => x.id === r.item.run));
  const total = score(graded);
  if (total !== earned) throw new Error("grade: score bookkeeping mismatch");
  write(`Score: ${total}/${pointsOf(rules, runs)}\n`);
  return total;
}

/** The last lines of a run's output, as the lab's grader shows them when a test fails. */
export function lastLines(text: string, max = 8): string[] {
  return outputLines(text).slice(-max);
}

/** The lines where a test program reported failures (at most `max` of them). */
export function failureLines(text: string, max = 5): string[] {
  return outputLines(text).filter((l) => l.includes("FAILED")).slice(0, max);
}

/** OK or FAIL, coloured when painting is on. */
function status(ok: boolean, paint: ReportOptions["paint"]): string {
  return ok ? paint("OK", "OK") : paint("FAIL", "FAIL");
}
