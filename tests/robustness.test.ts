// The emulator never crashes on what user code does: programs made of random
// instruction bytes are run to their end and the kernel kills them (or they exit);
// corrupt program files are refused by exec.

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { runProgram } from "./boot.ts";
import { mkfs } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";
import { bytes, elf } from "./tiny_elf.ts";

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
