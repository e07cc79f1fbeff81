// The CLI's read-only view of a disk image's root directory.

import { assert, assertEquals } from "./deps.ts";
import { RootDir, sameBytes } from "../kernel/fsroot.ts";
import { mkfs, mkfsLayout } from "../kernel/mkfs.ts";
import { fsFiles } from "../userland/images.ts";

Deno.test("RootDir lists the files mkfs put in the root directory, and reads them", () => {
  const root = new RootDir(mkfs(fsFiles));
  for (const f of fsFiles) {
    assert(root.has(f.name), f.name);
    const bytes = root.read(f.name);
    assert(bytes !== null && sameBytes(bytes, f.bytes), `${f.name} reads back intact`);
  }
  assert(root.has(".") && root.has(".."));
  assert(!root.has("nosuchfile"));
  assertEquals(root.read("nosuchfile"), null);
});

Deno.test("RootDir reads a file that needs the indirect block", () => {
  const big = new Uint8Array(200 * 1024).map((_, i) => (i * 31) & 0xff);
  const root = new RootDir(mkfs([{ name: "big", bytes: big }]));
  assert(sameBytes(root.read("big")!, big));
});

Deno.test("RootDir refuses a root directory pointing outside the image", () => {
  const img = mkfs(fsFiles);
  // Truncate the image just before the root's data block (the first one after the bitmap).
  const firstData = mkfsLayout().bmapstart + 1;
  let failed = false;
  try {
    new RootDir(img.subarray(0, firstData * 1024));
  } catch (e) {
    failed = e instanceof Error && e.message.includes("outside the image");
  }
  assert(failed);
});
