// The runs of the bare-metal test programs that the full-system tests make on the
// board and that tests/metal_qemu.ts records on qemu-system-riscv64: which program,
// how many harts, which virtio layout, and what is typed at the test kernel's
// prompts. A run's name keys its QEMU transcript in tests/metal_qemu.json.

export interface MetalCase {
  name: string;
  program: string;
  cpus: number;
  legacy: boolean;
  /** Lines typed at successive "$ " prompts (the test kernel's shell). */
  script?: string[];
}

/** The test kernel's session: every command, including errors, then exit. */
export const TESTKERNEL_SCRIPT = [
  "help",
  "echo hello   test kernel",
  "echo typoo\x7f, fixed",
  "read 3",
  "write 7 171",
  "read 7",
  "read 64",
  "write 1 300",
  "harts",
  "touch 100",
  "cpu 1",
  "sys 1000",
  "touch -1",
  "frobnicate",
  "",
  "exit 0",
];

function run(program: string, cpus: number, legacy: boolean, script?: string[]): MetalCase {
  const layout = legacy ? "legacy" : "modern";
  return { name: `${program}-${cpus}-${layout}`, program, cpus, legacy, script };
}

export const METAL_CASES: MetalCase[] = [
  run("hello", 1, false),
  run("priv", 1, false),
  run("priv", 2, false),
  run("vm", 1, false),
  run("irq", 1, false),
  run("irq", 2, true),
  run("irq", 3, false),
  run("devices", 1, false),
  run("devices", 1, true),
  run("testkernel", 1, false, TESTKERNEL_SCRIPT),
  run("testkernel", 3, true, TESTKERNEL_SCRIPT),
  run("testkernel", 2, false, ["read 5", "exit 3"]),
];
