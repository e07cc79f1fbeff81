// The WebAssembly writer: modules it builds validate and run, and the branch hints it
// writes point at the `if` and `br_if` instructions they were given for.
import assert from "./deps.ts";
import * as E from "./encode.ts";
import { buildModule, FuncBuilder, I32, Op } from "../machine/wasm.ts";
import { buildRegion, findBlocks } from "../machine/translate.ts";
import { decode32, decodedImm } from "../machine/decode.ts";
import { Hart } from "../machine/hart.ts";
import { Ram } from "../machine/ram.ts";

/** An unsigned LEB128 number at bytes[at]: its value and the offset after it. */
function leb(bytes: Uint8Array, at: number): [number, number] {
  let v = 0, shift = 0;
  for (;;) {
    const b = bytes[at++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [v, at];
  }
}

/** A module's sections: id, contents, and for custom sections their name. */
function sections(bytes: Uint8Array): { id: number; name: string; body: Uint8Array }[] {
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, from] = leb(bytes, at + 1);
    const body = bytes.subarray(from, from + size);
    let name = "";
    if (id === 0) {
      const [n, p] = leb(body, 0);
      name = new TextDecoder().decode(body.subarray(p, p + n));
    }
    out.push({ id, name, body });
    at = from + size;
  }
  return out;
}

/** Per function index: each hint's offset and value, from the branch-hint section. */
function hintsOf(bytes: Uint8Array): Map<number, [number, number][]> {
  const sec = sections(bytes).find((s) => s.name === "metadata.code.branch_hint");
  const out = new Map<number, [number, number][]>();
  if (sec === undefined) return out;
  let [, at] = leb(sec.body, 0);
  at += "metadata.code.branch_hint".length;
  let funcs;
  [funcs, at] = leb(sec.body, at);
  for (let i = 0; i < funcs; i++) {
    let fn, n;
    [fn, at] = leb(sec.body, at);
    [n, at] = leb(sec.body, at);
    const list: [number, number][] = [];
    for (let k = 0; k < n; k++) {
      let off, size;
      [off, at] = leb(sec.body, at);
      [size, at] = leb(sec.body, at);
      assert.equal(size, 1);
      list.push([off, sec.body[at++]]);
    }
    out.set(fn, list);
  }
  return out;
}

/** The bodies of the defined functions (from their locals on), in order. */
function bodies(bytes: Uint8Array): Uint8Array[] {
  const code = sections(bytes).find((s) => s.id === 10)!.body;
  let [n, at] = leb(code, 0);
  const out = [];
  for (; n > 0; n--) {
    const [size, from] = leb(code, at);
    out.push(code.subarray(from, from + size));
    at = from + size;
  }
  return out;
}

/** Every hint of the module lands on an if (0x04) or br_if (0x0d) of its function. */
function assertHintsLand(bytes: Uint8Array, imports: number): number {
  const body = bodies(bytes);
  let count = 0;
  for (const [fn, list] of hintsOf(bytes)) {
    for (const [off] of list) {
      assert.ok([0x04, 0x0d].includes(body[fn - imports][off]), `function ${fn} at ${off}`);
      count++;
    }
  }
  return count;
}

Deno.test("wasm: hinted ifs and br_ifs validate, run, and the section points at them", () => {
  // f(x) = x == 0 ? 7 : 9, then + 100 unless x == 5, with one unused local before.
  const f = new FuncBuilder(1);
  f.local(I32);
  f.get(0).op(Op.i32_eqz).likely(false).op(Op.if, I32).i32(7).op(Op.else).i32(9).op(Op.end);
  f.set(1);
  f.op(Op.block, 0x40).get(0).i32(5).op(Op.i32_eq).likely(true).opU(Op.br_if, 0);
  f.get(1).i32(100).op(Op.i32_add).set(1).op(Op.end).get(1);
  const bytes = buildModule({
    types: [{ params: [I32], results: [I32] }],
    imports: [],
    memoryPages: 1,
    funcs: [{ type: 0, body: f, export: "f" }],
  });
  assert.ok(WebAssembly.validate(bytes));
  assert.deepEqual(hintsOf(bytes).get(0)!.map(([, v]) => v), [0, 1]);
  assert.equal(assertHintsLand(bytes, 0), 2);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { mem: new WebAssembly.Memory({ initial: 1 }) },
  });
  const run = inst.exports.f as (x: number) => number;
  assert.deepEqual([run(0), run(1), run(5)], [107, 109, 9]);
});

Deno.test("wasm: a translated region's hints all land on its ifs and br_ifs", () => {
  // Loads, stores, a run of them, a loop and a return: slow paths and budget checks.
  const code = [
    E.sd(1, 2, 8),
    E.sd(8, 2, 0),
    E.ld(5, 10, 0),
    E.sd(5, 11, 8),
    E.addi(10, 10, 8),
    E.bne(10, 12, -12),
    E.ld(1, 2, 8),
    E.ld(8, 2, 0),
    E.jalr(0, 1, 0),
  ];
  const read = (off: number) => {
    const i = off >> 2;
    if (i >= code.length) return null;
    return [decode32(code[i]), decodedImm] as const;
  };
  const hart = new Hart(new Ram(1 << 20), { hartid: 0, hostTraps: false });
  const bytes = buildRegion(findBlocks([0], [], read), 0x3000, hart.regionLayout(1), 16);
  assert.ok(WebAssembly.validate(bytes));
  assert.ok(assertHintsLand(bytes, 6) >= 8);
});
