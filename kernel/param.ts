// Kernel limits and layout constants: xv6's param.h, memlayout.h and riscv.h in one place.

export const NPROC = 64; // maximum number of processes
export const NOFILE = 16; // open files per process
export const NFILE = 100; // open files per system
export const NINODE = 50; // maximum number of active i-nodes
export const NDEV = 10; // maximum major device number
export const ROOTDEV = 1; // device number of file system root disk
export const MAXARG = 32; // max exec arguments
export const MAXOPBLOCKS = 10; // max # of blocks any FS op writes
export const LOGSIZE = MAXOPBLOCKS * 3; // max data blocks in on-disk log
export const NBUF = MAXOPBLOCKS * 3; // size of disk block cache
export const FSSIZE = 2000; // size of file system in blocks
export const MAXPATH = 128; // maximum file path name
export const CONSOLE = 1; // console device major number

export const PGSIZE = 4096;
export const PGSHIFT = 12;
export const MAXVA = 2 ** 38; // one bit less than Sv39's 39 so addresses never need sign-extension
export const TRAMPOLINE = MAXVA - PGSIZE;
export const TRAPFRAME = TRAMPOLINE - PGSIZE;
export { KERNBASE, PHYSTOP } from "../machine/ram.ts";

/** Round up to a page boundary. */
export function PGROUNDUP(a: number): number {
  return Math.ceil(a / PGSIZE) * PGSIZE;
}

/** Round down to a page boundary. */
export function PGROUNDDOWN(a: number): number {
  return Math.floor(a / PGSIZE) * PGSIZE;
}
