// `--kernel FILE`: boot a real xv6 kernel ELF on the emulated virt board instead of
// the built-in TypeScript kernel. This file checks the flags that go with it (--cpus,
// --mem, --virtio), refuses the ones that only make sense for the built-in kernel,
// reads and checks the kernel file, and builds what sessions and the grader boot.

import { ElfError, loadKernel } from "../machine/elf.ts";
import { MAX_CPUS } from "../machine/board.ts";
import { Ram } from "../machine/ram.ts";
import { fullSystemBooter, type OtherSystem } from "../userland/fullsystem.ts";
import { VIRTIO_CHOICES, type VirtioChoice } from "../userland/virtio_layout.ts";
import { UsageError } from "./usage_error.ts";
import { readInputFile } from "./image_file.ts";

/** xv6's Makefile runs QEMU with CPUS := 3. */
export const DEFAULT_CPUS = 3;
/** QEMU virt's RAM size, which xv6 assumes (PHYSTOP is 128 MiB above 0x80000000). */
export const DEFAULT_MEM_MIB = 128;
/** The RAM sizes --mem accepts, in MiB (the board's RAM and hart state stay below 2 GiB). */
export const MIN_MEM_MIB = 16;
export const MAX_MEM_MIB = 1024;
/** The largest kernel file accepted (xv6's is a few hundred KiB). */
export const MAX_KERNEL_BYTES = 64 * 1024 * 1024;

/** The --kernel flags as given on the command line (strings, not yet checked). */
export interface KernelFlagValues {
  kernel?: string;
  cpus?: string;
  mem?: string;
  virtio?: string;
}

/** The flags of the built-in kernel that have no meaning for a real one. */
export interface BuiltinOnlyFlags {
  eager: boolean;
  sbrkAbiGiven: boolean;
  trace: boolean;
  quiet: boolean;
}

/** A checked --kernel configuration. */
export interface KernelConfig {
  path: string;
  bytes: Uint8Array;
  cpus: number;
  ramSize: number;
  virtio: VirtioChoice;
}

/** Refuse --cpus, --mem and --virtio without --kernel, and built-in-only flags with it. */
export function checkKernelFlags(v: KernelFlagValues, builtin: BuiltinOnlyFlags): void {
  if (v.kernel === undefined) {
    for (const [name, value] of [["cpus", v.cpus], ["mem", v.mem], ["virtio", v.virtio]]) {
      if (value !== undefined) {
        throw new UsageError(
          `--${name} goes with --kernel FILE (the built-in kernel has one hart)`,
        );
      }
    }
    return;
  }
  const refuse = (flag: string, why: string) => {
    throw new UsageError(`${flag} does not apply with --kernel: ${why}`);
  };
  if (builtin.eager) refuse("--eager", "your kernel decides how sbrk allocates");
  if (builtin.sbrkAbiGiven) refuse("--sbrk-abi", "your kernel's sbrk is what it is");
  if (builtin.trace) refuse("--trace", "only the built-in kernel reports its page faults");
  if (builtin.quiet) refuse("--quiet", "what your kernel prints is up to it");
}

/** --cpus N: 1 to MAX_CPUS harts. */
export function cpusFlag(v: string | undefined): number {
  if (v === undefined) return DEFAULT_CPUS;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > MAX_CPUS) {
    throw new UsageError(`--cpus wants a number of harts from 1 to ${MAX_CPUS}, not '${v}'`);
  }
  return n;
}

/** --mem SIZE: MiB, or a number with M or G (128, 128M, 1G); a whole number of MiB. */
export function memFlag(v: string | undefined): number {
  if (v === undefined) return DEFAULT_MEM_MIB * 1024 * 1024;
  const m = /^(\d+)([mMgG]?)(i?[bB])?$/.exec(v.trim());
  const mib = m === null ? NaN : Number(m[1]) * (/[gG]/.test(m[2]) ? 1024 : 1);
  if (!(mib >= MIN_MEM_MIB && mib <= MAX_MEM_MIB)) {
    throw new UsageError(
      `--mem wants a RAM size from ${MIN_MEM_MIB}M to ${MAX_MEM_MIB / 1024}G ` +
        `(like 128M or 1G), not '${v}'`,
    );
  }
  return mib * 1024 * 1024;
}

/** --virtio auto|legacy|modern. */
export function virtioFlag(v: string | undefined): VirtioChoice {
  if (v === undefined) return "auto";
  const c = VIRTIO_CHOICES.find((x) => x === v);
  if (c === undefined) {
    throw new UsageError(`--virtio must be ${VIRTIO_CHOICES.join(", ")}, not '${v}'`);
  }
  return c;
}

/** The bytes of the kernel file: a regular file of sane size; a UsageError says why not. */
export function readKernelFile(path: string): Uint8Array {
  return readInputFile(path, "--kernel", "kernel", MAX_KERNEL_BYTES);
}

/** Check that the kernel loads into RAM of this size (an RV64 ELF, segments in RAM). */
export function checkKernelLoads(path: string, bytes: Uint8Array, ramSize: number): void {
  try {
    loadKernel(bytes, new Ram(ramSize, 1024 * 1024)); // room for its page flags only
  } catch (e) {
    if (e instanceof ElfError) throw new UsageError(`cannot boot ${path}: ${e.message}`);
    throw e;
  }
}

/** Read and check everything --kernel needs; null without --kernel. */
export function kernelConfig(v: KernelFlagValues): KernelConfig | null {
  if (v.kernel === undefined) return null;
  const cpus = cpusFlag(v.cpus);
  const ramSize = memFlag(v.mem);
  const virtio = virtioFlag(v.virtio);
  const bytes = readKernelFile(v.kernel);
  checkKernelLoads(v.kernel, bytes, ramSize);
  return { path: v.kernel, bytes, cpus, ramSize, virtio };
}

/** What sessions and the grader boot for this configuration, on this disk image. */
export function kernelBooter(cfg: KernelConfig, fsImage: Uint8Array): OtherSystem {
  return fullSystemBooter({
    kernel: cfg.bytes,
    fsImage,
    cpus: cfg.cpus,
    ramSize: cfg.ramSize,
    virtio: cfg.virtio,
  });
}
