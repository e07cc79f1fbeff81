// The one kind of error the command line reports as the user's own mistake.

/** A mistake on the command line or in its inputs: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** The first line of an exception's message. */
export function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0];
}
