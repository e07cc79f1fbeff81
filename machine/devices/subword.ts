// Byte and halfword access to 32-bit device registers.
//
// The CLINT and the PLIC keep their registers as 32-bit words. A narrower access
// (which QEMU refuses with an access fault, but which a bus without size checks
// lets through) sees or changes only the bytes it covers, as on a memory.

/** The `size` bytes at byte offset `off` of the register holding `word`, zero-extended. */
export function readPart(word: number, off: number, size: number): number {
  const shift = (off & 3) * 8;
  if (size >= 4 && shift === 0) return word >>> 0;
  const bits = Math.min(size * 8, 32 - shift);
  return (word >>> shift) & (bits === 32 ? 0xffff_ffff : (1 << bits) - 1);
}

/** `word` with the `size` bytes at byte offset `off` replaced by the low bytes of `value`. */
export function mergePart(word: number, off: number, size: number, value: number): number {
  const shift = (off & 3) * 8;
  if (size >= 4 && shift === 0) return value >>> 0;
  const bits = Math.min(size * 8, 32 - shift);
  const mask = (bits === 32 ? 0xffff_ffff : (1 << bits) - 1) << shift;
  return ((word & ~mask) | ((value << shift) & mask)) >>> 0;
}
