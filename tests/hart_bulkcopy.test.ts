// Byte-copy loops (xv6's memmove, both ways round, and the order gcc -O2 gives), which
// translated code runs in bulk: every case is checked against a step-by-step model of
// the same instructions, in the interpreter and translated, for instructions retired,
// registers, pc, every byte of the data pages, and the fault a copy runs into.
import assert from "./deps.ts";
import * as E from "./encode.ts";
import { CAUSE_ECALL_U, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT } from "../machine/hart.ts";
import { KERNBASE } from "../machine/ram.ts";
import { decode16, decode32, decodedImm } from "../machine/decode.ts";
import { copyLoop, findBlocks } from "../machine/translate.ts";
import { modeTest, pc, R, reg, sepc, setPc, setReg, stval, U, ux, vm, W } from "./hart_harness.ts";

type Inst =
  | ["addi" | "lb" | "lbu", number, number, number] // rd, rs1, imm
  | ["sb", number, number, number] // value, base, imm
  | ["bne", number, number, number] // a, b, offset
  | ["ecall"];

// Pointers: source x1, destination x5, the byte through x4, the bound in x3.
const FORWARD: Inst[] = [ // xv6's memmove when dst is below src
  ["addi", 1, 1, 1],
  ["addi", 5, 5, 1],
  ["lbu", 4, 1, -1],
  ["sb", 4, 5, -1],
  ["bne", 1, 3, -16],
  ["ecall"],
];
const BACKWARD: Inst[] = [ // xv6's memmove when dst overlaps above src
  ["addi", 1, 1, -1],
  ["addi", 5, 5, -1],
  ["lbu", 4, 1, 0],
  ["sb", 4, 5, 0],
  ["bne", 3, 1, -16],
  ["ecall"],
];
const SIGNED: Inst[] = [ // loads first, bumps after, counts on the destination
  ["lb", 4, 1, 0],
  ["addi", 1, 1, 1],
  ["sb", 4, 5, 0],
  ["addi", 5, 5, 1],
  ["bne", 5, 3, -16],
  ["ecall"],
];

const CODE = 0x3000;
/** Data pages: 0x8000 and 0x9000 mapped (not adjacent in RAM), 0x7000 and 0xa000 not. */
const PAGES = [0x8000, 0x9000];

function encode(i: Inst): number {
  switch (i[0]) {
    case "addi":
      return E.addi(i[1], i[2], i[3]);
    case "lb":
      return E.lb(i[1], i[2], i[3]);
    case "lbu":
      return E.lbu(i[1], i[2], i[3]);
    case "sb":
      return E.sb(i[1], i[2], i[3]);
    case "bne":
      return E.bne(i[1], i[2], i[3]);
    default:
      return E.ecall();
  }
}

/** The byte the data pages start with at VA va (the same for model and machine). */
const initial = (va: number) => (va * 7 + (va >> 8) * 13 + 3) & 0xff;

interface Outcome {
  n: number;
  pc: number;
  x: bigint[];
  cause: number; // -1: the budget ran out
  tval: number;
  mem: Map<number, number>;
}

/** Step `prog` one instruction at a time for at most `budget` instructions. */
function model(prog: Inst[], x0: Record<number, number>, budget: number): Outcome {
  const x = new Array<bigint>(32).fill(0n);
  for (const [r, v] of Object.entries(x0)) x[+r] = BigInt(v);
  const mem = new Map<number, number>();
  for (const p of PAGES) for (let k = 0; k < 4096; k++) mem.set(p + k, initial(p + k));
  let n = 0, at = 0;
  const out = (cause: number, tval = 0): Outcome => ({
    n,
    pc: CODE + 4 * at,
    x: x.map(ux),
    cause,
    tval,
    mem,
  });
  for (;;) {
    if (n >= budget) return out(-1);
    const i = prog[at];
    switch (i[0]) {
      case "addi":
        x[i[1]] = x[i[2]] + BigInt(i[3]);
        break;
      case "lb":
      case "lbu": {
        const va = Number(x[i[2]]) + i[3];
        const b = mem.get(va);
        if (b === undefined) return out(CAUSE_LOAD_PAGE_FAULT, va);
        x[i[1]] = BigInt(i[0] === "lb" && b >= 128 ? b - 256 : b);
        break;
      }
      case "sb": {
        const va = Number(x[i[2]]) + i[3];
        if (!mem.has(va)) return out(CAUSE_STORE_PAGE_FAULT, va);
        mem.set(va, Number(ux(x[i[1]]) & 0xffn));
        break;
      }
      case "bne":
        if (x[i[1]] !== x[i[2]]) {
          n++;
          at += i[3] / 4;
          continue;
        }
        break;
      default:
        return out(CAUSE_ECALL_U);
    }
    n++;
    at++;
  }
}

/** Run `prog` on the hart (user mode, Sv39) for `budget` instructions, as model() does. */
function machine(prog: Inst[], x0: Record<number, number>, budget: number): Outcome {
  const m = vm(prog.map(encode), CODE);
  const pas = PAGES.map((va) => {
    m.pt.alloc(); // a gap, so the data pages are not adjacent in RAM
    const pa = m.pt.alloc();
    m.pt.map(va, pa, R | W | U);
    for (let k = 0; k < 4096; k++) m.ram.bytes[pa - KERNBASE + k] = initial(va + k);
    return pa;
  });
  m.hart.sfenceVma();
  m.hart.x.fill(0);
  for (const [r, v] of Object.entries(x0)) setReg(m.hart, +r, BigInt(v));
  setPc(m.hart, BigInt(CODE));
  m.hart.instret = 0;
  const cause = m.hart.run(budget);
  const mem = new Map<number, number>();
  PAGES.forEach((va, p) => {
    for (let k = 0; k < 4096; k++) mem.set(va + k, m.ram.bytes[pas[p] - KERNBASE + k]);
  });
  const x = Array.from({ length: 32 }, (_, r) => r === 0 ? 0n : reg(m.hart, r));
  const faulted = cause === CAUSE_LOAD_PAGE_FAULT || cause === CAUSE_STORE_PAGE_FAULT;
  return {
    n: m.hart.instret,
    pc: Number(faulted ? sepc(m.hart) : pc(m.hart)),
    x,
    cause,
    tval: faulted ? Number(stval(m.hart)) : 0,
    mem,
  };
}

/** Machine and model agree on everything after `budget` instructions. */
function agree(prog: Inst[], x0: Record<number, number>, budget: number, what: string): Outcome {
  const want = model(prog, x0, budget), got = machine(prog, x0, budget);
  const tag = `${what}, budget ${budget}`;
  assert.equal(got.cause, want.cause, `${tag}: cause`);
  assert.equal(got.n, want.n, `${tag}: instructions`);
  assert.equal(got.pc, want.pc, `${tag}: pc`);
  assert.equal(got.tval, want.tval, `${tag}: tval`);
  for (const r of [1, 3, 4, 5]) assert.equal(got.x[r], want.x[r], `${tag}: x${r}`);
  for (const [va, b] of want.mem) {
    if (got.mem.get(va) !== b) assert.fail(`${tag}: byte at ${va.toString(16)}`);
  }
  return want;
}

/** Budgets around the start, iteration edges and the end of a copy of `bytes` bytes. */
function budgets(bytes: number): number[] {
  const end = 5 * bytes;
  return [1, 2, 3, 4, 5, 6, 9, 10, 11, 503, 1000, end - 1, end, end + 1, end + 2, 100_000]
    .filter((b) => b > 0);
}

modeTest("a forward byte copy stops at exactly N instructions, as stepped", () => {
  const s = 0x8000 + 100;
  for (const [d, what] of [[0x9000 + 2000, "apart"], [0x8000 + 40, "dst below src"]] as const) {
    for (const N of budgets(1500)) agree(FORWARD, { 1: s, 5: d, 3: s + 1500 }, N, what);
  }
});

modeTest("a forward byte copy onto bytes it has yet to load repeats them, as stepped", () => {
  // dst 3 above src: each byte is stored before the loop loads it again (not memmove).
  const s = 0x8000 + 0x100;
  for (const N of budgets(600)) {
    const want = agree(FORWARD, { 1: s, 5: s + 3, 3: s + 600 }, N, "dst 3 above src");
    if (N === 100_000) assert.equal(want.mem.get(s + 400), want.mem.get(s + 1));
  }
});

modeTest("a backward byte copy stops at exactly N instructions, as stepped", () => {
  const s = 0x8000 + 1600; // one past the last byte, as xv6 starts it
  for (
    const [d, what] of [
      [0x9000 + 3000, "apart"],
      [s + 5, "dst above src"],
      [s - 5, "dst below src"],
    ] as const
  ) {
    for (const N of budgets(1500)) agree(BACKWARD, { 1: s, 5: d, 3: s - 1500 }, N, what);
  }
});

modeTest("a byte copy with lb, bumps after and the bound on dst stops exactly, as stepped", () => {
  const s = 0x8000 + 2500, d = 0x8000 + 10;
  for (const N of budgets(1000)) agree(SIGNED, { 1: s, 5: d, 3: d + 1000 }, N, "lb");
});

modeTest("a byte copy crossing a page goes on there, and faults where stepping does", () => {
  // The source crosses from 0x8000 to 0x9000 (elsewhere in RAM), then runs off 0x9000.
  const cases: [Inst[], Record<number, number>, string, number][] = [
    [FORWARD, { 1: 0x8000 + 3000, 5: 0x8000 + 8, 3: 0x8000 + 4500 }, "src crosses", -1],
    [FORWARD, { 1: 0x9000 + 3900, 5: 0x8000 + 8, 3: 0x9000 + 4400 }, "src runs off", 13],
    [FORWARD, { 1: 0x8000 + 8, 5: 0x9000 + 3950, 3: 0x8000 + 508 }, "dst runs off", 15],
    [BACKWARD, { 1: 0x8000 + 50, 5: 0x9000 + 900, 3: 0x7000 + 3000 }, "src runs under", 13],
    [SIGNED, { 1: 0x9000 + 10, 5: 0x8000 + 4000, 3: 0x8000 + 4200 }, "dst crosses", -1],
  ];
  for (const [prog, x0, what, cause] of cases) {
    const want = agree(prog, x0, 100_000, what);
    assert.equal(want.cause, cause === -1 ? CAUSE_ECALL_U : cause, what);
    for (const N of [want.n - 6, want.n - 1, want.n]) agree(prog, x0, N, what);
  }
});

Deno.test("copyLoop knows memmove's loops and refuses ones that are not plain copies", () => {
  const shape = (prog: Inst[]) => {
    const words = prog.map(encode);
    const read = (off: number) => {
      const w = words[off >> 2];
      if (w === undefined) return null;
      return [(w & 3) === 3 ? decode32(w) : decode16(w), decodedImm] as const;
    };
    const loop = findBlocks([0], [], read).find((b) => b.slot === 0)!;
    return copyLoop(loop);
  };
  assert.deepEqual(shape(FORWARD), {
    src: 1,
    dst: 5,
    val: 4,
    counter: 1,
    bound: 3,
    step: 1,
    srcOff: 0,
    dstOff: 0,
    signed: false,
  });
  assert.deepEqual(
    [shape(BACKWARD)?.step, shape(BACKWARD)?.srcOff, shape(BACKWARD)?.dstOff],
    [-1, -1, -1],
  );
  assert.deepEqual([shape(SIGNED)?.counter, shape(SIGNED)?.signed], [5, true]);
  const change = (i: number, inst: Inst) => FORWARD.map((x, k) => k === i ? inst : x);
  for (
    const [prog, why] of [
      [change(1, ["addi", 5, 5, 2]), "steps differ"],
      [change(1, ["addi", 5, 5, -1]), "directions differ"],
      [change(3, ["sb", 6, 5, -1]), "stores another register"],
      [change(4, ["bne", 4, 3, -16]), "bound on the byte"],
      [change(4, ["bne", 1, 5, -16]), "bound on the other pointer"],
      [[FORWARD[0], FORWARD[1], FORWARD[3], FORWARD[2], FORWARD[4]], "stores before it loads"],
      [change(2, ["lbu", 4, 5, -1]), "loads from dst"],
    ] as const
  ) assert.equal(shape([...prog, ["ecall"]]), null, why);
});
