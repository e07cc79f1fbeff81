// Processes: the process table, fork/exit/wait/kill, sleep/wakeup, and growproc.
//
// The kernel is host code with one hart: a process runs on the hart until it traps;
// the trap is served to completion unless the kernel routine blocks in sleep(),
// in which case the routine (a generator) is parked in p.kthread and the
// scheduler (sched.ts) picks another process, round-robin and deterministically.

import { NOFILE, NPROC, PGSIZE, TRAMPOLINE, TRAPFRAME } from "./param.ts";
import type { File } from "./file.ts";
import type { Inode } from "./fs.ts";
import { kalloc, kfree } from "./kalloc.ts";
import { cpu } from "./cpu.ts";
import { PTE_R, PTE_W } from "./riscv.ts";
import {
  copyout,
  forEachLeaf,
  mappages,
  maptrampoline,
  uvmalloc,
  uvmcopy,
  uvmcreate,
  uvmdealloc,
  uvmfree,
  uvmunmap,
  vmconfig,
} from "./vm.ts";
import { tfreg, tfset } from "./trapframe.ts";
import { fileclose, filedup } from "./file.ts";
import { idup, iput, namei } from "./fs.ts";
import { begin_op, end_op } from "./log.ts";
import type { SbrkAbi } from "./sbrkabi.ts";

export type ProcState = "UNUSED" | "USED" | "SLEEPING" | "RUNNABLE" | "RUNNING" | "ZOMBIE";

/** A blocking kernel routine: resumed by the scheduler, returns its result at the end. */
export type KGen<T> = Generator<void, T, void>;

/** One process: xv6's struct proc. */
export class Proc {
  state: ProcState = "UNUSED";
  chan: unknown = null; // if SLEEPING, what it sleeps on
  killed = false; // set by kill(); the process exits at its next trap
  xstate = 0; // exit status for the parent's wait
  pid = 0;
  parent: Proc | null = null;
  kthread: KGen<void> | null = null; // kernel work suspended in sleep (the process's "kernel stack")
  sz = 0; // size of process memory (bytes)
  sbrkabi: SbrkAbi = "classic"; // what system call 12 means to this program (set by exec)
  pagetable = 0; // physical address of the root page-table page
  trapframe = 0; // physical address of the trapframe page
  ofile: (File | null)[] = new Array(NOFILE).fill(null);
  cwd: Inode | null = null;
  name = "";
  constructor(readonly index: number) {}

  /** Return every field to its unused state (the slot is reused in place, as in xv6). */
  reset(): void {
    this.state = "UNUSED";
    this.chan = null;
    this.killed = false;
    this.xstate = 0;
    this.pid = 0;
    this.parent = null;
    this.kthread = null;
    this.sz = 0;
    this.sbrkabi = "classic";
    this.pagetable = 0;
    this.trapframe = 0;
    this.ofile.fill(null);
    this.cwd = null;
    this.name = "";
  }
}

export const proc: Proc[] = Array.from({ length: NPROC }, (_, i) => new Proc(i));

let current: Proc | null = null;
let lastrun = -1; // index of the process the scheduler ran last
let initproc: Proc | null = null;
let nextpid = 1;

/** How the system ends: set when init exits (run mode) or the kernel panics. */
export const machinestate = { halted: false, exitStatus: 0, runMode: false, faultKills: 0 };

/** Clear the process table (at boot). */
export function procinit(): void {
  for (const p of proc) p.reset();
  lastrun = -1;
  current = null;
  initproc = null;
  nextpid = 1;
  machinestate.halted = false;
  machinestate.exitStatus = 0;
  machinestate.faultKills = 0;
}

/** The process running on the hart (or whose syscall the kernel is serving). */
export function myproc(): Proc {
  if (current === null) throw new Error("panic: myproc: no current process");
  return current;
}

/** The current process, or null when the kernel is not serving one. */
export function curproc(): Proc | null {
  return current;
}

/** Set the current process (scheduler and tests only). */
export function setproc(p: Proc | null): void {
  current = p;
}

/** Whether p has been killed. */
export function killed(p: Proc): boolean {
  return p.killed;
}

/** Mark p killed (it exits at its next return to user space). */
export function setkilled(p: Proc): void {
  p.killed = true;
}

/** Find an unused slot, give it a pid, a trapframe and a page table; null if none or no memory. */
export function allocproc(): Proc | null {
  const p = proc.find((q) => q.state === "UNUSED");
  if (p === undefined) return null;
  p.pid = nextpid++;
  p.state = "USED";
  p.trapframe = kalloc();
  if (p.trapframe === 0) {
    freeproc(p);
    return null;
  }
  cpu.ram.fill(p.trapframe, PGSIZE, 0);
  p.pagetable = proc_pagetable(p);
  if (p.pagetable === 0) {
    freeproc(p);
    return null;
  }
  return p;
}

/** Release a process slot and everything it holds in memory. */
export function freeproc(p: Proc): void {
  if (p.trapframe) kfree(p.trapframe);
  if (p.pagetable) proc_freepagetable(p.pagetable, p.sz);
  p.reset();
}

/** A user page table with only the trampoline and p's trapframe mapped; 0 on failure. */
export function proc_pagetable(p: Proc): number {
  const pt = uvmcreate();
  if (pt === 0) return 0;
  if (maptrampoline(pt) < 0) {
    uvmfree(pt, 0);
    return 0;
  }
  if (mappages(pt, TRAPFRAME, PGSIZE, p.trapframe, PTE_R | PTE_W) < 0) {
    uvmunmap(pt, TRAMPOLINE, 1, false);
    uvmfree(pt, 0);
    return 0;
  }
  return pt;
}

/** Free a process's page table and the user memory it maps. */
export function proc_freepagetable(pagetable: number, sz: number): void {
  uvmunmap(pagetable, TRAMPOLINE, 1, false);
  uvmunmap(pagetable, TRAPFRAME, 1, false);
  uvmfree(pagetable, sz);
}

/** Create pid 1 and exec /init in it, with args for run mode. */
export function userinit(
  exec: (path: string, argv: string[]) => number,
  args: string[],
): void {
  const p = allocproc();
  if (p === null) throw new Error("panic: userinit: no memory");
  initproc = p;
  p.name = "initcode";
  setproc(p);
  p.cwd = namei("/");
  if (p.cwd === null) throw new Error("panic: userinit: no root directory");
  const argc = exec("/init", ["init", ...args]);
  if (argc < 0) throw new Error("panic: userinit: cannot exec /init");
  tfset(p.trapframe, tfreg(10), argc);
  setproc(null);
  p.state = "RUNNABLE";
}

/**
 * sbrk's work: grow or shrink the process by n bytes; -1 on failure. Growth is lazy
 * (the lab) when the caller asks for it and lazy allocation is on (not --eager);
 * otherwise pages are allocated now.
 */
export function growproc(n: number, lazy: boolean): number {
  const p = myproc();
  const sz = p.sz;
  const how = lazy && vmconfig.lazy ? "" : " (eager)";
  vmconfig.trace?.(`sbrk: pid ${p.pid} (${p.name}) ${n >= 0 ? "+" : ""}${n} from size ${sz}${how}`);
  if (n > 0) {
    if (sz + n > TRAPFRAME) return -1;
    if (lazy && vmconfig.lazy) {
      p.sz = sz + n; // the lab: only the size grows; page faults bring the pages
    } else {
      const newsz = uvmalloc(p.pagetable, sz, sz + n, PTE_W);
      if (newsz === 0) return -1;
      p.sz = newsz;
    }
  } else if (n < 0) {
    if (sz + n < 0) return -1;
    p.sz = uvmdealloc(p.pagetable, sz, sz + n);
  }
  return 0;
}

/** Create a child that is a copy of the current process; child pid, or -1. */
export function fork(): number {
  const p = myproc();
  const np = allocproc();
  if (np === null) return -1;
  if (uvmcopy(p.pagetable, np.pagetable, p.sz) < 0) {
    freeproc(np);
    return -1;
  }
  np.sz = p.sz;
  np.sbrkabi = p.sbrkabi;
  cpu.ram.copy(np.trapframe, p.trapframe, PGSIZE);
  tfset(np.trapframe, tfreg(10), 0); // fork returns 0 in the child
  for (let i = 0; i < NOFILE; i++) {
    const f = p.ofile[i];
    if (f) np.ofile[i] = filedup(f);
  }
  np.cwd = p.cwd ? idup(p.cwd) : null;
  np.name = p.name;
  np.parent = p;
  np.state = "RUNNABLE";
  return np.pid;
}

/** Give p's children to init. */
function reparent(p: Proc): void {
  for (const pp of proc) {
    if (pp.parent === p && pp.state !== "UNUSED") {
      pp.parent = initproc;
      wakeup(initproc);
    }
  }
}

/** End the current process with status; it stays a zombie until its parent waits. */
export function exit(status: number): void {
  const p = myproc();
  if (p === initproc) {
    if (machinestate.runMode) {
      machinestate.halted = true;
      machinestate.exitStatus = status;
    } else {
      throw new Error("panic: init exiting");
    }
  }
  for (let fd = 0; fd < NOFILE; fd++) {
    const f = p.ofile[fd];
    if (f) {
      fileclose(f);
      p.ofile[fd] = null;
    }
  }
  begin_op();
  if (p.cwd) iput(p.cwd);
  end_op();
  p.cwd = null;
  reparent(p);
  if (p.parent) wakeup(p.parent);
  p.xstate = status;
  p.state = "ZOMBIE";
  p.kthread = null;
}

/** Wait for a child to exit; its pid, with its status copied to addr (if nonzero); -1 if none. */
export function* wait(addr: number): KGen<number> {
  const p = myproc();
  for (;;) {
    let havekids = false;
    for (const pp of proc) {
      if (pp.parent !== p || pp.state === "UNUSED") continue;
      havekids = true;
      if (pp.state !== "ZOMBIE") continue;
      const pid = pp.pid;
      if (addr !== 0 && copyout(p.pagetable, addr, int32bytes(pp.xstate)) < 0) return -1;
      freeproc(pp);
      return pid;
    }
    if (!havekids || killed(p)) return -1;
    yield* sleep(p);
  }
}

/** A 32-bit little-endian int as bytes, for copyout. */
function int32bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

/** Kill the process with the given pid: it exits when it next returns to user space. */
export function kill(pid: number): number {
  for (const p of proc) {
    if (p.pid === pid && p.state !== "UNUSED") {
      p.killed = true;
      if (p.state === "SLEEPING") p.state = "RUNNABLE";
      return 0;
    }
  }
  return -1;
}

/** Give up the hart until wakeup(chan): use as `yield* sleep(chan)`. */
export function* sleep(chan: unknown): KGen<void> {
  const p = myproc();
  p.chan = chan;
  p.state = "SLEEPING";
  yield;
  p.chan = null;
}

/** Give up the hart for one scheduling round (timer preemption). */
export function sched_yield(p: Proc): void {
  p.state = "RUNNABLE";
}

/** Make every process sleeping on chan runnable. */
export function wakeup(chan: unknown): void {
  for (const p of proc) {
    if (p.state === "SLEEPING" && p.chan === chan) p.state = "RUNNABLE";
  }
}

/** The next runnable process after the last one run (round-robin), or null. */
export function nextrunnable(): Proc | null {
  for (let k = 1; k <= NPROC; k++) {
    const p = proc[(lastrun + k) % NPROC];
    if (p.state === "RUNNABLE") {
      lastrun = p.index;
      return p;
    }
  }
  return null;
}

/** Whether any process sleeps on chan. */
export function anysleeping(chan: unknown): boolean {
  return proc.some((p) => p.state === "SLEEPING" && p.chan === chan);
}

/** Print a process listing on ^P (xv6's procdump), with each process's size and resident pages. */
export function procdump(out: (s: string) => void): void {
  out("\n");
  for (const p of proc) {
    if (p.state === "UNUSED") continue;
    let resident = 0;
    if (p.pagetable !== 0) forEachLeaf(p.pagetable, 0, p.sz, () => resident++);
    out(`${p.pid} ${p.state.toLowerCase()} ${p.name} (size ${p.sz}, ${resident} pages resident)\n`);
  }
}
