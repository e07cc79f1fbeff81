// The console UART: an NS16550A as QEMU's virt board has it, at UART0 with PLIC
// interrupt 10. Eight byte-wide registers (xv6's uart.c names in brackets):
//
//   0 RBR read: next received byte [RHR]   THR write: byte to send [THR]
//     (with LCR.DLAB set: DLL, divisor latch low byte)
//   1 IER interrupt enable [IER]: bit 0 received data, bit 1 transmitter empty,
//     bit 2 line status, bit 3 modem status   (with LCR.DLAB: DLM, divisor high)
//   2 IIR read: interrupt identification [ISR]   FCR write: FIFO control [FCR]
//   3 LCR line control [LCR]; bit 7 is DLAB, the divisor latch access bit
//   4 MCR modem control; bit 4 loops the transmitter back to the receiver
//   5 LSR line status [LSR]: bit 0 data ready, bit 1 overrun, bit 5 transmit
//     holding register empty (xv6's LSR_TX_IDLE), bit 6 transmitter empty
//   6 MSR modem status: carrier, data set ready and clear to send are on
//   7 SCR scratch
//
// Bytes written to THR go to the console's output at once, so the transmitter is
// always idle again by the time the guest looks: LSR bits 5 and 6 read as set.
// Received bytes come from the console's input queue into a receive FIFO of 16
// (or a single holding register when FCR bit 0 is off), taking as many as QEMU
// would: up to the FIFO trigger level while the FIFO holds no more than that,
// one at a time beyond. More are taken after each read of RBR, and when the
// board calls update() after new host input.
//
// Interrupts, highest priority first, as IIR reports them (bits 7:6 of IIR are
// set while the FIFOs are on, so xv6 sees 0xc4, 0xc2 or 0xc1):
//   0x06 line status   overrun (LSR bit 1), if IER bit 2; reading LSR clears it
//   0x0c char timeout  received bytes below the FIFO trigger level, if IER bit 0
//                      (the 4-character timeout of a real UART elapses at once)
//   0x04 data ready    received bytes at or above the trigger level, if IER bit 0
//   0x02 THR empty     if IER bit 1: raised when a byte has been sent, when IER
//                      bit 1 is switched on while THR is empty, and by an FCR
//                      transmit-FIFO reset; cleared by writing THR or by a read
//                      of IIR that reports it
//   0x01 none
// The interrupt line follows IIR: it is raised on every state change while some
// interrupt is identified, as QEMU's serial device does (see plic.ts for why that
// matters). xv6 2020-2022 sends with interrupts and never reads IIR; xv6 2024+
// reads IIR in uartintr(); uartputc_sync() polls LSR bit 5. All work here.
//
// Reset values are QEMU 7.2's: IER 0, IIR 0x01, LCR 0, MCR 0x08, LSR 0x60,
// MSR 0xb0, SCR 0, divisor 0x000c.

import type { IrqSink, MmioDevice } from "../bus.ts";
import type { ConsoleDevice } from "../console.ts";
import { UART0_IRQ, UART0_REGION } from "./virt.ts";

const FIFO_SIZE = 16;

const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;

const IIR_NONE = 0x01;
const IIR_ID = 0x06;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;
const IIR_FIFO = 0xc0;

const FCR_FE = 0x01;
const FCR_RFR = 0x02;
const FCR_XFR = 0x04;

const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
/** Line-status bits that raise the line-status interrupt (overrun, parity, framing, break). */
const LSR_INT_ANY = 0x1e;

const MSR_DCD_DSR_CTS = 0xb0;

export class Uart16550 implements MmioDevice {
  readonly name = "uart0";
  private ier = 0;
  private iir = IIR_NONE;
  private lcr = 0;
  private mcr = 0x08;
  private lsr = LSR_THRE | LSR_TEMT;
  private scr = 0;
  private fcr = 0;
  private divisor = 0x0c;
  /** Receive trigger level in bytes (FCR bits 7:6: 1, 4, 8 or 14). */
  private itl = 1;
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  /** The receive holding register while the FIFOs are off. */
  private rbr = 0;
  /** A transmitter-empty interrupt is waiting to be seen. */
  private thrPending = false;
  /** The level last given to the interrupt line. */
  irqLevel = false;
  /** Bytes sent (THR writes outside loopback), for --stats. */
  sent = 0;

  constructor(
    private readonly console: ConsoleDevice,
    private readonly irqs: IrqSink,
    readonly irq: number = UART0_IRQ,
  ) {}

  /**
   * Take waiting host input, and raise the line if any came: the board calls this
   * after input arrives. With none, nothing changed, so (as on QEMU) the line is not
   * raised again: xv6 2020-2022 never clears the transmit interrupt, and each raise
   * would interrupt it once more.
   */
  update(): void {
    if (this.pullInput()) this.updateIrq();
  }

  /** Whether QEMU would accept this access: any size within the eight registers. */
  accessOk(off: number, size: number): boolean {
    return off + size <= UART0_REGION;
  }

  /** Read the register at off (a wider access reads that one register); beyond 7 reads 0. */
  read(off: number, _size: number): number {
    switch (off) {
      case 0:
        return this.lcr & LCR_DLAB ? this.divisor & 0xff : this.readRbr();
      case 1:
        return this.lcr & LCR_DLAB ? this.divisor >>> 8 : this.ier;
      case 2:
        return this.readIir();
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return this.readLsr();
      case 6:
        return this.readMsr();
      case 7:
        return this.scr;
      default:
        return 0;
    }
  }

  /** Write the low byte of value to the register at off; beyond 7 is ignored. */
  write(off: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (off) {
      case 0:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | v;
        else this.writeThr(v);
        break;
      case 1:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0x00ff) | (v << 8);
        else this.writeIer(v);
        break;
      case 2:
        this.writeFcr(v);
        break;
      case 3:
        this.lcr = v;
        break;
      case 4:
        this.mcr = v & 0x1f;
        break;
      case 7:
        this.scr = v;
        break;
        // LSR and MSR are read-only.
    }
  }

  /** RBR: pop a received byte (0 if none), then let more input in. */
  private readRbr(): number {
    let c: number;
    if (this.fcr & FCR_FE) {
      c = 0;
      if (this.rxCount > 0) {
        c = this.rx[this.rxHead];
        this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
        this.rxCount--;
      }
      if (this.rxCount === 0) this.lsr &= ~(LSR_DR | LSR_BI);
    } else {
      c = this.rbr;
      this.lsr &= ~(LSR_DR | LSR_BI);
    }
    this.updateIrq();
    if (this.pullInput()) this.updateIrq();
    return c;
  }

  /** IIR: reading it while it reports THR empty clears that interrupt. */
  private readIir(): number {
    const v = this.iir;
    if ((v & IIR_ID) === IIR_THRI) {
      this.thrPending = false;
      this.updateIrq();
    }
    return v;
  }

  /** LSR: reading it clears the overrun and break bits. */
  private readLsr(): number {
    const v = this.lsr;
    if (v & (LSR_BI | LSR_OE)) {
      this.lsr &= ~(LSR_BI | LSR_OE);
      this.updateIrq();
    }
    return v;
  }

  /** MSR: fixed modem lines, or in loopback the MCR outputs looped to the inputs. */
  private readMsr(): number {
    if (!(this.mcr & MCR_LOOP)) return MSR_DCD_DSR_CTS;
    return ((this.mcr & 0x0c) << 4) | ((this.mcr & 0x02) << 3) | ((this.mcr & 0x01) << 5);
  }

  /** THR: the byte is sent at once; THR-empty is raised again after it goes. */
  private writeThr(c: number): void {
    this.thrPending = false;
    this.lsr &= ~(LSR_THRE | LSR_TEMT);
    this.updateIrq();
    this.lsr |= LSR_THRE;
    this.thrPending = true;
    this.updateIrq();
    if (this.mcr & MCR_LOOP) {
      this.receive(c);
      this.updateIrq();
    } else {
      this.sent++;
      this.console.write(Uint8Array.of(c));
    }
    this.lsr |= LSR_TEMT;
  }

  /** IER: switching THR-empty on while THR is empty raises it (QEMU, after Bochs). */
  private writeIer(v: number): void {
    const changed = (this.ier ^ v) & 0x0f;
    this.ier = v & 0x0f;
    if (changed & IER_THRI) {
      this.thrPending = (this.ier & IER_THRI) !== 0 && (this.lsr & LSR_THRE) !== 0;
    }
    if (changed) this.updateIrq();
  }

  /** FCR: FIFO enable, FIFO resets and the receive trigger level. */
  private writeFcr(v: number): void {
    if ((v ^ this.fcr) & FCR_FE) v |= FCR_RFR | FCR_XFR; // switching FIFOs empties them
    if (v & FCR_RFR) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.rxHead = 0;
      this.rxCount = 0;
    }
    if (v & FCR_XFR) {
      this.lsr |= LSR_THRE;
      this.thrPending = true;
    }
    this.fcr = v & 0xc9;
    this.itl = [1, 4, 8, 14][v >>> 6];
    this.iir = (this.iir & 0x0f) | (v & FCR_FE ? IIR_FIFO : 0);
    this.pullInput();
    this.updateIrq();
  }

  /** How many more bytes the receiver takes now (QEMU's rule for its character backend). */
  private room(): number {
    if (!(this.fcr & FCR_FE)) return this.lsr & LSR_DR ? 0 : 1;
    if (this.rxCount >= FIFO_SIZE) return 0;
    return this.rxCount <= this.itl ? this.itl - this.rxCount : 1;
  }

  /** Move host input into the receiver while it has room; true if any arrived. */
  private pullInput(): boolean {
    if (this.mcr & MCR_LOOP) return false; // in loopback the line is disconnected
    let got = false;
    for (let n = this.room(); n > 0 && this.console.hasInput(); n--) {
      this.receive(this.console.getc());
      got = true;
    }
    return got;
  }

  /** One byte arrives on the line: into the FIFO (overrun if full) or the holding register. */
  private receive(c: number): void {
    if (this.fcr & FCR_FE) {
      if (this.rxCount < FIFO_SIZE) {
        this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = c;
        this.rxCount++;
      } else {
        this.lsr |= LSR_OE;
      }
    } else {
      if (this.lsr & LSR_DR) this.lsr |= LSR_OE;
      this.rbr = c;
    }
    this.lsr |= LSR_DR;
  }

  /** Work out IIR from the interrupt conditions and drive the line (on every call, as QEMU). */
  private updateIrq(): void {
    let id = IIR_NONE;
    const fifo = (this.fcr & FCR_FE) !== 0;
    const dr = (this.lsr & LSR_DR) !== 0;
    if (this.ier & IER_RLSI && this.lsr & LSR_INT_ANY) id = IIR_RLSI;
    else if (this.ier & IER_RDI && fifo && dr && this.rxCount < this.itl) id = IIR_CTI;
    else if (this.ier & IER_RDI && dr) id = IIR_RDI;
    else if (this.ier & IER_THRI && this.thrPending) id = IIR_THRI;
    this.iir = (this.iir & 0xf0) | id;
    this.irqLevel = id !== IIR_NONE;
    this.irqs.setIrq(this.irq, this.irqLevel);
  }
}
