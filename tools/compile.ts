// Build xv6lazy as one self-contained executable with `deno compile`, and check
// that what came out is xv6lazy.
//
//   deno task compile                 ./xv6lazy for this machine, checked by running
//                                     `./xv6lazy --version`
//   deno task release                 dist/xv6lazy-TARGET for the five targets below;
//                                     each is reported on its own line
//   ... --output PATH                 (compile) write the executable to PATH
//
// deno compile appends the program to `denort`, Deno's runtime without its tools,
// which it downloads once per Deno version and target into its cache:
// DENO_DIR/dl/release/vVERSION/denort-TARGET.zip. Where that download is blocked the
// zip can be put there by hand, or DENORT_BIN can name an unpacked denort (for this
// machine's target only). DENORT_BIN naming `deno` itself yields an executable that
// is just Deno; the check catches that. See README.md, "The single executable".

import { join, parseArgs, resolve } from "../machine/deps.ts";
import { VERSION } from "../main.ts";
import { V8_FLAGS } from "./v8_flags.ts";
import { firstLine } from "../cli/usage_error.ts";

const ROOT = join(import.meta.dirname!, "..");

/** The targets of a release: what students run xv6lazy on. */
export const RELEASE_TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** Permissions the executable runs with (image files, --save, --logs; the gdb stub on loopback). */
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-net=127.0.0.1"];

/** The OS and CPU an executable file is built for ("linux x86_64"), or null if unknown. */
export function executableKind(head: Uint8Array): string | null {
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length >= 20 && v.getUint32(0) === 0x7f454c46) {
    const machine = v.getUint16(18, true);
    const cpu = machine === 62 ? "x86_64" : machine === 183 ? "aarch64" : `machine ${machine}`;
    return `linux ${cpu}`;
  }
  if (head.length >= 8 && v.getUint32(0, true) === 0xfeedfacf) {
    const cputype = v.getUint32(4, true);
    const cpu = cputype === 0x01000007
      ? "x86_64"
      : cputype === 0x0100000c
      ? "aarch64"
      : `cputype ${cputype}`;
    return `darwin ${cpu}`;
  }
  if (head.length >= 0x40 && head[0] === 0x4d && head[1] === 0x5a) {
    const pe = v.getUint32(0x3c, true);
    if (pe + 6 <= head.length && v.getUint32(pe) === 0x50450000) {
      const machine = v.getUint16(pe + 4, true);
      return `windows ${machine === 0x8664 ? "x86_64" : `machine ${machine}`}`;
    }
  }
  return null;
}

/** The kind executableKind() reports for a target triple. */
export function targetKind(target: string): string {
  const cpu = target.split("-")[0];
  const os = target.includes("linux") ? "linux" : target.includes("darwin") ? "darwin" : "windows";
  return `${os} ${cpu}`;
}

/** Why the executable at path is not this xv6lazy (run with --version), or null if it is. */
export async function checkExecutable(path: string): Promise<string | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(path, { args: ["--version"], stdin: "null" }).output();
  } catch (e) {
    return `${path} does not run: ${e instanceof Error ? e.message : e}`;
  }
  const text = new TextDecoder().decode(out.stdout);
  const want = `xv6lazy ${VERSION}\n`;
  if (out.success && text === want) return null;
  if (/^deno \d/.test(text)) {
    return `${path} is Deno itself, not xv6lazy: DENORT_BIN points at the deno executable; ` +
      "it must name denort, Deno's runtime (see README.md, 'The single executable')";
  }
  const first = (text.split("\n")[0] || "(nothing)").slice(0, 120);
  return `${path} --version printed '${first}' (exit ${out.code}), not '${want.trim()}'`;
}

/** One clear line for a failed deno compile, from its stderr. */
export function explainCompileFailure(stderr: string, target: string, denoDir: string): string {
  // deno's error (uncoloured): a headline, numbered causes, then a backtrace to leave out.
  const plain = stderr.split("Stack backtrace:")[0];
  const url = /https:\/\/\S+denort-\S+\.zip/.exec(plain)?.[0];
  const causes = plain.split("\n").map((l) => l.trim()).filter((l) => /^\d+: /.test(l));
  const cause = (causes.at(-1) ?? plain.split("\n").find((l) => l.trim() !== "") ?? "")
    .replace(/^\d+: /, "");
  if (url !== undefined) {
    const zip = url.slice(url.lastIndexOf("/") + 1);
    const cached = join(denoDir, "dl", "release", `v${Deno.version.deno}`, zip);
    return `cannot download denort for ${target} (${cause}); fetch ${url} elsewhere and ` +
      `put it at ${cached}`;
  }
  if (/Could not find denort/.test(plain)) {
    return `DENORT_BIN=${Deno.env.get("DENORT_BIN")} cannot be read (${cause})`;
  }
  return `deno compile failed: ${cause}`;
}

/** Where Deno keeps its caches (DENO_DIR), as `deno info` reports it. */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  try {
    return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir ?? "DENO_DIR";
  } catch {
    return "DENO_DIR";
  }
}

/** Run deno compile for one target; null on success, else one line saying why not. */
async function compileOne(
  output: string,
  target: string,
  env: Record<string, string>,
  dir: string,
): Promise<string | null> {
  const args = [
    "compile",
    V8_FLAGS,
    ...PERMISSIONS,
    "--target",
    target,
    "--output",
    output,
    "main.ts",
  ];
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.success) return null;
  return explainCompileFailure(new TextDecoder().decode(out.stderr), target, dir);
}

/** The environment for compiling one target: DENORT_BIN only serves this machine's target. */
function envFor(target: string): Record<string, string> {
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" }; // plain text
  if (target !== Deno.build.target) delete env.DENORT_BIN;
  return env;
}

/** `deno task compile`: build and check the executable for this machine; the exit code. */
async function compile(output: string): Promise<number> {
  const target = Deno.build.target;
  const why = await compileOne(output, target, envFor(target), await denoDir());
  if (why !== null) {
    console.error(`compile: ${why}`);
    return 1;
  }
  const bad = await checkExecutable(output);
  if (bad !== null) {
    await Deno.remove(output).catch(() => {});
    console.error(`compile: ${bad} (removed it)`);
    return 1;
  }
  console.log(`compile: ${output} is xv6lazy ${VERSION} for ${target}, and it runs`);
  return 0;
}

/** Check a cross-compiled executable's format against its target; null if it matches. */
async function checkFormat(path: string, target: string): Promise<string | null> {
  const f = await Deno.open(path);
  const head = new Uint8Array(4096);
  const n = (await f.read(head)) ?? 0;
  f.close();
  const kind = executableKind(head.subarray(0, n));
  if (kind === targetKind(target)) return null;
  return `${path} is a ${kind ?? "file of unknown format"} executable, not ${targetKind(target)}`;
}

/** `deno task release`: build for every target, one report line each; the exit code. */
async function release(dir: string): Promise<number> {
  await Deno.mkdir(dir, { recursive: true });
  const cache = await denoDir();
  if (Deno.env.get("DENORT_BIN")) {
    console.log(`release: DENORT_BIN is used for ${Deno.build.target} only`);
  }
  let failed = 0;
  for (const target of RELEASE_TARGETS) {
    const name = `xv6lazy-${target}${target.includes("windows") ? ".exe" : ""}`;
    const output = join(dir, name);
    let why = await compileOne(output, target, envFor(target), cache);
    if (why === null) {
      why = target === Deno.build.target
        ? await checkExecutable(output)
        : await checkFormat(output, target);
    }
    if (why === null) console.log(`  ${target.padEnd(28)}OK    ${output}`);
    else {
      failed++;
      console.log(`  ${target.padEnd(28)}FAIL  ${why}`);
    }
  }
  console.log(`release: ${RELEASE_TARGETS.length - failed} of ${RELEASE_TARGETS.length} built`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  let values: { release?: boolean; output?: string };
  try {
    values = parseArgs({
      args: Deno.args,
      options: { release: { type: "boolean" }, output: { type: "string" } },
      strict: true,
    }).values;
  } catch (e) {
    console.error(
      `deno task compile: ${firstLine(e)}\nusage: deno task compile [--release] [--output PATH]`,
    );
    Deno.exit(2);
  }
  const code = values.release
    ? await release(resolve(values.output ?? join(ROOT, "dist")))
    : await compile(resolve(values.output ?? join(ROOT, "xv6lazy")));
  Deno.exit(code);
}
