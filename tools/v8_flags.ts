// The V8 flags xv6lazy runs with (deno.json's tasks, the compiled executable, and
// the benchmarks' child processes): translated guest code runs on V8's baseline
// WebAssembly compiler only. With the optimizing tier on, a real xv6 kernel's
// usertests took about three times the CPU time.

/** The flag as `deno run` and `deno compile` take it. */
export const V8_FLAGS = "--v8-flags=--liftoff-only";
