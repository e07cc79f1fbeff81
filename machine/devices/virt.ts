// QEMU's `virt` board: where each device sits in the physical address space and
// which PLIC interrupt line it drives. The board, the devices and the tests all
// take these numbers from here; they are the ones an xv6 kernel's memlayout.h
// expects (UART0, VIRTIO0, CLINT, PLIC, KERNBASE).
//
// Two sizes are given for some devices. The *_SIZE constants are the slots of
// QEMU's memory map (what xv6 maps in its kernel page table). QEMU's devices
// answer only in part of their slot; the *_REGION constants are those parts
// (measured on qemu-system-riscv64 7.2: an access past them is an access fault).

export { KERNBASE } from "../ram.ts";

/** The sifive_test "finisher": a write ends or resets the simulation. */
export const VIRT_TEST = 0x0010_0000;
export const VIRT_TEST_SIZE = 0x1000;

/** Core-local interruptor: software interrupts (msip) and the machine timer. */
export const CLINT = 0x0200_0000;
export const CLINT_SIZE = 0x1_0000;
/** msip words (0x0000-0x3fff) and the mtimer (0x4000-0xbfff): 48 KiB. */
export const CLINT_REGION = 0xc000;
/** mtime counts at 10 MHz on virt (QEMU's default ACLINT timebase). */
export const CLINT_TIMEBASE_HZ = 10_000_000;

/** Platform-level interrupt controller. */
export const PLIC = 0x0c00_0000;
export const PLIC_SIZE = 0x400_0000;
/** Interrupt sources, counting the non-existent source 0 (ids 1..95 are real). */
export const PLIC_NUM_SOURCES = 96;
/** Priority bits per source: priorities 0..7, 0 meaning "never interrupt". */
export const PLIC_PRIO_BITS = 3;

/** The part of the PLIC's slot QEMU decodes for `harts` harts (two contexts each). */
export function plicRegion(harts: number): number {
  return 0x20_0000 + 2 * harts * 0x1000;
}

/** NS16550A UART, the console. */
export const UART0 = 0x1000_0000;
export const UART0_SIZE = 0x100;
/** Eight byte-wide registers. */
export const UART0_REGION = 8;
export const UART0_IRQ = 10;

/** First virtio-mmio transport; QEMU's -drive ... bus=virtio-mmio-bus.0 puts the disk here. */
export const VIRTIO0 = 0x1000_1000;
export const VIRTIO0_SIZE = 0x1000;
/** Transport registers (0x000-0x0ff) and device configuration (0x100-0x1ff). */
export const VIRTIO0_REGION = 0x200;
export const VIRTIO0_IRQ = 1;

/** RAM: 128 MiB from KERNBASE by default. */
export const DRAM = 0x8000_0000;
