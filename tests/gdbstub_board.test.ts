// The gdb stub over a loopback socket against the real virt board (machine/board.ts
// through machine/board_debug.ts), running the project's bare-metal program
// userland/metal/gdbloop: hart 0 enters S-mode with an Sv39 table and calls
// heartbeat() in a loop; hart 1 waits in WFI. Replies are QEMU 7.2's (see
// tests/gdbstub.test.ts for where they were observed).

import { assert, assertEquals, assertMatch } from "./deps.ts";
import { Board } from "../machine/board.ts";
import { BoardDebug } from "../machine/board_debug.ts";
import { CapturedOutput, ConsoleDevice } from "../machine/console.ts";
import { csrRegnum, REG_PC, REG_PRIV } from "../machine/debug.ts";
import { framePacket, regToHex, toHex } from "../machine/gdb_packet.ts";
import { GdbStub, type StubExit } from "../machine/gdbstub.ts";
import { targetXml } from "../machine/gdb_target_xml.ts";
import { ACC_LOAD, SET_S } from "../machine/mmu.ts";
import { KERNBASE } from "../machine/ram.ts";
import { GdbClient } from "./gdb_client.ts";

const GDBLOOP = new URL("../userland/metal/bin/gdbloop", import.meta.url);
/** Where gdbloop maps peekpage (its PEEK_VA), and what the page starts with. */
const PEEK_VA = 0x1_0000_0000n;
const PEEK_TEXT = "seen through the page table";
const PTE_A = 0x40, PTE_D = 0x80;
const LIMIT_STATUS = 5;

interface Rig {
  board: Board;
  stub: GdbStub;
  gdb: GdbClient;
  sym: (name: string) => bigint;
  out: CapturedOutput;
  done: Promise<StubExit>;
}

/** Boot gdbloop on a 2-hart board under a stub (-S), connect a client, run body, tidy up. */
async function withBoard(body: (r: Rig) => Promise<void>): Promise<void> {
  const out = new CapturedOutput();
  const board = new Board({
    kernel: Deno.readFileSync(GDBLOOP),
    disk: new Uint8Array(0),
    console: new ConsoleDevice(out.sink),
    cpus: 2,
  });
  const stub = GdbStub.listen(new BoardDebug(board), {
    port: 0,
    waitForDebugger: true,
    slice: 50_000,
  });
  const done = stub.run();
  const gdb = await GdbClient.connect(stub.port);
  const sym = (name: string) => {
    const v = board.kernel.symbols.get(name);
    if (v === undefined) throw new Error(`gdbloop has no symbol ${name}`);
    return BigInt(v);
  };
  try {
    await body({ board, stub, gdb, sym, out, done });
  } finally {
    gdb.close();
    stub.close();
    await done;
  }
}

/** The bytes of a framed packet as a binary string. */
function frame(payload: string): string {
  return String.fromCharCode(...framePacket(payload));
}

/** Hex of an ASCII string, as m replies carry it. */
function hexOf(text: string): string {
  return toHex(new TextEncoder().encode(text));
}

/** A register value from a p reply (little-endian hex). */
function regValue(hex: string): bigint {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) {
    v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  }
  return v;
}

/** Continue gdb's way to the first heartbeat() call (hart 0 is then in S-mode, paging on). */
async function toHeartbeat(gdb: GdbClient, sym: (n: string) => bigint): Promise<void> {
  const at = sym("heartbeat").toString(16);
  assertEquals(await gdb.ask(`Z0,${at},2`), "OK");
  assertEquals(await gdb.ask("c"), "T05thread:01;");
  assertEquals(await gdb.ask(`z0,${at},2`), "OK");
}

Deno.test("board: gradelib's GDBClient sequence (Z1, c unacked) stops at heartbeat with T05, Ctrl-C with T02", async () => {
  await withBoard(async ({ board, gdb, sym }) => {
    const heartbeat = sym("heartbeat");
    await gdb.raw(frame(`Z1,${heartbeat.toString(16)},1`));
    await gdb.raw(frame("c"));
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.next(), { kind: "packet", payload: "OK" });
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.next(), { kind: "packet", payload: "T05thread:01;" });
    const h0 = board.harts[0];
    assertEquals(BigInt(h0.pcLo >>> 0), heartbeat);
    assertEquals(board.ram.read64(Number(sym("beats"))), 0, "stopped before the first beat");
    // gradelib hangs up here; a gdb would remove the breakpoint, continue and interrupt.
    assertEquals(await gdb.ask(`z1,${heartbeat.toString(16)},1`), "OK");
    await gdb.send("c");
    assertEquals(await gdb.next(), { kind: "+" });
    const beats = () => board.ram.read64(Number(sym("beats")));
    const end = Date.now() + 10_000;
    while (beats() < 1000 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    await gdb.raw("\x03");
    assertEquals(await gdb.packet(), "T02thread:01;");
    const stopped = beats();
    assert(stopped >= 1000, `heartbeat ran ${stopped} times`);
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(beats(), stopped, "the machine stays stopped");
  });
});

Deno.test("board: gdb's start-up packets, registers at reset, target.xml with f0-f31 for double-float ELFs", async () => {
  await withBoard(async ({ board, gdb }) => {
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
      xml += r.slice(1);
      if (r[0] === "l") break;
    }
    assertEquals(xml, targetXml());
    assertMatch(xml, /<feature name="org.gnu.gdb.riscv.fpu">/);
    assertMatch(xml, /<reg name="ft0" bitsize="64" type="riscv_double" regnum="33"\/>/);
    assertEquals(await gdb.ask("?"), "T05thread:p01.01;");
    assertEquals(await gdb.ask("qfThreadInfo"), "mp01.01");
    assertEquals(await gdb.ask("qsThreadInfo"), "mp01.02");
    assertEquals(await gdb.ask("qsThreadInfo"), "l");
    assertEquals(await gdb.ask("qAttached:1"), "1");
    assertEquals(await gdb.ask("Hc-1"), "OK");
    assertEquals(await gdb.ask("qC"), "QCp01.01");
    // Every hart at the ELF's entry in M-mode, a0 = hart id, paging off.
    const entry = BigInt(board.kernel.entry);
    const g = await gdb.ask("g");
    assertEquals(g.length, 33 * 16);
    assertEquals(g.slice(16 * REG_PC, 16 * REG_PC + 16), regToHex(entry));
    assertEquals(await gdb.ask(`p${REG_PRIV.toString(16)}`), regToHex(3n));
    assertEquals(await gdb.ask(`p${csrRegnum(0x180).toString(16)}`), regToHex(0n)); // satp
    assertEquals(await gdb.ask("p21"), regToHex(0n)); // ft0: no FPU, zero until gdb writes it
    assertEquals(await gdb.ask("P21=0000000000f03f00"), "OK"); // as gdb saves and restores it
    assertEquals(await gdb.ask("p21"), "0000000000f03f00");
    assertEquals(await gdb.ask(`p${csrRegnum(0x7b0).toString(16)}`), "E14"); // dcsr: none
    assertEquals(await gdb.ask("Hgp1.2"), "OK");
    assertEquals(await gdb.ask("pa"), regToHex(1n)); // a0 of hart 1
    assertEquals(await gdb.ask(`p${csrRegnum(0xf14).toString(16)}`), regToHex(1n)); // mhartid
    const misa = regValue(await gdb.ask(`p${csrRegnum(0x301).toString(16)}`));
    assertEquals(misa >> 62n, 2n, "misa says RV64");
    // Memory at reset is physical: the first instruction as the ELF loaded it.
    const first = board.ram.bytes.subarray(Number(entry) - KERNBASE, Number(entry) - KERNBASE + 4);
    assertEquals(await gdb.ask(`m${entry.toString(16)},4`), toHex(first));
    assertEquals(await gdb.ask("m1000,4"), "E14"); // no device and no RAM there
  });
});

Deno.test("board: in S-mode, satp and priv read back; memory reads go through the page table and set no A/D bit", async () => {
  await withBoard(async ({ board, gdb, sym }) => {
    await toHeartbeat(gdb, sym);
    assertEquals(await gdb.ask(`p${REG_PRIV.toString(16)}`), regToHex(1n)); // S
    const satp = regValue(await gdb.ask(`p${csrRegnum(0x180).toString(16)}`));
    assertEquals(satp, (8n << 60n) | (sym("root") >> 12n));
    // peekpage exists at PEEK_VA only through the table; its PTE has A and D clear.
    const text = hexOf(PEEK_TEXT);
    assertEquals(await gdb.ask(`m${PEEK_VA.toString(16)},${PEEK_TEXT.length.toString(16)}`), text);
    assertEquals(await gdb.ask(`m${sym("peekpage").toString(16)},4`), text.slice(0, 8)); // 1:1 RAM
    const pte = Number(sym("last")) + 8 * Number((PEEK_VA >> 12n) & 0x1ffn);
    assertEquals(board.ram.read32(pte) & (PTE_A | PTE_D), 0, "the debugger's read set no A/D bit");
    const tlb = board.harts[0].mmu.tlbTag[SET_S * 3 + ACC_LOAD];
    assert(!tlb.includes(Number(PEEK_VA >> 12n)), "and filled no TLB entry");
    // A read across the page's end runs into unmapped space; nothing is mapped at 8 GiB.
    assertEquals(await gdb.ask(`m${(PEEK_VA + 0xffen).toString(16)},4`), "E14");
    assertEquals(await gdb.ask("m200000000,4"), "E14");
    // Writes go through the table too, into RAM.
    assertEquals(await gdb.ask(`M${PEEK_VA.toString(16)},4:${hexOf("SEEN")}`), "OK");
    assertEquals(
      new TextDecoder().decode(board.ram.slice(Number(sym("peekpage")), 4)),
      "SEEN",
    );
    assertEquals(board.ram.read32(pte) & (PTE_A | PTE_D), 0);
    // Devices through the table's first gigapage: LCR reads; RBR/LSR and PLIC claim are refused.
    assertMatch(await gdb.ask("m10000003,1"), /^[0-9a-f]{2}$/);
    assertEquals(await gdb.ask("m10000000,1"), "E14");
    assertEquals(await gdb.ask("m10000004,2"), "E14"); // covers LSR
    assertEquals(await gdb.ask("m0c201004,4"), "E14"); // hart 0's S-mode claim
    assertEquals(await gdb.ask("m0c201000,4"), "00000000"); // its threshold reads
    assertEquals(await gdb.ask("m10001000,4"), hexOf("virt")); // virtio magic
  });
});

Deno.test("board: s steps one instruction of one hart; gdb's stepi (vCont;c:p1.N) moves only that hart", async () => {
  await withBoard(async ({ board, gdb, sym }) => {
    await toHeartbeat(gdb, sym);
    await gdb.ask("qSupported:multiprocess+"); // thread ids as gdb has them: p01.NN
    const h0 = board.harts[0], h1 = board.harts[1];
    const pc0 = BigInt(h0.pcLo >>> 0);
    const insn = board.ram.read8(Number(pc0)) & 3;
    const size = insn === 3 ? 4n : 2n;
    const hart1 = [h1.pcLo, h1.cycles];
    assertEquals(await gdb.ask("s"), "T05thread:p01.01;");
    assertEquals(BigInt(h0.pcLo >>> 0), pc0 + size);
    assertEquals([h1.pcLo, h1.cycles], hart1, "hart 1 did not move");
    // gdb 13 single-steps RISC-V with a breakpoint on the next instruction and a
    // continue of that one thread.
    const next = (board.ram.read8(h0.pcLo >>> 0) & 3) === 3 ? 4n : 2n;
    const nextPc = BigInt(h0.pcLo >>> 0) + next;
    assertEquals(await gdb.ask(`Z0,${nextPc.toString(16)},2`), "OK");
    assertEquals(await gdb.ask("vCont;c:p1.1"), "T05thread:p01.01;");
    assertEquals(BigInt(h0.pcLo >>> 0), nextPc);
    assertEquals([h1.pcLo, h1.cycles], hart1, "hart 1 still did not move");
    assertEquals(await gdb.ask(`z0,${nextPc.toString(16)},2`), "OK");
    // vCont;s:p1.2 steps hart 1 alone.
    assertEquals(await gdb.ask("vCont;s:p1.2"), "T05thread:p01.02;");
    assert(h1.cycles > (hart1[1] as number), "hart 1 took its step");
  });
});

Deno.test("board: a guest that powers off ends the run with W and the finisher's code", async () => {
  await withBoard(async ({ gdb, sym, out, done }) => {
    await toHeartbeat(gdb, sym);
    assertEquals(await gdb.ask(`M${sym("beat_limit").toString(16)},8:0300000000000000`), "OK");
    await gdb.send("c");
    assertEquals(await gdb.next(), { kind: "+" });
    assertEquals(await gdb.packet(), `W0${LIMIT_STATUS}`);
    assertEquals(await done, { reason: "halted", code: LIMIT_STATUS });
    const satp = (8n << 60n) | (sym("root") >> 12n);
    assertMatch(
      out.text(),
      new RegExp(`gdbloop: beating in S-mode, satp 0x${satp.toString(16)}\n`),
    );
  });
});

Deno.test("board: a breakpoint cuts a turn short and resuming finishes it, so no hart's clock goes back", () => {
  const board = new Board({
    kernel: Deno.readFileSync(GDBLOOP),
    disk: new Uint8Array(0),
    console: new ConsoleDevice(),
    cpus: 2,
  });
  const t = new BoardDebug(board);
  const heartbeat = BigInt(board.kernel.symbols.get("heartbeat")!);
  t.setBreakpoint(heartbeat);
  const h0 = board.harts[0];
  let last = -1;
  for (let i = 1; i <= 30; i++) {
    assertEquals(t.run(1_000_000), { kind: "breakpoint", hart: 0 });
    assertEquals(BigInt(h0.pcLo >>> 0), heartbeat);
    assert(h0.now() > last, `hart 0's time went from ${last} to ${h0.now()}`);
    last = h0.now();
    assertEquals(t.step(0), { kind: "step", hart: 0 }); // off the breakpoint, as gdb does
    assertEquals(board.ram.read64(board.kernel.symbols.get("beats")!), i - 1);
  }
  // Only the listed harts move: hart 1 waits in WFI, so running it alone does nothing.
  const pc0 = h0.pcLo;
  assertEquals(t.run(100_000, [1]), null);
  assertEquals(h0.pcLo, pc0);
  t.clearBreakpoint(heartbeat);
  assertEquals(t.run(100_000), null);
  assert(board.ram.read64(board.kernel.symbols.get("beats")!) > 100);
});
