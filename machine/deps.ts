// The host modules the program uses (CLI, build script, benchmarks), imported in this
// one place so that a later switch (for example to jsr:@std/cli) changes one line per
// module. Tests take their assertions from tests/deps.ts.

export { parseArgs, styleText } from "node:util";
export { basename, dirname, join, resolve } from "node:path";
export { cpuUsage } from "node:process";
