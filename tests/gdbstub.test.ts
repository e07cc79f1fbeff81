// The gdb stub over a real loopback socket, against a small fake machine
// (tests/gdb_fake_target.ts). Expected replies are QEMU 7.2's, observed by driving
// qemu-system-riscv64 -S -gdb with gdb-multiarch 13.1 and with raw packets: the lab
// grader's client (gradelib.py), gdb's start-up sequence, stepping, Ctrl-C, errors.

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { GdbStub, type StubExit } from "../machine/gdbstub.ts";
import { escapeBinary, framePacket, regToHex, toHex } from "../machine/gdb_packet.ts";
import { GDB_CSRS, targetXml, XREG_NAMES } from "../machine/gdb_target_xml.ts";
import { CSR_REGNUM_BASE, csrRegnum, REG_PC, REG_PRIV } from "../machine/debug.ts";
import { CounterMachine, RAM_BASE } from "./gdb_fake_target.ts";
import { GdbClient } from "./gdb_client.ts";

interface Setup {
  harts?: number;
  wait?: boolean;
  slice?: number;
}

interface Rig {
  m: CounterMachine;
  stub: GdbStub;
  gdb: GdbClient;
  done: Promise<StubExit>;
}

/** Start a stub on a free port over a fresh machine, connect a client, run body, tidy up. */
async function withStub(setup: Setup, body: (r: Rig) => Promise<void>): Promise<void> {
  const m = new CounterMachine(setup.harts ?? 1);
  const stub = GdbStub.listen(m, {
    port: 0,
    waitForDebugger: setup.wait ?? true,
    slice: setup.slice ?? 1000,
  });
  const done = stub.run();
  const gdb = await GdbClient.connect(stub.port);
  try {
    await body({ m, stub, gdb, done });
  } finally {
    gdb.close();
    stub.close();
    await done;
  }
}

/** Wait (polling) until cond holds; fail after 10 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The bytes of a framed packet as a binary string, for writing several in one go. */
function frame(payload: string): string {
  return String.fromCharCode(...framePacket(payload));
}

/** The value of register n in a g reply. */
function gField(g: string, n: number): string {
  return g.slice(16 * n, 16 * n + 16);
}

Deno.test("gradelib's GDBClient: Z1 and c sent without waiting or acking get OK, then one T05 at the breakpoint", async () => {
  await withStub({ harts: 3 }, async ({ m, gdb }) => {
    // gradelib: sock.sendall("$Z1,%x,1#cs"), then sock.sendall("$c#cs"); it never sends '+'.
    await gdb.raw(frame("Z1,80000020,1"));
    await gdb.raw(frame("c"));
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.next(), { kind: "packet", payload: "OK" });
    assertEquals(await gdb.next(), { kind: "+" });
    // gradelib's regex \$([^#]*)#.. and its test pkt.startswith("T05")
    assertEquals(await gdb.next(), { kind: "packet", payload: "T05thread:01;" });
    assertEquals(m.pc[0], RAM_BASE + 0x20n);
    assertEquals(m.x[0][5], 8n); // eight addi before the breakpoint
    // Exactly one stop reply: the next thing after it answers the next question.
    await gdb.send("qAttached");
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.next(), { kind: "packet", payload: "1" });
  });
});

Deno.test("gdb-multiarch 13.1's start-up packets (as sent to QEMU 7.2) get QEMU's answers", async () => {
  await withStub({ harts: 3 }, async ({ m, gdb }) => {
    // The order and text of these packets are what gdb sent to qemu-system-riscv64 7.2
    // for `target remote`, `break work`, `continue`, `stepi`, `info threads`.
    assertEquals(
      await gdb.ask(
        "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;" +
          "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386",
      ),
      "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+",
    );
    assertEquals(await gdb.ask("vMustReplyEmpty"), "");
    assertEquals(await gdb.ask("Hgp0.0"), "OK");
    let xml = "";
    for (;;) {
      const r = await gdb.ask(`qXfer:features:read:target.xml:${xml.length.toString(16)},ffb`);
      assertMatch(r, /^[ml]/);
      xml += r.slice(1);
      if (r[0] === "l") break;
    }
    assertEquals(xml, targetXml());
    assertEquals(await gdb.ask("qTStatus"), "");
    assertEquals(await gdb.ask("?"), "T05thread:p01.01;");
    assertEquals(await gdb.ask("qfThreadInfo"), "mp01.01");
    assertEquals(await gdb.ask("qsThreadInfo"), "mp01.02");
    assertEquals(await gdb.ask("qsThreadInfo"), "mp01.03");
    assertEquals(await gdb.ask("qsThreadInfo"), "l");
    assertEquals(await gdb.ask("qAttached:1"), "1");
    assertEquals(await gdb.ask("Hc-1"), "OK");
    const g = await gdb.ask("g");
    assertEquals(g.length, 33 * 16);
    assertEquals(gField(g, REG_PC), regToHex(RAM_BASE));
    assertEquals(gField(g, 10), regToHex(0n)); // a0 = hartid 0
    assertEquals(await gdb.ask("m1000,4"), "E14"); // nothing mapped there on this machine
    assertEquals(await gdb.ask("qSymbol::"), "");
    // break at 0x8000001c; continue
    assertEquals(await gdb.ask("m8000001c,2"), "9382"); // addi t0,t0,1 = 0x00128293
    assertEquals(await gdb.ask("Z0,8000001c,2"), "OK");
    assertEquals(await gdb.ask("vCont?"), "vCont;c;C;s;S");
    assertEquals(await gdb.ask("vCont;c:p1.-1"), "T05thread:p01.01;");
    assertEquals(m.pc[0], RAM_BASE + 0x1cn);
    // stepi, as gdb does it on RISC-V: a breakpoint on the next instruction, and only
    // the current thread resumed.
    const others = [m.pc[1], m.pc[2]];
    assertEquals(await gdb.ask("z0,8000001c,2"), "OK");
    assertEquals(await gdb.ask("Z0,80000020,2"), "OK");
    assertEquals(await gdb.ask("vCont;c:p1.1"), "T05thread:p01.01;");
    assertEquals(m.pc[0], RAM_BASE + 0x20n);
    assertEquals([m.pc[1], m.pc[2]], others);
    assertEquals(m.runs.at(-1)?.harts, [0]);
    assertEquals(await gdb.ask("z0,80000020,2"), "OK");
    // info threads, thread 2, p/x $satp, p $priv, p/x $mhartid
    assertEquals(await gdb.ask("qC"), "QCp01.01");
    assertEquals(await gdb.ask("qThreadExtraInfo,p1.2"), toHex(new TextEncoder().encode("hart 1")));
    assertEquals(await gdb.ask("Tp1.2"), "OK");
    assertEquals(await gdb.ask("Hgp1.2"), "OK");
    assertEquals(gField(await gdb.ask("g"), 10), regToHex(1n));
    assertEquals(await gdb.ask("p1c2"), regToHex(0n)); // satp
    assertEquals(await gdb.ask("p41"), regToHex(3n)); // priv: M
    assertEquals(await gdb.ask("pf56"), regToHex(1n)); // mhartid of thread 2
    // detach: breakpoints gone, the machine runs on
    assertEquals(await gdb.ask("Z0,80000030,2"), "OK");
    const before = m.executed;
    assertEquals(await gdb.ask("D;1"), "OK");
    assertEquals(m.breakpoints.size, 0);
    await until(() => m.executed > before + 10_000, "the machine to run after D");
  });
});

Deno.test("target.xml: riscv:rv64, x0-x31 and pc as registers 0-32, priv 65, CSR c as 66+c", () => {
  const xml = targetXml();
  assertMatch(xml, /<architecture>riscv:rv64<\/architecture>/);
  assertMatch(xml, /<feature name="org.gnu.gdb.riscv.cpu">/);
  assertMatch(xml, /<feature name="org.gnu.gdb.riscv.csr">/);
  XREG_NAMES.forEach((n, i) =>
    assertMatch(xml, new RegExp(`<reg name="${n}" [^>]*regnum="${i}"/>`))
  );
  assertMatch(xml, new RegExp(`<reg name="pc" [^>]*regnum="${REG_PC}"/>`));
  assertMatch(xml, new RegExp(`<reg name="priv" [^>]*regnum="${REG_PRIV}"/>`));
  const wanted = [
    "sstatus",
    "sie",
    "stvec",
    "sscratch",
    "sepc",
    "scause",
    "stval",
    "sip",
    "satp", // deno-fmt-ignore
    "mstatus",
    "misa",
    "medeleg",
    "mideleg",
    "mie",
    "mtvec",
    "mscratch",
    "mepc",
    "mcause",
    "mtval",
    "mip",
    "mhartid",
  ];
  const names = GDB_CSRS.map(([n]) => n);
  for (const w of wanted) assert(names.includes(w), w);
  for (const [n, c] of GDB_CSRS) {
    assertMatch(xml, new RegExp(`<reg name="${n}" bitsize="64" regnum="${CSR_REGNUM_BASE + c}"/>`));
  }
  // QEMU 7.2's numbers for a few, as its own riscv-csr.xml gives them
  assertEquals([csrRegnum(0x100), csrRegnum(0x180), csrRegnum(0xf14)], [322, 450, 3926]);
  assert(!/[$#}*]/.test(xml), "nothing in the document needs escaping");
});

Deno.test("Ctrl-C stops a running machine with T02 for the current thread; Ctrl-C when stopped says nothing", async () => {
  await withStub({ harts: 2 }, async ({ m, gdb }) => {
    await gdb.send("c");
    assertEquals(await gdb.next(), { kind: "+" });
    await until(() => m.executed > 5000, "the machine to run");
    await gdb.raw("\x03");
    assertEquals(await gdb.packet(), "T02thread:01;");
    const stoppedAt = m.executed;
    await gdb.raw("\x03");
    assertEquals(await gdb.ask("?"), "T05thread:01;"); // no second stop reply before it
    assertEquals(m.executed, stoppedAt);
    // Hc names the thread a later Ctrl-C reports, as with QEMU.
    assertEquals(await gdb.ask("Hc2"), "OK");
    await gdb.send("c");
    assertEquals(await gdb.next(), { kind: "+" });
    await until(() => m.executed > stoppedAt + 5000, "the machine to run again");
    await gdb.raw("\x03");
    assertEquals(await gdb.packet(), "T02thread:02;");
  });
});

Deno.test("s, vCont;s:tid and vCont;s:tid;c execute one instruction of one hart", async () => {
  await withStub({ harts: 3 }, async ({ m, gdb }) => {
    assertEquals(await gdb.ask("s"), "T05thread:01;");
    assertEquals([m.executed, m.pc[0]], [1, RAM_BASE + 4n]);
    assertEquals(await gdb.ask("vCont;s:2"), "T05thread:02;");
    assertEquals([m.executed, m.pc[1]], [2, RAM_BASE + 4n]);
    assertEquals(await gdb.ask("vCont;s:3;c"), "T05thread:03;");
    assertEquals([m.executed, m.pc[2]], [3, RAM_BASE + 4n]);
    // the stop made thread 3 current: plain s steps it
    assertEquals(await gdb.ask("s"), "T05thread:03;");
    assertEquals(m.pc[2], RAM_BASE + 8n);
    assertEquals(await gdb.ask("Hc0"), "OK"); // 0: any thread, which QEMU takes as the first
    assertEquals(await gdb.ask("s80000010"), "T05thread:01;"); // from an address
    assertEquals(m.pc[0], RAM_BASE + 0x14n);
    assertEquals(
      await gdb.ask("qSupported:multiprocess+"),
      "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+",
    );
    assertEquals(await gdb.ask("vCont;s:p1.2;c:p1.-1"), "T05thread:p01.02;");
    assertEquals(m.pc[1], RAM_BASE + 8n);
    // stepping over a breakpoint executes it
    assertEquals(await gdb.ask("Z0,80000014,2"), "OK");
    assertEquals(await gdb.ask("Hcp1.1"), "OK");
    assertEquals(await gdb.ask("s"), "T05thread:p01.01;");
    assertEquals(m.pc[0], RAM_BASE + 0x18n);
  });
});

Deno.test("breakpoints: Z0 and Z1 count per address, z of a missing one is E22, c on one stops again, ? drops them", async () => {
  await withStub({ harts: 1 }, async ({ m, gdb }) => {
    assertEquals(await gdb.ask("Z0,80000008,2"), "OK");
    assertEquals(await gdb.ask("Z1,80000008,2"), "OK");
    assertEquals(await gdb.ask("z0,80000008,2"), "OK");
    assert(m.breakpoints.has(RAM_BASE + 8n), "still held by the Z1");
    assertEquals(await gdb.ask("c"), "T05thread:01;");
    assertEquals(m.pc[0], RAM_BASE + 8n);
    const n = m.executed;
    assertEquals(await gdb.ask("c"), "T05thread:01;"); // QEMU 7.2 stops there again
    assertEquals(m.executed, n);
    assertEquals(await gdb.ask("z1,80000008,2"), "OK");
    assertEquals(m.breakpoints.size, 0);
    assertEquals(await gdb.ask("z1,80000008,2"), "E22");
    assertEquals(await gdb.ask("Z1,8000000c"), "E22"); // no kind
    assertEquals(await gdb.ask("Z2,80001000,8"), ""); // watchpoints: gdb falls back to its own
    assertEquals(await gdb.ask("Z1,80000030,2"), "OK");
    assertEquals(await gdb.ask("?"), "T05thread:01;");
    assertEquals(m.breakpoints.size, 0);
  });
});

Deno.test("registers: g/G and p/P for x, pc, priv and CSRs by QEMU's numbers; a missing one is E14", async () => {
  await withStub({ harts: 2 }, async ({ m, gdb }) => {
    assertEquals(await gdb.ask("P5=efcdab8967452301"), "OK");
    assertEquals(m.x[0][5], 0x0123456789abcdefn);
    assertEquals(await gdb.ask("p5"), "efcdab8967452301");
    assertEquals(await gdb.ask("P20=0400008000000000"), "OK");
    assertEquals(m.pc[0], RAM_BASE + 4n);
    assertEquals(await gdb.ask(`P${csrRegnum(0x180).toString(16)}=0800000000000080`), "OK");
    assertEquals(m.csr[0].get(0x180), 0x8000000000000008n);
    for (const [, c] of GDB_CSRS) {
      assertMatch(await gdb.ask(`p${csrRegnum(c).toString(16)}`), /^[0-9a-f]{16}$/);
    }
    assertEquals(await gdb.ask("p21"), "E14"); // 33: no FPU
    assertEquals(await gdb.ask(`p${csrRegnum(0x7b0).toString(16)}`), "E14"); // dcsr: not described
    assertEquals(await gdb.ask("P21=0000000000000000"), "E14");
    assertEquals(await gdb.ask("Hg2"), "OK");
    const regs = Array.from(
      { length: 33 },
      (_, n) => regToHex(n === 32 ? RAM_BASE + 0x3cn : BigInt(n * 3 + 1)),
    );
    assertEquals(await gdb.ask("G" + regs.join("")), "OK");
    assertEquals(m.x[1][7], 22n);
    assertEquals(m.pc[1], RAM_BASE + 0x3cn);
    assertEquals((await gdb.ask("g")).slice(16), regs.slice(1).join(""));
    assertEquals(await gdb.ask("G" + regs.join("").slice(1)), "E22");
  });
});

Deno.test("memory: m, M and X (escaped } # $ *) through the current thread; outside RAM is E14", async () => {
  await withStub({ harts: 1 }, async ({ m, gdb }) => {
    const loop = "93821200".repeat(15) + "6ff05ffc"; // 15 addi, then the jal back
    assertEquals(await gdb.ask("m80000000,800"), loop + "00".repeat(0x800 - 64));
    assertEquals(await gdb.ask("M80000100,4:deadbeef"), "OK");
    assertEquals(await gdb.ask("m80000100,4"), "deadbeef");
    const data = "\x7d\x23\x24\x2a\x00\x03";
    const escaped = escapeBinary(data);
    assertEquals(escaped, "}]}\x03}\x04}\x0a\x00\x03");
    assertEquals(await gdb.ask("X80000200,6:" + escaped), "OK");
    assertEquals(await gdb.ask("m80000200,6"), "7d23242a0003");
    assertEquals(Array.from(m.ram.subarray(0x200, 0x206)), [0x7d, 0x23, 0x24, 0x2a, 0, 3]);
    assertEquals(await gdb.ask("X80001000,0:"), "OK"); // gdb's probe for X
    assertEquals(await gdb.ask("X80000200,5:" + escaped), "E22"); // length disagrees
    assertEquals(await gdb.ask("m0,4"), "E14");
    assertEquals(await gdb.ask("mffff,4"), "E14");
    assertEquals(await gdb.ask("M0,1:00"), "E14");
    assertEquals(await gdb.ask("X0,1:a"), "E14");
    assertEquals(await gdb.ask("m8000fffe,4"), "E14"); // runs off the end of RAM
    assertEquals(await gdb.ask("m80000000,801"), "E22"); // more than QEMU serves
    assertEquals(await gdb.ask("m80000000,0"), "");
  });
});

Deno.test("wire: a bad checksum is refused with '-', '-' from gdb resends, packets may arrive in pieces", async () => {
  await withStub({ harts: 1 }, async ({ m, gdb }) => {
    await gdb.raw("$M80000100,1:aa#00");
    assertEquals(await gdb.next(), { kind: "-" });
    assertEquals(m.ram[0x100], 0);
    await gdb.raw("$M80000100,1:aa#zz");
    assertEquals(await gdb.next(), { kind: "-" });
    await gdb.send("m80000000,4"); // not acknowledged yet: '-' asks for it again
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.next(), { kind: "packet", payload: "93821200" });
    await gdb.raw("-");
    assertEquals(await gdb.next(), { kind: "packet", payload: "93821200" });
    await gdb.raw("+");
    const whole = frame("m80000004,4");
    for (const piece of [whole.slice(0, 3), whole.slice(3, 9), whole.slice(9)]) {
      await gdb.raw(piece);
    }
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.packet(), "93821200");
    await gdb.raw("junk between packets\x00\xff");
    await gdb.raw("$m8000000"); // abandoned: a new '$' starts over
    assertEquals(await gdb.ask("m80000008,2"), "9382");
    await gdb.raw(frame("M80000000," + "1".repeat(0x4000)));
    assertEquals(await gdb.next(), { kind: "-" }); // longer than the stub takes
    assertEquals(await gdb.ask("qAttached"), "1");
  });
});

Deno.test("malformed packets never throw and get QEMU's kind of answer", async () => {
  await withStub({ harts: 2 }, async ({ gdb, done }) => {
    let failed = false;
    done.catch(() => failed = true);
    const cases: [string, string][] = [
      ["m", "E22"],
      ["mzz,1", "E22"],
      ["m1", "E22"],
      ["m80000000,", "E22"],
      ["m80000000,12345678901234567", "E22"],
      ["M", "E22"],
      ["M1,2", "E22"],
      ["M80000000,2:zz", "E22"],
      ["M80000000,2:00", "E22"],
      ["X80000000,2:a", "E22"],
      ["p", "E22"],
      ["pzz", "E22"],
      ["pffffffffff", "E14"],
      ["P", "E22"],
      ["P=", "E22"],
      ["P5=zz", "E22"],
      ["G1", "E22"],
      ["H", "E22"],
      ["Hg", "E22"],
      ["Hgxyz", "E22"],
      ["Hx1", "E22"],
      ["Hg9", "E22"],
      ["Hgp7.1", "E22"],
      ["T", "E22"],
      ["T3", "E22"], // QEMU: thread 3 of 2 is E22
      ["Z", ""],
      ["Z0", "E22"],
      ["Z0,", "E22"],
      ["Z0,zz,2", "E22"],
      ["Z9,1,1", ""],
      ["vCont;", "E22"],
      ["vCont;x", "E22"],
      ["vCont;c:zz", "E22"],
      ["vCont;c:9", "E22"],
      ["vRun;", ""],
      ["qXfer:features:read:target.xml:zz,1", "E00"],
      ["qXfer:features:read:other.xml:0,10", "E00"],
      ["qXfer:features:read:target.xml:ffffff,10", "l"],
      ["qThreadExtraInfo,zz", "E22"],
      ["qRcmd,68656c70", ""],
      ["QStartNoAckMode", ""], // QEMU 7.2 keeps acks
      ["qOffsets", ""],
      ["czz", "E22"],
      ["szz", "E22"],
      ["\x00\xff}", ""],
      ["", ""],
    ];
    for (const [p, want] of cases) assertEquals(await gdb.ask(p), want, JSON.stringify(p));
    assertEquals(await gdb.ask("?"), "T05thread:01;");
    assert(!failed, "run() must not fail");
  });
});

Deno.test("with -S nothing runs until gdb says c; without it the machine runs and a connecting gdb stops it with T02", async () => {
  await withStub({ harts: 2, wait: true }, async ({ m, gdb }) => {
    assertEquals(await gdb.ask("?"), "T05thread:01;");
    assertEquals([m.executed, m.runs.length], [0, 0]);
    assertEquals(await gdb.ask("Z0,80000004,2"), "OK");
    assertEquals(await gdb.ask("c"), "T05thread:01;");
    assertEquals(m.executed, 2); // one instruction each, hart 0 first
  });
  const m = new CounterMachine(2);
  const stub = GdbStub.listen(m, { port: 0, waitForDebugger: false, slice: 1000 });
  assertEquals(stub.hostname, "127.0.0.1");
  const done = stub.run();
  await until(() => m.executed > 5000, "the machine to start on its own");
  const gdb = await GdbClient.connect(stub.port);
  assertEquals(await gdb.packet(), "T02thread:01;"); // QEMU stops the machine for a new gdb
  const stoppedAt = m.executed;
  gdb.close(); // hanging up without D leaves it stopped
  await until(() => !stub.connected, "the stub to see the hang-up");
  const again = await GdbClient.connect(stub.port);
  assertEquals(await again.ask("qAttached"), "1"); // and no second T02
  assertEquals(m.executed, stoppedAt);
  // a second debugger is turned away while one is connected
  const third = await GdbClient.connect(stub.port);
  assert(await third.atEof(), "second connection closed");
  third.close();
  assertEquals(await again.ask("D"), "OK");
  await until(() => m.executed > stoppedAt + 5000, "the machine to run after D");
  again.close();
  stub.close();
  assertEquals(await done, { reason: "closed", code: 0 });
});

Deno.test("k and vKill end the run: W00, the connection closes, run() says killed", async () => {
  for (const kill of ["k", "vKill;1"]) {
    const m = new CounterMachine(1);
    const stub = GdbStub.listen(m, { port: 0, waitForDebugger: true });
    const done = stub.run();
    const gdb = await GdbClient.connect(stub.port);
    await gdb.send(kill);
    assertEquals(await gdb.next(), { kind: "+" });
    if (kill !== "k") assertEquals(await gdb.packet(), "OK");
    assertEquals(await gdb.packet(), "W00");
    assertEquals(await done, { reason: "killed", code: 0 });
    assert(await gdb.atEof(), "connection closed");
    gdb.close();
  }
});

Deno.test("a guest that powers off ends the run with W and its exit code", async () => {
  await withStub({ harts: 2 }, async ({ m, gdb, done }) => {
    m.haltAt = 50;
    m.haltCode = 3;
    await gdb.send("c");
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.packet(), "W03");
    assertEquals(await done, { reason: "halted", code: 3 });
    assertEquals(m.executed, 50);
  });
});
