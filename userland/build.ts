// Builds the xv6lazy user programs: the C runtime in lib/ plus every
// userland/*.c file, each linked on its own into a static RV64 ELF image.
//
//   deno task userland              -> userland/bin/NAME and userland/images.ts
//   deno task userland --out DIR    -> DIR/NAME only (images.ts is left alone)
//
// The output is deterministic: no debug info, stripped symbols and no build
// id, so identical sources give byte-identical images.

import { basename, join, parseArgs } from "../machine/deps.ts";
import { firstLine as errorLine } from "../cli/usage_error.ts";

/** Cross compiler (Debian package gcc-riscv64-linux-gnu). */
export const CC = "riscv64-linux-gnu-gcc";

/** Linker driven by CC (from Debian's binutils-riscv64-linux-gnu). */
export const LD = "riscv64-linux-gnu-ld";

/**
 * The tool chain that produced the committed images. Other gcc or binutils
 * releases generate different (equally valid) code, so byte-for-byte
 * comparisons only make sense with these versions.
 */
export const PINNED_TOOLCHAIN = "gcc 12.2.0, ld 2.40";

/** Directory holding this script (the userland/ folder). */
export const USERLAND_DIR: string = import.meta.dirname!;

/** Runtime sources linked into every program, in link order. */
export const RUNTIME_SOURCES: readonly string[] = [
  "lib/start.S",
  "lib/usys.S",
  "lib/ulib.c",
  "lib/printf.c",
  "lib/umalloc.c",
];

/** Programs that are built but not placed in the file system. */
export const NOT_IN_FS: readonly string[] = ["cpubench"];

/** Compiler flags shared by every compilation and link. */
export function compileFlags(dir: string): string[] {
  return [
    "-march=rv64imac_zicsr_zifencei",
    "-mabi=lp64",
    "-mcmodel=medany",
    "-mno-relax",
    "-O2",
    "-ffreestanding",
    "-fno-builtin",
    "-fno-common",
    "-fno-pie",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    // One section per function/object so the link can drop unused runtime code.
    "-ffunction-sections",
    "-fdata-sections",
    // Keeps gcc from turning the runtime's own copy loops into memset/memcpy calls.
    "-fno-tree-loop-distribute-patterns",
    "-Wall",
    "-Werror",
    "-I" + join(dir, "include"),
  ];
}

/** Extra flags for the final link. */
export function linkFlags(dir: string): string[] {
  return [
    "-nostdlib",
    "-nostartfiles",
    "-static",
    "-no-pie",
    "-s",
    "-Wl,--build-id=none",
    "-Wl,--gc-sections",
    "-Wl,-z,max-page-size=4096",
    "-Wl,-z,noexecstack",
    "-T",
    join(dir, "user.ld"),
  ];
}

/** Names of the programs to build: every userland/*.c, sorted. */
export function programNames(dir: string = USERLAND_DIR): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile && entry.name.endsWith(".c")) names.push(entry.name.slice(0, -2));
  }
  return names.sort();
}

/** Run a command; throw with its stderr when it fails. */
async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")}\n${text}`);
  }
}

/** True when the cross compiler can be started. */
export async function haveCompiler(): Promise<boolean> {
  try {
    const out = await new Deno.Command(CC, { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** The first line a command prints (for tool versions). */
async function firstLine(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).split("\n")[0].trim();
}

/** The installed tool chain in PINNED_TOOLCHAIN's format, or null if it cannot be run. */
export async function toolchainVersion(): Promise<string | null> {
  try {
    const gcc = await firstLine(CC, ["-dumpfullversion"]);
    const ldLine = await firstLine(LD, ["--version"]);
    const ld = ldLine.split(" ").pop() ?? "?";
    return `gcc ${gcc}, ld ${ld}`;
  } catch {
    return null;
  }
}

// Run jobs with at most `limit` in flight (the build machines have two cores).
async function parallel<T>(items: T[], limit: number, job: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await job(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Compile the runtime and every program into outDir. Returns the program names. */
export async function buildAll(outDir: string, dir: string = USERLAND_DIR): Promise<string[]> {
  if (!(await haveCompiler())) {
    throw new Error(
      `${CC} not found on PATH; install Debian's gcc-riscv64-linux-gnu to build userland`,
    );
  }
  Deno.mkdirSync(outDir, { recursive: true });
  const objDir = Deno.makeTempDirSync({ prefix: "xv6lazy-userland-" });
  try {
    const flags = compileFlags(dir);
    const objects = RUNTIME_SOURCES.map((src) =>
      join(objDir, basename(src).replace(/\.[cS]$/, ".o"))
    );
    await parallel(RUNTIME_SOURCES.map((src, i) => [src, objects[i]]), 2, async ([src, obj]) => {
      await run(CC, [...flags, "-c", "-o", obj, join(dir, src)]);
    });
    const names = programNames(dir);
    await parallel(names, 2, async (name) => {
      const obj = join(objDir, `prog-${name}.o`);
      await run(CC, [...flags, "-c", "-o", obj, join(dir, `${name}.c`)]);
      await run(CC, [...flags, ...linkFlags(dir), "-o", join(outDir, name), obj, ...objects]);
    });
    return names;
  } finally {
    Deno.removeSync(objDir, { recursive: true });
  }
}

/** Bare-metal test programs (userland/metal/*.c): run on the virt board as kernels. */
export const METAL_DIR: string = join(USERLAND_DIR, "metal");

/** Runtime linked into every bare-metal program, in link order. */
export const METAL_RUNTIME: readonly string[] = [
  "lib/crt.S",
  "lib/metal.c",
  "lib/trap.S",
  "lib/trap.c",
  "lib/virtio.c",
  "lib/pt.c",
];

/** Folders of userland/metal that are not programs. */
const METAL_NOT_PROGRAMS = ["lib", "bin"];

/**
 * Names of the bare-metal programs: every userland/metal/*.c, and every folder
 * (other than lib/ and bin/) whose .c and .S files make one program, sorted.
 */
export function metalNames(dir: string = METAL_DIR): string[] {
  const names = programNames(dir);
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory && !METAL_NOT_PROGRAMS.includes(entry.name)) names.push(entry.name);
  }
  return names.sort();
}

/** The sources of bare-metal program `name`, relative to dir: NAME.c, or NAME/*.c and *.S. */
export function metalSources(name: string, dir: string = METAL_DIR): string[] {
  const folder = join(dir, name);
  let isFolder = false;
  try {
    isFolder = Deno.statSync(folder).isDirectory;
  } catch {
    isFolder = false;
  }
  if (!isFolder) return [`${name}.c`];
  const files: string[] = [];
  for (const entry of Deno.readDirSync(folder)) {
    if (entry.isFile && /\.[cS]$/.test(entry.name)) files.push(join(name, entry.name));
  }
  return files.sort();
}

/** Compile every bare-metal program into outDir (symbols kept, for the gdb tests). */
export async function buildMetal(outDir: string, dir: string = METAL_DIR): Promise<string[]> {
  Deno.mkdirSync(outDir, { recursive: true });
  const objDir = Deno.makeTempDirSync({ prefix: "xv6lazy-metal-" });
  try {
    const flags = [...compileFlags(USERLAND_DIR).filter((f) => !f.startsWith("-I")), "-I" + dir];
    const link = ["-nostdlib", "-nostartfiles", "-static", "-no-pie", "-Wl,--build-id=none"];
    const objects = METAL_RUNTIME.map((src) =>
      join(objDir, "lib-" + basename(src).replace(/\.([cS])$/, "-$1.o"))
    );
    await parallel(METAL_RUNTIME.map((src, i) => [src, objects[i]]), 2, async ([src, obj]) => {
      await run(CC, [...flags, "-c", "-o", obj, join(dir, src)]);
    });
    const names = metalNames(dir);
    await parallel(names, 2, async (name) => {
      const objs: string[] = [];
      for (const src of metalSources(name, dir)) {
        const obj = join(objDir, `metal-${src.replace(/[/.]/g, "-")}.o`);
        await run(CC, [...flags, "-c", "-o", obj, join(dir, src)]);
        objs.push(obj);
      }
      const ld = ["-T", join(dir, "metal.ld")];
      await run(CC, [...flags, ...link, ...ld, "-o", join(outDir, name), ...objects, ...objs]);
    });
    return names;
  } finally {
    Deno.removeSync(objDir, { recursive: true });
  }
}

// A TypeScript identifier for a program's import binding.
function binding(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_") + "Img";
}

/** Text of userland/images.ts for the given program names (already formatted for deno fmt). */
export function imagesSource(names: string[]): string {
  const sorted = [...names].sort();
  const lines: string[] = [
    "// GENERATED by userland/build.ts (`deno task userland`); do not edit by hand.",
    "// Every user program image, embedded at compile time, and the files that the",
    "// kernel's mkfs puts in the root directory.",
    "",
    'import readmeTxt from "./README.txt" with { type: "bytes" };',
  ];
  for (const n of sorted) {
    lines.push(`import ${binding(n)} from "./bin/${n}" with { type: "bytes" };`);
  }
  lines.push(
    "",
    "/** Every built program image by name, including ones not placed in the file system. */",
    "export const programImages: Record<string, Uint8Array> = {",
  );
  for (const n of sorted) {
    const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : JSON.stringify(n);
    lines.push(`  ${key}: ${binding(n)},`);
  }
  lines.push(
    "};",
    "",
    "/** Root-directory files of the disk: README, then every program except benchmarks. */",
    "export const fsFiles: { name: string; bytes: Uint8Array }[] = [",
    '  { name: "README", bytes: readmeTxt },',
  );
  for (const n of sorted) {
    if (NOT_IN_FS.includes(n)) continue;
    lines.push(`  { name: ${JSON.stringify(n)}, bytes: ${binding(n)} },`);
  }
  lines.push("];", "");
  return lines.join("\n");
}

/** Build every program (and images.ts unless --out is given). */
async function main() {
  let values: { out?: string };
  try {
    values = parseArgs({ args: Deno.args, options: { out: { type: "string" } } }).values;
  } catch (e) {
    console.error(`deno task userland: ${errorLine(e)}\nusage: deno task userland [--out DIR]`);
    Deno.exit(2);
  }
  const defaultOut = join(USERLAND_DIR, "bin");
  const outDir = values.out ?? defaultOut;
  const version = await toolchainVersion();
  if (version !== null && version !== PINNED_TOOLCHAIN) {
    console.error(
      `warning: tool chain is ${version}, the committed images were built with ${PINNED_TOOLCHAIN}`,
    );
  }
  let names: string[];
  try {
    names = await buildAll(outDir);
  } catch (e) {
    console.error(`userland build failed: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
  let metal: string[];
  const metalOut = values.out === undefined ? join(METAL_DIR, "bin") : join(outDir, "metal");
  try {
    metal = await buildMetal(metalOut);
  } catch (e) {
    console.error(`bare-metal build failed: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
  if (values.out === undefined) {
    for (const entry of Deno.readDirSync(metalOut)) {
      if (entry.isFile && !metal.includes(entry.name)) Deno.removeSync(join(metalOut, entry.name));
    }
  }
  for (const n of metal) {
    console.log(`metal/${n.padEnd(6)} ${Deno.statSync(join(metalOut, n)).size} bytes`);
  }
  if (values.out === undefined) {
    // Drop images of programs whose source is gone, then regenerate images.ts.
    for (const entry of Deno.readDirSync(outDir)) {
      if (entry.isFile && !names.includes(entry.name)) Deno.removeSync(join(outDir, entry.name));
    }
    Deno.writeTextFileSync(join(USERLAND_DIR, "images.ts"), imagesSource(names));
  }
  for (const n of names) {
    console.log(`${n.padEnd(12)} ${Deno.statSync(join(outDir, n)).size} bytes`);
  }
}

if (import.meta.main) await main();
