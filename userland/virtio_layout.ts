// Which virtio-mmio register layout a kernel's disk driver wants, so that every xv6
// revision boots without the user knowing the answer.
//
// xv6's driver reads the transport's Version register once, in virtio_disk_init,
// and panics with "could not find virtio disk" unless it is the one it was written
// for: 1 (legacy; xv6 of 2019-2020, QEMU's default) or 2 (modern; xv6 from 2021,
// run with -global virtio-mmio.force-legacy=false). The choice is made in two steps:
//   1. a guess from the kernel file: the modern driver's other panic messages
//      ("virtio disk should not be ready", "virtio disk FEATURES_OK unset") appear
//      in no legacy kernel; without them, legacy;
//   2. a check at boot (fullsystem.ts): while the kernel has not yet accepted the
//      device, its console output is held back; if it panics with "could not find
//      virtio disk" then, the board is booted again with the other layout, and the
//      held output is dropped. Both steps are deterministic.

/** What --virtio asks for. */
export type VirtioChoice = "auto" | "legacy" | "modern";
export const VIRTIO_CHOICES: readonly VirtioChoice[] = ["auto", "legacy", "modern"];

/** A layout the board can give: version 1 or version 2 registers. */
export type VirtioLayout = "legacy" | "modern";

/** What xv6's driver prints when the Version register is not the one it expects. */
export const NO_DISK_PANIC = "could not find virtio disk";

/** Messages only the modern (version 2) driver of xv6 holds. */
const MODERN_MARKERS = ["virtio disk should not be ready", "virtio disk FEATURES_OK unset"];

/** Whether the bytes hold the text (as in a string table). */
export function holdsText(bytes: Uint8Array, text: string): boolean {
  const want = new TextEncoder().encode(text);
  for (let i = bytes.indexOf(want[0]); i >= 0; i = bytes.indexOf(want[0], i + 1)) {
    if (i + want.length > bytes.length) return false;
    let k = 1;
    while (k < want.length && bytes[i + k] === want[k]) k++;
    if (k === want.length) return true;
  }
  return false;
}

/** The layout to try first for a kernel file. */
export function guessLayout(kernel: Uint8Array): VirtioLayout {
  return MODERN_MARKERS.some((m) => holdsText(kernel, m)) ? "modern" : "legacy";
}

/** Whether a boot can tell a wrong layout by the driver's panic (the kernel holds its message). */
export function canCheckLayout(kernel: Uint8Array): boolean {
  return holdsText(kernel, NO_DISK_PANIC);
}

/** The other layout. */
export function otherLayout(l: VirtioLayout): VirtioLayout {
  return l === "legacy" ? "modern" : "legacy";
}
