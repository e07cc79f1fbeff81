// UART 16550: reset values, the divisor latch, transmit (polled and with the
// THR-empty interrupt), receive from the console queue with its interrupt, IIR
// priorities, FIFO control and trigger levels, loopback, overrun and line-status
// interrupts, and the UART and PLIC together as xv6's uartintr() drives them.

import assert, { assertEquals } from "./deps.ts";
import { RecordingIrq, TestBus } from "./devices_harness.ts";
import { Uart16550 } from "../machine/devices/uart16550.ts";
import { Plic } from "../machine/devices/plic.ts";
import { UART0, UART0_IRQ, UART0_SIZE } from "../machine/devices/virt.ts";
import { CapturedOutput, ConsoleDevice } from "../machine/console.ts";

const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5;
const MSR = 6, SCR = 7;

function setup() {
  const out = new CapturedOutput();
  const con = new ConsoleDevice(out.sink);
  const irq = new RecordingIrq();
  const uart = new Uart16550(con, irq);
  const b = new TestBus(UART0, UART0_SIZE, uart);
  return { uart, b, con, out, irq, line: () => irq.level(UART0_IRQ) };
}

/** xv6's uartinit(): 38.4K baud, 8 bits, FIFOs on and cleared, both interrupts on. */
function xv6Init(b: TestBus) {
  b.w8(IER, 0x00);
  b.w8(LCR, 0x80);
  b.w8(DLL, 0x03);
  b.w8(DLM, 0x00);
  b.w8(LCR, 0x03);
  b.w8(FCR, 0x07);
  b.w8(IER, 0x03);
}

Deno.test("uart: reset values are QEMU 7.2's", () => {
  const { b, line } = setup();
  assertEquals([IER, IIR, LCR, MCR, LSR, MSR, SCR].map((r) => b.r8(r)), [
    0x00,
    0x01,
    0x00,
    0x08,
    0x60,
    0xb0,
    0x00,
  ]);
  assertEquals(b.r8(RBR), 0);
  b.w8(LCR, 0x80);
  assertEquals([b.r8(DLL), b.r8(DLM)], [0x0c, 0x00]);
  assert(!line());
});

Deno.test("uart: DLAB switches offsets 0 and 1 to the divisor latch", () => {
  const { b, out } = setup();
  b.w8(LCR, 0x83);
  b.w8(DLL, 0x03);
  b.w8(DLM, 0x12);
  assertEquals([b.r8(DLL), b.r8(DLM), b.r8(LCR)], [0x03, 0x12, 0x83]);
  assertEquals(out.text(), ""); // the DLL write sent nothing
  b.w8(LCR, 0x03);
  assertEquals(b.r8(IER), 0); // IER untouched by the DLM write
  b.w8(IER, 0x01);
  b.w8(LCR, 0x80);
  assertEquals(b.r8(DLM), 0x12);
  b.w8(LCR, 0x00);
  assertEquals(b.r8(IER), 0x01);
});

Deno.test("uart: polled output as uartputc_sync does it", () => {
  const { b, out, irq } = setup();
  xv6Init(b);
  b.r8(IIR); // acknowledge the THR-empty interrupt uartinit raises
  b.w8(IER, 0x00); // no interrupts
  for (const c of "hi\n") {
    assert(b.r8(LSR) & 0x20); // LSR_TX_IDLE
    b.w8(THR, c.charCodeAt(0));
  }
  assertEquals(out.text(), "hi\n");
  assertEquals(b.r8(LSR), 0x60);
  assert(!irq.level(UART0_IRQ));
});

Deno.test("uart: THR-empty interrupt: raised by IER, cleared by IIR, re-raised after each byte", () => {
  const { b, out, line } = setup();
  xv6Init(b);
  // uartinit itself leaves a THR-empty interrupt pending, as on QEMU.
  assert(line());
  assertEquals(b.r8(IIR), 0xc2);
  assertEquals(b.r8(IIR), 0xc1); // that read cleared it
  assert(!line());
  b.w8(THR, 0x41); // xv6 2024+'s uartwrite(): one byte, then sleep until the interrupt
  assert(line());
  assertEquals(b.r8(IIR), 0xc2);
  assert(!line());
  b.w8(IER, 0x01); // switching THRI off and on again re-raises it while THR is empty
  assert(!line());
  b.w8(IER, 0x03);
  assert(line());
  b.w8(IER, 0x03); // no change: nothing happens
  assertEquals(b.r8(IIR), 0xc2);
  assertEquals(out.text(), "A");
});

Deno.test("uart: without IER bit 1 no THR-empty interrupt, but the condition is remembered", () => {
  const { b, line } = setup();
  b.w8(FCR, 0x01);
  b.w8(THR, 0x42);
  assert(!line());
  assertEquals(b.r8(IIR), 0xc1);
  b.w8(IER, 0x02);
  assert(line());
  assertEquals(b.r8(IIR), 0xc2);
});

Deno.test("uart: input arrives on update(), raises data-ready, drains by RBR reads", () => {
  const { uart, b, con, line } = setup();
  xv6Init(b);
  b.r8(IIR);
  con.pushInput("ls\n");
  assertEquals(b.r8(LSR) & 1, 0); // nothing until the board says input came
  assert(!line());
  uart.update();
  assert(line());
  assertEquals(b.r8(IIR), 0xc4);
  assertEquals(b.r8(LSR), 0x61);
  // uartintr(): read while LSR says data ready.
  let got = "";
  while (b.r8(LSR) & 1) got += String.fromCharCode(b.r8(RBR));
  assertEquals(got, "ls\n");
  assert(!line());
  assertEquals(b.r8(IIR), 0xc1);
  assertEquals(b.r8(RBR), 0); // empty FIFO reads 0
  assert(!con.hasInput());
});

Deno.test("uart: with trigger level 1 the FIFO takes one byte at a time, as QEMU's backend does", () => {
  const { uart, b, con } = setup();
  xv6Init(b);
  con.pushInput("abc");
  uart.update();
  assert(con.hasInput()); // b and c still queued on the host side
  assertEquals(b.r8(RBR), 0x61);
  assertEquals(b.r8(RBR), 0x62);
  assertEquals(b.r8(RBR), 0x63);
  assert(!con.hasInput());
});

Deno.test("uart: receive data outranks THR empty in IIR", () => {
  const { uart, b, con } = setup();
  xv6Init(b);
  con.pushInput("x");
  uart.update();
  assertEquals(b.r8(IIR), 0xc4); // THRE also pending, lower priority; not cleared by this read
  assertEquals(b.r8(RBR), 0x78);
  assertEquals(b.r8(IIR), 0xc2);
  assertEquals(b.r8(IIR), 0xc1);
});

Deno.test("uart: trigger level 4: fewer bytes give a character timeout, four give data ready", () => {
  const { uart, b, con } = setup();
  b.w8(FCR, 0x41); // FIFO on, trigger level 4
  b.w8(IER, 0x01);
  con.pushInput("1");
  uart.update();
  assertEquals(b.r8(IIR), 0xcc);
  con.pushInput("234567");
  uart.update();
  assertEquals(b.r8(IIR), 0xc4); // 4 bytes in the FIFO
  assertEquals(b.r8(RBR), 0x31);
  assertEquals(b.r8(IIR), 0xc4); // refilled to 4 from the queue ("5")
  let got = "";
  while (b.r8(LSR) & 1) got += String.fromCharCode(b.r8(RBR));
  assertEquals(got, "234567");
  assertEquals(b.r8(IIR), 0xc1);
});

Deno.test("uart: FCR: FIFO bits in IIR, receive reset, transmit reset raises THR empty", () => {
  const { uart, b, con, line } = setup();
  b.w8(FCR, 0x01);
  assertEquals(b.r8(IIR), 0xc1);
  con.pushInput("q");
  uart.update();
  assertEquals(b.r8(LSR) & 1, 1);
  b.w8(FCR, 0x03); // clear the receive FIFO
  assertEquals(b.r8(LSR) & 1, 0);
  b.w8(IER, 0x02);
  b.r8(IIR);
  assert(!line());
  b.w8(FCR, 0x05); // clear the transmit FIFO
  assert(line());
  assertEquals(b.r8(IIR), 0xc2);
  b.w8(FCR, 0x00); // FIFOs off
  assertEquals(b.r8(IIR) & 0xc0, 0);
});

Deno.test("uart: FIFOs off: one holding register; loopback overrun sets and LSR read clears OE", () => {
  const { b, out } = setup();
  b.w8(MCR, 0x10); // loopback
  b.w8(IER, 0x01);
  b.w8(THR, 0x57);
  assertEquals(b.r8(IIR), 0x04); // data ready, no FIFO bits
  b.w8(THR, 0x56);
  assertEquals(b.r8(LSR), 0x63); // data ready + overrun
  assertEquals(b.r8(LSR), 0x61); // read cleared OE
  assertEquals(b.r8(RBR), 0x56); // the newer byte won
  assertEquals(b.r8(LSR), 0x60);
  assertEquals(out.text(), "");
});

Deno.test("uart: loopback with FIFOs: 16 bytes kept in order, the 17th overruns", () => {
  const { uart, b, con, out } = setup();
  b.w8(FCR, 0x01);
  b.w8(MCR, 0x10);
  con.pushInput("host");
  uart.update(); // in loopback the host line is disconnected
  for (let i = 0; i < 17; i++) b.w8(THR, 0x61 + i);
  assertEquals(b.r8(LSR), 0x63);
  let got = "";
  while (b.r8(LSR) & 1) got += String.fromCharCode(b.r8(RBR));
  assertEquals(got, "abcdefghijklmnop");
  assertEquals(out.text(), "");
  assert(con.hasInput());
  b.w8(MCR, 0x00);
  uart.update();
  assertEquals(b.r8(RBR), 0x68); // "h"ost now arrives
});

Deno.test("uart: line-status interrupt for overrun outranks data ready", () => {
  const { b, line } = setup();
  b.w8(MCR, 0x10);
  b.w8(IER, 0x05); // data ready + line status
  b.w8(THR, 1);
  b.w8(THR, 2);
  assert(line());
  assertEquals(b.r8(IIR), 0x06);
  b.r8(LSR);
  assertEquals(b.r8(IIR), 0x04);
});

Deno.test("uart: MCR keeps 5 bits; MSR shows fixed lines, or MCR's outputs in loopback", () => {
  const { b } = setup();
  b.w8(MCR, 0xff);
  assertEquals(b.r8(MCR), 0x1f);
  assertEquals(b.r8(MSR), 0xf0);
  b.w8(MCR, 0x10 | 0x01); // DTR -> DSR
  assertEquals(b.r8(MSR), 0x20);
  b.w8(MCR, 0x10 | 0x02); // RTS -> CTS
  assertEquals(b.r8(MSR), 0x10);
  b.w8(MCR, 0x0b);
  assertEquals(b.r8(MSR), 0xb0);
});

Deno.test("uart: SCR and LCR hold any byte; LSR, MSR and offsets past 7 ignore writes", () => {
  const { uart, b } = setup();
  b.w8(SCR, 0xa5);
  assertEquals(b.r8(SCR), 0xa5);
  b.w8(LCR, 0x5b);
  assertEquals(b.r8(LCR), 0x5b);
  b.w8(LSR, 0x00);
  b.w8(MSR, 0x00);
  assertEquals([b.r8(LSR), b.r8(MSR)], [0x60, 0xb0]);
  b.w8(8, 0x41);
  b.w8(0xff, 0x41);
  assertEquals([b.r8(8), b.r8(0x80)], [0, 0]);
  b.write(SCR, 4, 0x1234_5678); // a wider store writes the one register at its address
  assertEquals(b.r32(SCR), 0x78);
  assert(uart.accessOk(0, 8) && uart.accessOk(7, 1) && !uart.accessOk(8, 1));
  assert(!uart.accessOk(4, 8));
});

Deno.test("uart: every state change re-raises the line while an interrupt is identified", () => {
  const { b, irq } = setup();
  xv6Init(b);
  irq.clear();
  b.w8(THR, 0x61);
  b.w8(THR, 0x62);
  // Per byte: lowered when THR is written, raised when the byte has gone.
  assertEquals(irq.calls, [[10, false], [10, true], [10, false], [10, true]]);
});

/** A PLIC with hart 0's S context listening to the UART, as plicinit/plicinithart set it. */
function uartOnPlic(resample: boolean) {
  const s = setup();
  let interrupts = 0;
  const plic = new Plic({ harts: 1, resample, onExternal: (_h, _s, l) => l && interrupts++ });
  const irq = { setIrq: (n: number, l: boolean) => plic.setIrq(n, l) };
  const uart = new Uart16550(s.con, irq);
  const b = new TestBus(UART0, UART0_SIZE, uart);
  const pb = new TestBus(0x0c00_0000, 0x400_0000, plic);
  pb.w32(4 * UART0_IRQ, 1);
  pb.w32(0x2080, 1 << UART0_IRQ);
  pb.w32(0x20_1000, 0);
  return { ...s, uart, b, plic, pb, interrupts: () => interrupts };
}

/** xv6 2020-2022's devintr() + uartintr(): claim, drain input, send, complete. No IIR read. */
function devintr2020(b: TestBus, pb: TestBus, tx: number[]): number {
  const id = pb.r32(0x20_1004);
  if (id === UART0_IRQ) {
    while (b.r8(LSR) & 1) b.r8(RBR);
    while (tx.length > 0 && b.r8(LSR) & 0x20) b.w8(THR, tx.shift()!);
  }
  if (id) pb.w32(0x20_1004, id);
  return id;
}

Deno.test("uart+plic: xv6 2020-2022 interrupt-driven output settles with QEMU's gateway", () => {
  const { b, pb, plic, out } = uartOnPlic(false);
  xv6Init(b);
  const tx = [..."hello"].map((c) => c.charCodeAt(0));
  b.w8(THR, tx.shift()!); // uartstart() from uartputc()
  let handled = 0;
  while (plic.external(0, true) && handled < 100) {
    devintr2020(b, pb, tx);
    handled++;
  }
  assertEquals(out.text(), "hello");
  assert(handled <= 2, `took ${handled} interrupts`);
  assert(!plic.external(0, true)); // quiet, though the UART's THR-empty condition stays
  assertEquals(b.r8(IIR), 0xc2);
});

Deno.test("uart+plic: update() with no new input does not interrupt xv6 2020-2022 again", () => {
  const { uart, b, pb, plic, con } = uartOnPlic(false);
  xv6Init(b);
  b.w8(THR, 0x41);
  while (plic.external(0, true)) devintr2020(b, pb, []);
  // The board calls update() after every slice of a run; nothing came in, so
  // nothing changed, and (as on QEMU) the line is not raised once more.
  for (let i = 0; i < 3; i++) uart.update();
  assert(!plic.external(0, true));
  con.pushInput("x");
  uart.update(); // input did come: an interrupt, whose RBR read raises one more
  let handled = 0;
  while (plic.external(0, true) && handled < 100) {
    devintr2020(b, pb, []);
    handled++;
  }
  assertEquals(handled, 2);
  assert(!con.hasInput());
});

Deno.test("uart+plic: a re-sampling gateway would interrupt xv6 2020-2022 forever", () => {
  const { b, pb, plic } = uartOnPlic(true);
  xv6Init(b);
  b.w8(THR, 0x41);
  let handled = 0;
  while (plic.external(0, true) && handled < 100) {
    devintr2020(b, pb, []);
    handled++;
  }
  assertEquals(handled, 100); // why QEMU's behaviour is the default
});

Deno.test("uart+plic: xv6 2024+ (reads IIR in uartintr) settles with either gateway", () => {
  for (const resample of [false, true]) {
    const { b, pb, plic, out } = uartOnPlic(resample);
    xv6Init(b);
    let handled = 0;
    for (const c of "ok") {
      b.w8(THR, c.charCodeAt(0)); // uartwrite(): send, then wait for the interrupt
      while (plic.external(0, true) && handled < 100) {
        const id = pb.r32(0x20_1004);
        b.r8(IIR); // acknowledge
        pb.w32(0x20_1004, id);
        handled++;
      }
    }
    assertEquals(out.text(), "ok");
    assert(handled <= 4, `resample=${resample}: ${handled} interrupts`);
  }
});
