// A small WebAssembly binary writer, enough for the translator (translate.ts) to
// turn guest code into modules at run time: one function type, imported memory and
// helper functions, exported functions, and function bodies built opcode by opcode.
//
// Binary format facts: a module is the magic "\0asm" and version 1, then sections
// (id, byte size, contents): 1 types, 2 imports, 3 functions, 7 exports, 10 code.
// Integers are LEB128 (unsigned for sizes and indexes, signed for i32/i64
// constants). A function body is its locals (count, type runs) then expressions
// ending in `end` (0x0b). Custom sections (id 0) carry a name: "name" (function
// names, for profilers) and "metadata.code.branch_hint" (before the code: per
// function, the offsets from its locals of `if` and `br_if` instructions, each with
// whether its condition is likely true; V8 keeps the unlikely side, and its spill
// code, out of the way of the likely one).

export const I32 = 0x7f, I64 = 0x7e;

/** Opcodes used by the translator. */
export const Op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  call_indirect: 0x11,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  i64_load: 0x29,
  i32_load8_s: 0x2c,
  i32_load8_u: 0x2d,
  i32_load16_s: 0x2e,
  i32_load16_u: 0x2f,
  i64_load8_s: 0x30,
  i64_load8_u: 0x31,
  i64_load16_s: 0x32,
  i64_load16_u: 0x33,
  i64_load32_s: 0x34,
  i64_load32_u: 0x35,
  i32_store: 0x36,
  i64_store: 0x37,
  i32_store8: 0x3a,
  i32_store16: 0x3b,
  i64_store8: 0x3c,
  i64_store16: 0x3d,
  i64_store32: 0x3e,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i64_le_s: 0x57,
  i64_le_u: 0x58,
  i64_ge_s: 0x59,
  i64_ge_u: 0x5a,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_s: 0x6d,
  i32_div_u: 0x6e,
  i32_rem_s: 0x6f,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
} as const;

/** A growable byte buffer (code is built a byte at a time; arrays of numbers are slow). */
export class Bytes {
  buf = new Uint8Array(1024);
  length = 0;

  /** Append one byte. */
  push(b: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
  }

  /** Append all bytes of another buffer or array. */
  append(b: Bytes | ArrayLike<number>): void {
    const src = b instanceof Bytes ? b.buf.subarray(0, b.length) : b;
    while (this.length + src.length > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    if (src instanceof Uint8Array) this.buf.set(src, this.length);
    else for (let i = 0; i < src.length; i++) this.buf[this.length + i] = src[i];
    this.length += src.length;
  }

  /** The bytes so far (a copy of exactly `length` bytes). */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}

/** Append an unsigned LEB128 number. */
export function uleb(out: Bytes, n: number): void {
  if (!(n >= 0)) throw new Error(`wasm: bad unsigned immediate ${n}`);
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Append a signed LEB128 number (any int32). */
export function sleb(out: Bytes, n: number): void {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Append a signed LEB128 64-bit number given as (lo, hi) int32 halves, without BigInt. */
export function sleb64(out: Bytes, lo: number, hi: number): void {
  lo |= 0;
  hi |= 0;
  for (;;) {
    const b = lo & 0x7f;
    // Shift the 64-bit pair right by 7, arithmetically.
    lo = (lo >>> 7) | (hi << 25);
    hi >>= 7;
    const done = (hi === 0 && lo === 0 && (b & 0x40) === 0) ||
      (hi === -1 && lo === -1 && (b & 0x40) !== 0);
    if (done) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** A function body under construction: locals and code bytes. */
export class FuncBuilder {
  readonly code = new Bytes();
  /** Branch hints: the code offset of an `if` or `br_if`, and 1 (likely taken) or 0. */
  readonly hints: [number, number][] = [];
  private readonly localTypes: number[] = [];
  private readonly params: number;

  /** A body for a function with `params` parameters (they are locals 0..params-1). */
  constructor(params: number) {
    this.params = params;
  }

  /** Declare a local of type t; returns its index. */
  local(t: number): number {
    this.localTypes.push(t);
    return this.params + this.localTypes.length - 1;
  }

  /** Emit raw bytes. */
  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  /**
   * Hint the `if` or `br_if` emitted next: its condition is likely true, or likely
   * false (V8 then lays the other way out of line and keeps spill code there).
   */
  likely(yes: boolean): this {
    this.hints.push([this.code.length, yes ? 1 : 0]);
    return this;
  }

  /** Emit an unsigned LEB128 number (a br_table entry, say). */
  u(n: number): this {
    uleb(this.code, n);
    return this;
  }

  /** Emit an opcode with one unsigned immediate (local index, label depth, function index). */
  opU(op: number, n: number): this {
    this.code.push(op);
    uleb(this.code, n);
    return this;
  }

  /** i32.const n. */
  i32(n: number): this {
    this.code.push(Op.i32_const);
    sleb(this.code, n);
    return this;
  }

  /** i64.const (lo, hi). */
  i64(lo: number, hi: number): this {
    this.code.push(Op.i64_const);
    sleb64(this.code, lo, hi);
    return this;
  }

  /** local.get i. */
  get(i: number): this {
    return this.opU(Op.local_get, i);
  }

  /** local.set i. */
  set(i: number): this {
    return this.opU(Op.local_set, i);
  }

  /** local.tee i. */
  tee(i: number): this {
    return this.opU(Op.local_tee, i);
  }

  /** A memory access opcode with alignment log2 and byte offset. */
  mem(op: number, align: number, offset: number): this {
    this.code.push(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  /** The locals declaration: runs of one type. */
  private head(): Bytes {
    const head = new Bytes();
    const runs: [number, number][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(head, runs.length);
    for (const [n, t] of runs) {
      uleb(head, n);
      head.push(t);
    }
    return head;
  }

  /** The hints as the branch-hint section has them: offsets from the locals declaration. */
  writeHints(out: Bytes): void {
    const at = this.head().length;
    uleb(out, this.hints.length);
    for (const [off, v] of this.hints) {
      uleb(out, at + off);
      uleb(out, 1);
      out.push(v);
    }
  }

  /** The finished body into out: size, locals in runs of one type, code, end. */
  writeTo(out: Bytes): void {
    const head = this.head();
    uleb(out, head.length + this.code.length + 1);
    out.append(head);
    out.append(this.code);
    out.push(Op.end);
  }
}

/** A function signature: parameter and result types. */
export interface FuncType {
  params: number[];
  results: number[];
}

/** Encode a string as a length-prefixed name. */
function name(out: Bytes, s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  out.append(b);
}

/** Append a section with its id and size. */
function section(out: Bytes, id: number, body: Bytes): void {
  out.push(id);
  uleb(out, body.length);
  out.append(body);
}

/** The custom "name" section's function-name map (defined functions follow the imports). */
function nameSection(out: Bytes, first: number, names: string[]): void {
  const map = new Bytes();
  uleb(map, names.length);
  names.forEach((n, i) => {
    uleb(map, first + i);
    name(map, n);
  });
  const body = new Bytes();
  name(body, "name");
  body.push(1); // subsection 1: function names
  uleb(body, map.length);
  body.append(map);
  section(out, 0, body);
}

export interface ModuleSpec {
  types: FuncType[];
  /** Imported functions: module "env", name, type index. They take function indexes 0.. */
  imports: { name: string; type: number }[];
  /** Pages of the imported memory "env"."mem" (its declared minimum). */
  memoryPages: number;
  /** Import a function table "env"."table" of at least this many entries (for call_indirect). */
  tableSize?: number;
  /** Defined functions: type index and body; exported under `export` if given. */
  funcs: { type: number; body: FuncBuilder; export?: string }[];
  /** Function names for the "name" section (profilers show them), by defined function. */
  names?: string[];
}

/** Assemble a module's bytes. */
export function buildModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const out = new Bytes();
  out.append([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const types = new Bytes();
  uleb(types, spec.types.length);
  for (const t of spec.types) {
    types.push(0x60);
    uleb(types, t.params.length);
    types.append(t.params);
    uleb(types, t.results.length);
    types.append(t.results);
  }
  section(out, 1, types);
  const imports = new Bytes();
  uleb(imports, spec.imports.length + 1 + (spec.tableSize !== undefined ? 1 : 0));
  name(imports, "env");
  name(imports, "mem");
  imports.push(0x02);
  imports.push(0x00);
  uleb(imports, spec.memoryPages);
  if (spec.tableSize !== undefined) {
    name(imports, "env");
    name(imports, "table");
    imports.push(0x01); // a table
    imports.push(0x70); // of funcref
    imports.push(0x00); // with a minimum only
    uleb(imports, spec.tableSize);
  }
  for (const im of spec.imports) {
    name(imports, "env");
    name(imports, im.name);
    imports.push(0x00);
    uleb(imports, im.type);
  }
  section(out, 2, imports);
  const funcs = new Bytes();
  uleb(funcs, spec.funcs.length);
  for (const f of spec.funcs) uleb(funcs, f.type);
  section(out, 3, funcs);
  const exports = new Bytes();
  const exported = spec.funcs.map((f, i) => [f.export, i] as const).filter(([e]) => e);
  uleb(exports, exported.length);
  for (const [e, i] of exported) {
    name(exports, e!);
    exports.push(0x00);
    uleb(exports, spec.imports.length + i);
  }
  section(out, 7, exports);
  const hinted = spec.funcs.map((f, i) => [f.body, i] as const).filter(([b]) => b.hints.length);
  if (hinted.length !== 0) {
    // The branch-hint custom section, which must come before the code.
    const hints = new Bytes();
    name(hints, "metadata.code.branch_hint");
    uleb(hints, hinted.length);
    for (const [body, i] of hinted) {
      uleb(hints, spec.imports.length + i);
      body.writeHints(hints);
    }
    section(out, 0, hints);
  }
  const code = new Bytes();
  uleb(code, spec.funcs.length);
  for (const f of spec.funcs) f.body.writeTo(code);
  section(out, 10, code);
  if (spec.names !== undefined) nameSection(out, spec.imports.length, spec.names);
  return out.bytes();
}
