// PROGRAM and its arguments on their way into the guest: checked before boot, so that
// a mistake is one line on stderr instead of a surprise inside xv6.
//
//   run mode    the arguments become init's argv (then PROGRAM's), as UTF-8 bytes;
//               they must fit exec's limits (MAXARG strings, one stack page)
//   typed mode  the words are typed into a foreign image's shell, which has no
//               quoting and reads one line of limited length

import { MAXARG, PGSIZE } from "../kernel/param.ts";
import { argvbytes } from "../kernel/exec.ts";
import { UsageError } from "./usage_error.ts";

/** xv6's own sh reads at most 99 bytes a line, newline included. */
export const TYPED_MAX_BYTES = 98;
/** xv6's own sh takes at most 10 words a command (MAXARGS). */
export const TYPED_MAX_WORDS = 10;

const encoder = new TextEncoder();

/** An argument as the kernel takes it: one character per byte of its UTF-8 encoding. */
export function guestString(arg: string): string {
  let s = "";
  for (const b of encoder.encode(arg)) s += String.fromCharCode(b);
  return s;
}

/**
 * The first of xv6lazy's own long flags (`--stats`, `--fs=x`, ...) among PROGRAM's
 * arguments, or null. Such a flag was almost certainly meant for xv6lazy.
 */
export function ownFlagAfterProgram(rest: string[], ownNames: string[]): string | null {
  for (const a of rest.slice(1)) {
    const m = /^--([a-z][a-z-]*)(=.*)?$/.exec(a);
    if (m && ownNames.includes(m[1])) return a;
  }
  return null;
}

/** Run mode: PROGRAM and its arguments as init's argv; a UsageError if exec could not take them. */
export function runArgs(rest: string[]): string[] {
  const args = rest.map(guestString);
  const max = MAXARG - 1; // init's argv is "init" PROGRAM ARGS...
  if (args.length > max) {
    throw new UsageError(
      `too many arguments: ${rest[0]} and ${args.length - 1} more; xv6's exec takes ` +
        `PROGRAM and at most ${max - 1} arguments (MAXARG ${MAXARG})`,
    );
  }
  const need = argvbytes(["init", ...args]);
  if (need > PGSIZE) {
    throw new UsageError(
      `arguments too long: they need ${need} bytes of the new program's stack, which ` +
        `holds ${PGSIZE} (one page)`,
    );
  }
  return args;
}

/** Typed mode: the command line to type into a foreign shell; a UsageError if it cannot be typed. */
export function typedCommand(rest: string[]): string {
  for (const a of rest) {
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f\x7f]/.test(a)) {
      throw new UsageError(
        `argument ${JSON.stringify(a)} holds a newline or control character, which the ` +
          "image's shell would read as editing or as a second command",
      );
    }
    if (a === "" || /\s/.test(a)) {
      throw new UsageError(
        `argument ${JSON.stringify(a)} is empty or holds a space; the image's shell ` +
          "has no quoting, so it cannot be typed as one word",
      );
    }
  }
  const line = rest.join(" ");
  const bytes = encoder.encode(line).length;
  if (rest.length > TYPED_MAX_WORDS || bytes > TYPED_MAX_BYTES) {
    throw new UsageError(
      `command too long to type into the image's shell (${rest.length} words, ${bytes} ` +
        `bytes; xv6's sh takes ${TYPED_MAX_WORDS} words and ${TYPED_MAX_BYTES} bytes a line)`,
    );
  }
  return line;
}
