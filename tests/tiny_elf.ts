// Tiny RV64 programs for tests that need a guest doing one odd thing: a minimal ELF
// wrapper for raw code, and a pseudo-random byte source for fuzzing.

import * as E from "./encode.ts";

/** A deterministic pseudo-random byte stream (xorshift32). */
export function bytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A minimal RV64 ELF executable: one R+X PT_LOAD segment at 0 holding text. */
export function elf(text: Uint8Array): Uint8Array {
  const img = new Uint8Array(0x1000 + text.length);
  const v = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // magic, 64-bit, little-endian, version
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setBigUint64(24, 0n, true); // entry
  v.setBigUint64(32, 64n, true); // phoff
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, 1, true); // phnum
  v.setUint32(64, 1, true); // PT_LOAD
  v.setUint32(68, 5, true); // R + X
  v.setBigUint64(72, 0x1000n, true); // offset
  v.setBigUint64(80, 0n, true); // vaddr
  v.setBigUint64(96, BigInt(text.length), true); // filesz
  v.setBigUint64(104, BigInt(text.length), true); // memsz
  img.set(text, 0x1000);
  return img;
}

/** Instruction words as little-endian code bytes. */
export function code(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

const SP = 2, A0 = 10, A1 = 11, A2 = 12, A7 = 17;
const SYS_PIPE = 4, SYS_READ = 5;

/**
 * A program that makes a pipe and reads from it: it blocks for ever, since it holds
 * the write end itself. Nothing else can wake it, and it never reads the console.
 */
export function pipeWaitProgram(): Uint8Array {
  return elf(code([
    E.addi(SP, SP, -16),
    E.addi(A0, SP, 0), // int p[2] on the stack
    E.addi(A7, 0, SYS_PIPE),
    E.ecall(),
    E.lw(A0, SP, 0), // the read end
    E.addi(A1, SP, 8),
    E.addi(A2, 0, 1),
    E.addi(A7, 0, SYS_READ),
    E.ecall(),
    E.jal(0, 0), // not reached
  ]));
}
