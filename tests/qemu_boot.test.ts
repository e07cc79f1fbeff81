// `xv6lazy qemu` end to end: the options of real xv6 Makefiles' QEMUOPTS lines, with
// the project's own little kernel userland/metal/echodisk in place of kernel/kernel
// (it prints through the UART, keeps a boot count in the disk's first sector, echoes
// the console until '.', and powers off with status 3). Checked: console output and
// input through pipes, the disk written through (and not under -snapshot), QEMU's
// Ctrl-A escapes and monitor, SIGTERM, a taken gdb port, and -S with a gdb client.

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { join } from "../machine/deps.ts";
import { QemuChild } from "./qemu_harness.ts";
import { GdbClient } from "./gdb_client.ts";

const KERNEL = "userland/metal/bin/echodisk";
const LABEL = "xv6lazy test disk";
/** Where echodisk keeps its boot count, and its status at '.'. */
const COUNT_AT = 64;
const DONE_STATUS = 3;

/** A Makefile's QEMUOPTS (2020's, 82981fa) with our kernel and image, split into words. */
function opts2020(img: string): string[] {
  const line = `-machine virt -bios none -kernel ${KERNEL} -m 128M -smp 3 -nographic ` +
    `-drive file=${img},if=none,format=raw,id=x0 ` +
    `-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0`;
  return line.split(" ");
}

/** 2022's (cd00a82): the modern virtio layout. */
function opts2022(img: string): string[] {
  const o = opts2020(img);
  o.splice(o.indexOf("-drive"), 0, "-global", "virtio-mmio.force-legacy=false");
  return o;
}

/** A fresh 64 KiB disk image labelled for echodisk, with boot count 0. */
function makeDisk(): string {
  const dir = Deno.makeTempDirSync({ prefix: "xv6lazy-qemu-" });
  const img = join(dir, "fs.img");
  const bytes = new Uint8Array(64 * 1024);
  bytes.set(new TextEncoder().encode(LABEL));
  Deno.writeFileSync(img, bytes);
  return img;
}

/** The boot count in an image file. */
function bootCount(img: string): number {
  return Deno.readFileSync(img)[COUNT_AT];
}

Deno.test("qemu: a 2020 Makefile's options: console out and in through pipes, the disk written through, exit with the finisher's status", async () => {
  const img = makeDisk();
  const q = new QemuChild(opts2020(img));
  await q.waitFor("echoing until '.'");
  assertEquals(bootCount(img), 1, "the guest's write reached the file while it runs");
  await q.type("hello, xv6lazy\n.");
  const r = await q.finish();
  assertEquals(r.code, DONE_STATUS, r.stderr);
  assertEquals(
    r.stdout,
    "echodisk: virtio-mmio version 1\n" +
      `echodisk: label "${LABEL}", boot count 0\n` +
      "echodisk: echoing until '.'\n" +
      "hello, xv6lazy\n\n" +
      "echodisk: done\n",
  );
  assertEquals(r.stderr, "");
});

Deno.test("qemu: 2022's force-legacy=false gives the modern layout; -snapshot leaves the file as it was", async () => {
  const img = makeDisk();
  const before = Deno.readFileSync(img);
  for (let i = 0; i < 2; i++) {
    const q = new QemuChild([...opts2022(img), "-snapshot"]);
    await q.waitFor("echoing");
    await q.type(".");
    const r = await q.finish();
    assertEquals(r.code, DONE_STATUS, r.stderr);
    assertMatch(r.stdout, /virtio-mmio version 2\n.*boot count 0\n/);
  }
  assertEquals(Deno.readFileSync(img), before);
  // Without -snapshot the same boots count.
  for (let i = 0; i < 2; i++) {
    const q = new QemuChild(opts2022(img));
    await q.waitFor("echoing");
    await q.type(".");
    assertEquals((await q.finish()).code, DONE_STATUS);
  }
  assertEquals(bootCount(img), 2);
});

Deno.test("qemu: Ctrl-A h lists the keys, Ctrl-A Ctrl-A types one Ctrl-A, Ctrl-A x quits with status 0", async () => {
  const img = makeDisk();
  const q = new QemuChild(opts2020(img));
  await q.waitFor("echoing");
  await q.type("ab\x01\x01cd\x01h");
  await q.waitFor("Ctrl-A x");
  await q.waitFor("ab\x01cd");
  await q.type("\x01x");
  const r = await q.finish(false); // stdin still open: the quit alone ends it
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /Ctrl-A h +show these keys\n/);
  assertMatch(r.stdout, /xv6lazy qemu: terminated\n$/);
  assertEquals(bootCount(img), 1);
});

Deno.test("qemu: the monitor (Ctrl-A c): info registers, stop and cont, quit", async () => {
  const q = new QemuChild(opts2020(makeDisk()));
  await q.waitFor("echoing");
  await q.type("\x01cinfo registers\r");
  await q.waitFor(" x31/t6 ");
  assertMatch(q.stdout, /\(qemu\) info registers\nhart 0 {2}mode M\n pc {7}[0-9a-f]{16}\n/);
  await q.type("stop\nbogus\n");
  await q.waitFor("unknown command: 'bogus'");
  await q.type("cont\n\x01c.");
  await q.waitFor("echodisk: done");
  const r = await q.finish(false);
  assertEquals(r.code, DONE_STATUS);
  // -S without -gdb waits for the monitor's cont.
  const s = new QemuChild([...opts2020(makeDisk()), "-S"]);
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(s.stdout, "", "nothing runs before cont");
  await s.type("\x01ccont\n");
  await s.waitFor("echoing");
  await s.type("quit\n"); // still in the monitor
  assertEquals((await s.finish(false)).code, 0);
});

Deno.test("qemu: SIGTERM ends it cleanly: status 0, one line on stderr, the disk flushed", async () => {
  const img = makeDisk();
  const q = new QemuChild(opts2020(img));
  await q.waitFor("echoing");
  await q.type("xyz");
  await q.waitFor("xyz");
  q.kill("SIGTERM");
  const r = await q.finish(false);
  assertEquals([r.code, r.signal], [0, null]);
  assertEquals(r.stderr, "xv6lazy qemu: terminating on signal 15\n");
  assertEquals(bootCount(img), 1);
});

Deno.test("qemu: -m 3G (2019 Makefiles) boots with a one-line note; -smp 9 and a taken gdb port are one-line errors", async () => {
  const img = makeDisk();
  const m3g = opts2020(img).map((w) => w === "128M" ? "3G" : w);
  const q = new QemuChild(m3g);
  await q.waitFor("echoing");
  await q.type(".");
  const r = await q.finish();
  assertEquals(r.code, DONE_STATUS);
  assertMatch(r.stderr, /^xv6lazy qemu: -m 3072M: giving the board 1024 MiB of RAM[^\n]*\n$/);
  const smp = await new QemuChild(opts2020(img).map((w) => w === "3" ? "9" : w)).finish();
  assertEquals(smp.code, 1);
  assertEquals(smp.stderr, "xv6lazy qemu: -smp 9: the board has at most 8 harts\n");
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const g = await new QemuChild([...opts2020(img), "-S", "-gdb", `tcp::${port}`]).finish();
    assertEquals(g.code, 1);
    assertMatch(g.stderr, new RegExp(`^xv6lazy qemu: -gdb tcp::${port}: [^\\n]*in use[^\\n]*\\n$`));
    assertEquals(g.stdout, "");
  } finally {
    taken.close();
  }
});

Deno.test("qemu: -S -gdb waits for gdb; c runs it, Ctrl-C stops it, k ends it with status 0", async () => {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  const q = new QemuChild([...opts2020(makeDisk()), "-S", "-gdb", `tcp::${port}`]);
  let gdb: GdbClient | null = null;
  for (let i = 0; gdb === null; i++) {
    try {
      gdb = await GdbClient.connect(port);
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50)); // the child is still starting
    }
  }
  try {
    assertEquals(q.stdout, "", "nothing ran before gdb said so");
    assertEquals(await gdb.ask("?"), "T05thread:01;");
    await gdb.send("c");
    await q.waitFor("echoing");
    await gdb.raw("\x03");
    assertEquals(await gdb.packet(), "T02thread:01;");
    await gdb.send("k");
    assertEquals(await gdb.packet(), "W00");
  } finally {
    gdb.close();
  }
  const r = await q.finish();
  assertEquals(r.code, 0, r.stderr);
  assert(!r.stdout.includes("done"));
});
