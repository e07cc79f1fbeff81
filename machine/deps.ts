// The host modules the program uses (CLI and build), imported in this one place so that a later switch
// (for example to jsr:@std/cli) changes one line per module.

export { parseArgs, styleText } from "node:util";
export { basename, dirname, join, resolve } from "node:path";
