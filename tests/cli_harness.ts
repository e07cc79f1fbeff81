// Running xv6lazy as a subprocess for the CLI tests: `deno run -A main.ts ...` with
// optional stdin, a time limit after which the child is killed (so a hang fails the
// test instead of stalling the suite), and helpers for one-line errors and images.

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";

export const ROOT = join(import.meta.dirname!, "..");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  /** The child was killed at the time limit. */
  timedOut: boolean;
  /** Wall-clock milliseconds the child ran. */
  ms: number;
}

export interface RunOptions {
  /** Bytes for stdin; stdin is /dev/null when absent. */
  input?: string | Uint8Array;
  /** Leave stdin open after the input (the child sees no end of input). */
  keepStdinOpen?: boolean;
  /** Write the input only after this many milliseconds (the child waits meanwhile). */
  inputAfterMs?: number;
  /** Kill the child after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Arguments for `deno` before main.ts (default: run -A). */
  denoArgs?: string[];
  env?: Record<string, string>;
}

/** Run `deno run -A main.ts args...` and collect its exit code and output. */
export async function xv6lazy(args: string[], opts: RunOptions = {}): Promise<Result> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [...(opts.denoArgs ?? ["run", "-A"]), join(ROOT, "main.ts"), ...args],
    cwd: ROOT,
    stdin: opts.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...opts.env },
  });
  const t0 = performance.now();
  const child = cmd.spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, opts.timeoutMs ?? 60_000);
  let writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  if (opts.input !== undefined) {
    writer = child.stdin.getWriter();
    const b = typeof opts.input === "string" ? new TextEncoder().encode(opts.input) : opts.input;
    if (opts.inputAfterMs) await new Promise((r) => setTimeout(r, opts.inputAfterMs));
    await writer.write(b).catch(() => {});
    if (!opts.keepStdinOpen) await writer.close().catch(() => {});
  }
  const out = await child.output();
  clearTimeout(timer);
  if (writer && opts.keepStdinOpen) await writer.close().catch(() => {});
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    timedOut,
    ms: performance.now() - t0,
  };
}

/** Exactly one line on stderr, starting `xv6lazy: `, and no stack trace. */
export function assertOneErrorLine(r: Result, mention: string): void {
  assert(!r.timedOut, "the child hung and was killed");
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assertEquals(lines.length, 1, r.stderr);
  assert(lines[0].startsWith("xv6lazy: "), r.stderr);
  assert(lines[0].includes(mention), `'${lines[0]}' should mention '${mention}'`);
  assert(!/\bat .*:\d+:\d+/.test(r.stderr), "no stack trace");
  assert(!r.stderr.includes("internal error"), r.stderr);
}

/** Write bytes to a fresh temporary .img file; returns its path. */
export async function tempImage(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".img" });
  await Deno.writeFile(path, bytes);
  return path;
}
