// The virt board: QEMU's `virt` machine as xv6 sees it, for booting a real kernel.
//
//   0x0010_0000  test finisher (poweroff / exit code)
//   0x0200_0000  CLINT: per-hart software interrupt, mtimecmp, mtime
//   0x0c00_0000  PLIC: external interrupts (UART 10, virtio disk 1)
//   0x1000_0000  UART 16550: the console
//   0x1000_1000  virtio-mmio block device: the disk image
//   0x8000_0000  RAM
//
// Harts. N harts share RAM and the devices. Each starts at the kernel's entry point
// in M-mode with a0 = its hart id. They take turns: each runs a quantum of steps in
// hart order, then time moves on by one quantum, so every run is deterministic (a
// lone hart has longer turns, SOLO_QUANTUM, as it has no one to take turns with). A
// hart that executes WFI sits out until an interrupt is pending for it; when every
// hart waits, time jumps to the next timer event, and with none the board is idle
// until the host types something.
//
// Idle spinning. Older xv6 schedulers idle without WFI: they scan the process table
// over and over, on the stack the hart booted on. A hart that ends SPIN_TURNS turns in
// a row there, having retired no user-mode instruction and executed no WFI, counts as
// spinning: its turns shrink to a quantum / SPIN_SHARE steps while time still moves on
// by a whole quantum per round, so it runs as a slower hart would. The first turn
// that ends elsewhere gives it whole turns again. Until some hart has run user code,
// hart 0 never counts as spinning: it is setting the machine up on that stack (xv6's
// kinit fills every free page) while the others wait in a loop for it to finish.
//
// Resting. xv6's scheduler takes each process's spinlock with interrupts off and
// turns them on as it lets go. So a spinning hart's turn also ends as soon as a CSR
// write of its own turns its interrupts on (it then holds no spinlock another hart
// could wait for), and it rests for SPIN_REST rounds, as if it had executed WFI: until
// then, or until an interrupt is pending for it. A hart whose last spinning turn ended
// so gets a whole quantum to get there next time (an interrupt handler may run first).
// A hart that executed WFI in its last WFI_QUIET turns does not rest: its kernel idles
// in WFI (xv6 2024+), and resting it as it turns interrupts on only holds work back.
//
// Resting on a lock. A hart whose turn ends on its boot stack at a spinlock another
// hart holds (an AMOSWAP finds it taken) rests LOCK_REST rounds, pending interrupts or
// not: its own are off while it spins in acquire, and only the holder can end the
// wait. xv6 holds a process's lock through fork's copy of its memory and wait's free
// of it, which for lazytests' gigabyte of sbrk is a sweep of every page table entry;
// meanwhile each idle hart found that lock taken in every round, a turn each time.
//
// Nothing here depends on the host, so runs stay deterministic; the ISA promises
// nothing about the relative speed of harts.
//
// Time. mtime counts at 10 MHz; one step of a hart (an instruction or a trap) takes
// one tick of mtime, so xv6's usual 1,000,000-tick timer interval is a million steps.

import { Bus } from "./bus.ts";
import type { ConsoleDevice } from "./console.ts";
import { Hart, RUN_BREAK, RUN_LOCKED, RUN_SETTLED, RUN_STOP, RUN_WFI } from "./hart.ts";
import { type LoadedKernel, loadKernel } from "./elf.ts";
import { Ram, RAM_SIZE, stateBytes } from "./ram.ts";
import { Clint } from "./devices/clint.ts";
import { Plic } from "./devices/plic.ts";
import { Uart16550 } from "./devices/uart16550.ts";
import { VirtioBlk } from "./devices/virtio_blk.ts";
import { TestFinisher } from "./devices/testdev.ts";
import * as V from "./devices/virt.ts";
import { MIP_MEIP, MIP_MSIP, MIP_SEIP, PRV_U } from "./csr.ts";

export interface BoardOptions {
  /** The kernel ELF file's bytes. */
  kernel: Uint8Array;
  /** The disk image (the device reads and writes this array). */
  disk: Uint8Array;
  console: ConsoleDevice;
  /** Number of harts (1..8). */
  cpus: number;
  /** RAM size in bytes (default 128 MiB). */
  ramSize?: number;
  /** virtio-mmio version 1 (legacy) instead of 2, as QEMU's virtio-mmio.force-legacy. */
  legacyVirtio?: boolean;
  /** The disk's virtio-mmio transport (QEMU's virtio-mmio-bus.N): 0x10001000 + N*0x1000, IRQ 1+N. */
  virtioSlot?: number;
  /** Told of every range of the disk image the guest writes (byte offset, length). */
  onDiskWrite?: (offset: number, length: number) => void;
}

export type BoardState = "running" | "waiting" | "halted";
/** What a debugger's run ends with: a BoardState, or "break" (a hart reached a breakpoint). */
export type DebugRunState = BoardState | "break";

/**
 * Steps each hart runs per turn. Each switch to another hart costs the host more than
 * the switch itself: every hart has its own TLBs and registers, so a short turn runs
 * on cold caches (full usertests on a 2020 lab kernel at 3 harts: 17.3-19.8 s at
 * 10,000, 15.2-16.1 s at 20,000).
 */
export const QUANTUM = 20_000;
/**
 * Steps per turn when the board has one hart. Nothing else runs in between, so a turn
 * only ends to let time move on; each end costs a trip out of translated code and back
 * (full usertests on a 2020 lab kernel at 1 hart: 11.0 s at 20,000, 10.2 s at 160,000,
 * no better at 400,000 or 1,000,000). Timer interrupts still come on time: a hart's
 * turn stops at its next timer event.
 */
export const SOLO_QUANTUM = 160_000;
/** mtime ticks per second (QEMU virt's timebase). */
export const TIMEBASE_HZ = 10_000_000;
/** Idle turns in a row (see above) after which a hart counts as spinning. */
export const SPIN_TURNS = 3;
/** A spinning hart's turn is a sixteenth of a whole one. */
export const SPIN_SHARE = 16;
/** Rounds a spinning hart sits out after a turn that ends as its interrupts go on. */
export const SPIN_REST = 64;
/** Rounds an idle hart sits out after a turn that ends at a spinlock another hart holds. */
export const LOCK_REST = 32;
/** Turns without WFI after which a spinning hart may rest (one that uses WFI idles so). */
export const WFI_QUIET = 1000;
/** Most harts a board may have (xv6's NCPU). */
export const MAX_CPUS = 8;

export class Board {
  readonly ram: Ram;
  readonly bus = new Bus();
  readonly harts: Hart[] = [];
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly virtio: VirtioBlk;
  readonly kernel: LoadedKernel;
  /** mtime: the board's clock. */
  time = 0;
  /** Steps per whole turn, and per round of turns: QUANTUM, or SOLO_QUANTUM for one hart. */
  readonly quantum: number;
  /** Why the machine stopped (the finisher was written), or null while it runs. */
  halted: { code: number; reason: string } | null = null;
  /** The hart running now (device reads of mtime use its view of time). */
  private current = 0;
  /**
   * Where the round of turns stands: the next hart to take its turn, and the hart a
   * breakpoint stopped in the middle of its turn (-1: none) with the steps it has left.
   * Resuming there keeps every hart's view of time moving forward.
   */
  private turn = 0;
  private midTurn = -1;
  private midLeft = 0;
  /** The hart that reached a breakpoint, after run() answered "break". */
  breakHart = -1;
  /** Per hart: idle turns in a row (on its boot stack in S-mode, no user-mode instruction). */
  private readonly idleTurns: number[] = [];
  /** Per hart: rounds it still sits out (a spinning hart resting; see above). */
  private readonly rest: number[] = [];
  /** Per hart: it rests at a held spinlock, and interrupts do not end that rest. */
  private readonly restOnLock: boolean[] = [];
  /** Per hart: turns taken, rests not counted (what the board's rounds cost the host). */
  readonly turns: number[] = [];
  /** Per hart: its last turn spinning ended as its interrupts went on. */
  private readonly settles: boolean[] = [];
  /** Per hart: turns since it last executed WFI (WFI_QUIET at first). */
  private readonly sinceWfi: number[] = [];
  /** Whether any hart has retired a user-mode instruction yet (the boot is over). */
  private userSeen = false;

  /** Build the board, load the kernel, and put every hart at its entry point. */
  constructor(opts: BoardOptions) {
    const cpus = opts.cpus;
    this.quantum = cpus === 1 ? SOLO_QUANTUM : QUANTUM;
    const ramSize = opts.ramSize ?? RAM_SIZE;
    this.ram = new Ram(ramSize, stateBytes(cpus, ramSize));
    this.kernel = loadKernel(opts.kernel, this.ram);
    for (let h = 0; h < cpus; h++) {
      const hart = new Hart(this.ram, { hartid: h, hostTraps: false, bus: this.bus });
      hart.pcLo = this.kernel.entry | 0;
      hart.pcHi = Math.floor(this.kernel.entry / 0x1_0000_0000);
      hart.x[2 * 10] = h; // a0 = hart id, as QEMU's boot ROM leaves it
      this.harts.push(hart);
      this.idleTurns.push(0);
      this.rest.push(0);
      this.restOnLock.push(false);
      this.turns.push(0);
      this.settles.push(false);
      this.sinceWfi.push(WFI_QUIET); // no WFI yet
    }
    this.clint = new Clint(cpus, () => this.now(), {
      onMsip: (h, level) => this.setLine(h, MIP_MSIP, level),
      onTimecmp: (h) => {
        this.harts[h].csrs.mtimecmp = this.clint.deadline(h);
        this.harts[h].poke();
      },
    });
    this.plic = new Plic({
      harts: cpus,
      onExternal: (h, sMode, level) => this.setLine(h, sMode ? MIP_SEIP : MIP_MEIP, level),
    });
    this.uart = new Uart16550(opts.console, this.plic, V.UART0_IRQ);
    const slot = opts.virtioSlot ?? 0;
    this.virtio = new VirtioBlk(this.ram, opts.disk, this.plic, {
      legacy: opts.legacyVirtio ?? false,
      irq: V.VIRTIO0_IRQ + slot,
      onWrite: opts.onDiskWrite,
    });
    const finisher = new TestFinisher((kind, code) => {
      if (kind === "reset") this.halt(0, "the guest asked for a reset");
      else this.halt(code, kind === "pass" ? "powered off" : `failed with code ${code}`);
    });
    this.bus.map(V.VIRT_TEST, V.VIRT_TEST_SIZE, finisher);
    this.bus.map(V.CLINT, V.CLINT_REGION, this.clint);
    this.bus.map(V.PLIC, V.plicRegion(cpus), this.plic);
    this.bus.map(V.UART0, V.UART0_REGION, this.uart);
    this.bus.map(V.VIRTIO0 + slot * V.VIRTIO0_SIZE, V.VIRTIO0_REGION, this.virtio);
    for (let h = 0; h < cpus; h++) this.harts[h].csrs.mtimecmp = this.clint.deadline(h);
  }

  /** mtime as the running hart sees it. */
  now(): number {
    return this.harts[this.current].timeNow();
  }

  /**
   * When every hart waits in WFI: the milliseconds of the guest's clock since board
   * time `since`, at most `most` (what a host may sleep so that an idle guest's clock
   * follows real time); else 0.
   */
  idleMs(since: number, most: number): number {
    if (!this.harts.every((h) => h.waiting)) return 0;
    return Math.min(most, ((this.time - since) / TIMEBASE_HZ) * 1000);
  }

  /**
   * Raise or lower an interrupt line (mip bit) of hart h. SEIP is special: as on
   * QEMU 7.2 it is one bit that software (csrw mip) and the PLIC both write, the
   * last writer winning, so a csrs/csrc of other mip bits that writes back the
   * SEIP it read cannot leave SEIP stuck after the PLIC lowers its line.
   */
  private setLine(h: number, bit: number, level: boolean): void {
    const c = this.harts[h].csrs;
    if (bit === MIP_SEIP) c.mipSoft = level ? c.mipSoft | bit : c.mipSoft & ~bit;
    else c.mipLines = level ? c.mipLines | bit : c.mipLines & ~bit;
    this.harts[h].poke();
  }

  /** The finisher was written (or the guest is stopped by the host): stop every hart. */
  halt(code: number, reason: string): void {
    if (this.halted === null) this.halted = { code, reason };
    for (const h of this.harts) h.requestStop();
  }

  /** New console input may have arrived: let the UART raise its interrupt. */
  inputArrived(): void {
    this.uart.update();
  }

  /**
   * Run the harts for about `budget` steps of time: "running" if there is more to do,
   * "waiting" when every hart waits and no timer is set (only input can wake them),
   * "halted" once the guest powered off.
   */
  run(budget: number): BoardState {
    const r = this.advance(budget, null);
    return r === "break" ? "running" : r; // no breakpoints without a debugger
  }

  /**
   * run() for a debugger: only the harts with only[h] true move (all when only is
   * null); "break" when a hart reached a breakpoint (breakHart says which), before it
   * executes that instruction. The next call resumes the round where it stopped.
   */
  debugRun(budget: number, only: readonly boolean[] | null): DebugRunState {
    return this.advance(budget, only);
  }

  /** Debugger single step on hart h (one instruction or trap, no interrupts): its turn's share. */
  debugStep(h: number): void {
    const hart = this.harts[h];
    hart.waiting = false; // a WFI may end at any time; stepping past it is allowed
    this.current = h;
    hart.step();
    if (this.midTurn === h) this.midLeft--;
  }

  /** Steps hart h runs in its next turn: a whole quantum, or a spinning hart's share. */
  private share(h: number): number {
    if (this.idleTurns[h] < SPIN_TURNS) return this.quantum;
    if (this.settles[h] && this.mayRest(h)) return this.quantum;
    return this.quantum / SPIN_SHARE;
  }

  /** Whether hart h spins and does not idle in WFI: its turn may end in a rest. */
  private mayRest(h: number): boolean {
    return this.idleTurns[h] >= SPIN_TURNS && this.sinceWfi[h] >= WFI_QUIET;
  }

  /** Hart h's turn of `quantum` steps; then, is it spinning, and does it rest (see above)? */
  private turnOf(h: number, quantum: number): number {
    const hart = this.harts[h];
    const before = hart.cycles, userBefore = hart.instretIn(PRV_U), wfisBefore = hart.wfis;
    const mayRest = this.mayRest(h);
    const r = mayRest ? hart.runToSettle(quantum) : hart.run(quantum);
    this.turns[h]++;
    const wfi = hart.wfis !== wfisBefore;
    const user = hart.instretIn(PRV_U) !== userBefore;
    if (user) this.userSeen = true;
    const booting = h === 0 && !this.userSeen;
    const idle = hart.onBootStack() && !user && !wfi && !booting;
    this.idleTurns[h] = idle ? this.idleTurns[h] + 1 : 0;
    this.sinceWfi[h] = wfi ? 0 : this.sinceWfi[h] + 1;
    if (r === RUN_LOCKED && idle) {
      this.rest[h] = LOCK_REST;
      this.restOnLock[h] = true;
      return r;
    }
    if (!mayRest) return r;
    // A turn cut short by a lock another hart holds says nothing either way.
    if (r === RUN_SETTLED) this.settles[h] = true;
    else if (hart.cycles - before >= quantum) this.settles[h] = false;
    if (r === RUN_SETTLED && idle) this.rest[h] = SPIN_REST;
    return r;
  }

  /**
   * Whether hart h sits out this round: it rests, and no pending interrupt ends the rest
   * (a rest at a lock ignores them).
   */
  private resting(h: number): boolean {
    if (this.rest[h] === 0) return false;
    if (!this.restOnLock[h] && this.harts[h].wakeable()) {
      this.rest[h] = 0;
      return false;
    }
    if (--this.rest[h] === 0) this.restOnLock[h] = false;
    return true;
  }

  /** Whether any hart that may run is not waiting in WFI. */
  private anyAwake(only: readonly boolean[] | null): boolean {
    for (let h = 0; h < this.harts.length; h++) {
      if ((only === null || only[h]) && !this.harts[h].waiting) return true;
    }
    return false;
  }

  /** The rounds of turns behind run() and debugRun(). */
  private advance(budget: number, only: readonly boolean[] | null): DebugRunState {
    const end = this.time + budget;
    const n = this.harts.length;
    while (this.time < end) {
      if (this.halted) return "halted";
      let ran = false;
      for (let h = this.turn; h < n; h++) {
        if (only !== null && !only[h]) continue;
        const hart = this.harts[h];
        this.current = h;
        let quantum = this.share(h);
        if (this.midTurn === h) {
          quantum = this.midLeft; // the rest of a turn a breakpoint cut short
          this.midTurn = -1;
          if (quantum <= 0) continue;
        } else hart.timeBase = this.time - hart.cycles;
        if (hart.waiting && !hart.wakeable()) continue;
        if (this.resting(h)) {
          ran = true; // a resting hart takes a turn of no steps
          continue;
        }
        const before = hart.cycles;
        const r = this.turnOf(h, quantum);
        ran = true;
        if (r === RUN_STOP || this.halted) return "halted";
        if (r === RUN_BREAK) {
          this.turn = h;
          this.midTurn = h;
          this.midLeft = quantum - (hart.cycles - before);
          this.breakHart = h;
          return "break";
        }
        if (r === RUN_WFI && !this.anyAwake(only)) break;
      }
      this.turn = 0;
      this.midTurn = -1;
      if (ran && this.anyAwake(only)) {
        this.time += this.quantum;
        continue;
      }
      // Every hart waits: jump to the next timer event, or go idle.
      let next = Infinity;
      for (let h = 0; h < n; h++) {
        if (only !== null && !only[h]) continue;
        const hart = this.harts[h];
        hart.timeBase = this.time - hart.cycles;
        if (hart.wakeable()) next = this.time;
        next = Math.min(next, hart.nextTimerEvent());
      }
      if (next === Infinity) return "waiting";
      this.time = Math.max(this.time + 1, next);
    }
    return this.halted ? "halted" : "running";
  }

  /** Instructions retired in U, S and M mode, over all harts. */
  modeCounts(): { user: number; supervisor: number; machine: number } {
    let user = 0, supervisor = 0, machine = 0;
    for (const h of this.harts) {
      user += h.instretIn(PRV_U);
      supervisor += h.instretIn(1);
      machine += h.instretIn(3);
    }
    return { user, supervisor, machine };
  }

  /** Instructions the interpreter retired, all harts (the rest ran translated). */
  interpreted(): number {
    return this.harts.reduce((n, h) => n + h.interpreted, 0);
  }

  /** Code regions compiled to WebAssembly so far, all harts (how much translating a run did). */
  regionsCompiled(): number {
    return this.harts.reduce((n, h) => n + h.regionsCompiled - h.regionsAdopted, 0);
  }

  /** Regions a hart took from another hart instead of compiling them itself. */
  regionsShared(): number {
    return this.harts.reduce((n, h) => n + h.regionsAdopted, 0);
  }
}
