// PLIC: priorities (3-bit WARL), pending bits, per-context enables and thresholds,
// claim/complete, priority order and ties, the QEMU-style gateway (and the spec's
// re-sampling one as an option), and the external-interrupt lines of each hart.

import assert, { assertEquals } from "./deps.ts";
import { TestBus } from "./devices_harness.ts";
import { Plic, type PlicOptions } from "../machine/devices/plic.ts";
import { PLIC, PLIC_SIZE, UART0_IRQ, VIRTIO0_IRQ } from "../machine/devices/virt.ts";

const prio = (id: number) => 4 * id;
const pendingWord = (w: number) => 0x1000 + 4 * w;
const enable = (ctx: number, w = 0) => 0x2000 + 0x80 * ctx + 4 * w;
const threshold = (ctx: number) => 0x20_0000 + 0x1000 * ctx;
const claim = (ctx: number) => 0x20_0004 + 0x1000 * ctx;
/** xv6's context numbers: hart h's S mode is 2h+1, M mode 2h. */
const S = (hart: number) => 2 * hart + 1;
const M = (hart: number) => 2 * hart;

function setup(opts: Partial<PlicOptions> = {}) {
  const events: Array<[number, boolean, boolean]> = [];
  const plic = new Plic({
    harts: 3,
    onExternal: (h, s, l) => events.push([h, s, l]),
    ...opts,
  });
  const b = new TestBus(PLIC, PLIC_SIZE, plic);
  return { plic, b, events };
}

/** Bit mask for source id within its 32-bit word. */
const bit = (id: number) => (1 << (id % 32)) >>> 0;

Deno.test("plic: reset state: nothing pending, enabled or claimable", () => {
  const { plic, b, events } = setup();
  for (let id = 0; id < 96; id++) assertEquals(b.r32(prio(id)), 0);
  for (let w = 0; w < 3; w++) assertEquals(b.r32(pendingWord(w)), 0);
  for (let ctx = 0; ctx < 6; ctx++) {
    assertEquals(b.r32(enable(ctx)), 0);
    assertEquals(b.r32(threshold(ctx)), 0);
    assertEquals(b.r32(claim(ctx)), 0);
  }
  assert(!plic.external(0, true) && !plic.external(2, false));
  assertEquals(events, []);
});

Deno.test("plic: priorities keep 3 bits; source 0 and sources past 95 have none", () => {
  const { b } = setup();
  b.w32(prio(10), 0xffff_ffff);
  assertEquals(b.r32(prio(10)), 7);
  b.w32(prio(10), 9);
  assertEquals(b.r32(prio(10)), 1);
  b.w32(prio(95), 3);
  assertEquals(b.r32(prio(95)), 3);
  b.w32(prio(0), 5);
  assertEquals(b.r32(prio(0)), 0);
  b.w32(prio(96), 5);
  assertEquals(b.r32(prio(96)), 0);
});

Deno.test("plic: thresholds keep 3 bits per context; absent contexts read 0", () => {
  const { b } = setup();
  b.w32(threshold(S(1)), 0xffff_ffff);
  assertEquals(b.r32(threshold(S(1))), 7);
  b.w32(threshold(M(2)), 2);
  assertEquals(b.r32(threshold(M(2))), 2);
  assertEquals(b.r32(threshold(S(0))), 0);
  b.w32(threshold(6), 3); // 3 harts: contexts 0..5
  assertEquals(b.r32(threshold(6)), 0);
  assertEquals(b.r32(claim(6)), 0);
  assertEquals(b.r32(threshold(S(1)) + 8), 0); // hole in a context page
});

Deno.test("plic: enable words per context, three words for 96 sources", () => {
  const { b } = setup();
  b.w32(enable(S(0), 0), 0xffff_ffff);
  b.w32(enable(S(0), 2), 0x8000_0001);
  b.w32(enable(S(0), 3), 0xffff_ffff); // no word 3
  assertEquals(b.r32(enable(S(0), 0)), 0xffff_ffff); // QEMU keeps bit 0 too
  assertEquals(b.r32(enable(S(0), 2)), 0x8000_0001);
  assertEquals(b.r32(enable(S(0), 3)), 0);
  assertEquals(b.r32(enable(M(0), 0)), 0);
  assertEquals(b.r32(enable(S(1), 0)), 0);
  b.w32(enable(6), 1); // absent context
  assertEquals(b.r32(enable(6)), 0);
});

Deno.test("plic: a raised line sets its pending bit; the pending words are read-only", () => {
  const { plic, b } = setup();
  plic.setIrq(UART0_IRQ, true);
  plic.setIrq(33, true);
  plic.setIrq(95, true);
  assertEquals(b.r32(pendingWord(0)), bit(UART0_IRQ));
  assertEquals(b.r32(pendingWord(1)), bit(33));
  assertEquals(b.r32(pendingWord(2)), bit(95));
  b.w32(pendingWord(0), 0);
  assertEquals(b.r32(pendingWord(0)), bit(UART0_IRQ));
  plic.setIrq(0, true); // no source 0
  plic.setIrq(96, true);
  plic.setIrq(-1, true);
  assertEquals(b.r32(pendingWord(0)), bit(UART0_IRQ));
  assert(plic.isPending(UART0_IRQ) && !plic.isPending(0) && !plic.isPending(96));
});

Deno.test("plic: the xv6 cycle: enable, raise, SEIP, claim, complete", () => {
  const { plic, b, events } = setup();
  // plicinit() and plicinithart() for hart 0, S mode.
  b.w32(prio(UART0_IRQ), 1);
  b.w32(prio(VIRTIO0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ) | bit(VIRTIO0_IRQ));
  b.w32(threshold(S(0)), 0);
  assertEquals(events, []);
  plic.setIrq(UART0_IRQ, true);
  assertEquals(events, [[0, true, true]]); // hart 0's SEIP; its M context has nothing enabled
  assert(plic.external(0, true) && !plic.external(0, false) && !plic.external(1, true));
  // devintr(): claim, handle, complete.
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
  assertEquals(events, [[0, true, true], [0, true, false]]);
  assert(plic.isClaimed(UART0_IRQ) && !plic.isPending(UART0_IRQ));
  assertEquals(b.r32(claim(S(0))), 0); // nothing else
  plic.setIrq(UART0_IRQ, false); // the handler satisfied the UART
  b.w32(claim(S(0)), UART0_IRQ);
  assert(!plic.isClaimed(UART0_IRQ));
  assertEquals(events.length, 2);
  assert(!plic.external(0, true));
});

Deno.test("plic: QEMU gateway: completion does not re-sample a line left high", () => {
  const { plic, b, events } = setup();
  b.w32(prio(UART0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ));
  plic.setIrq(UART0_IRQ, true);
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
  b.w32(claim(S(0)), UART0_IRQ); // line still high, but no new raise
  assert(!plic.isPending(UART0_IRQ));
  assert(!plic.external(0, true));
  assertEquals(b.r32(claim(S(0))), 0);
  assertEquals(events, [[0, true, true], [0, true, false]]);
  // The device raising again (its state changed) makes it pending again.
  plic.setIrq(UART0_IRQ, true);
  assert(plic.external(0, true));
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
});

Deno.test("plic: QEMU gateway: a raise while claimed is held until completion", () => {
  const { plic, b, events } = setup();
  b.w32(prio(VIRTIO0_IRQ), 1);
  b.w32(enable(S(0)), bit(VIRTIO0_IRQ));
  plic.setIrq(VIRTIO0_IRQ, true);
  assertEquals(b.r32(claim(S(0))), VIRTIO0_IRQ);
  plic.setIrq(VIRTIO0_IRQ, false);
  plic.setIrq(VIRTIO0_IRQ, true); // a second request finishes during the handler
  assert(plic.isPending(VIRTIO0_IRQ));
  assert(!plic.external(0, true)); // claimed: no interrupt yet
  b.w32(claim(S(0)), VIRTIO0_IRQ);
  assert(plic.external(0, true));
  assertEquals(events, [[0, true, true], [0, true, false], [0, true, true]]);
  assertEquals(b.r32(claim(S(0))), VIRTIO0_IRQ);
});

Deno.test("plic: QEMU gateway: lowering a line does not withdraw a pending request", () => {
  const { plic, b } = setup();
  b.w32(prio(UART0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ));
  plic.setIrq(UART0_IRQ, true);
  plic.setIrq(UART0_IRQ, false);
  assert(plic.isPending(UART0_IRQ));
  assert(plic.external(0, true));
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
});

Deno.test("plic: spec gateway (resample): completion re-arms from the line", () => {
  const { plic, b, events } = setup({ resample: true });
  b.w32(prio(UART0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ));
  plic.setIrq(UART0_IRQ, true);
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
  plic.setIrq(UART0_IRQ, true); // ignored while claimed
  assert(!plic.isPending(UART0_IRQ));
  b.w32(claim(S(0)), UART0_IRQ); // line still high: pending again
  assert(plic.isPending(UART0_IRQ) && plic.external(0, true));
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
  plic.setIrq(UART0_IRQ, false);
  b.w32(claim(S(0)), UART0_IRQ); // line low now: stays quiet
  assert(!plic.isPending(UART0_IRQ) && !plic.external(0, true));
  assertEquals(events, [[0, true, true], [0, true, false], [0, true, true], [0, true, false]]);
});

Deno.test("plic: threshold masks priorities at or below it", () => {
  const { plic, b, events } = setup();
  b.w32(prio(UART0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ));
  b.w32(threshold(S(0)), 1);
  plic.setIrq(UART0_IRQ, true);
  assert(!plic.external(0, true));
  assertEquals(b.r32(claim(S(0))), 0); // claim honours the threshold too (as QEMU)
  assert(plic.isPending(UART0_IRQ));
  b.w32(prio(UART0_IRQ), 2); // now above it
  assert(plic.external(0, true));
  b.w32(threshold(S(0)), 2); // and masked again by raising the threshold
  assert(!plic.external(0, true));
  b.w32(threshold(S(0)), 0);
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
  assertEquals(events, [[0, true, true], [0, true, false], [0, true, true], [0, true, false]]);
});

Deno.test("plic: priority 0 never interrupts", () => {
  const { plic, b } = setup();
  b.w32(enable(S(0)), bit(5));
  plic.setIrq(5, true);
  assert(plic.isPending(5));
  assert(!plic.external(0, true));
  assertEquals(b.r32(claim(S(0))), 0);
});

Deno.test("plic: claims come in priority order, lowest id first among equals", () => {
  const { plic, b } = setup();
  const ids = [1, 10, 33, 70, 95];
  const prios = [2, 5, 5, 7, 5];
  ids.forEach((id, i) => b.w32(prio(id), prios[i]));
  b.w32(enable(S(2), 0), bit(1) | bit(10));
  b.w32(enable(S(2), 1), bit(33));
  b.w32(enable(S(2), 2), bit(70) | bit(95));
  for (const id of ids) plic.setIrq(id, true);
  const order = [];
  for (let n = 0; n < 6; n++) order.push(b.r32(claim(S(2))));
  assertEquals(order, [70, 10, 33, 95, 1, 0]);
  assert(!plic.external(2, true));
  b.w32(claim(S(2)), 33);
  assert(!plic.external(2, true)); // completed but not raised again
});

Deno.test("plic: contexts are independent, claims are shared by all of them", () => {
  const { plic, b, events } = setup();
  b.w32(prio(UART0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ));
  b.w32(enable(S(1)), bit(UART0_IRQ));
  b.w32(enable(M(2)), bit(UART0_IRQ));
  plic.setIrq(UART0_IRQ, true);
  assertEquals(events, [[0, true, true], [1, true, true], [2, false, true]]);
  events.length = 0;
  assertEquals(b.r32(claim(S(1))), UART0_IRQ); // hart 1 wins the race
  assertEquals(events, [[0, true, false], [1, true, false], [2, false, false]]);
  assertEquals(b.r32(claim(S(0))), 0); // hart 0 finds nothing (xv6 ignores irq 0)
  b.w32(claim(S(1)), UART0_IRQ);
  assertEquals(events.length, 3);
});

Deno.test("plic: complete ignores bad ids and, like QEMU, does not check enables", () => {
  const { plic, b } = setup();
  b.w32(prio(UART0_IRQ), 1);
  b.w32(enable(S(0)), bit(UART0_IRQ));
  plic.setIrq(UART0_IRQ, true);
  assertEquals(b.r32(claim(S(0))), UART0_IRQ);
  b.w32(claim(S(0)), 0);
  b.w32(claim(S(0)), 96);
  b.w32(claim(S(0)), 11); // not claimed
  assert(plic.isClaimed(UART0_IRQ));
  b.w32(enable(S(0)), 0);
  b.w32(claim(S(1)), UART0_IRQ); // another context, source not enabled anywhere
  assert(!plic.isClaimed(UART0_IRQ));
});

Deno.test("plic: enabling a pending source waits for the next update, as QEMU 7.2", () => {
  const { plic, b, events } = setup();
  b.w32(prio(VIRTIO0_IRQ), 3);
  plic.setIrq(VIRTIO0_IRQ, true);
  assertEquals(events, []);
  b.w32(enable(M(1)), bit(VIRTIO0_IRQ));
  assertEquals(events, []); // the enable alone re-evaluates nothing
  b.w32(threshold(M(1)), 0); // xv6 writes the threshold next: now the line goes up
  assertEquals(events, [[1, false, true]]);
  b.w32(enable(M(1)), 0);
  assertEquals(events, [[1, false, true]]);
  b.w32(prio(VIRTIO0_IRQ), 3); // a priority write re-evaluates too
  assertEquals(events, [[1, false, true], [1, false, false]]);
});

Deno.test("plic: byte access reaches one byte; QEMU takes only 32-bit accesses", () => {
  const { plic, b } = setup();
  b.w8(threshold(S(0)), 3);
  assertEquals(b.r32(threshold(S(0))), 3);
  b.w32(enable(S(0)), 0x1234_5678);
  assertEquals(b.r8(enable(S(0)) + 1), 0x56);
  b.write(enable(S(0)) + 2, 2, 0xabcd);
  assertEquals(b.r32(enable(S(0))), 0xabcd_5678);
  assert(plic.accessOk(0, 4) && !plic.accessOk(0, 1) && !plic.accessOk(0, 2));
  assert(!plic.accessOk(0, 8));
});
