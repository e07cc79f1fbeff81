// Traps from user space: system calls, page faults (lazy allocation), timer
// interrupts, and everything else, which kills the process.

import {
  CAUSE_ECALL_U,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_PAGE_FAULT,
  CSR_SATP,
  CSR_SCAUSE,
  CSR_SEPC,
  CSR_STVAL,
  IRQ_TIMER,
} from "../machine/hart.ts";
import { cpu } from "./cpu.ts";
import { charge, clockintr, TRAP_COST } from "./clock.ts";
import { exit, type KGen, machinestate, type Proc, sched_yield, setkilled } from "./proc.ts";
import { LAZY_NOMEM, lazyalloc, vmconfig } from "./vm.ts";
import { syscallfor, syscallnum } from "./syscall.ts";
import { tfadvance, tfreg, tfset, userret } from "./trapframe.ts";
import { kprintf } from "./console.ts";
import { SATP_SV39 } from "./riscv.ts";

export const trapstats = { syscalls: 0 };

/** A CSR's 64-bit value as a JS number; values of 2^53 and above come back as MAX_SAFE_INTEGER. */
function csrnum(n: number): number {
  const hi = cpu.hart.readCsrHi(n) >>> 0;
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return hi * 0x1_0000_0000 + (cpu.hart.readCsrLo(n) >>> 0);
}

/** A CSR as 0x and 16 hex digits, exactly. */
function csrhex(n: number): string {
  const hi = (cpu.hart.readCsrHi(n) >>> 0).toString(16).padStart(8, "0");
  const lo = (cpu.hart.readCsrLo(n) >>> 0).toString(16).padStart(8, "0");
  return `0x${hi}${lo}`;
}

/**
 * Handle a trap from user space by process p (its registers are in its trapframe).
 * The lab's change is the page-fault case: a load or store fault on a lazy page
 * gets a fresh zeroed page and the instruction is retried.
 */
export function usertrap(p: Proc, cause: number): void {
  charge(TRAP_COST);
  if (cause === CAUSE_ECALL_U) {
    tfadvance(p.trapframe, 4); // return to the instruction after ecall
    if (p.killed) return exit(-1);
    syscall(p);
  } else if (cause === CAUSE_LOAD_PAGE_FAULT || cause === CAUSE_STORE_PAGE_FAULT) {
    const pa = lazyalloc(p, csrnum(CSR_STVAL));
    if (pa === LAZY_NOMEM) oomkill(p);
    else if (pa === 0) badtrap(p);
  } else if (cause === IRQ_TIMER) {
    clockintr();
    sched_yield(p);
  } else {
    badtrap(p);
  }
  if (p.killed && p.state !== "ZOMBIE" && p.kthread === null) exit(-1);
}

/** A fault the kernel cannot fix: report it and kill the process. */
function badtrap(p: Proc): void {
  vmconfig.trace?.(
    `killed: pid ${p.pid} (${p.name}) scause ${csrhex(CSR_SCAUSE)} stval ${csrhex(CSR_STVAL)}`,
  );
  kprintf(
    `usertrap(): unexpected scause ${csrhex(CSR_SCAUSE)} pid=${p.pid}\n` +
      `            sepc=${csrhex(CSR_SEPC)} stval=${csrhex(CSR_STVAL)}\n`,
  );
  machinestate.faultKills++;
  setkilled(p);
}

/** A lazy page fault with no free page left: say so in one line and kill the process. */
function oomkill(p: Proc): void {
  vmconfig.trace?.(`killed: pid ${p.pid} (${p.name}) out of memory at va ${csrhex(CSR_STVAL)}`);
  kprintf(`usertrap(): out of memory pid=${p.pid} va=${csrhex(CSR_STVAL)}\n`);
  machinestate.faultKills++;
  setkilled(p);
}

/** Run the system call in a7; a blocking one is parked in p.kthread until it finishes. */
function syscall(p: Proc): void {
  trapstats.syscalls++;
  const fn = syscallfor();
  if (fn === undefined) {
    kprintf(`${p.pid} ${p.name}: unknown sys call ${syscallnum()}\n`);
    tfset(p.trapframe, tfreg(10), -1);
    return;
  }
  const r = fn();
  if (typeof r === "number") {
    if (p.state !== "ZOMBIE" && p.state !== "UNUSED") tfset(p.trapframe, tfreg(10), r);
    return;
  }
  p.kthread = finishsyscall(p, r);
  if (p.kthread.next().done) p.kthread = null;
}

/** Wrap a blocking system call so its result lands in a0 when it completes. */
function* finishsyscall(p: Proc, call: KGen<number>): KGen<void> {
  const r = yield* call;
  if (p.state !== "ZOMBIE" && p.state !== "UNUSED") tfset(p.trapframe, tfreg(10), r);
}

/** Return to user space: switch to p's page table and load its registers. */
export function usertrapret(p: Proc): void {
  const hart = cpu.hart;
  const ppn = Math.floor(p.pagetable / 4096);
  hart.writeCsr(CSR_SATP, ppn | 0, (SATP_SV39 << 28) | 0);
  userret(p.trapframe);
}
