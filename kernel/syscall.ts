// System calls: fetch arguments from the trapframe, dispatch by number (a7), and
// put the result in a0.

import { copyin, copyinstr } from "./vm.ts";
import { type KGen, myproc } from "./proc.ts";
import { tfhi, tflo, tfreg } from "./trapframe.ts";
import * as sp from "./sysproc.ts";
import * as sf from "./sysfile.ts";

/** A system call: returns its result now, or a kernel routine that may block. */
export type Syscall = () => number | KGen<number>;

export const SYS_NAMES = [
  "",
  "fork",
  "exit",
  "wait",
  "pipe",
  "read",
  "kill",
  "exec",
  "fstat",
  "chdir",
  "dup",
  "getpid",
  "sbrk",
  "sleep",
  "uptime",
  "open",
  "write",
  "mknod",
  "unlink",
  "link",
  "mkdir",
  "close",
];

/** The table of system calls, indexed by xv6's numbers. */
const syscalls: (Syscall | undefined)[] = [
  undefined,
  sp.sys_fork,
  sp.sys_exit,
  sp.sys_wait,
  sf.sys_pipe,
  sf.sys_read,
  sp.sys_kill,
  sf.sys_exec,
  sf.sys_fstat,
  sf.sys_chdir,
  sf.sys_dup,
  sp.sys_getpid,
  sp.sys_sbrk,
  sp.sys_sleep,
  sp.sys_uptime,
  sf.sys_open,
  sf.sys_write,
  sf.sys_mknod,
  sf.sys_unlink,
  sf.sys_link,
  sf.sys_mkdir,
  sf.sys_close,
];

const A0 = 10;
const A7 = 17;

/** Find the system call the current process asked for (a7); undefined if unknown. */
export function syscallfor(): Syscall | undefined {
  const p = myproc();
  const num = tflo(p.trapframe, tfreg(A7));
  if (tfhi(p.trapframe, tfreg(A7)) !== 0 || num <= 0 || num >= syscalls.length) return undefined;
  return syscalls[num];
}

/** The number in a7, for messages. */
export function syscallnum(): number {
  return tflo(myproc().trapframe, tfreg(A7));
}

/** The n'th argument as a signed 32-bit int. */
export function argint(n: number): number {
  return tflo(myproc().trapframe, tfreg(A0 + n));
}

/** The n'th argument as a user address (values >= 2^53 become Number.MAX_SAFE_INTEGER). */
export function argaddr(n: number): number {
  const tf = myproc().trapframe;
  const lo = tflo(tf, tfreg(A0 + n)) >>> 0;
  const hi = tfhi(tf, tfreg(A0 + n)) >>> 0;
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return hi * 0x1_0000_0000 + lo;
}

/** The n'th argument as a NUL-terminated string of at most max-1 bytes, or null. */
export function argstr(n: number, max: number): string | null {
  return fetchstr(argaddr(n), max);
}

/** Fetch the 64-bit word at user address addr, or null if it is not valid user memory. */
export function fetchaddr(addr: number): number | null {
  const p = myproc();
  if (addr >= p.sz || addr + 8 > p.sz) return null;
  const b = new Uint8Array(8);
  if (copyin(p.pagetable, b, addr) !== 0) return null;
  const v = new DataView(b.buffer);
  const hi = v.getUint32(4, true);
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return hi * 0x1_0000_0000 + v.getUint32(0, true);
}

/** Fetch the NUL-terminated string at user address addr (at most max-1 bytes), or null. */
export function fetchstr(addr: number, max: number): string | null {
  const p = myproc();
  return copyinstr(p.pagetable, addr, max);
}
