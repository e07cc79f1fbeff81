// Host-side plumbing shared by the CLI modes: writing bytes to stdout and stderr,
// reading stdin in the background, and putting a terminal into raw mode and back.

/** Write all of bytes to a host stream, however many calls it takes. */
export function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

const encoder = new TextEncoder();

/** Writing to stdout failed: it was closed (a broken pipe) or the device refused the bytes. */
export class StdoutError extends Error {
  /** True when the reader went away (EPIPE), which is no reason to complain. */
  readonly brokenPipe: boolean;

  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(`cannot write to standard output: ${why}`);
    this.brokenPipe = cause instanceof Deno.errors.BrokenPipe;
  }
}

/** Write text to stderr. */
export function writeErr(text: string): void {
  writeAll(Deno.stderr, encoder.encode(text));
}

/** Write text to stderr, ignoring a closed or failing stderr (for notes printed mid-run). */
export function writeErrQuiet(text: string): void {
  try {
    writeErr(text);
  } catch {
    // Nowhere left to say it; the exit code still tells.
  }
}

/** Write bytes to stdout; a failure becomes a StdoutError. */
export function writeOutBytes(bytes: Uint8Array): void {
  try {
    writeAll(Deno.stdout, bytes);
  } catch (e) {
    throw new StdoutError(e);
  }
}

/** Write text to stdout; a failure becomes a StdoutError. */
export function writeOut(text: string): void {
  writeOutBytes(encoder.encode(text));
}

/**
 * Console output on its way to stdout: collected while the kernel runs, written out
 * after each slice of instructions, at each newline when stdout is a terminal, and
 * whenever output has waited FLUSH_MS (so a busy kernel cannot hold it back).
 * (Deno's raw mode leaves the terminal's output processing on, so LF still starts a
 * new line there.) The sink never throws, since it runs inside the kernel: a failed
 * write is kept in `failure`, later output is dropped, and the session checks it.
 */
/** The longest console output waits before it is written out, in milliseconds. */
export const FLUSH_MS = 50;

export class OutputBuffer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** Why writing to stdout failed, once it has. */
  failure: StdoutError | null = null;

  /** lineFlush: write out at every newline too (for a terminal that shows output as it comes). */
  constructor(private readonly lineFlush = false) {}

  private lastFlush = performance.now();

  readonly sink = (bytes: Uint8Array): void => {
    if (this.failure) return;
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    if (
      this.size >= 1 << 16 || (this.lineFlush && bytes.includes(10)) ||
      performance.now() - this.lastFlush >= FLUSH_MS
    ) this.flush();
  };

  /** Write everything buffered to stdout in one go (never throws; see failure). */
  flush(): void {
    this.lastFlush = performance.now();
    if (this.size === 0) return;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    this.size = 0;
    try {
      writeOutBytes(all);
    } catch (e) {
      this.failure = e instanceof StdoutError ? e : new StdoutError(e);
    }
  }

  /** Flush, then throw the write failure if there was one. */
  flushOrThrow(): void {
    this.flush();
    if (this.failure) throw this.failure;
  }
}

let rawMode = false;

/** Put the stdin terminal into raw mode (keystrokes arrive one by one, no echo). */
export function enterRawMode(): void {
  Deno.stdin.setRaw(true);
  rawMode = true;
  // Being told to stop from outside must not leave the terminal raw.
  for (const [sig, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    try {
      Deno.addSignalListener(sig, () => {
        restoreTerminal();
        Deno.exit(code);
      });
    } catch {
      // Signals this platform does not have.
    }
  }
}

/** Undo enterRawMode; safe to call at any time, and more than once. */
export function restoreTerminal(): void {
  if (!rawMode) return;
  rawMode = false;
  try {
    Deno.stdin.setRaw(false);
  } catch {
    // The terminal is gone; nothing to restore.
  }
}

/** What kind of thing stdin is, which decides how the CLI reads it. */
export function stdinKind(): "terminal" | "stream" {
  return Deno.stdin.isTerminal() ? "terminal" : "stream";
}

/**
 * Reads stdin in the background and hands each chunk to a callback. `next()` is a
 * promise for the next chunk or the end of input.
 */
export class StdinPump {
  ended = false;
  private wake: (() => void) | null = null;
  private pending: Promise<void> | null = null;

  constructor(private readonly onBytes: (bytes: Uint8Array) => void) {}

  /** Start reading; returns at once. */
  start(): void {
    void this.loop();
  }

  private async loop(): Promise<void> {
    const buf = new Uint8Array(4096);
    for (;;) {
      let n: number | null;
      try {
        n = await Deno.stdin.read(buf);
      } catch {
        n = null; // an unreadable stdin counts as an empty one
      }
      if (n === null) {
        this.ended = true;
        this.notify();
        return;
      }
      if (n > 0) this.onBytes(buf.slice(0, n));
      this.notify();
    }
  }

  /** Wake whoever waits for stdin data or its end. */
  private notify(): void {
    const w = this.wake;
    this.wake = null;
    this.pending = null;
    w?.();
  }

  /** Resolves when more input has arrived or the input has ended. */
  next(): Promise<void> {
    if (this.ended) return Promise.resolve();
    if (!this.pending) this.pending = new Promise((resolve) => (this.wake = resolve));
    return this.pending;
  }

  /** Resolves once all of stdin has been read. */
  async drain(): Promise<void> {
    while (!this.ended) await this.next();
  }
}

/**
 * How often a running machine lets the event loop in (keystrokes, signals, gdb's
 * bytes), in milliseconds. A visit costs about 0.2 ms (see letEventsIn).
 */
export const YIELD_MS = 25;

/** Nothing, to hash: letEventsIn's errand. */
const NO_BYTES = new Uint8Array(0);

/**
 * Let pending events in (stdin, signals, sockets). Deno's runtime polls the operating
 * system for them only when it has nothing else to run, or every 61st task it runs;
 * so an immediate lets them in only one visit in 61 (a keystroke or SIGTERM waited up
 * to 1.5 s), and a zero timeout waits about 2 ms for the timer. An errand for
 * another thread (hashing no bytes runs on Deno's blocking-thread pool) leaves the
 * runtime idle until the answer comes back, so it polls then, in about 0.2 ms.
 */
export async function letEventsIn(): Promise<void> {
  await crypto.subtle.digest("SHA-1", NO_BYTES);
}

/** Is it time to let the event loop in again (YIELD_MS since `since`)? */
export function yieldDue(since: number): boolean {
  return performance.now() - since >= YIELD_MS;
}
