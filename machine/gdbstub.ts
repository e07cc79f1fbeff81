// A gdb remote-serial-protocol stub on a loopback TCP port, for `xv6lazy qemu -gdb`.
//
// It answers gdb (or the lab grader's little client) the way QEMU 7.2's stub does:
// the same qSupported features, thread ids (hart h is thread h+1), stop replies
// (T05thread:NN; for a breakpoint or a step, T02thread:NN; for Ctrl-C, W00 when the
// machine ends) and error codes (E14 for a register or memory it cannot read, E22 for
// a malformed request). While the machine runs, the stub runs it in slices and lets the
// event loop in between, so a Ctrl-C from gdb is seen within one slice.
// The machine itself is behind the DebugTarget interface (machine/debug.ts).

import { type DebugTarget, REG_PC, type StopEvent } from "./debug.ts";
import { targetXml } from "./gdb_target_xml.ts";
import { letEventsIn, yieldDue } from "./host.ts";
import {
  binaryToBytes,
  escapeBinary,
  framePacket,
  fromHex,
  hexToReg,
  PacketReader,
  parseHexNumber,
  regToHex,
  toHex,
  type WireEvent,
} from "./gdb_packet.ts";

/** How the stub is set up. */
export interface GdbStubOptions {
  /** TCP port on 127.0.0.1; 0 takes any free one (read it back from GdbStub.port). */
  port: number;
  /** QEMU's -S: the machine does not start until gdb resumes it. */
  waitForDebugger: boolean;
  /** Instructions per slice between looks at the socket (default 4,000,000). */
  slice?: number;
  /** Called after every slice or step the machine runs (for the board's console). */
  afterSlice?: () => void;
  /**
   * Called after a slice that did not stop the machine: a promise to wait for before
   * the next slice when the machine is idle (every hart waits for input), or null to
   * go straight on. Without it the stub only lets pending events in between slices.
   */
  idle?: () => Promise<void> | null;
}

/** How a run under the stub ended: the guest halted, gdb killed it, or close() was called. */
export interface StubExit {
  reason: "halted" | "killed" | "closed";
  code: number;
}

/** What QEMU 7.2 answers to qSupported. */
const SUPPORTED = "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+";
/** The largest m request served, as QEMU (half its 4096-byte packet buffer). */
const MAX_READ = 2048;
/** gdb's signal numbers in stop replies. */
const SIGINT = 2, SIGTRAP = 5;

/** A thread id from a packet: one hart, every thread (-1), any thread (0), or malformed. */
type ThreadSel = number | "all" | "any" | null;

export class GdbStub {
  /** The address the stub listens on: always the loopback interface. */
  readonly hostname: string;
  readonly port: number;
  private readonly slice: number;
  private conn: Deno.TcpConn | null = null;
  private reader = new PacketReader();
  private lastSent: Uint8Array | null = null;
  private writing: Promise<void> = Promise.resolve();
  private running: boolean;
  private runHarts: number[] | undefined = undefined;
  private interruptWanted = false;
  private cHart = 0; // the thread s and Ctrl-C refer to (QEMU's c_cpu)
  private gHart = 0; // the thread g, p, m refer to (QEMU's g_cpu)
  private multiprocess = false;
  private threadCursor = 0;
  private readonly breakpoints = new Map<bigint, number>();
  private exit: StubExit | null = null;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly target: DebugTarget,
    private readonly listener: Deno.TcpListener,
    private readonly opts: GdbStubOptions,
  ) {
    this.hostname = listener.addr.hostname;
    this.port = listener.addr.port;
    this.slice = opts.slice ?? 4_000_000;
    this.running = !opts.waitForDebugger;
  }

  /** Listen on 127.0.0.1:port (throws Deno's error if the port is taken) and start accepting. */
  static listen(target: DebugTarget, opts: GdbStubOptions): GdbStub {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: opts.port, transport: "tcp" });
    const stub = new GdbStub(target, listener, opts);
    stub.acceptLoop();
    return stub;
  }

  /** Run the machine under gdb's control until it halts, gdb kills it, or close() is called. */
  async run(): Promise<StubExit> {
    let lastYield = performance.now();
    while (this.exit === null) {
      if (!this.running) {
        await new Promise<void>((r) => {
          this.wake = r;
        });
        this.wake = null;
        continue;
      }
      const ev = this.target.run(this.slice, this.runHarts);
      this.opts.afterSlice?.();
      if (ev !== null) this.stopped(ev);
      else if (this.interruptWanted) this.stopped({ kind: "interrupt", hart: this.cHart });
      if (!this.running) continue;
      // Let gdb's bytes in now and then (and wait for anything at all when the machine is idle).
      const idle = this.opts.idle?.() ?? null;
      if (idle === null && !yieldDue(lastYield)) continue;
      await (idle ?? letEventsIn());
      lastYield = performance.now();
    }
    await this.writing; // the last reply (W00) goes out before the socket closes
    this.shutdown();
    return this.exit;
  }

  /** Whether a debugger is connected now. */
  get connected(): boolean {
    return this.conn !== null;
  }

  /** End the run now (SIGTERM and the like): sockets close, run() resolves with "closed". */
  close(): void {
    this.finish({ reason: "closed", code: 0 });
    this.shutdown();
  }

  /** Accept gdb connections, one at a time, as QEMU does. */
  private async acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.listener) {
        if (this.conn !== null || this.exit !== null) conn.close();
        else this.attach(conn);
      }
    } catch {
      // the listener was closed
    }
  }

  /** A debugger connected: it finds the machine stopped, as with QEMU. */
  private attach(conn: Deno.TcpConn): void {
    this.conn = conn;
    conn.setNoDelay(true);
    this.reader = new PacketReader();
    this.lastSent = null;
    this.multiprocess = false;
    this.cHart = this.gHart = 0;
    if (this.running) this.stopped({ kind: "interrupt", hart: 0 }); // QEMU sends T02 here
    this.readLoop(conn);
  }

  /** Read gdb's bytes until it hangs up; the machine stays as it was (stopped or running). */
  private async readLoop(conn: Deno.TcpConn): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null || this.conn !== conn) break;
        for (const ev of this.reader.feed(buf.subarray(0, n))) this.onWire(ev);
      }
    } catch {
      // reset by the peer: the same as a hang-up
    }
    this.drop(conn);
  }

  /** Forget a connection that has gone. */
  private drop(conn: Deno.TcpConn): void {
    if (this.conn !== conn) return;
    this.conn = null;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  /** One event from the wire: acknowledge and answer packets, handle Ctrl-C and acks. */
  private onWire(ev: WireEvent): void {
    switch (ev.kind) {
      case "packet": {
        this.sendRaw(new Uint8Array([0x2b]));
        const reply = this.handle(ev.payload);
        if (reply !== null) this.send(reply);
        return;
      }
      case "bad":
        this.sendRaw(new Uint8Array([0x2d]));
        return;
      case "interrupt":
        if (this.running) this.interruptWanted = true;
        return;
      case "ack":
        this.lastSent = null;
        return;
      case "nak":
        if (this.lastSent !== null) this.sendRaw(this.lastSent);
        return;
    }
  }

  /** Send a packet to gdb (if one is connected), keeping it for a resend on '-'. */
  private send(payload: string): void {
    const bytes = framePacket(payload);
    if (this.conn === null) return;
    this.lastSent = bytes;
    this.sendRaw(bytes);
  }

  /** Queue bytes for the connection, in order; a failed write drops the connection. */
  private sendRaw(bytes: Uint8Array): void {
    const conn = this.conn;
    if (conn === null) return;
    this.writing = this.writing.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    }).catch(() => this.drop(conn));
  }

  /** The machine stopped: tell gdb once, and make the stopped hart the current thread. */
  private stopped(ev: StopEvent): void {
    this.running = false;
    this.interruptWanted = false;
    if (ev.kind === "halted") {
      const code = (ev.exitCode ?? 0) & 0xff;
      this.send("W" + code.toString(16).padStart(2, "0"));
      this.finish({ reason: "halted", code });
      return;
    }
    this.cHart = this.gHart = ev.hart;
    this.send(this.stopReply(ev.kind === "interrupt" ? SIGINT : SIGTRAP, ev.hart));
  }

  /** T<sig>thread:<id>; as QEMU writes it. */
  private stopReply(sig: number, hart: number): string {
    return `T${sig.toString(16).padStart(2, "0")}thread:${this.threadId(hart)};`;
  }

  /** Let the machine run (all harts, or just some); wakes run(). */
  private resume(harts?: number[]): void {
    this.running = true;
    this.runHarts = harts;
    this.wake?.();
  }

  /** End run() with this result (the first one wins). */
  private finish(exit: StubExit): void {
    this.exit ??= exit;
    this.running = false;
    this.wake?.();
  }

  /** Close the connection and the listening socket. */
  private shutdown(): void {
    if (this.conn !== null) this.drop(this.conn);
    try {
      this.listener.close();
    } catch {
      // already closed
    }
  }

  /** Answer one packet; null means no answer now (the stop reply comes later). */
  private handle(p: string): string | null {
    switch (p[0]) {
      case "?":
        return this.haltReason();
      case "g":
        return this.readRegisters();
      case "G":
        return this.writeRegisters(p.slice(1));
      case "p":
        return this.readRegister(p.slice(1));
      case "P":
        return this.writeRegister(p.slice(1));
      case "m":
        return this.readMemory(p.slice(1));
      case "M":
        return this.writeMemory(p.slice(1), false);
      case "X":
        return this.writeMemory(p.slice(1), true);
      case "c":
        return this.cont(p.slice(1));
      case "s":
        return this.step(p.slice(1));
      case "Z":
      case "z":
        return this.breakpoint(p);
      case "H":
        return this.setThread(p.slice(1));
      case "T":
        return this.threadAlive(p.slice(1));
      case "D":
        return this.detach();
      case "k":
        this.kill();
        return null;
      case "q":
        return this.query(p);
      case "v":
        return this.vPacket(p);
      default:
        return ""; // not supported
    }
  }

  /** '?': why the machine is stopped. QEMU also drops every breakpoint here (a new gdb). */
  private haltReason(): string {
    this.removeAllBreakpoints();
    return this.stopReply(SIGTRAP, this.cHart);
  }

  /** 'g': x0..x31 and pc of the current thread. */
  private readRegisters(): string {
    let s = "";
    for (let n = 0; n <= REG_PC; n++) {
      const v = this.target.readRegister(this.gHart, n);
      if (v === null) return "E14";
      s += regToHex(v);
    }
    return s;
  }

  /** 'G': write x0..x31 and pc (as many as given) of the current thread. */
  private writeRegisters(hex: string): string {
    if (hex.length % 16 !== 0 || hex.length > 16 * (REG_PC + 1)) return "E22";
    const values: bigint[] = [];
    for (let i = 0; i < hex.length; i += 16) {
      const v = hexToReg(hex.slice(i, i + 16));
      if (v === null) return "E22";
      values.push(v);
    }
    values.forEach((v, n) => this.target.writeRegister(this.gHart, n, v));
    return "OK";
  }

  /** 'p n': one register of the current thread. */
  private readRegister(arg: string): string {
    const n = parseHexNumber(arg);
    if (n === null) return "E22";
    const v = n < 0x10000n ? this.target.readRegister(this.gHart, Number(n)) : null;
    return v === null ? "E14" : regToHex(v);
  }

  /** 'P n=v': set one register of the current thread. */
  private writeRegister(arg: string): string {
    const eq = arg.indexOf("=");
    const n = parseHexNumber(arg.slice(0, eq));
    const v = hexToReg(arg.slice(eq + 1));
    if (eq < 0 || n === null || v === null) return "E22";
    return n < 0x10000n && this.target.writeRegister(this.gHart, Number(n), v) ? "OK" : "E14";
  }

  /** 'm addr,len': memory as the current thread sees it. */
  private readMemory(arg: string): string {
    const [a, l] = arg.split(",");
    const addr = parseHexNumber(a);
    const len = l === undefined ? null : parseHexNumber(l);
    if (addr === null || len === null || len > BigInt(MAX_READ)) return "E22";
    if (len === 0n) return "";
    const bytes = this.target.readMemory(this.gHart, addr, Number(len));
    return bytes === null ? "E14" : toHex(bytes);
  }

  /** 'M addr,len:hex' or 'X addr,len:binary': write memory as the current thread sees it. */
  private writeMemory(arg: string, binary: boolean): string {
    const colon = arg.indexOf(":");
    const [a, l] = arg.slice(0, colon).split(",");
    const addr = parseHexNumber(a);
    const len = l === undefined ? null : parseHexNumber(l);
    if (colon < 0 || addr === null || len === null) return "E22";
    const body = arg.slice(colon + 1);
    const data = binary ? binaryToBytes(body) : fromHex(body);
    if (data === null || BigInt(data.length) !== len) return "E22";
    if (data.length === 0) return "OK"; // gdb's probe for X
    return this.target.writeMemory(this.gHart, addr, data) ? "OK" : "E14";
  }

  /** 'c [addr]': resume every hart (from addr, for the current thread, if given). */
  private cont(arg: string): string | null {
    if (arg !== "" && !this.setPc(this.cHart, arg)) return "E22";
    if (!this.running) this.resume();
    return null;
  }

  /** 's [addr]': one instruction on the current thread; the others stay put. */
  private step(arg: string): string | null {
    if (arg !== "" && !this.setPc(this.cHart, arg)) return "E22";
    if (!this.running) this.stepHart(this.cHart);
    return null;
  }

  /** Execute one instruction on hart h and report the stop. */
  private stepHart(h: number): void {
    const ev = this.target.step(h);
    this.opts.afterSlice?.();
    this.stopped(ev);
  }

  /** Set hart h's pc from a hex address; false if it is not one. */
  private setPc(h: number, hex: string): boolean {
    const addr = parseHexNumber(hex);
    return addr !== null && this.target.writeRegister(h, REG_PC, addr);
  }

  /** 'Z/z type,addr,kind': software (0) and hardware (1) breakpoints, both on pc. */
  private breakpoint(p: string): string {
    const [type, a, kind] = p.slice(1).split(";")[0].split(",");
    if (type !== "0" && type !== "1") return ""; // watchpoints: not supported
    const addr = parseHexNumber(a ?? "");
    if (addr === null || kind === undefined || parseHexNumber(kind) === null) return "E22";
    const count = this.breakpoints.get(addr) ?? 0;
    if (p[0] === "Z") {
      this.breakpoints.set(addr, count + 1);
      if (count === 0) this.target.setBreakpoint(addr);
      return "OK";
    }
    if (count === 0) return "E22"; // QEMU's answer for a breakpoint that is not there
    if (count > 1) this.breakpoints.set(addr, count - 1);
    else {
      this.breakpoints.delete(addr);
      this.target.clearBreakpoint(addr);
    }
    return "OK";
  }

  /** Drop every breakpoint gdb set. */
  private removeAllBreakpoints(): void {
    for (const addr of this.breakpoints.keys()) this.target.clearBreakpoint(addr);
    this.breakpoints.clear();
  }

  /** 'Hg tid' / 'Hc tid': the thread later packets refer to (-1 changes nothing, as QEMU). */
  private setThread(arg: string): string {
    const sel = this.parseThread(arg.slice(1));
    if (sel === null) return "E22";
    const h = sel === "any" ? 0 : sel;
    if (h === "all") return "OK";
    if (arg[0] === "g") this.gHart = h;
    else if (arg[0] === "c") this.cHart = h;
    else return "E22";
    return "OK";
  }

  /** 'T tid': whether a thread exists. */
  private threadAlive(arg: string): string {
    const sel = this.parseThread(arg);
    return sel === null || sel === "all" ? "E22" : "OK";
  }

  /** 'D': detach: drop the breakpoints and let the machine run on. */
  private detach(): string {
    this.removeAllBreakpoints();
    if (!this.running) this.resume();
    return "OK";
  }

  /** 'k' / vKill: end the program; QEMU says W00 first. */
  private kill(): void {
    this.send("W00");
    this.finish({ reason: "killed", code: 0 });
  }

  /** The q packets the stub answers; the rest get the empty reply. */
  private query(p: string): string {
    if (p.startsWith("qSupported")) {
      this.multiprocess = p.slice(11).split(";").includes("multiprocess+");
      return SUPPORTED;
    }
    if (p.startsWith("qXfer:features:read:")) return this.readFeatures(p.slice(20));
    if (p === "qfThreadInfo") {
      this.threadCursor = 1;
      return "m" + this.threadId(0);
    }
    if (p === "qsThreadInfo") {
      return this.threadCursor < this.target.harts ? "m" + this.threadId(this.threadCursor++) : "l";
    }
    if (p === "qC") return "QC" + this.threadId(0); // QEMU names the first thread
    if (p === "qAttached" || p.startsWith("qAttached:")) return "1";
    if (p.startsWith("qThreadExtraInfo,")) return this.threadInfo(p.slice(17));
    return "";
  }

  /** qXfer:features:read:annex:offset,length: a piece of target.xml. */
  private readFeatures(arg: string): string {
    const m = /^target\.xml:([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(arg);
    if (m === null) return "E00";
    const xml = targetXml();
    const off = parseInt(m[1], 16), len = parseInt(m[2], 16);
    if (off >= xml.length) return "l";
    const piece = xml.slice(off, off + len);
    return (off + len >= xml.length ? "l" : "m") + escapeBinary(piece);
  }

  /** qThreadExtraInfo: a word about a thread, in hex. */
  private threadInfo(arg: string): string {
    const sel = this.parseThread(arg);
    if (sel === null || sel === "all") return "E22";
    const h = sel === "any" ? 0 : sel;
    return toHex(new TextEncoder().encode(`hart ${h}`));
  }

  /** The v packets: vCont, vKill, vAttach; the rest get the empty reply. */
  private vPacket(p: string): string | null {
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p.startsWith("vCont;")) return this.vCont(p.slice(6));
    if (p.startsWith("vKill")) {
      this.send("OK");
      this.kill();
      return null;
    }
    if (p.startsWith("vAttach;")) return this.stopReply(SIGTRAP, this.cHart);
    return "";
  }

  /** vCont;action[:tid]...: each hart takes the leftmost action that names it. */
  private vCont(arg: string): string | null {
    const act: (string | null)[] = new Array(this.target.harts).fill(null);
    for (const item of arg.split(";")) {
      const [a, tid] = item.split(":");
      const kind = a[0] === "C" ? "c" : a[0] === "S" ? "s" : a;
      if (kind !== "c" && kind !== "s") return "E22";
      const sel = tid === undefined ? "all" : this.parseThread(tid);
      if (sel === null) return "E22";
      for (let h = 0; h < act.length; h++) {
        if (act[h] === null && (sel === "all" || sel === "any" || sel === h)) act[h] = kind;
      }
    }
    if (this.running) return null;
    const stepper = act.indexOf("s");
    if (stepper >= 0) this.stepHart(stepper); // the harts told to continue wait for it
    else {
      const harts = act.flatMap((k, h) => k === "c" ? [h] : []);
      if (harts.length === 0) return "E22";
      this.resume(harts.length === act.length ? undefined : harts);
    }
    return null;
  }

  /** Parse a thread id (tid, or pPID.TID with multiprocess) into a hart. */
  private parseThread(s: string): ThreadSel {
    let t = s;
    if (t.startsWith("p")) {
      const dot = t.indexOf(".");
      const pid = t.slice(1, dot < 0 ? undefined : dot);
      if (pid !== "1" && pid !== "01" && pid !== "-1" && pid !== "0") return null;
      t = dot < 0 ? "-1" : t.slice(dot + 1);
    }
    if (t === "-1") return "all";
    const n = parseHexNumber(t);
    if (n === null) return null;
    if (n === 0n) return "any";
    return n <= BigInt(this.target.harts) ? Number(n) - 1 : null;
  }

  /** Hart h's thread id as QEMU writes it: 01.. or p01.01.. with multiprocess. */
  private threadId(h: number): string {
    const tid = (h + 1).toString(16).padStart(2, "0");
    return this.multiprocess ? `p01.${tid}` : tid;
  }
}
