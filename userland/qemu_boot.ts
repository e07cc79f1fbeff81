// `xv6lazy qemu` running a machine: the virt board built from the command line
// (userland/qemu_args.ts), its console on stdin/stdout, its disk written through to
// the image file, and, with -gdb, the gdb stub in charge of running it.
//
// The harts run in slices of about a million steps each. Between slices the event
// loop delivers stdin (to the console multiplexer, userland/qemu_console.ts), gdb's
// packets and signals, and the console output and the disk's new sectors go out, so
// a program reading the output through a pipe (the lab's grader) sees it promptly.
// When every hart waits and no timer is set, the loop sleeps until input comes.
// With a terminal for a console, it also rests while every hart waits in WFI, as long
// as the slice skipped of the guest's clock (see idleRestMs): an idle kernel then costs
// the host nothing and its clock follows real time, as under QEMU. Through a pipe (the
// grader) it does not rest, so idle time goes by at once.
//
// It ends, as QEMU does, when the guest powers off through the test finisher (exit
// status: the finisher's code), on Ctrl-A x or the monitor's quit (0), on SIGTERM,
// SIGHUP or SIGINT (0, with a line on stderr), or when gdb kills it (0). Whichever
// way, the terminal is restored, the sockets are closed and the disk is flushed.

import { Board, MAX_CPUS } from "../machine/board.ts";
import { BoardDebug } from "../machine/board_debug.ts";
import { ConsoleDevice } from "../machine/console.ts";
import { GdbStub } from "../machine/gdbstub.ts";
import {
  letEventsIn,
  OutputBuffer,
  StdinPump,
  writeErr,
  writeErrQuiet,
  yieldDue,
} from "../machine/host.ts";
import type { QemuConfig } from "./qemu_args.ts";
import { QemuDisk } from "./qemu_disk.ts";
import { ConsoleMux } from "./qemu_console.ts";
import { monitorCommand } from "./qemu_monitor.ts";

/** The most RAM the board gets (xv6 uses 128 MiB; the 2019 Makefiles ask for 3G). */
export const MAX_RAM = 1024 * 1024 * 1024;
/** Steps of the board's time per slice between looks at the host. */
export const SLICE = 1_000_000;
/** Longest sleep while the machine is idle or paused, in milliseconds. */
const NAP_MS = 100;
/** Signals that end the machine cleanly, with their numbers. */
const SIGNALS = [["SIGTERM", 15], ["SIGHUP", 1], ["SIGINT", 2]] as const;

/** Why a run ended early (null while it goes on, or when the guest powered off). */
type Ending = "quit" | "signal" | "stdout" | "disk";

/** Boot the machine a QemuConfig describes; resolves to the exit status. */
export async function bootQemu(cfg: QemuConfig): Promise<number> {
  if (cfg.cpus > MAX_CPUS) {
    writeErr(`xv6lazy qemu: -smp ${cfg.cpus}: the board has at most ${MAX_CPUS} harts\n`);
    return 1;
  }
  let ramSize = cfg.memBytes;
  if (ramSize > MAX_RAM) {
    writeErrQuiet(
      `xv6lazy qemu: -m ${ramSize / 2 ** 20}M: giving the board ${MAX_RAM / 2 ** 20} MiB ` +
        `of RAM, its most (xv6 uses 128 MiB)\n`,
    );
    ramSize = MAX_RAM;
  }
  let disk: QemuDisk | null = null;
  if (cfg.disk !== null) {
    try {
      disk = QemuDisk.open(cfg.disk.file, cfg.snapshot);
    } catch (e) {
      writeErr(`xv6lazy qemu: -drive file=${cfg.disk.file}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  try {
    const m = QemuMachine.build(cfg, ramSize, disk);
    return m === null ? 1 : await m.run();
  } finally {
    disk?.close();
  }
}

/** The board with its console, disk, signals and (with -gdb) its stub, for one run. */
class QemuMachine {
  private readonly out = new OutputBuffer(Deno.stdout.isTerminal());
  private lastByte = 10; // the last byte shown, to start notes on a line of their own
  private readonly target: BoardDebug;
  private readonly mux: ConsoleMux;
  private stub: GdbStub | null = null;
  private ending: Ending | null = null;
  private diskError = "";
  private signal = 0;
  private paused: boolean;
  private wakeUp: (() => void) | null = null;
  /** stdin is a terminal (in raw mode while the machine runs): rest while the guest idles. */
  private interactive = false;
  /** The board's time when idleRestMs last looked. */
  private restFrom = 0;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly cfg: QemuConfig,
    private readonly board: Board,
    private readonly dev: ConsoleDevice,
    private readonly disk: QemuDisk | null,
  ) {
    this.target = new BoardDebug(board);
    this.paused = cfg.waitForGdb && cfg.gdbPort === null; // -S without gdb: wait for `cont`
    this.mux = new ConsoleMux({
      toGuest: (bytes) => this.typed(bytes),
      show: (text) => this.show(text),
      quit: () => this.quit(),
      save: () => disk?.saveAll(),
      command: (line) => this.show(monitorCommand(this.monitorHost(), line)),
    });
  }

  /** Load the kernel onto a new board; null (after one line on stderr) if it cannot be. */
  static build(cfg: QemuConfig, ramSize: number, disk: QemuDisk | null): QemuMachine | null {
    let self: QemuMachine | null = null;
    const dev = new ConsoleDevice((b) => self?.console(b));
    try {
      const board = new Board({
        kernel: Deno.readFileSync(cfg.kernel),
        disk: disk?.image ?? new Uint8Array(0),
        console: dev,
        cpus: cfg.cpus,
        ramSize,
        legacyVirtio: cfg.legacyVirtio,
        virtioSlot: cfg.disk?.bus ?? 0,
        onDiskWrite: disk?.changed,
      });
      self = new QemuMachine(cfg, board, dev, disk);
      return self;
    } catch (e) {
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      writeErr(`xv6lazy qemu: could not load kernel '${cfg.kernel}': ${why}\n`);
      return null;
    }
  }

  /** Run until the machine ends; the exit status. */
  async run(): Promise<number> {
    if (this.cfg.gdbPort !== null && !this.listen(this.cfg.gdbPort)) return 1;
    const listeners = this.catchSignals();
    this.interactive = Deno.stdin.isTerminal();
    try {
      if (this.interactive) Deno.stdin.setRaw(true);
      new StdinPump((bytes) => {
        this.mux.feed(bytes);
        this.out.flush();
        this.wakeUp?.(); // a nap ends when a key comes
      }).start();
      if (this.stub !== null) await this.stub.run();
      else await this.runFree();
    } finally {
      for (const [name, fn] of listeners) Deno.removeSignalListener(name, fn);
      this.stub?.close();
      this.afterSlice();
      if (this.interactive) restoreRaw();
    }
    return this.finish();
  }

  /** Start the gdb stub; false (after one line on stderr) if the port cannot be had. */
  private listen(port: number): boolean {
    try {
      this.stub = GdbStub.listen(this.target, {
        port,
        waitForDebugger: this.cfg.waitForGdb,
        slice: SLICE,
        afterSlice: () => this.afterSlice(),
        idle: () => this.idleNap(this.target.lastState),
      });
      return true;
    } catch (e) {
      const why = e instanceof Deno.errors.AddrInUse
        ? "the port is in use (is another emulator running?)"
        : e instanceof Error
        ? e.message.split("\n")[0]
        : String(e);
      writeErr(`xv6lazy qemu: -gdb tcp::${port}: cannot listen on 127.0.0.1: ${why}\n`);
      return false;
    }
  }

  /** Without gdb: slices until the guest powers off or the run is ended. */
  private async runFree(): Promise<void> {
    let lastYield = performance.now();
    while (this.ending === null) {
      if (this.paused) {
        await this.nap(NAP_MS * 10);
        continue;
      }
      const state = this.board.run(SLICE);
      this.afterSlice();
      if (state === "halted") return;
      const idle = this.idleNap(state);
      if (idle === null && !yieldDue(lastYield)) continue;
      await (idle ?? letEventsIn());
      lastYield = performance.now();
    }
  }

  /** After a slice: a nap if the machine is idle (see idleRestMs), else null. */
  private idleNap(state: string): Promise<void> | null {
    if (state === "waiting") return this.nap(NAP_MS);
    const ms = this.idleRestMs();
    return ms > 0 ? this.nap(ms) : null;
  }

  /**
   * With a terminal, when every hart waits in WFI: the milliseconds of the guest's
   * clock (10 MHz) since the last look, at most NAP_MS, to rest; else 0.
   */
  private idleRestMs(): number {
    const since = this.restFrom;
    this.restFrom = this.board.time;
    return this.interactive ? this.board.idleMs(since, NAP_MS) : 0;
  }

  /** The exit status, after the notes a run that ended early deserves. */
  private finish(): number {
    if (this.diskError !== "") {
      this.out.flush();
      writeErr(
        `xv6lazy qemu: cannot write the disk image '${this.disk?.path}': ${this.diskError}\n`,
      );
      return 1;
    }
    if (this.signal !== 0) {
      if (this.lastByte !== 10 && Deno.stdout.isTerminal()) this.show("\n");
      this.out.flushOrThrow();
      writeErrQuiet(`xv6lazy qemu: terminating on signal ${this.signal}\n`);
    }
    this.out.flushOrThrow();
    const halted = this.board.halted;
    return this.ending === null && halted !== null ? halted.code : 0;
  }

  /** SIGTERM, SIGHUP and SIGINT end the run; returns the listeners to remove later. */
  private catchSignals(): (readonly [Deno.Signal, () => void])[] {
    const added: (readonly [Deno.Signal, () => void])[] = [];
    for (const [name, num] of SIGNALS) {
      const fn = () => {
        this.signal ||= num;
        this.end("signal");
      };
      try {
        Deno.addSignalListener(name, fn);
        added.push([name, fn]);
      } catch {
        // a platform without this signal
      }
    }
    return added;
  }

  /** After each slice or step: console output and the disk's new sectors go out. */
  private afterSlice(): void {
    this.out.flush();
    if (this.out.failure !== null) this.end("stdout");
    if (this.diskError !== "") return;
    try {
      this.disk?.flush();
    } catch (e) {
      this.diskError = e instanceof Error ? e.message.split("\n")[0] : String(e);
      this.end("disk");
    }
  }

  /** End the run (the first reason given is kept). */
  private end(why: Ending): void {
    this.ending ??= why;
    this.stub?.close();
    this.wakeUp?.();
  }

  /** Sleep up to ms milliseconds, or until something happens (input, a signal, the end). */
  private nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Bytes from the guest's UART, on their way to stdout. */
  private console(b: Uint8Array): void {
    if (b.length > 0) this.lastByte = b[b.length - 1];
    this.out.sink(b);
  }

  /** Text for the user, in order with the guest's output. */
  private show(text: string): void {
    this.console(this.encoder.encode(text));
  }

  /** Keys for the guest: into the UART's receive queue, which may raise its interrupt. */
  private typed(bytes: Uint8Array): void {
    this.dev.pushInput(bytes);
    this.board.inputArrived();
    this.wakeUp?.();
  }

  /** Ctrl-A x. */
  private quit(): void {
    this.show(`${this.lastByte === 10 ? "" : "\n"}xv6lazy qemu: terminated\n`);
    this.end("quit");
  }

  /** What the monitor's commands act on. */
  private monitorHost() {
    return {
      target: this.target,
      quit: () => this.end("quit"),
      setPaused: (p: boolean) => {
        if (this.stub !== null) return false; // gdb decides when the harts run
        this.paused = p;
        this.wakeUp?.();
        return true;
      },
    };
  }
}

/** Take the terminal out of raw mode (it may be gone already). */
function restoreRaw(): void {
  try {
    Deno.stdin.setRaw(false);
  } catch {
    // the terminal is gone
  }
}
