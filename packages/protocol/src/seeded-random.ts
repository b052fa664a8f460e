/**
 * A seeded PRNG for the parts of a summary that every device must draw identically (projection
 * directions, Fourier frequencies). Only integer operations, so one seed gives the same numbers in
 * every JavaScript engine. Not for security.
 */
export function seededUniform(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Approximately standard normal draws (Irwin–Hall: the sum of 12 uniforms minus 6). Sums of
 * multiples of 2^-32 are exact in float64, so, unlike Box–Muller's `Math.log` and `Math.cos`, the
 * draws are bit-identical across engines.
 */
export function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  return () => {
    let s = -6;
    for (let i = 0; i < 12; i++) s += u();
    return s;
  };
}
