// The console device: bytes in from the host (keyboard or a pipe), bytes out to it.
//
// Input is queued here until the kernel's console driver takes it; output goes to a
// sink the CLI chooses (stdout, or a buffer in tests).

export class ConsoleDevice {
  private input: number[] = [];
  private head = 0;
  /** True once the host has no more input to give (stdin closed). */
  inputEnded = false;
  /** Where output bytes go. */
  sink: (bytes: Uint8Array) => void;

  constructor(sink: (bytes: Uint8Array) => void = () => {}) {
    this.sink = sink;
  }

  /** Queue bytes typed by the host. */
  pushInput(bytes: Uint8Array | string): void {
    const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    for (const c of b) this.input.push(c);
  }

  /** Mark the end of host input. */
  endInput(): void {
    this.inputEnded = true;
  }

  /** Whether a byte is waiting. */
  hasInput(): boolean {
    return this.head < this.input.length;
  }

  /** How many input bytes are queued. */
  pending(): number {
    return this.input.length - this.head;
  }

  /** Take the next input byte, or -1 if none is queued. */
  getc(): number {
    if (this.head >= this.input.length) return -1;
    const c = this.input[this.head++];
    if (this.head > 4096 && this.head * 2 > this.input.length) {
      this.input = this.input.slice(this.head);
      this.head = 0;
    }
    return c;
  }

  /** Send bytes to the host. */
  write(bytes: Uint8Array): void {
    this.sink(bytes);
  }
}

/** A console sink that collects everything written, for tests and the grader. */
export class CapturedOutput {
  private chunks: Uint8Array[] = [];
  readonly sink = (bytes: Uint8Array): void => {
    this.chunks.push(bytes.slice());
  };
  /** Everything written so far, decoded as text. */
  text(): string {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const all = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    return new TextDecoder().decode(all);
  }
}
