// Sv39 page-table entry bits and helpers (xv6's riscv.h, the paging half).

export const PTE_V = 1 << 0; // valid
export const PTE_R = 1 << 1;
export const PTE_W = 1 << 2;
export const PTE_X = 1 << 3;
export const PTE_U = 1 << 4; // user can access
export const PTE_A = 1 << 6; // accessed (set by the hart)
export const PTE_D = 1 << 7; // dirty (set by the hart)

export const SATP_SV39 = 8; // satp MODE field value for Sv39 (bits 60..63)

/** The PTE that maps physical address pa (flags not included). */
export function PA2PTE(pa: number): number {
  return (pa / 4096) * 1024;
}

/** The physical address a PTE points at. */
export function PTE2PA(pte: number): number {
  return Math.floor(pte / 1024) * 4096;
}

/** The low 10 flag bits of a PTE. */
export function PTE_FLAGS(pte: number): number {
  return pte % 1024;
}

const LEVEL_SPAN = [2 ** 12, 2 ** 21, 2 ** 30]; // bytes mapped by one PTE at each level

/** The 9-bit page-table index of va at level (2 = root, 0 = leaf). */
export function PX(level: number, va: number): number {
  return Math.floor(va / LEVEL_SPAN[level]) & 511;
}
