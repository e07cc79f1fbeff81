// Binaries built the way stock xv6 builds them still run: rv64gc code with xv6's
// Makefile flags, linked either with separate text (R X) and data (R W) segments
// as the lab's revision does, or as one read-write-execute segment as older xv6
// revisions did. Needs the cross compiler; without it the test is ignored.

import { assertEquals, assertMatch } from "./deps.ts";
import { runProgram } from "./boot.ts";
import { join } from "../machine/deps.ts";
import { CC, haveCompiler, RUNTIME_SOURCES, USERLAND_DIR } from "../userland/build.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";

// A single PT_LOAD with R W X flags (7), text first at address 0.
const ONE_SEGMENT_LD = `OUTPUT_ARCH("riscv")
ENTRY(_start)
PHDRS { all PT_LOAD FLAGS(7); }
SECTIONS {
  . = 0;
  .text : { *(.text.start) *(.text .text.*) } :all
  .rodata : { *(.srodata .srodata.*) *(.rodata .rodata.*) } :all
  .data : { *(.sdata .sdata.*) *(.data .data.*) } :all
  .bss : { *(.sbss .sbss.*) *(.bss .bss.*) *(COMMON) } :all
  /DISCARD/ : { *(.note .note.*) *(.eh_frame .eh_frame_hdr) *(.comment) *(.riscv.attributes) }
}
`;

// Compiler flags in the spirit of xv6's Makefile (rv64gc is the tool chain's default there).
const STOCK_FLAGS = [
  "-march=rv64gc",
  "-mabi=lp64d",
  "-O",
  "-fno-omit-frame-pointer",
  "-mcmodel=medany",
  "-ffreestanding",
  "-fno-common",
  "-fno-builtin",
  "-fno-tree-loop-distribute-patterns",
  "-fno-pie",
  "-mno-relax",
  "-fno-asynchronous-unwind-tables",
  "-I" + join(USERLAND_DIR, "include"),
];

/** Compile and link one program stock-style (one RWX segment, or the project's script); ELF bytes. */
async function buildStock(dir: string, name: string, oneSegment: boolean): Promise<Uint8Array> {
  const ld = oneSegment ? join(dir, "stock.ld") : join(USERLAND_DIR, "user.ld");
  if (oneSegment) Deno.writeTextFileSync(ld, ONE_SEGMENT_LD);
  const sources = [
    ...RUNTIME_SOURCES.map((s) => join(USERLAND_DIR, s)),
    join(USERLAND_DIR, `${name}.c`),
  ];
  const out = join(dir, name);
  const r = await new Deno.Command(CC, {
    args: [
      ...STOCK_FLAGS,
      "-nostdlib",
      "-static",
      "-no-pie",
      "-Wl,--build-id=none",
      "-T",
      ld,
      "-o",
      out,
      ...sources,
    ],
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
  return Deno.readFileSync(out);
}

/** The flags of each PT_LOAD program header of an ELF64 image. */
function loadFlags(elf: Uint8Array): number[] {
  const v = new DataView(elf.buffer, elf.byteOffset);
  const phoff = Number(v.getBigUint64(32, true));
  const flags: number[] = [];
  for (let i = 0; i < v.getUint16(56, true); i++) {
    const ph = phoff + i * 56;
    if (v.getUint32(ph, true) === 1) flags.push(v.getUint32(ph + 4, true));
  }
  return flags;
}

Deno.test({
  name: "stock-style binaries run: rv64gc usertests -q, and a one-segment RWX echo",
  ignore: !(await haveCompiler()),
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "xv6lazy-stock-" });
    try {
      const echo = await buildStock(dir, "echo", true);
      const usertests = await buildStock(dir, "usertests", false);
      assertEquals(loadFlags(echo), [7]); // R W X
      assertEquals(loadFlags(usertests), [5, 6]); // R X text, R W data
      const files = fsFiles.map((f) =>
        f.name === "echo"
          ? { name: "echo", bytes: echo }
          : f.name === "usertests"
          ? { name: "usertests", bytes: usertests }
          : f
      );
      const image = mkfs(files);
      const hi = runProgram(["echo", "stock", "hi"], { image });
      assertMatch(hi.output, /stock hi\n/);
      assertEquals(hi.status, 0);
      const ut = runProgram(["usertests", "-q"], { image });
      assertMatch(ut.output, /^ALL TESTS PASSED$/m);
      assertEquals(ut.status, 0);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
