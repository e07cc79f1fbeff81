// --trace=FILTER: which of the kernel's trace lines to print.
//
// The kernel traces three kinds of event, one line each, always naming the process:
//   sbrk: pid N (name) ...         a call of sbrk
//   lazy fault: pid N (name) ...   a page fault served with a fresh page
//   killed: pid N (name) ...       a fault that killed the process
// FILTER is a comma-separated list of terms: `sbrk`, `faults` (lazy and fatal faults)
// and `pid:N`. A line is printed when it matches one of the kind terms (if any are
// given) and one of the pid terms (if any are given); `all` prints everything.

import { UsageError } from "./usage_error.ts";

/** Decides whether one trace line is printed. */
export type TraceFilter = (line: string) => boolean;

const KINDS: Record<string, string[]> = {
  sbrk: ["sbrk"],
  faults: ["lazy fault", "killed"],
};

/** Parse a --trace=FILTER value; a UsageError names a bad term. */
export function parseTraceFilter(spec: string): TraceFilter {
  const kinds: string[] = [];
  const pids: number[] = [];
  let all = false;
  for (const term of spec.split(",")) {
    const pid = /^pid:(\d+)$/.exec(term);
    if (pid) pids.push(Number(pid[1]));
    else if (term in KINDS) kinds.push(...KINDS[term]);
    else if (term === "all") all = true;
    else {
      throw new UsageError(
        `bad --trace filter term '${term}' (use sbrk, faults, pid:N or all, ` +
          "separated by commas: --trace=pid:4,faults)",
      );
    }
  }
  if (all) return () => true;
  return (line) => {
    const kind = line.slice(0, line.indexOf(":"));
    if (kinds.length > 0 && !kinds.includes(kind)) return false;
    if (pids.length === 0) return true;
    const m = /^[a-z ]+: pid (\d+) /.exec(line);
    return m !== null && pids.includes(Number(m[1]));
  };
}
