// The wire format of gdb's remote serial protocol: packets framed as $payload#cs with
// a two-digit checksum, the one-byte acknowledgements + and -, the Ctrl-C byte that
// interrupts a running target, the } escape of binary data, and the hex encodings of
// registers and memory. Payloads are kept as "binary strings" (one char per byte).

/** Largest payload accepted between $ and #; longer packets are refused with '-'. */
export const MAX_PACKET = 0x4000;

/** Something that arrived on the connection. */
export type WireEvent =
  | { kind: "packet"; payload: string } // checksum good, escapes undone
  | { kind: "bad" } // checksum wrong, not hex, or too long: answer '-'
  | { kind: "interrupt" } // 0x03 outside a packet
  | { kind: "ack" }
  | { kind: "nak" };

const IDLE = 0, BODY = 1, SUM_HI = 2, SUM_LO = 3;

/** Splits the byte stream from gdb into events; never throws, whatever arrives. */
export class PacketReader {
  private state = IDLE;
  private body: number[] = [];
  private sum = 0;
  private sent = 0;
  private overflow = false;

  /** Consume bytes; return the events they complete, in order. */
  feed(bytes: Uint8Array): WireEvent[] {
    const out: WireEvent[] = [];
    for (const b of bytes) this.byte(b, out);
    return out;
  }

  /** One byte of input through the framing state machine. */
  private byte(b: number, out: WireEvent[]): void {
    if (b === 0x24) { // '$' always starts a new packet, abandoning a partial one
      this.state = BODY;
      this.body = [];
      this.sum = 0;
      this.overflow = false;
      return;
    }
    switch (this.state) {
      case IDLE:
        if (b === 0x03) out.push({ kind: "interrupt" });
        else if (b === 0x2b) out.push({ kind: "ack" });
        else if (b === 0x2d) out.push({ kind: "nak" });
        return; // anything else between packets is noise
      case BODY:
        if (b === 0x23) { // '#'
          this.state = SUM_HI;
          return;
        }
        this.sum = (this.sum + b) & 0xff;
        if (this.body.length < MAX_PACKET) this.body.push(b);
        else this.overflow = true;
        return;
      case SUM_HI: {
        const hi = hexDigit(b);
        this.sent = hi << 4;
        this.state = hi < 0 ? IDLE : SUM_LO;
        if (hi < 0) out.push({ kind: "bad" });
        return;
      }
      case SUM_LO: {
        this.state = IDLE;
        const lo = hexDigit(b);
        const good = lo >= 0 && (this.sent | lo) === this.sum && !this.overflow;
        out.push(good ? { kind: "packet", payload: unescape(this.body) } : { kind: "bad" });
        return;
      }
    }
  }
}

/** The value of an ASCII hex digit, or -1. */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/** Undo the } escapes of a packet body (only binary packets carry them). */
function unescape(body: number[]): string {
  let s = "";
  for (let i = 0; i < body.length; i++) {
    let b = body[i];
    if (b === 0x7d && i + 1 < body.length) b = body[++i] ^ 0x20;
    s += String.fromCharCode(b);
  }
  return s;
}

/** Frame a payload as $payload#cs, ready to send. */
export function framePacket(payload: string): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  let sum = 0;
  out[0] = 0x24;
  for (let i = 0; i < payload.length; i++) {
    const b = payload.charCodeAt(i) & 0xff;
    out[i + 1] = b;
    sum = (sum + b) & 0xff;
  }
  const cs = sum.toString(16).padStart(2, "0");
  out[payload.length + 1] = 0x23;
  out[payload.length + 2] = cs.charCodeAt(0);
  out[payload.length + 3] = cs.charCodeAt(1);
  return out;
}

/** Binary data as a payload fragment, with $ # } * escaped as } and the byte xor 0x20. */
export function escapeBinary(data: string): string {
  let s = "";
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    s += c === 0x24 || c === 0x23 || c === 0x7d || c === 0x2a
      ? "}" + String.fromCharCode(c ^ 0x20)
      : data[i];
  }
  return s;
}

/** Bytes as a binary string (one char per byte). */
export function bytesToBinary(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

/** A binary string as bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Bytes as lower-case hex, two digits each. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Hex digits (an even number of them) as bytes, or null if they are not that. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** A 64-bit register value as gdb wants it: 8 bytes, little-endian, in hex. */
export function regToHex(v: bigint): string {
  let s = "";
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < 8; i++) {
    s += Number(x & 0xffn).toString(16).padStart(2, "0");
    x >>= 8n;
  }
  return s;
}

/** 16 hex digits of a little-endian 64-bit value, or null if they are not that. */
export function hexToReg(s: string): bigint | null {
  const b = fromHex(s);
  if (b === null || b.length !== 8) return null;
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** A non-negative hex number (as in addresses and lengths), or null. */
export function parseHexNumber(s: string): bigint | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) return null;
  return BigInt("0x" + s);
}
