// Typing into a shell the way the lab's grader does: at each `$ ` prompt the shell
// prints, one line. PromptCounter counts the prompts in console output as it
// streams by; LineQueue cuts piped input into the lines to type.

/** Counts `$ ` prompts in console output, chunk by chunk (a prompt may span two chunks). */
export class PromptCounter {
  /** Prompts seen so far. */
  count = 0;
  private lastWasDollar = false;

  /** Look at more output bytes. */
  see(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.lastWasDollar && b === 0x20) this.count++;
      this.lastWasDollar = b === 0x24;
    }
  }
}

/** Piped input cut into lines: bytes go in as they arrive, whole lines come out. */
export class LineQueue {
  private buf: number[] = [];
  private ended = false;

  /** More bytes of input. */
  push(bytes: Uint8Array): void {
    for (const b of bytes) this.buf.push(b);
  }

  /** The input has ended: a last line without a newline counts as a line. */
  end(): void {
    this.ended = true;
  }

  /** The next whole line with its newline, or null if none is complete yet. */
  take(): Uint8Array | null {
    let nl = this.buf.indexOf(10);
    if (nl < 0) {
      if (!this.ended || this.buf.length === 0) return null;
      this.buf.push(10);
      nl = this.buf.length - 1;
    }
    const line = Uint8Array.from(this.buf.slice(0, nl + 1));
    this.buf = this.buf.slice(nl + 1);
    return line;
  }

  /** Whether no line is left and none can come. */
  done(): boolean {
    return this.ended && this.buf.length === 0;
  }
}
