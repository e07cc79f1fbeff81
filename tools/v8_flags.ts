// The V8 flags xv6lazy runs with (deno.json's tasks, the compiled executable, and
// the benchmarks' child processes). Translated guest code starts on V8's baseline
// WebAssembly compiler (Liftoff); a region moves up to the optimizing one (TurboFan)
// once it has run through V8's tiering budget. V8 charges a region's whole size for
// each pass of its dispatch loop, so the default budget would send almost every
// region up at once; a large one sends only the pages that stay hot (a real kernel's
// text), and leaves short-lived user regions on Liftoff, where compiling costs less
// than it saves. Measured on a 2020 xv6 lab kernel's usertests on one hart: 27 s of
// CPU this way, 43 s with Liftoff alone; the built-in kernel's grade is level.

/** The flag as `deno run` and `deno compile` take it. */
export const V8_FLAGS = "--v8-flags=--wasm-tiering-budget=2000000000";
