// The trapframe page: where a process's user registers live while the kernel runs.
//
// Layout as in xv6: kernel_satp 0, kernel_sp 8, kernel_trap 16, epc 24,
// kernel_hartid 32, then x1 (ra) .. x31 (t6) at 40 + 8*(i-1). uservec() and
// userret() play the trampoline's part, copying between the hart and this page.

import { cpu } from "./cpu.ts";
import { KERNBASE } from "../machine/ram.ts";

export const TF_EPC = 24;

/** Byte offset of register i (1..31) in the trapframe. */
export function tfreg(i: number): number {
  return 40 + 8 * (i - 1);
}

/** Trampoline, entering the kernel: save all user registers and the pc to resume at (epc). */
export function uservec(trapframe: number, epcLo: number, epcHi: number): void {
  const { hart, ram } = cpu;
  const w = (trapframe - KERNBASE) >> 2; // word index of the trapframe
  const words = ram.words, x = hart.x;
  for (let i = 2; i < 64; i++) words[w + 8 + i] = x[i]; // x1..x31 as (lo, hi) pairs at byte 40
  words[w + 6] = epcLo; // epc at byte 24
  words[w + 7] = epcHi;
}

/** Trampoline, leaving the kernel: load user registers from the trapframe and set pc = epc. */
export function userret(trapframe: number): void {
  const { hart, ram } = cpu;
  const w = (trapframe - KERNBASE) >> 2;
  const words = ram.words, x = hart.x;
  for (let i = 2; i < 64; i++) x[i] = words[w + 8 + i];
  hart.pcLo = ram.words[w + 6];
  hart.pcHi = ram.words[w + 7];
}

/** Read a trapframe slot as a signed 32-bit low half and the high half. */
export function tflo(trapframe: number, off: number): number {
  return cpu.ram.view.getInt32(trapframe - KERNBASE + off, true);
}

/** High 32 bits of a trapframe slot. */
export function tfhi(trapframe: number, off: number): number {
  return cpu.ram.view.getInt32(trapframe - KERNBASE + off + 4, true);
}

/** Store a signed JS integer (a system call's result) into a trapframe slot, sign-extended. */
export function tfset(trapframe: number, off: number, value: number): void {
  const v = cpu.ram.view;
  const o = trapframe - KERNBASE + off;
  const lo = value | 0;
  const hi = Math.floor(value / 0x1_0000_0000);
  v.setInt32(o, lo, true);
  v.setInt32(o + 4, hi | 0, true);
}

/** Add n to the saved epc (skip the ecall instruction). */
export function tfadvance(trapframe: number, n: number): void {
  const v = cpu.ram.view;
  const o = trapframe - KERNBASE + TF_EPC;
  const lo = v.getUint32(o, true) + n;
  v.setUint32(o, lo >>> 0, true);
  if (lo > 0xffffffff) v.setUint32(o + 4, (v.getUint32(o + 4, true) + 1) >>> 0, true);
}
