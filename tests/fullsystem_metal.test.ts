// The project's bare-metal test programs (userland/metal) on the virt board: each
// self-checking program, and the test kernel driven through its shell, must print
// exactly what qemu-system-riscv64 7.2 printed for the same run (tests/metal_qemu.json,
// recorded by tests/metal_qemu.ts) and end with the same status; with the
// translator on and off, with the same output and the same instruction counts.

import { assert, assertEquals } from "./deps.ts";
import { METAL_CASES } from "./metal_cases.ts";
import { metalDisk, runMetal, SECTOR } from "./metal_harness.ts";
import { qemuVersion, record, type Transcript, TRANSCRIPTS } from "./metal_qemu.ts";

const recorded: { qemu: string; runs: Record<string, Transcript> } = JSON.parse(
  Deno.readTextFileSync(TRANSCRIPTS),
);

for (const c of METAL_CASES) {
  Deno.test(`metal ${c.name}: prints what QEMU 7.2 prints, translator on and off`, () => {
    const q = recorded.runs[c.name];
    assert(q !== undefined, `no QEMU transcript for ${c.name}: run tests/metal_qemu.ts`);
    assert(!q.output.includes("FAIL"), "the QEMU transcript itself has a failure");
    if (c.program !== "testkernel" && c.program !== "hello") {
      assert(q.output.includes("all checks passed"), "the QEMU transcript is incomplete");
    }
    const opts = { cpus: c.cpus, legacy: c.legacy, script: c.script };
    const fast = runMetal(c.program, opts);
    assertEquals(fast.output, q.output);
    assertEquals(fast.code, q.status);
    const slow = runMetal(c.program, { ...opts, jit: false });
    assertEquals(slow.output, fast.output);
    assertEquals(slow.code, fast.code);
    assertEquals(slow.instret, fast.instret, "instructions per hart, interpreted vs translated");
  });
}

/** Sector s of a disk. */
function sector(disk: Uint8Array, s: number): Uint8Array {
  return disk.subarray(s * SECTOR, (s + 1) * SECTOR);
}

Deno.test("metal devices: the virtio write reaches the disk image (both layouts)", () => {
  for (const legacy of [false, true]) {
    const disk = metalDisk();
    const r = runMetal("devices", { legacy, disk });
    assertEquals(r.code, 0);
    assert(sector(disk, 5).every((b) => b === 0xa5), "sector 5 holds the written bytes");
    assertEquals(sector(disk, 4), sector(metalDisk(), 4), "sector 4 untouched");
    assertEquals(sector(disk, 6), sector(metalDisk(), 6), "sector 6 untouched");
  }
});

Deno.test("metal testkernel: write N B fills sector N of the image; read N checksums it", () => {
  const disk = metalDisk();
  const r = runMetal("testkernel", {
    cpus: 2,
    disk,
    script: ["write 9 66", "read 9"],
    budget: 20_000_000,
  });
  assert(sector(disk, 9).every((b) => b === 66));
  assertEquals(sector(disk, 10), sector(metalDisk(), 10));
  // FNV-1a of 512 bytes of 66, computed here.
  let h = 2166136261;
  for (let i = 0; i < SECTOR; i++) h = Math.imul(h ^ 66, 16777619) >>> 0;
  assert(r.output.includes(`sector 9: fnv1a ${h.toString(16)}\n`), r.output);
  assertEquals(r.code, null, "still running: no exit was typed");
});

Deno.test("metal devices: a wrong board is caught (a 32-sector disk fails the capacity check)", () => {
  const r = runMetal("devices", { disk: metalDisk(32) });
  assert(r.output.includes("FAIL virtio config: capacity 64 sectors\n"), r.output);
  assertEquals(r.code, 1);
});

// With QEMU installed, the transcripts must still be what it prints for the
// committed images (a rebuilt program needs `deno run ... tests/metal_qemu.ts`).
const qemu = await qemuVersion();
Deno.test({
  name: qemu === null
    ? "metal: QEMU reproduces tests/metal_qemu.json (ignored: no qemu-system-riscv64)"
    : "metal: QEMU reproduces tests/metal_qemu.json",
  ignore: qemu === null,
  fn: async () => {
    for (const c of METAL_CASES) {
      const q = await record(c);
      assertEquals(q, recorded.runs[c.name], c.name);
    }
  },
});
