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
  if (dh === 0) {
    // 32-bit divisor: divide the high word, then two 16-bit steps (all below 2^53).
    const d = dlo >>> 0;
    const qh = Math.floor(nh / d);
    let r = nh - qh * d;
    let t = r * 65536 + (nlo >>> 16);
    const q1 = Math.floor(t / d);
    r = t - q1 * d;
    t = r * 65536 + (nlo & 0xffff);
    const q0 = Math.floor(t / d);
    r = t - q0 * d;
    res.lo = (q1 * 65536 + q0) | 0;
    res.hi = qh | 0;
    res.rlo = r | 0;
    res.rhi = 0;
    return;
  }
  if (dhi < 0) {
    // d >= 2^63: the quotient is 0 or 1.
    const ge = nh > dh || (nh === dh && (nlo >>> 0) >= (dlo >>> 0));
    res.lo = ge ? 1 : 0;
    res.hi = 0;
    if (ge) {
      res.rlo = (nlo - dlo) | 0;
      res.rhi = (nhi - dhi - ((nlo >>> 0) < (dlo >>> 0) ? 1 : 0)) | 0;
    } else {
      res.rlo = nlo;
      res.rhi = nhi;
    }
    return;
  }
  // 2^32 <= d < 2^63, so the quotient is below 2^32. A double estimate is within one
  // of it; start one below (never above the true quotient) and correct upwards.
  let q = Math.floor((nh * TWO32 + (nlo >>> 0)) / (dh * TWO32 + (dlo >>> 0))) - 1;
  if (q < 0) q = 0;
  if (q > 0xffffffff) q = 0xffffffff;
  const plo = Math.imul(q | 0, dlo);
  const phi = (umulh32(q >>> 0, dlo >>> 0) + Math.imul(q | 0, dhi)) | 0;
  let rlo = (nlo - plo) | 0;
  let rhi = (nhi - phi - ((nlo >>> 0) < (plo >>> 0) ? 1 : 0)) | 0;
  while ((rhi >>> 0) > dh || ((rhi >>> 0) === dh && (rlo >>> 0) >= (dlo >>> 0))) {
    const borrow = (rlo >>> 0) < (dlo >>> 0) ? 1 : 0;
    rlo = (rlo - dlo) | 0;
    rhi = (rhi - dhi - borrow) | 0;
    q += 1;
  }
  res.lo = q | 0;
  res.hi = 0;
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
