// Records what qemu-system-riscv64 prints for each run in tests/metal_cases.ts into
// tests/metal_qemu.json, the transcripts that tests/fullsystem_metal.test.ts holds
// the board to. Needs QEMU (7.2 made the committed file):
//
//   deno task metal-qemu [NAME...]
//
// Each run gets a fresh copy of the test disk; lines of a script are typed when a
// new prompt appears. A run ends when QEMU exits (the finisher) or after 30 s.

import { join } from "../machine/deps.ts";
import { METAL_CASES, type MetalCase } from "./metal_cases.ts";
import { metalDisk, prompts } from "./metal_harness.ts";
import { METAL_DIR } from "../userland/build.ts";

export const TRANSCRIPTS = join(import.meta.dirname!, "metal_qemu.json");

export interface Transcript {
  output: string;
  status: number;
}

/** Run one case on QEMU and return what it printed and its exit status. */
export async function record(c: MetalCase): Promise<Transcript> {
  const dir = Deno.makeTempDirSync({ prefix: "xv6lazy-metal-qemu-" });
  const disk = join(dir, "disk.img");
  Deno.writeFileSync(disk, metalDisk());
  const args = [
    "-machine",
    "virt",
    "-bios",
    "none",
    "-m",
    "128M",
    "-nographic",
    "-smp",
    String(c.cpus),
    "-kernel",
    join(METAL_DIR, "bin", c.program),
    "-global",
    `virtio-mmio.force-legacy=${c.legacy}`,
    "-drive",
    `file=${disk},if=none,format=raw,id=x0`,
    "-device",
    "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
  ];
  const child = new Deno.Command("qemu-system-riscv64", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill(), 30_000);
  const writer = child.stdin.getWriter();
  const decoder = new TextDecoder();
  let output = "";
  let typed = 0;
  const script = c.script ?? [];
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true });
    while (typed < script.length && prompts(output) > typed) {
      await writer.write(new TextEncoder().encode(script[typed++] + "\n"));
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  await writer.close().catch(() => {});
  Deno.removeSync(dir, { recursive: true });
  return { output, status: status.code };
}

/** The first line of `qemu-system-riscv64 --version`, or null if it cannot be run. */
export async function qemuVersion(): Promise<string | null> {
  try {
    const out = await new Deno.Command("qemu-system-riscv64", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).split("\n")[0] : null;
  } catch {
    return null;
  }
}

async function main() {
  const version = await qemuVersion();
  if (version === null) {
    console.error("qemu-system-riscv64 not found");
    Deno.exit(1);
  }
  let all: Record<string, Transcript> = {};
  try {
    all = JSON.parse(Deno.readTextFileSync(TRANSCRIPTS)).runs;
  } catch {
    all = {};
  }
  const only = Deno.args;
  for (const c of METAL_CASES) {
    if (only.length > 0 && !only.includes(c.name)) continue;
    all[c.name] = await record(c);
    console.log(`${c.name}: status ${all[c.name].status}`);
  }
  const sorted: Record<string, Transcript> = {};
  for (const c of METAL_CASES) if (all[c.name]) sorted[c.name] = all[c.name];
  const text = JSON.stringify({ qemu: version, runs: sorted }, null, 2) + "\n";
  Deno.writeTextFileSync(TRANSCRIPTS, text);
}

if (import.meta.main) await main();
