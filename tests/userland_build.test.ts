// Checks on the committed user program images in userland/bin (and the bare-metal
// test programs' images in userland/metal/bin):
//  - each one is a well-formed static RV64 executable as the kernel expects;
//  - userland/images.ts embeds exactly those images (plus README);
//  - rebuilding from source reproduces them byte for byte (only when the
//    cross compiler is installed; otherwise that test is ignored).

import { assert, assertEquals } from "./deps.ts";
import { join } from "../machine/deps.ts";
import {
  buildAll,
  buildMetal,
  CC,
  haveCompiler,
  imagesSource,
  METAL_DIR,
  metalNames,
  NOT_IN_FS,
  PINNED_TOOLCHAIN,
  programNames,
  toolchainVersion,
  USERLAND_DIR,
} from "../userland/build.ts";
import { fsFiles, programImages } from "../userland/images.ts";

const BIN_DIR = join(USERLAND_DIR, "bin");
const PAGE = 4096;
const EM_RISCV = 243;
const PT_LOAD = 1;
const PF_X = 1;
const PF_W = 2;

function committedNames(): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(BIN_DIR)) if (e.isFile) names.push(e.name);
  return names.sort();
}

interface Segment {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

function parseElf(bytes: Uint8Array): { entry: bigint; machine: number; segments: Segment[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assertEquals([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "ELF magic");
  assertEquals(bytes[4], 2, "ELFCLASS64");
  assertEquals(bytes[5], 1, "little endian");
  assertEquals(v.getUint16(16, true), 2, "ET_EXEC");
  const machine = v.getUint16(18, true);
  const entry = v.getBigUint64(24, true);
  const phoff = Number(v.getBigUint64(32, true));
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  assertEquals(phentsize, 56, "program header size");
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    segments.push({
      type: v.getUint32(o, true),
      flags: v.getUint32(o + 4, true),
      offset: v.getBigUint64(o + 8, true),
      vaddr: v.getBigUint64(o + 16, true),
      filesz: v.getBigUint64(o + 32, true),
      memsz: v.getBigUint64(o + 40, true),
    });
  }
  return { entry, machine, segments };
}

Deno.test("userland images are valid RV64 executables", () => {
  const names = committedNames();
  assert(names.length > 0, "userland/bin is empty");
  for (const name of names) {
    const bytes = Deno.readFileSync(join(BIN_DIR, name));
    const elf = parseElf(bytes);
    assertEquals(elf.machine, EM_RISCV, `${name}: machine`);
    const loads = elf.segments.filter((s) => s.type === PT_LOAD);
    assert(loads.length > 0, `${name}: no PT_LOAD segment`);
    for (const s of loads) {
      assertEquals(s.vaddr % BigInt(PAGE), 0n, `${name}: segment not page aligned`);
      assert(s.filesz <= s.memsz, `${name}: filesz > memsz`);
      assert(s.offset + s.filesz <= BigInt(bytes.length), `${name}: segment past end of file`);
      assert(!((s.flags & PF_X) && (s.flags & PF_W)), `${name}: segment both W and X`);
    }
    // The text segment starts at 0 and holds the entry point.
    const text = loads.find((s) => s.vaddr === 0n);
    assert(text !== undefined, `${name}: no segment at address 0`);
    assert((text.flags & PF_X) !== 0 && (text.flags & PF_W) === 0, `${name}: text flags`);
    // user.ld places _start (section .text.start) first, at address 0; its
    // first instruction is `auipc ra, ...` (the start of `call main`).
    assertEquals(elf.entry, 0n, `${name}: entry is not _start`);
    const first = new DataView(bytes.buffer).getUint32(Number(text.offset), true);
    assertEquals(first & 0xfff, 0x097, `${name}: _start does not begin with call main`);
    // Segments must not overlap in memory.
    const sorted = [...loads].sort((a, b) => (a.vaddr < b.vaddr ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      assert(prev.vaddr + prev.memsz <= sorted[i].vaddr, `${name}: segments overlap`);
    }
  }
});

Deno.test("userland/images.ts embeds every committed image", () => {
  const names = committedNames();
  assertEquals(Object.keys(programImages).sort(), names);
  for (const name of names) {
    assertEquals(programImages[name], Deno.readFileSync(join(BIN_DIR, name)), name);
  }
  const fsNames = fsFiles.map((f) => f.name);
  assertEquals(fsNames[0], "README");
  assert(fsFiles[0].bytes.length > 100, "README is too short");
  assertEquals(fsNames.slice(1).sort(), names.filter((n) => !NOT_IN_FS.includes(n)));
  for (const n of fsNames) assert(n.length <= 14, `${n}: name longer than DIRSIZ`);
  // The generated text matches what build.ts would write now.
  assertEquals(
    Deno.readTextFileSync(join(USERLAND_DIR, "images.ts")),
    imagesSource(names),
  );
});

// A rebuild needs the cross compiler, and the same releases that built the
// committed images (other releases emit different but valid code).
const compilerPresent = await haveCompiler();
const toolchain = compilerPresent ? await toolchainVersion() : null;
const rebuildSkip = !compilerPresent
  ? `${CC} not on PATH`
  : toolchain !== PINNED_TOOLCHAIN
  ? `tool chain is ${toolchain}, images were built with ${PINNED_TOOLCHAIN}`
  : null;

Deno.test({
  name: rebuildSkip === null
    ? "userland images match a fresh build from source"
    : `userland images match a fresh build from source (ignored: ${rebuildSkip})`,
  ignore: rebuildSkip !== null,
  fn: async () => {
    const out = Deno.makeTempDirSync({ prefix: "xv6lazy-rebuild-" });
    try {
      const built = await buildAll(out);
      assertEquals(built, programNames());
      assertEquals(committedNames(), built, "userland/bin does not match userland/*.c");
      for (const name of built) {
        const fresh = Deno.readFileSync(join(out, name));
        const committed = Deno.readFileSync(join(BIN_DIR, name));
        assert(
          fresh.length === committed.length && fresh.every((b, i) => b === committed[i]),
          `${name}: committed image differs from a rebuild (run \`deno task userland\`)`,
        );
      }
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  },
});

Deno.test({
  name: rebuildSkip === null
    ? "metal images match a fresh build from source"
    : `metal images match a fresh build from source (ignored: ${rebuildSkip})`,
  ignore: rebuildSkip !== null,
  fn: async () => {
    const out = Deno.makeTempDirSync({ prefix: "xv6lazy-metal-rebuild-" });
    try {
      const built = await buildMetal(out);
      assertEquals(built, metalNames());
      const binDir = join(METAL_DIR, "bin");
      const committed = [...Deno.readDirSync(binDir)].filter((e) => e.isFile).map((e) => e.name);
      assertEquals(committed.sort(), built, "userland/metal/bin does not match its sources");
      for (const name of built) {
        const fresh = Deno.readFileSync(join(out, name));
        const old = Deno.readFileSync(join(binDir, name));
        assert(
          fresh.length === old.length && fresh.every((b, i) => b === old[i]),
          `metal/${name}: committed image differs from a rebuild (run \`deno task userland\`)`,
        );
      }
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  },
});
