// The sifive_test finisher: pass, fail with a code, reset; everything else ignored.

import assert, { assertEquals } from "./deps.ts";
import { TestBus } from "./devices_harness.ts";
import { type FinisherKind, TestFinisher } from "../machine/devices/testdev.ts";
import { VIRT_TEST, VIRT_TEST_SIZE } from "../machine/devices/virt.ts";

function setup() {
  const seen: Array<[FinisherKind, number]> = [];
  const dev = new TestFinisher((k, c) => seen.push([k, c]));
  return { dev, b: new TestBus(VIRT_TEST, VIRT_TEST_SIZE, dev), seen };
}

Deno.test("testdev: 0x5555 passes, 0x3333 fails with the code above it, 0x7777 resets", () => {
  const { b, seen } = setup();
  b.w32(0, 0x5555);
  b.w32(0, 0x3333 | (42 << 16));
  b.w32(0, 0xffff_3333);
  b.w32(0, 0x7777);
  b.write(0, 2, 0x5555); // a halfword store works too
  assertEquals(seen, [["pass", 0], ["fail", 42], ["fail", 0xffff], ["reset", 0], ["pass", 0]]);
});

Deno.test("testdev: other values and offsets are ignored; reads give 0", () => {
  const { dev, b, seen } = setup();
  b.w32(0, 0x1234);
  b.w32(0, 0x0001_5554);
  b.w32(4, 0x5555);
  b.w32(0xffc, 0x3333);
  assertEquals(seen, []);
  assertEquals(b.r32(0), 0);
  assertEquals(b.r32(0x10), 0);
  assert(dev.accessOk(0, 4) && dev.accessOk(0, 2) && !dev.accessOk(0, 1) && !dev.accessOk(0, 8));
});
