// The V8 flags xv6lazy runs with (deno.json's tasks, the compiled executable, and
// the benchmarks' child processes). Translated guest code starts on V8's baseline
// WebAssembly compiler (Liftoff); a region moves up to the optimizing one (TurboFan)
// once it has run through V8's tiering budget. V8 charges a region's whole size for
// each pass of its dispatch loop, so the default budget would send almost every
// region up at once; a large one sends only the pages that stay hot (a real kernel's
// text), and leaves short-lived user regions on Liftoff, where compiling costs less
// than it saves. Measured on a 2020 xv6 lab kernel's usertests on one hart: 27 s of
// CPU this way, 43 s with Liftoff alone; the built-in kernel's grade is level.
//
// Deno runs V8 without its WebAssembly trap handler, so V8 guards every memory
// access of translated code with an explicit bounds check (three more host
// instructions each; a guest load or store makes three accesses: TLB tag, addend,
// data). The translator only forms addresses that lie inside the memory: registers
// and TLB slots at fixed offsets from the hart's state (TLB indexes masked to the
// table), and guest RAM through TLB entries, which map only RAM pages, with the
// offset inside the page. So the tasks and the executable turn the checks off
// (--no-wasm-bounds-checks): full usertests on one hart 20.1 s -> 16.8 s, the
// CPU-bound workload 2,060 -> 2,240 MIPS. `deno task test` keeps them on
// (TEST_V8_FLAGS), so that an address outside the memory, should a change ever
// form one, fails a test with a trap instead of going unseen.

/** The flags as `deno run` and `deno compile` take them. */
export const V8_FLAGS = "--v8-flags=--wasm-tiering-budget=2000000000,--no-wasm-bounds-checks";

/** The flags `deno task test` runs with: the same, with V8's bounds checks left on. */
export const TEST_V8_FLAGS = "--v8-flags=--wasm-tiering-budget=2000000000";
