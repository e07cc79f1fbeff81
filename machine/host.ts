// Host-side plumbing shared by the CLI modes: writing bytes to stdout and stderr,
// reading stdin in the background, and putting a terminal into raw mode and back.

/** Write all of bytes to a host stream, however many calls it takes. */
export function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

const encoder = new TextEncoder();

/** Write text to stderr. */
export function writeErr(text: string): void {
  writeAll(Deno.stderr, encoder.encode(text));
}

/** Write text to stdout. */
export function writeOut(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text));
}

/**
 * Console output on its way to stdout: collected while the kernel runs, written out
 * after each slice of instructions. (Deno's raw mode leaves the terminal's output
 * processing on, so LF still starts a new line there.)
 */
export class OutputBuffer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  readonly sink = (bytes: Uint8Array): void => {
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    if (this.size >= 1 << 16) this.flush();
  };

  /** Write everything buffered to stdout in one go. */
  flush(): void {
    if (this.size === 0) return;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    this.size = 0;
    writeAll(Deno.stdout, all);
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
