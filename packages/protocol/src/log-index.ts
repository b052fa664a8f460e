/**
 * The bin mapping of {@link NumericSketch}: positive magnitude `x` goes to bin
 * `ceil(K · log2 x)`, where `K = ceil(ln 2 / ln γ)` and `γ = (1 + α) / (1 − α)`. Bins are thus
 * log-spaced with ratio `2^(1/K) <= γ` (a relative accuracy at least as good as `α`) and aligned to
 * powers of two, so the index comes from the float's exponent plus a table lookup on its
 * mantissa, without calling `Math.log` (the mapping is most of the cost of adding a value).
 */
export class LogIndex {
  /** Bins per power of two. */
  readonly perOctave: number;
  /** Ratio between consecutive bin bounds, `2^(1/K)`. */
  readonly gamma: number;
  /** Relative accuracy actually achieved, `(γ − 1) / (γ + 1)`, never above the requested alpha. */
  readonly relativeAccuracy: number;
  private readonly bounds: Float64Array;
  private readonly table: Uint16Array;
  private readonly tableShift: number;

  /** The shared mapping for `alpha` (a few are cached: building one costs a table). */
  static for(alpha: number): LogIndex {
    let m = CACHE.get(alpha);
    if (m === undefined) {
      if (CACHE.size >= 8) CACHE.delete(CACHE.keys().next().value!);
      m = new LogIndex(alpha);
      CACHE.set(alpha, m);
    }
    return m;
  }

  constructor(alpha: number) {
    const k = Math.ceil(Math.LN2 / Math.log((1 + alpha) / (1 - alpha)));
    this.perOctave = k;
    this.gamma = 2 ** (1 / k);
    this.relativeAccuracy = (this.gamma - 1) / (this.gamma + 1);
    // bounds[j] = 2^(j/K): mantissa m in (bounds[j-1], bounds[j]] lands in sub-bin j.
    this.bounds = Float64Array.from({ length: k + 1 }, (_, j) => 2 ** (j / k));
    this.bounds[k] = 2;
    // Table over the top T mantissa bits, fine enough that a cell spans at most one bound.
    const bits = Math.min(20, Math.max(8, Math.ceil(Math.log2(k / Math.LN2)) + 2));
    this.tableShift = 20 - bits;
    this.table = new Uint16Array(1 << bits);
    let j = 0;
    for (let t = 0; t < this.table.length; t++) {
      const low = 1 + t / this.table.length;
      while (this.bounds[j]! < low) j++;
      this.table[t] = j;
    }
  }

  /** Bin of a positive finite magnitude. */
  index(x: number): number {
    F64[0] = x;
    let hi = U32[1]!;
    let e = hi >>> 20;
    if (e === 0) {
      // Subnormal: scale into the normal range exactly.
      F64[0] = x * 2 ** 54;
      hi = U32[1]!;
      e = (hi >>> 20) - 54;
    }
    const t = (hi & 0xfffff) >>> this.tableShift;
    U32[1] = (hi & 0xfffff) | 0x3ff00000;
    const m = F64[0]!;
    let j = this.table[t]!;
    while (m > this.bounds[j]!) j++;
    return (e - 1023) * this.perOctave + j;
  }

  /** Upper bound of bin `i`: `2^(i/K)` (Infinity past the largest double). */
  upper(i: number): number {
    const e = Math.ceil(i / this.perOctave) - 1;
    return this.bounds[i - e * this.perOctave]! * 2 ** e;
  }

  /** Representative of bin `i`, within the relative accuracy of every value in it (normal doubles). */
  value(i: number): number {
    const e = Math.ceil(i / this.perOctave) - 1;
    return ((this.bounds[i - e * this.perOctave]! * 2) / (1 + this.gamma)) * 2 ** e;
  }
}

const CACHE = new Map<number, LogIndex>();
const F64 = new Float64Array(1);
// Little-endian word order (every platform a browser or Node runs on): U32[1] holds sign, exponent, top mantissa.
const U32 = new Uint32Array(F64.buffer);
