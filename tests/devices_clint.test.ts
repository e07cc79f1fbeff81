// CLINT: msip bits and their callback, mtimecmp halves and 64-bit stores, mtime
// reads and writes, MTIP against the board's clock, holes and absent harts.

import assert, { assertEquals } from "./deps.ts";
import { TestBus } from "./devices_harness.ts";
import { Clint } from "../machine/devices/clint.ts";
import { CLINT, CLINT_SIZE } from "../machine/devices/virt.ts";

/** A CLINT for `harts` harts on a bus, with a settable clock and a log of callbacks. */
function setup(harts = 3) {
  const clock = { t: 0 };
  const msips: Array<[number, boolean]> = [];
  const cmps: number[] = [];
  const clint = new Clint(harts, () => clock.t, {
    onMsip: (h, l) => msips.push([h, l]),
    onTimecmp: (h) => cmps.push(h),
  });
  const b = new TestBus(CLINT, CLINT_SIZE, clint);
  return { clint, b, clock, msips, cmps };
}

Deno.test("clint: reset state is QEMU's: msip 0, mtimecmp 0, so MTIP is pending", () => {
  const { clint, b, clock } = setup();
  clock.t = 12345;
  for (let h = 0; h < 3; h++) {
    assertEquals(b.r32(4 * h), 0);
    assertEquals(b.read64(0x4000 + 8 * h), 0n);
    assertEquals(clint.timecmp(h), 0);
    assert(clint.mtip(h, clock.t));
    assert(!clint.msip(h));
  }
});

Deno.test("clint: msip keeps bit 0 only and reports every write", () => {
  const { clint, b, msips } = setup();
  b.w32(4 * 1, 0xffff_ffff);
  assertEquals(b.r32(4), 1);
  assert(clint.msip(1) && !clint.msip(0) && !clint.msip(2));
  b.w32(4 * 1, 2); // bit 0 clear: the interrupt goes away
  assertEquals(b.r32(4), 0);
  b.w32(4 * 2, 1);
  assertEquals(msips, [[1, true], [1, false], [2, true]]);
  b.w32(4 * 5, 1); // no hart 5: ignored
  assertEquals(b.r32(4 * 5), 0);
  assertEquals(msips.length, 3);
});

Deno.test("clint: mtimecmp is written as two halves and read back whole", () => {
  const { clint, b, cmps } = setup();
  b.w32(0x4008, 0x89ab_cdef); // hart 1, low
  assertEquals(clint.timecmp(1), 0x89ab_cdef);
  b.w32(0x400c, 0x0123_4567); // hart 1, high
  assertEquals(b.read64(0x4008), 0x0123_4567_89ab_cdefn);
  assertEquals(b.r32(0x400c), 0x0123_4567);
  assertEquals(cmps, [1, 1]);
  // A 64-bit store arrives as two 4-byte writes, low word first (as xv6's timerinit does).
  b.write64(0x4010, 5_000_000n);
  assertEquals(clint.timecmp(2), 5_000_000);
  assertEquals(cmps, [1, 1, 2, 2]);
  assertEquals(clint.timecmp(0), 0); // other harts untouched
});

Deno.test("clint: MTIP follows mtime >= mtimecmp", () => {
  const { clint, b, clock } = setup(1);
  b.write64(0x4000, 1000n);
  clock.t = 999;
  assert(!clint.mtip(0, clock.t));
  clock.t = 1000;
  assert(clint.mtip(0, clock.t));
  assertEquals(clint.deadline(0), 1000);
  // Pushing the deadline forward (what timervec does) clears it again.
  b.write64(0x4000, 2000n);
  assert(!clint.mtip(0, clock.t));
  assertEquals(clint.deadline(0), 2000);
});

Deno.test("clint: mtimecmp of all ones stays in the future, compared exactly", () => {
  const { clint, b } = setup(1);
  b.write64(0x4000, 0xffff_ffff_ffff_ffffn);
  assertEquals(b.read64(0x4000), 0xffff_ffff_ffff_ffffn);
  assert(!clint.mtip(0, Number.MAX_SAFE_INTEGER));
  assert(clint.timecmp(0) > Number.MAX_SAFE_INTEGER);
  // 2^53 + 1 is not a JS number, but times below 2^53 still compare right.
  b.write64(0x4000, (1n << 53n) + 1n);
  assert(!clint.mtip(0, Number.MAX_SAFE_INTEGER));
});

Deno.test("clint: mtime reads the board's clock, in halves or whole", () => {
  const { b, clock } = setup();
  clock.t = 0x1_2345_6789;
  assertEquals(b.r32(0xbff8), 0x2345_6789);
  assertEquals(b.r32(0xbffc), 1);
  assertEquals(b.read64(0xbff8), 0x1_2345_6789n);
  clock.t = 7;
  assertEquals(b.read64(0xbff8), 7n);
});

Deno.test("clint: writing mtime moves it by an offset that MTIP and deadlines follow", () => {
  const { clint, b, clock, cmps } = setup(2);
  clock.t = 100;
  b.write64(0x4000, 5000n);
  cmps.length = 0;
  b.w32(0xbff8, 4000); // mtime low half := 4000 (high half is 0)
  assertEquals(cmps, [0, 1]); // every hart told to re-check
  assertEquals(clint.mtime(clock.t), 4000);
  assertEquals(b.read64(0xbff8), 4000n);
  clock.t = 1099; // 999 ticks later
  assertEquals(clint.mtime(clock.t), 4999);
  assert(!clint.mtip(0, clock.t));
  clock.t = 1100;
  assert(clint.mtip(0, clock.t));
  assertEquals(clint.deadline(0), 1100);
  b.w32(0xbffc, 1); // high half
  assertEquals(b.read64(0xbff8), 0x1_0000_0000n + 5000n);
});

Deno.test("clint: holes and absent harts read 0 and ignore writes; QEMU's access sizes", () => {
  const { clint, b, cmps } = setup(3);
  assertEquals(b.r32(0x4000 + 8 * 3), 0); // mtimecmp of hart 3
  b.w32(0x4000 + 8 * 3, 1);
  assertEquals(cmps.length, 0);
  assertEquals(b.r32(0x3ff8), 0);
  assertEquals(b.r32(0xbff0), 0);
  assertEquals(b.r32(0xc000), 0);
  b.w32(0xc000, 1);
  assertEquals(b.r32(0xc000), 0);
  // Byte access reaches the right byte (QEMU would fault; see accessOk).
  b.write64(0x4000, 0x1122_3344_5566_7788n);
  assertEquals(b.r8(0x4001), 0x77);
  assertEquals(b.read(0x4006, 2), 0x1122);
  assertEquals(b.read(0x4005, 2), 0x2233);
  b.w8(0x4000, 0xaa);
  assertEquals(b.read64(0x4000), 0x1122_3344_5566_77aan);
  assert(clint.accessOk(0, 4) && !clint.accessOk(0, 1) && !clint.accessOk(0, 8));
  assert(clint.accessOk(0x4000, 8) && clint.accessOk(0xbffc, 4) && !clint.accessOk(0x4000, 2));
  assert(!clint.accessOk(0xbffc, 8) && !clint.accessOk(0xc000, 4));
});
