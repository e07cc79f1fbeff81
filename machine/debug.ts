// What the gdb stub needs from a machine: the debugger's view of the board's harts.
//
// The stub (machine/gdbstub.ts) speaks gdb's remote protocol; the board implements
// this interface. Nothing here is on the hart's hot path: BigInt is fine.
//
// Register numbers are gdb's, as machine/gdb_target_xml.ts describes them to gdb and
// as QEMU 7.2 numbers them for riscv64: 0..31 are x0..x31, 32 is pc, 65 is the
// virtual register `priv` (the hart's privilege mode: 0 U, 1 S, 3 M), and CSR number
// c is register CSR_REGNUM_BASE + c (so sstatus, CSR 0x100, is register 322).
// Numbers 33..64 are f0..f31, as in QEMU: the hart has no FPU, so a target may read
// them as zeros (gdb needs them described to debug an ELF of the double-float ABI).

/** Why the machine stopped. */
export type StopKind = "breakpoint" | "step" | "interrupt" | "halted";

/** A stop: which hart stopped and why; exitCode only for "halted" (the guest powered off). */
export interface StopEvent {
  kind: StopKind;
  hart: number;
  exitCode?: number;
}

/** gdb's register number of the program counter. */
export const REG_PC = 32;
/** gdb's register number of f0 (f0..f31 are 33..64, as in QEMU). */
export const REG_F0 = 33;
/** gdb's register number of the virtual `priv` register (QEMU's numbering). */
export const REG_PRIV = 65;
/** gdb's register number of CSR 0 (QEMU's numbering: CSR c is CSR_REGNUM_BASE + c). */
export const CSR_REGNUM_BASE = 66;

/** The gdb register number of CSR c. */
export function csrRegnum(csr: number): number {
  return CSR_REGNUM_BASE + csr;
}

/** The CSR number behind gdb register n, or -1 if n is not a CSR. */
export function regnumCsr(n: number): number {
  const c = n - CSR_REGNUM_BASE;
  return c >= 0 && c < 4096 ? c : -1;
}

/**
 * The machine as gdb sees it. Harts are numbered 0..harts-1 (gdb's threads 1..harts).
 *
 * Refinement of the first draft (why): run() takes the set of harts to run, because
 * gdb resumes single threads (its software single-step on RISC-V sends
 * `vCont;c:p1.N`, which must not let the other harts move); and breakpoints are checked
 * before every instruction, including the first one a hart executes after a resume,
 * because that is what QEMU 7.2 does (a `c` from a breakpoint's address stops there
 * again; gdb steps over its own breakpoints first).
 */
export interface DebugTarget {
  /** How many harts the board has. */
  readonly harts: number;

  /** gdb register n of hart h, unsigned 64-bit, or null if the hart has no such register. */
  readRegister(h: number, n: number): bigint | null;

  /** Set gdb register n of hart h to v; false if there is no such register. */
  writeRegister(h: number, n: number, v: bigint): boolean;

  /**
   * len bytes at addr as hart h sees them: through its current page table when satp is
   * on, physical otherwise (device windows included); null if any byte is unmapped.
   * Reading must not change the machine (no A/D bits set, no device side effects
   * beyond what a load would do; MMIO reads of registers that clear on read are best
   * refused).
   */
  readMemory(h: number, addr: bigint, len: number): Uint8Array | null;

  /** Write data at addr as hart h sees it (as readMemory); false if any byte is unmapped. */
  writeMemory(h: number, addr: bigint, data: Uint8Array): boolean;

  /**
   * Execute exactly one instruction on hart h, ignoring breakpoints (a trap taken counts
   * as the step); the other harts do not move. Returns kind "step", or "halted" if the
   * guest powered off.
   */
  step(h: number): StopEvent;

  /**
   * Run the harts listed in `harts` (all of them when omitted) for up to `budget`
   * instructions in total, the others standing still. A hart about to execute an
   * instruction at a breakpoint address stops before it: kind "breakpoint" with that
   * hart. Returns that stop, a "halted" stop if the guest powered off, or null if the
   * budget ran out.
   */
  run(budget: number, harts?: readonly number[]): StopEvent | null;

  /** Stop any hart that is about to execute the instruction at addr (virtual, as pc). */
  setBreakpoint(addr: bigint): void;

  /** Forget the breakpoint at addr. */
  clearBreakpoint(addr: bigint): void;
}
