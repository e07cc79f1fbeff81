// What `xv6lazy grade` leaves besides its text report: which runs to make
// (`grade lazy`), each run's console output saved as DIR/xv6.out.RUN (--logs DIR),
// and the whole report as JSON (--json) for teachers who grade many submissions.
// Both follow the rules chosen for the disk's lab revision (grade_rules.ts).

import { join } from "../machine/deps.ts";
import {
  type GradeRun,
  type ItemResult,
  itemSeconds,
  pointsOf,
  type RunId,
  type RunOutcome,
  selectedRuns,
} from "../userland/grade.ts";
import { type LabRules, type RulesChoice, totalPoints } from "../userland/grade_rules.ts";
import { firstLine, UsageError } from "./usage_error.ts";

/** Names for `grade PART...`, and the run each picks. */
const PARTS: Record<string, RunId> = {
  pte: "pte",
  lazy: "lazytests",
  lazytests: "lazytests",
  usertests: "usertests",
};

/** The name `grade PART` knows a run by. */
function partName(id: RunId): string {
  return id === "lazytests" ? "lazy" : id;
}

/**
 * The runs `grade PART...` asks for under these rules (undefined: all); a UsageError
 * names a part that is no run of the rules.
 */
export function gradeSubset(parts: string[], rules: LabRules): RunId[] | undefined {
  if (parts.length === 0) return undefined;
  const have = rules.runs.map((r) => partName(r.id)).join(", ");
  return parts.map((p) => {
    const id = PARTS[p];
    if (id === undefined) throw new UsageError(`grade has no part '${p}' (parts: ${have})`);
    if (!rules.runs.some((r) => r.id === id)) {
      throw new UsageError(`the ${rules.year} rules have no part '${p}' (their parts: ${have})`);
    }
    return id;
  });
}

/** Save a run's console output as dir/xv6.out.RUN (making dir if needed); returns the path. */
export function saveRunLog(dir: string, run: GradeRun, text: string): string {
  const path = join(dir, `xv6.out.${run.id}`);
  try {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(path, text);
  } catch (e) {
    throw new UsageError(`cannot save the output of '${run.command}' to ${path}: ${firstLine(e)}`);
  }
  return path;
}

/** One run in the JSON report. */
interface JsonRun {
  id: RunId;
  title: string;
  command: string;
  seconds: number;
  ended: string | null;
  error: string | null;
  log: string | null;
}

/** One scored item in the JSON report. */
interface JsonItem {
  title: string;
  run: RunId;
  points: number;
  earned: number;
  ok: boolean;
  reasons: string[];
  seconds: number;
}

/** Collects a grading run by run (ReportOptions.onRun) and renders it as JSON. */
export class GradeJson {
  private readonly runs: JsonRun[] = [];
  private readonly items: JsonItem[] = [];

  constructor(
    private readonly version: string,
    private readonly choice: RulesChoice,
    private readonly only?: RunId[],
  ) {}

  /** Record one judged run and its items. */
  readonly onRun = (run: GradeRun, outcome: RunOutcome, results: ItemResult[]): void => {
    this.runs.push({
      id: run.id,
      title: run.title,
      command: run.command,
      seconds: round(outcome.seconds),
      ended: outcome.ended ?? null,
      error: outcome.error ?? null,
      log: outcome.log ?? null,
    });
    for (const r of results) {
      this.items.push({
        title: r.item.title,
        run: r.item.run,
        points: r.item.points,
        earned: r.verdict.ok ? r.item.points : 0,
        ok: r.verdict.ok,
        reasons: r.verdict.reasons,
        seconds: round(itemSeconds(r.item, outcome)),
      });
    }
  };

  /**
   * The report as one JSON document (with a final newline); `kernel` describes the
   * real kernel graded (--kernel), absent for the built-in one.
   */
  render(
    eager: boolean,
    kernel?: { file: string; cpus: number; mem: number; virtio: string },
  ): string {
    const score = this.items.reduce((n, it) => n + it.earned, 0);
    const { rules, why } = this.choice;
    const doc = {
      xv6lazy: this.version,
      rules: { year: rules.year, source: rules.source, points: totalPoints(rules), why },
      eager,
      kernel: kernel ?? null,
      score,
      possible: pointsOf(rules, selectedRuns(rules, this.only)),
      runs: this.runs,
      items: this.items,
    };
    return JSON.stringify(doc, null, 2) + "\n";
  }
}

/** Seconds to the millisecond, for a readable report. */
function round(s: number): number {
  return Math.round(s * 1000) / 1000;
}
