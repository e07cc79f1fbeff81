// The monitor of `xv6lazy qemu` (Ctrl-A c): a few of QEMU's monitor commands, enough
// to look at a running kernel and to stop or quit it without gdb.

import type { DebugTarget } from "../machine/debug.ts";
import { csrRegnum, REG_PC, REG_PRIV } from "../machine/debug.ts";
import { XREG_NAMES } from "../machine/gdb_target_xml.ts";

/** What the monitor's commands act on. */
export interface MonitorHost {
  target: DebugTarget;
  /** Quit the emulator. */
  quit(): void;
  /** Pause or resume the harts; false if that is not the monitor's to do (gdb is in charge). */
  setPaused(paused: boolean): boolean;
}

const HELP = `help                   list these commands
info registers [-a]    the registers of hart 0 (-a: of every hart)
stop                   pause the harts
cont, c                resume them (after stop, or -S without -gdb)
quit, q                quit xv6lazy
`;

/** The CSRs info registers shows, by name and number. */
const SHOWN_CSRS: readonly (readonly [string, number])[] = [
  ["mhartid", 0xf14],
  ["mstatus", 0x300],
  ["mip", 0x344],
  ["mie", 0x304],
  ["mideleg", 0x303],
  ["medeleg", 0x302],
  ["mtvec", 0x305],
  ["stvec", 0x105],
  ["mepc", 0x341],
  ["sepc", 0x141],
  ["mcause", 0x342],
  ["scause", 0x142],
  ["mtval", 0x343],
  ["stval", 0x143],
  ["mscratch", 0x340],
  ["sscratch", 0x140],
  ["satp", 0x180],
];

const PRIV_NAMES = ["U", "S", "?", "M"];

/** Run one monitor command line; returns what to show. */
export function monitorCommand(host: MonitorHost, line: string): string {
  const words = line.split(/\s+/);
  switch (words[0]) {
    case "help":
    case "?":
      return HELP;
    case "quit":
    case "q":
      host.quit();
      return "";
    case "info":
      if (words[1] === "registers") {
        const all = words[2] === "-a";
        const harts = all ? Array.from({ length: host.target.harts }, (_, h) => h) : [0];
        return harts.map((h) => registerDump(host.target, h)).join("");
      }
      return `info: only 'info registers' is available\n`;
    case "stop":
      return host.setPaused(true) ? "" : "the harts are under gdb's control\n";
    case "cont":
    case "c":
      return host.setPaused(false) ? "" : "the harts are under gdb's control\n";
    default:
      return `unknown command: '${words[0]}' (try help)\n`;
  }
}

/** 16 hex digits. */
function hex(v: bigint | null): string {
  return v === null ? "?".repeat(16) : v.toString(16).padStart(16, "0");
}

/** The registers of hart h: pc, mode and the main CSRs, then x0..x31 four to a line. */
export function registerDump(t: DebugTarget, h: number): string {
  const priv = Number(t.readRegister(h, REG_PRIV) ?? 0n);
  let s = `hart ${h}  mode ${PRIV_NAMES[priv] ?? "?"}\n pc       ${
    hex(t.readRegister(h, REG_PC))
  }\n`;
  for (const [name, csr] of SHOWN_CSRS) {
    s += ` ${name.padEnd(8)} ${hex(t.readRegister(h, csrRegnum(csr)))}\n`;
  }
  for (let i = 0; i < 32; i += 4) {
    const cols = [0, 1, 2, 3].map((j) => {
      const n = i + j;
      return ` ${`x${n}/${XREG_NAMES[n]}`.padEnd(8)} ${hex(t.readRegister(h, n))}`;
    });
    s += cols.join("") + "\n";
  }
  return s;
}
