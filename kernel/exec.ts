// exec: replace the current process's memory with a program loaded from an ELF file.
//
// Layout (xv6's): each PT_LOAD segment at its virtual address with its own
// permissions, then a guard page (no PTE_U), then one stack page holding argv.

import { begin_op, end_op } from "./log.ts";
import { ilock, type Inode, iunlockput, namei, readi } from "./fs.ts";
import { MAXARG, MAXVA, PGROUNDUP, PGSIZE } from "./param.ts";
import { myproc, proc_freepagetable, proc_pagetable } from "./proc.ts";
import { PTE_W, PTE_X } from "./riscv.ts";
import { copyout, uvmalloc, uvmclear, vmconfig, vmprint, walkaddr } from "./vm.ts";
import { cpu } from "./cpu.ts";
import { TF_EPC, tfreg, tfset } from "./trapframe.ts";
import { kprintf } from "./console.ts";
import { type CodeSegment, programabi } from "./sbrkabi.ts";

const ELF_MAGIC = 0x464c457f; // "\x7fELF" little-endian
const PT_LOAD = 1;
const ELF_PROG_FLAG_EXEC = 1;
const ELF_PROG_FLAG_WRITE = 2;

/** A 64-bit little-endian field as a number; values >= 2^53 become MAX_SAFE_INTEGER. */
function u64(v: DataView, off: number): number {
  const hi = v.getUint32(off + 4, true);
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return hi * 0x1_0000_0000 + v.getUint32(off, true);
}

/** PTE permissions for an ELF segment's flags (R and U are always added). */
function flags2perm(flags: number): number {
  let perm = 0;
  if (flags & ELF_PROG_FLAG_EXEC) perm |= PTE_X;
  if (flags & ELF_PROG_FLAG_WRITE) perm |= PTE_W;
  return perm;
}

/** Load sz bytes of a segment from file offset off into the pages mapped at va; the bytes, or null. */
function loadseg(
  pagetable: number,
  va: number,
  ip: Inode,
  off: number,
  sz: number,
): Uint8Array | null {
  const bytes = new Uint8Array(sz);
  if (readi(ip, bytes, off, sz) !== sz) return null;
  for (let i = 0; i < sz; i += PGSIZE) {
    const pa = walkaddr(pagetable, va + i);
    if (pa === 0) throw new Error("panic: loadseg: address should exist");
    cpu.ram.writeBytes(pa, bytes.subarray(i, Math.min(sz, i + PGSIZE)));
  }
  return bytes;
}

/** Bytes of the stack page that argv's strings and pointer array take, as exec lays them out. */
export function argvbytes(argv: string[]): number {
  let sp = PGSIZE; // the top of the stack page (page-aligned, so 16-byte aligned)
  for (const arg of argv) sp = Math.floor((sp - arg.length - 1) / 16) * 16;
  sp = Math.floor((sp - (argv.length + 1) * 8) / 16) * 16;
  return PGSIZE - sp;
}

/** Execute the program at path with arguments argv; argc on success, -1 on failure. */
export function exec(path: string, argv: string[]): number {
  const p = myproc();
  let pagetable = 0;
  let sz = 0;
  begin_op();
  let ip: Inode | null = namei(path);
  const bad = (): number => {
    if (pagetable) proc_freepagetable(pagetable, sz);
    if (ip) {
      iunlockput(ip);
      end_op();
    }
    return -1;
  };
  if (ip === null) {
    end_op();
    return -1;
  }
  ilock(ip);
  const elf = new Uint8Array(64);
  const ev = new DataView(elf.buffer);
  if (readi(ip, elf, 0, 64) !== 64 || ev.getUint32(0, true) !== ELF_MAGIC) return bad();
  pagetable = proc_pagetable(p);
  if (pagetable === 0) return bad();
  const phoff = u64(ev, 32);
  const phnum = ev.getUint16(56, true);
  const ph = new Uint8Array(56);
  const pv = new DataView(ph.buffer);
  const code: CodeSegment[] = []; // executable segments, to tell which sbrk the program calls
  for (let i = 0; i < phnum; i++) {
    if (readi(ip, ph, phoff + i * 56, 56) !== 56) return bad();
    if (pv.getUint32(0, true) !== PT_LOAD) continue;
    const off = u64(pv, 8), vaddr = u64(pv, 16), filesz = u64(pv, 32), memsz = u64(pv, 40);
    if (memsz < filesz || vaddr + memsz > MAXVA || vaddr % PGSIZE !== 0) return bad();
    const flags = pv.getUint32(4, true);
    const sz1 = uvmalloc(pagetable, sz, vaddr + memsz, flags2perm(flags));
    if (sz1 === 0) return bad();
    sz = sz1;
    const bytes = loadseg(pagetable, vaddr, ip, off, filesz);
    if (bytes === null) return bad();
    if (flags & ELF_PROG_FLAG_EXEC) code.push({ va: vaddr, bytes });
  }
  iunlockput(ip);
  end_op();
  ip = null;

  // A guard page and a stack page just above the program.
  sz = PGROUNDUP(sz);
  const sz1 = uvmalloc(pagetable, sz, sz + 2 * PGSIZE, PTE_W);
  if (sz1 === 0) return bad();
  sz = sz1;
  uvmclear(pagetable, sz - 2 * PGSIZE);
  let sp = sz;
  const stackbase = sp - PGSIZE;

  // The argument strings, then the argv[] array of pointers to them.
  if (argv.length > MAXARG || argvbytes(argv) > PGSIZE) return bad();
  const ustack: number[] = [];
  for (const arg of argv) {
    sp -= arg.length + 1;
    sp -= sp % 16; // riscv sp must be 16-byte aligned
    if (sp < stackbase) return bad();
    const bytes = new Uint8Array(arg.length + 1);
    for (let i = 0; i < arg.length; i++) bytes[i] = arg.charCodeAt(i);
    if (copyout(pagetable, sp, bytes) < 0) return bad();
    ustack.push(sp);
  }
  ustack.push(0);
  sp -= ustack.length * 8;
  sp -= sp % 16;
  if (sp < stackbase) return bad();
  const arr = new Uint8Array(ustack.length * 8);
  const av = new DataView(arr.buffer);
  ustack.forEach((a, i) => av.setBigUint64(i * 8, BigInt(a), true));
  if (copyout(pagetable, sp, arr) < 0) return bad();

  // Commit to the new image.
  const oldpagetable = p.pagetable;
  const oldsz = p.sz;
  p.name = path.slice(path.lastIndexOf("/") + 1);
  p.pagetable = pagetable;
  p.sz = sz;
  p.sbrkabi = programabi(code);
  tfset(p.trapframe, TF_EPC, u64(ev, 24)); // initial program counter = ELF entry
  tfset(p.trapframe, tfreg(2), sp); // initial stack pointer
  tfset(p.trapframe, tfreg(11), sp); // a1 = argv
  proc_freepagetable(oldpagetable, oldsz);
  if (p.pid === 1 && vmconfig.vmprint) vmprint(p.pagetable, (line) => kprintf(line + "\n"));
  return argv.length; // ends up in a0, the first argument to main(argc, argv)
}
