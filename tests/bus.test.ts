// The bus: devices found by address, 8-byte accesses split low word first, and the
// access sizes each device takes (QEMU's: a wrong size is an access fault).

import assert from "./deps.ts";
import { Bus } from "../machine/bus.ts";
import { Clint } from "../machine/devices/clint.ts";
import { Uart16550 } from "../machine/devices/uart16550.ts";
import { Plic } from "../machine/devices/plic.ts";
import { ConsoleDevice } from "../machine/console.ts";
import * as V from "../machine/devices/virt.ts";

/** A bus with a CLINT (time fixed at 1234), a PLIC and a UART at virt's addresses. */
function board(): Bus {
  const bus = new Bus();
  const plic = new Plic({ harts: 1 });
  bus.map(V.CLINT, V.CLINT_REGION, new Clint(1, () => 1234));
  bus.map(V.PLIC, V.plicRegion(1), plic);
  bus.map(V.UART0, V.UART0_REGION, new Uart16550(new ConsoleDevice(), plic, V.UART0_IRQ));
  return bus;
}

Deno.test("bus: an 8-byte device read is two 4-byte reads, low word first", () => {
  const bus = board();
  assert.ok(bus.read(V.CLINT + 0xbff8, 8));
  assert.equal(bus.lo, 1234);
  assert.equal(bus.hi, 0);
  assert.ok(bus.write(V.CLINT + 0x4000, 8, 5, 1));
  assert.ok(bus.read(V.CLINT + 0x4000, 8));
  assert.deepEqual([bus.lo, bus.hi], [5, 1]);
});

Deno.test("bus: sizes a device refuses are access faults; addresses outside windows too", () => {
  const bus = board();
  assert.equal(bus.read(V.CLINT + 0xbff8, 1), false, "CLINT takes no byte reads");
  assert.equal(bus.write(V.PLIC + 4, 2, 1, 0), false, "PLIC takes 32-bit accesses only");
  assert.ok(bus.read(V.UART0 + 5, 1), "UART LSR by byte");
  assert.equal(bus.read(V.UART0 + 8, 1), false, "past the UART's eight registers");
  assert.equal(bus.read(0x3000_0000, 4), false, "no device there");
  assert.ok(bus.claims(V.CLINT + 0xbff8), "claims() is about the window, not the size");
  assert.equal(bus.claims(0x3000_0000), false);
});
