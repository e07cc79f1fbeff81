// 64-bit integer helpers over (lo, hi) int32 pairs for the hart's multiply and
// divide instructions. Results land in `res.lo` / `res.hi` (and `res.rlo` /
// `res.rhi` for a remainder) so nothing is allocated per call.

export const res = { lo: 0, hi: 0, rlo: 0, rhi: 0 };

const TWO32 = 4294967296;

/** High 32 bits of the unsigned 64-bit product of two uint32 values. */
export function umulh32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
}

/** Low 64 bits of a * b. */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  res.lo = Math.imul(alo, blo);
  res.hi = (umulh32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

/** High 64 bits of the unsigned 128-bit product a * b. */
export function mulhu64(alo: number, ahi: number, blo: number, bhi: number): void {
  const p00h = umulh32(alo, blo) >>> 0;
  const p01l = Math.imul(alo, bhi) >>> 0, p01h = umulh32(alo, bhi) >>> 0;
  const p10l = Math.imul(ahi, blo) >>> 0, p10h = umulh32(ahi, blo) >>> 0;
  const p11l = Math.imul(ahi, bhi) >>> 0, p11h = umulh32(ahi, bhi) >>> 0;
  const c1 = Math.floor((p00h + p01l + p10l) / TWO32);
  const s2 = p01h + p10h + p11l + c1;
  const c2 = Math.floor(s2 / TWO32);
  res.lo = s2 | 0;
  res.hi = (p11h + c2) | 0;
}

/** Subtract (blo, bhi) from res.(lo, hi) modulo 2^64. */
function subRes(blo: number, bhi: number): void {
  const lo = (res.lo - blo) | 0;
  const borrow = (res.lo >>> 0) < (blo >>> 0) ? 1 : 0;
  res.hi = (res.hi - bhi - borrow) | 0;
  res.lo = lo;
}

/** High 64 bits of the signed product. */
export function mulh64(alo: number, ahi: number, blo: number, bhi: number): void {
  mulhu64(alo, ahi, blo, bhi);
  if (ahi < 0) subRes(blo, bhi);
  if (bhi < 0) subRes(alo, ahi);
}

/** High 64 bits of signed a times unsigned b. */
export function mulhsu64(alo: number, ahi: number, blo: number, bhi: number): void {
  mulhu64(alo, ahi, blo, bhi);
  if (ahi < 0) subRes(blo, bhi);
}

/** Unsigned 64-bit division: quotient in (lo, hi), remainder in (rlo, rhi). d != 0. */
export function divu64(nlo: number, nhi: number, dlo: number, dhi: number): void {
  const nh = nhi >>> 0, dh = dhi >>> 0;
  if (nh < 0x100000 && dh < 0x100000) {
    // Both below 2^52: double arithmetic with one correction step is exact.
    const n = nh * TWO32 + (nlo >>> 0);
    const d = dh * TWO32 + (dlo >>> 0);
    let q = Math.floor(n / d);
    let r = n - q * d;
    if (r < 0) {
      q -= 1;
      r += d;
    } else if (r >= d) {
      q += 1;
      r -= d;
    }
    res.lo = q | 0;
    res.hi = Math.floor(q / TWO32) | 0;
    res.rlo = r | 0;
    res.rhi = Math.floor(r / TWO32) | 0;
    return;
  }
  // Restoring long division, one bit at a time.
  let qlo = 0, qhi = 0, rlo = 0, rhi = 0;
  for (let i = 63; i >= 0; i--) {
    // r = (r << 1) | bit i of n
    const bit = i >= 32 ? (nhi >>> (i - 32)) & 1 : (nlo >>> i) & 1;
    rhi = (rhi << 1) | (rlo >>> 31);
    rlo = (rlo << 1) | bit;
    // q <<= 1
    qhi = (qhi << 1) | (qlo >>> 31);
    qlo = qlo << 1;
    const ge = (rhi >>> 0) > dh || ((rhi >>> 0) === dh && (rlo >>> 0) >= (dlo >>> 0));
    if (ge) {
      const borrow = (rlo >>> 0) < (dlo >>> 0) ? 1 : 0;
      rlo = (rlo - dlo) | 0;
      rhi = (rhi - dhi - borrow) | 0;
      qlo |= 1;
    }
  }
  res.lo = qlo;
  res.hi = qhi;
  res.rlo = rlo;
  res.rhi = rhi;
}

/** Signed 64-bit division with the RISC-V results for /0 and overflow. */
export function div64(nlo: number, nhi: number, dlo: number, dhi: number): void {
  if (dlo === 0 && dhi === 0) {
    res.lo = -1;
    res.hi = -1;
    res.rlo = nlo;
    res.rhi = nhi;
    return;
  }
  if (nlo === 0 && nhi === -0x80000000 && dlo === -1 && dhi === -1) {
    res.lo = nlo;
    res.hi = nhi;
    res.rlo = 0;
    res.rhi = 0;
    return;
  }
  const nneg = nhi < 0, dneg = dhi < 0;
  let alo = nlo, ahi = nhi, blo = dlo, bhi = dhi;
  if (nneg) {
    alo = -nlo | 0;
    ahi = (~nhi + (nlo === 0 ? 1 : 0)) | 0;
  }
  if (dneg) {
    blo = -dlo | 0;
    bhi = (~dhi + (dlo === 0 ? 1 : 0)) | 0;
  }
  divu64(alo, ahi, blo, bhi);
  if (nneg !== dneg) {
    const lo = res.lo;
    res.lo = -lo | 0;
    res.hi = (~res.hi + (lo === 0 ? 1 : 0)) | 0;
  }
  if (nneg) {
    const lo = res.rlo;
    res.rlo = -lo | 0;
    res.rhi = (~res.rhi + (lo === 0 ? 1 : 0)) | 0;
  }
}
