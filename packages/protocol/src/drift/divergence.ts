/**
 * Population stability index Σ (q − p)·ln(q / p) of two distributions given as counts over the
 * same bins, with proportions below `epsilon` raised to `epsilon`.
 */
export function psi(ref: ArrayLike<number>, cur: ArrayLike<number>, epsilon: number): number {
  const nr = total(ref);
  const nc = total(cur);
  if (nr === 0 || nc === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const p = Math.max(ref[i]! / nr, epsilon);
    const q = Math.max(cur[i]! / nc, epsilon);
    s += (q - p) * Math.log(q / p);
  }
  return s;
}

/** Jensen–Shannon distance (square root of the divergence, log base 2, so within [0, 1]). */
export function jsDistance(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  const nr = total(ref);
  const nc = total(cur);
  if (nr === 0 || nc === 0) return Number.NaN;
  let d = 0;
  for (let i = 0; i < ref.length; i++) {
    const p = ref[i]! / nr;
    const q = cur[i]! / nc;
    const m = (p + q) / 2;
    if (p > 0) d += 0.5 * p * Math.log2(p / m);
    if (q > 0) d += 0.5 * q * Math.log2(q / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, d)));
}

function total(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
