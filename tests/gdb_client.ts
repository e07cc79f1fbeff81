// A minimal gdb remote-protocol client over a real loopback socket, for the stub's
// tests: it sends packets (or raw bytes) and reads back acks and packets one by one,
// checking each packet's checksum, with a deadline so a silent stub fails the test.

import { framePacket } from "../machine/gdb_packet.ts";

const TIMEOUT_MS = 10_000;

/** What arrived: an ack, a nak, or a packet's payload (checksum verified). */
export type Item = { kind: "+" } | { kind: "-" } | { kind: "packet"; payload: string };

export class GdbClient {
  private buf = "";
  private closed = false;

  private constructor(private readonly conn: Deno.TcpConn) {}

  /** Connect to a stub on 127.0.0.1:port. */
  static async connect(port: number): Promise<GdbClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true); // as gdb: one small packet at a time, no batching delay
    return new GdbClient(conn);
  }

  /** Send a packet, framed with its checksum. */
  async send(payload: string): Promise<void> {
    await this.raw(framePacket(payload));
  }

  /** Send bytes as they are (a string is taken one char per byte). */
  async raw(bytes: Uint8Array | string): Promise<void> {
    const b = typeof bytes === "string"
      ? Uint8Array.from(bytes, (c) => c.charCodeAt(0) & 0xff)
      : bytes;
    let off = 0;
    while (off < b.length) off += await this.conn.write(b.subarray(off));
  }

  /** The next ack, nak or packet from the stub. */
  async next(): Promise<Item> {
    for (;;) {
      const item = this.take();
      if (item !== null) return item;
      await this.fill();
    }
  }

  /** The next packet's payload, skipping acks. */
  async packet(): Promise<string> {
    for (;;) {
      const item = await this.next();
      if (item.kind === "packet") return item.payload;
    }
  }

  /** Send a packet, expect the stub's '+', and return its reply (gdb's way: acks sent too). */
  async ask(payload: string): Promise<string> {
    await this.send(payload);
    const ack = await this.next();
    if (ack.kind !== "+") {
      throw new Error(`expected + after ${payload}, got ${JSON.stringify(ack)}`);
    }
    const reply = await this.packet();
    await this.raw("+");
    return reply;
  }

  /** Whether the stub closed the connection (after reading everything it sent). */
  async atEof(): Promise<boolean> {
    if (this.buf.length > 0) return false;
    await this.fill().catch(() => {});
    return this.closed && this.buf.length === 0;
  }

  /** Hang up. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  /** Parse one item off the front of the buffer, or null if it is incomplete. */
  private take(): Item | null {
    const c = this.buf[0];
    if (c === undefined) return null;
    if (c === "+" || c === "-") {
      this.buf = this.buf.slice(1);
      return { kind: c };
    }
    if (c !== "$") throw new Error(`stray byte from stub: ${JSON.stringify(this.buf)}`);
    const hash = this.buf.indexOf("#");
    if (hash < 0 || this.buf.length < hash + 3) return null;
    const payload = this.buf.slice(1, hash);
    const sum = [...payload].reduce((s, ch) => (s + ch.charCodeAt(0)) & 0xff, 0);
    const cs = this.buf.slice(hash + 1, hash + 3);
    if (parseInt(cs, 16) !== sum) throw new Error(`bad checksum from stub: ${this.buf}`);
    this.buf = this.buf.slice(hash + 3);
    return { kind: "packet", payload };
  }

  /** Read more bytes, failing after the deadline or at end of stream. */
  private async fill(): Promise<void> {
    if (this.closed) throw new Error("stub closed the connection");
    const b = new Uint8Array(65536);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no reply from stub")), TIMEOUT_MS);
    });
    try {
      const n = await Promise.race([this.conn.read(b), timeout]);
      if (n === null) {
        this.closed = true;
        throw new Error("stub closed the connection");
      }
      for (let i = 0; i < n; i++) this.buf += String.fromCharCode(b[i]);
    } finally {
      clearTimeout(timer);
    }
  }
}
