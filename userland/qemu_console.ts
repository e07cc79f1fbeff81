// The keyboard side of `xv6lazy qemu -nographic`: QEMU's console multiplexer.
//
// Bytes from stdin go to the guest's UART, except after the escape key Ctrl-A:
//   Ctrl-A x       quit
//   Ctrl-A h, ?    list these keys
//   Ctrl-A s       write the disk back to its file (useful with -snapshot)
//   Ctrl-A c       switch between the guest's console and the monitor
//   Ctrl-A Ctrl-A  send one Ctrl-A to the guest
// (any other key after Ctrl-A is dropped). As in QEMU this holds whatever stdin is,
// a terminal or a pipe. In the monitor, keys are edited into a line (Backspace
// erases) and Enter runs it; the guest keeps running meanwhile.

const CTRL_A = 0x01;
const BACKSPACE = 0x08, DEL = 0x7f, LF = 0x0a, CR = 0x0d;

/** What the multiplexer asks of the machine. */
export interface MuxActions {
  /** Bytes typed at the guest's console. */
  toGuest(bytes: Uint8Array): void;
  /** Text for the user, shown in order with the guest's output. */
  show(text: string): void;
  /** Ctrl-A x. */
  quit(): void;
  /** Ctrl-A s. */
  save(): void;
  /** Enter in the monitor: one command line. */
  command(line: string): void;
}

/** The escape keys, for Ctrl-A h. */
export const ESCAPE_HELP = `
Ctrl-A h    show these keys
Ctrl-A x    quit xv6lazy
Ctrl-A s    write the disk back to its file (with -snapshot)
Ctrl-A c    switch between the console and the monitor
Ctrl-A Ctrl-A  send Ctrl-A to the guest
`;

/** The monitor's prompt (QEMU's, so that scripts that wait for it work). */
export const MONITOR_PROMPT = "(qemu) ";

export class ConsoleMux {
  private escaped = false;
  /** Whether keys go to the monitor rather than the guest. */
  inMonitor = false;
  private line = "";
  private lastWasCr = false;

  constructor(private readonly act: MuxActions) {}

  /** Handle bytes from stdin. */
  feed(bytes: Uint8Array): void {
    let run: number[] = []; // consecutive bytes for the guest, sent together
    const send = () => {
      if (run.length > 0) this.act.toGuest(Uint8Array.from(run));
      run = [];
    };
    for (const c of bytes) {
      if (this.escaped) {
        this.escaped = false;
        if (c === CTRL_A && !this.inMonitor) run.push(c);
        else {
          send();
          this.escape(c);
        }
      } else if (c === CTRL_A) this.escaped = true;
      else if (this.inMonitor) this.monitorKey(c);
      else run.push(c);
    }
    send();
  }

  /** The key after Ctrl-A. */
  private escape(c: number): void {
    switch (String.fromCharCode(c)) {
      case "x":
      case "X":
        this.act.quit();
        return;
      case "h":
      case "H":
      case "?":
        this.act.show(ESCAPE_HELP);
        return;
      case "s":
      case "S":
        this.act.save();
        return;
      case "c":
      case "C":
        this.inMonitor = !this.inMonitor;
        this.line = "";
        this.act.show(
          this.inMonitor ? `\nxv6lazy monitor: 'help' lists its commands\n${MONITOR_PROMPT}` : "\n",
        );
        return;
    }
  }

  /** A key typed in the monitor: edit the line, or run it on Enter. */
  private monitorKey(c: number): void {
    const crlf = this.lastWasCr && c === LF; // CR LF is one Enter
    this.lastWasCr = c === CR;
    if (crlf) return;
    if (c === CR || c === LF) {
      const line = this.line;
      this.line = "";
      this.act.show("\n");
      if (line.trim() !== "") this.act.command(line.trim());
      if (this.inMonitor) this.act.show(MONITOR_PROMPT);
      return;
    }
    if (c === BACKSPACE || c === DEL) {
      if (this.line.length > 0) {
        this.line = this.line.slice(0, -1);
        this.act.show("\b \b");
      }
      return;
    }
    if (c >= 0x20 && c < 0x7f) {
      this.line += String.fromCharCode(c);
      this.act.show(String.fromCharCode(c));
    }
  }
}
