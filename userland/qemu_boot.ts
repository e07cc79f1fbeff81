// `xv6lazy qemu` running a machine: the virt board built from the command line
// (userland/qemu_args.ts), its console on stdin/stdout, its disk written through to
// the image file, and, with -gdb, the gdb stub in charge of running it.
//
// The harts run in slices of about a million steps each. Between slices the event
// loop delivers stdin (to the console multiplexer, userland/qemu_console.ts), gdb's
// packets and signals, and the console output and the disk's new sectors go out, so
// a program reading the output through a pipe (the lab's grader) sees it promptly.
// When every hart waits and no timer is set, the loop sleeps until input comes.
//
// It ends, as QEMU does, when the guest powers off through the test finisher (exit
// status: the finisher's code), on Ctrl-A x or the monitor's quit (0), on SIGTERM,
// SIGHUP or SIGINT (0, with a line on stderr), or when gdb kills it (0). Whichever
// way, the terminal is restored, the sockets are closed and the disk is flushed.

import { Board, MAX_CPUS } from "../machine/board.ts";
import { BoardDebug } from "../machine/board_debug.ts";
import { ConsoleDevice } from "../machine/console.ts";
import { GdbStub } from "../machine/gdbstub.ts";
import { OutputBuffer, StdinPump, writeErr, writeErrQuiet } from "../machine/host.ts";
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
    return await runMachine(cfg, ramSize, disk);
  } finally {
    disk?.close();
  }
}

/** Build the board and run it until it ends; the disk is the caller's to close. */
async function runMachine(
  cfg: QemuConfig,
  ramSize: number,
  disk: QemuDisk | null,
): Promise<number> {
  const out = new OutputBuffer(Deno.stdout.isTerminal());
  let lastByte = 10;
  const dev = new ConsoleDevice((b) => {
    if (b.length > 0) lastByte = b[b.length - 1];
    out.sink(b);
  });
  let board: Board;
  try {
    board = new Board({
      kernel: Deno.readFileSync(cfg.kernel),
      disk: disk?.image ?? new Uint8Array(0),
      console: dev,
      cpus: cfg.cpus,
      ramSize,
      legacyVirtio: cfg.legacyVirtio,
      virtioSlot: cfg.disk?.bus ?? 0,
      onDiskWrite: disk?.changed,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    writeErr(`xv6lazy qemu: could not load kernel '${cfg.kernel}': ${why}\n`);
    return 1;
  }
  const target = new BoardDebug(board);
  const encoder = new TextEncoder();
  const show = (text: string) => dev.sink(encoder.encode(text));

  // How the run ends: null while it goes on.
  let ending: "quit" | "signal" | "stdout" | null = null;
  let paused = cfg.waitForGdb && cfg.gdbPort === null; // -S without gdb: wait for `cont`
  let stub: GdbStub | null = null;
  let wakeUp: (() => void) | null = null;
  const kick = () => wakeUp?.();
  /** Sleep up to ms, or until kick(). */
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      };
      wakeUp = done;
    });
  const end = (why: "quit" | "signal" | "stdout") => {
    ending ??= why;
    stub?.close();
    kick();
  };

  const mux = new ConsoleMux({
    toGuest: (bytes) => {
      dev.pushInput(bytes);
      board.inputArrived();
      kick();
    },
    show,
    quit: () => {
      show(`${lastByte === 10 ? "" : "\n"}xv6lazy qemu: terminated\n`);
      end("quit");
    },
    save: () => disk?.saveAll(),
    command: (line) =>
      show(monitorCommand({
        target,
        quit: () => end("quit"),
        setPaused: (p) => {
          if (stub !== null) return false;
          paused = p;
          kick();
          return true;
        },
      }, line)),
  });
  const pump = new StdinPump((bytes) => {
    mux.feed(bytes);
    out.flush();
  });
  let signal = 0;
  const listeners = SIGNALS.map(([name, num]) => {
    const fn = () => {
      signal ||= num;
      end("signal");
    };
    try {
      Deno.addSignalListener(name, fn);
    } catch {
      // a platform without this signal
    }
    return [name, fn] as const;
  });
  const raw = Deno.stdin.isTerminal();

  /** After each slice or step: console output and new disk sectors go out. */
  const afterSlice = () => {
    out.flush();
    disk?.flush();
    if (out.failure !== null) end("stdout");
  };

  try {
    if (cfg.gdbPort !== null) {
      try {
        stub = GdbStub.listen(target, {
          port: cfg.gdbPort,
          waitForDebugger: cfg.waitForGdb,
          slice: SLICE,
          afterSlice,
          idle: () => target.lastState === "waiting" ? nap(NAP_MS) : null,
        });
      } catch (e) {
        const why = e instanceof Deno.errors.AddrInUse
          ? "the port is in use (is another emulator running?)"
          : e instanceof Error
          ? e.message.split("\n")[0]
          : String(e);
        writeErr(`xv6lazy qemu: -gdb tcp::${cfg.gdbPort}: cannot listen on 127.0.0.1: ${why}\n`);
        return 1;
      }
    }
    if (raw) Deno.stdin.setRaw(true);
    pump.start();
    if (stub !== null) await stub.run();
    else {
      while (ending === null) {
        if (paused) {
          await nap(NAP_MS * 10);
          continue;
        }
        const state = board.run(SLICE);
        afterSlice();
        if (state === "halted") break;
        await (state === "waiting" ? nap(NAP_MS) : nap(0));
      }
    }
  } finally {
    for (const [name, fn] of listeners) {
      try {
        Deno.removeSignalListener(name, fn);
      } catch {
        // never added
      }
    }
    stub?.close();
    afterSlice();
    if (raw) {
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // the terminal is gone
      }
    }
  }
  if (signal !== 0) writeErrQuiet(`xv6lazy qemu: terminating on signal ${signal}\n`);
  out.flushOrThrow();
  return ending === null && board.halted !== null ? board.halted.code : 0;
}
