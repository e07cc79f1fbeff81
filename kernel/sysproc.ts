// System calls about processes: fork, exit, wait, kill, getpid, sbrk, sleep, uptime.

import { argaddr, argint } from "./syscall.ts";
import { exit, fork, growproc, type KGen, kill, myproc, sleep, wait } from "./proc.ts";
import { clock, tickschan } from "./clock.ts";
import { SBRK_EAGER } from "./sbrkabi.ts";

/** exit(status): never returns to the caller. */
export function sys_exit(): number {
  exit(argint(0));
  return 0;
}

/** getpid(). */
export function sys_getpid(): number {
  return myproc().pid;
}

/** fork(): the child's pid, or -1. */
export function sys_fork(): number {
  return fork();
}

/** wait(&status): blocks until a child exits. */
export function sys_wait(): KGen<number> {
  return wait(argaddr(0));
}

/**
 * sbrk(n): the old break, or -1; grows lazily (the lab) or shrinks and frees.
 * A program built for 2025's xv6 calls sbrk(n, type) instead (see sbrkabi.ts):
 * SBRK_EAGER allocates now and fails when memory runs out; SBRK_LAZY grows lazily.
 */
export function sys_sbrk(): number {
  const p = myproc();
  const n = argint(0);
  const addr = p.sz;
  let lazy = true;
  if (p.sbrkabi === "2025") {
    lazy = argint(1) !== SBRK_EAGER;
    if (n < 0 && addr + n < 0) return addr; // 2025: a shrink past zero leaves the size alone
  }
  if (growproc(n, lazy) < 0) return -1;
  return addr;
}

/** sleep(n): wait n clock ticks; -1 if killed meanwhile. */
export function* sys_sleep(): KGen<number> {
  const n = argint(0);
  const t0 = clock.ticks;
  while (clock.ticks - t0 < n) {
    if (myproc().killed) return -1;
    yield* sleep(tickschan);
  }
  return 0;
}

/** kill(pid). */
export function sys_kill(): number {
  return kill(argint(0));
}

/** uptime(): clock ticks since boot. */
export function sys_uptime(): number {
  return clock.ticks;
}
