// The emulator never crashes on what user code does: programs made of random
// instruction bytes are run to their end and the kernel kills them (or they exit);
// corrupt program files are refused by exec.

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { runProgram } from "./boot.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";

/** A deterministic pseudo-random byte stream (xorshift32). */
function bytes(seed: number, n: number): Uint8Array {
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
function elf(text: Uint8Array): Uint8Array {
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

Deno.test("random instruction streams are killed, exit or loop, never a host exception", () => {
  for (let seed = 1; seed <= 24; seed++) {
    const image = mkfs([...fsFiles, { name: "noise", bytes: elf(bytes(seed, 4096)) }]);
    const r = runProgram(["noise"], { image, maxInstructions: 20_000_000 });
    // Halted (killed or exited) or still looping: either way the host is fine.
    assert(r.state === "halted" || r.state === "running", `seed ${seed}`);
    assert(!/panic/.test(r.output), `seed ${seed}: ${r.output.slice(-200)}`);
  }
});

Deno.test("exec refuses files that are not executables", () => {
  const image = mkfs([
    ...fsFiles,
    { name: "junk", bytes: bytes(7, 3000) },
    { name: "short", bytes: elf(new Uint8Array(0)).subarray(0, 40) },
  ]);
  for (const name of ["junk", "short", "README"]) {
    const r = runProgram([name], { image });
    assertEquals(r.status, 127, name);
    assertMatch(r.output, new RegExp(`init: exec ${name} failed`));
  }
});
