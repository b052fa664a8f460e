import { BinStore } from './bin-store.ts';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { LogIndex } from './log-index.ts';
import { checkNumericState, checkNumericTotals, type NumericSketchState } from './numeric-state.ts';

export type { NumericSketchState } from './numeric-state.ts';

/** Options of a {@link NumericSketch}. */
export interface NumericSketchOptions {
  /** Relative accuracy of quantiles, in [1e-4, 0.2]. Default 0.01. */
  alpha?: number;
  /** Most bins kept per sign before the smallest magnitudes are folded together. Default 2048. */
  maxBins?: number;
}

export const DEFAULT_ALPHA = 0.01;
export const DEFAULT_MAX_BINS = 2048;

/**
 * A mergeable summary of a stream of numbers: a DDSketch-style log-bucketed histogram with relative
 * accuracy `alpha` (signed values, exact zeros, at most `maxBins` bins per sign), plus count, sum,
 * min, max, mean and variance, and NaN / ±Infinity counts kept apart from the finite values.
 *
 * A positive value `x` lands in bin `ceil(K·log2 x)` with `K = ceil(ln 2 / ln γ)` and
 * `γ = (1+α)/(1−α)` (see {@link LogIndex}: bins aligned to powers of two, ratio `2^(1/K) <= γ`); a
 * negative value in the bin of `|x|` of the negative store. Every value in a bin is within `α`
 * relative error of the bin's representative, so `quantile(q)` is within `α` of the exact (lower)
 * quantile (for normal doubles; subnormals have too few bits for any relative guarantee). Merging is exact:
 * `a.merge(b)` has the same bins, counts, min and max as the sketch of the concatenated data, and
 * mean/variance equal up to rounding (Chan's parallel formula).
 *
 * @example
 * const s = new NumericSketch();
 * s.addMany(new Float32Array([1, 2, 3, NaN]));
 * s.quantile(0.5); // ≈ 2, within 1%
 * s.nanCount;      // 1
 */
export class NumericSketch {
  readonly alpha: number;
  readonly maxBins: number;
  private readonly map: LogIndex;
  private pos: BinStore;
  private neg: BinStore;
  private zeros = 0;
  private n = 0;
  private s = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  // Moments as sums of deviations from a shift (the first value, or the mean after a merge): one
  // pass, no division per value, and accurate variance when values sit far from zero.
  private shift = 0;
  private s1 = 0;
  private s2 = 0;
  private nan = 0;
  private posInf = 0;
  private negInf = 0;

  constructor(opts: NumericSketchOptions = {}) {
    const alpha = opts.alpha ?? DEFAULT_ALPHA;
    const maxBins = opts.maxBins ?? DEFAULT_MAX_BINS;
    if (!(alpha >= LIMITS.minAlpha && alpha <= LIMITS.maxAlpha)) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `NumericSketch alpha must be between ${LIMITS.minAlpha} and ${LIMITS.maxAlpha}, got ${alpha}.`,
      );
    }
    if (!Number.isInteger(maxBins) || maxBins < 1 || maxBins > LIMITS.maxBins) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `NumericSketch maxBins must be an integer from 1 to ${LIMITS.maxBins}, got ${maxBins}.`,
      );
    }
    this.alpha = alpha;
    this.maxBins = maxBins;
    this.map = LogIndex.for(alpha);
    this.pos = new BinStore(maxBins);
    this.neg = new BinStore(maxBins);
  }

  /** Finite values added (NaN and ±Infinity are counted apart). */
  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.s;
  }
  /** Smallest finite value; NaN when empty. */
  get min(): number {
    return this.n === 0 ? Number.NaN : this.lo;
  }
  /** Largest finite value; NaN when empty. */
  get max(): number {
    return this.n === 0 ? Number.NaN : this.hi;
  }
  /** Mean of the finite values; NaN when empty. */
  get mean(): number {
    return this.n === 0 ? Number.NaN : this.shift + this.s1 / this.n;
  }
  /** Population variance of the finite values; NaN when empty. */
  get variance(): number {
    return this.n === 0 ? Number.NaN : this.m2 / this.n;
  }
  /** Sum of squared deviations from the mean (n × variance); 0 when empty. */
  get m2(): number {
    return this.n === 0 ? 0 : Math.max(0, this.s2 - (this.s1 * this.s1) / this.n);
  }
  get zeroCount(): number {
    return this.zeros;
  }
  get nanCount(): number {
    return this.nan;
  }
  get posInfCount(): number {
    return this.posInf;
  }
  get negInfCount(): number {
    return this.negInf;
  }
  /** Everything observed: finite values, NaN and ±Infinity. */
  get total(): number {
    return this.n + this.nan + this.posInf + this.negInf;
  }

  /** Adds one value. NaN and ±Infinity are counted apart and do not touch the moments. */
  add(x: number): void {
    if (x > 0) {
      if (x === Number.POSITIVE_INFINITY) {
        this.posInf++;
        return;
      }
      this.pos.add(this.map.index(x));
    } else if (x < 0) {
      if (x === Number.NEGATIVE_INFINITY) {
        this.negInf++;
        return;
      }
      this.neg.add(this.map.index(-x));
    } else if (x === 0) {
      this.zeros++;
      x = 0; // -0 and +0 are one value
    } else {
      this.nan++;
      return;
    }
    if (this.n++ === 0) this.shift = x;
    this.s += x;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    const d = x - this.shift;
    this.s1 += d;
    this.s2 += d * d;
  }

  /** Adds every value of an array or typed array, in order: the same result as `add` on each. */
  addMany(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
  }

  private checkCompatible(other: NumericSketch, what: string): void {
    if (other.alpha !== this.alpha || other.maxBins !== this.maxBins) {
      throw new ProtocolError(
        'SKETCH_MISMATCH',
        `Cannot ${what} numeric sketches with different settings (alpha ${this.alpha} vs ${other.alpha}, maxBins ${this.maxBins} vs ${other.maxBins}); build both with the same options.`,
      );
    }
  }

  /** Adds everything `other` saw into this sketch; exact (see the class notes). Returns `this`. */
  merge(other: NumericSketch): this {
    this.checkCompatible(other, 'merge');
    this.pos.mergeFrom(other.pos);
    this.neg.mergeFrom(other.neg);
    this.zeros += other.zeros;
    this.nan += other.nan;
    this.posInf += other.posInf;
    this.negInf += other.negInf;
    if (other.n > 0) {
      // Chan et al.: combine means and M2, then re-centre the shifted sums on the new mean.
      const n = this.n + other.n;
      const ma = this.mean;
      const mb = other.mean;
      const m2 =
        this.n === 0 ? other.m2 : this.m2 + other.m2 + (mb - ma) * (mb - ma) * ((this.n * other.n) / n);
      this.shift = this.n === 0 ? mb : ma + ((mb - ma) * other.n) / n;
      this.s1 = 0;
      this.s2 = m2;
      this.n = n;
      this.s += other.s;
      if (other.lo < this.lo) this.lo = other.lo;
      if (other.hi > this.hi) this.hi = other.hi;
    }
    return this;
  }

  /** Representative value of positive-store bin `index` (a magnitude). */
  binValue(index: number): number {
    return this.map.value(index);
  }

  /** Upper bound of the magnitudes in bin `index`. */
  binUpper(index: number): number {
    return this.map.upper(index);
  }

  /**
   * The value at rank `q·(count−1)` of the finite values (the lower quantile), within `alpha`
   * relative error and clamped to [min, max]. NaN when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) {
      throw new ProtocolError('INVALID_ARGUMENT', `quantile(q) needs q between 0 and 1, got ${q}.`);
    }
    if (this.n === 0) return Number.NaN;
    const rank = q * (this.n - 1);
    let seen = 0;
    let value = Number.NaN;
    const negBins = this.neg.entries();
    for (let k = negBins.length - 1; k >= 0; k--) {
      const [i, c] = negBins[k]!;
      seen += c;
      if (seen > rank) {
        value = -this.binValue(i);
        break;
      }
    }
    if (Number.isNaN(value)) {
      seen += this.zeros;
      if (seen > rank) value = 0;
    }
    if (Number.isNaN(value)) {
      for (const [i, c] of this.pos.entries()) {
        seen += c;
        if (seen > rank) {
          value = this.binValue(i);
          break;
        }
      }
    }
    if (Number.isNaN(value)) value = this.hi;
    return Math.min(this.hi, Math.max(this.lo, value));
  }

  /**
   * Fraction of the finite values that are `<= x`: exact at bin boundaries, linear inside the bin
   * that holds `x`. NaN when empty.
   */
  cdf(x: number): number {
    if (this.n === 0 || Number.isNaN(x)) return Number.NaN;
    if (x < this.lo) return 0;
    if (x >= this.hi) return 1;
    let below = 0;
    if (x < 0) {
      const ix = this.map.index(-x);
      this.neg.forEach((i, c) => {
        if (i > ix) below += c;
        else if (i === ix) {
          const upper = this.binUpper(i);
          const lower = this.map.upper(i - 1);
          below += c * (1 - shareBelow(-x, lower, upper));
        }
      });
      return below / this.n;
    }
    below = this.neg.total + this.zeros;
    if (x > 0) {
      const ix = this.map.index(x);
      this.pos.forEach((i, c) => {
        if (i < ix) below += c;
        else if (i === ix) {
          const upper = this.binUpper(i);
          const lower = this.map.upper(i - 1);
          below += c * shareBelow(x, lower, upper);
        }
      });
    }
    return below / this.n;
  }

  /** Non-empty bins of the positive values as `[index, count]`, lowest index first. */
  positiveBins(): Array<[number, number]> {
    return this.pos.entries();
  }

  /** Non-empty bins of the magnitudes of the negative values as `[index, count]`, lowest index first. */
  negativeBins(): Array<[number, number]> {
    return this.neg.entries();
  }

  /** Indexes the two bin stores span together (each is dense: 8 bytes per index). */
  get binSpan(): number {
    return (
      (this.pos.total > 0 ? this.pos.hi - this.pos.lo + 1 : 0) +
      (this.neg.total > 0 ? this.neg.hi - this.neg.lo + 1 : 0)
    );
  }

  /** Index of the bin that holds `|x|` for a finite non-zero `x`. */
  indexOf(x: number): number {
    return this.map.index(Math.abs(x));
  }

  clone(): NumericSketch {
    const copy = new NumericSketch({ alpha: this.alpha, maxBins: this.maxBins });
    copy.pos = this.pos.clone();
    copy.neg = this.neg.clone();
    copy.zeros = this.zeros;
    copy.n = this.n;
    copy.s = this.s;
    copy.lo = this.lo;
    copy.hi = this.hi;
    copy.shift = this.shift;
    copy.s1 = this.s1;
    copy.s2 = this.s2;
    copy.nan = this.nan;
    copy.posInf = this.posInf;
    copy.negInf = this.negInf;
    return copy;
  }

  /** The sketch as plain data (what the encoding writes). */
  toState(): NumericSketchState {
    return {
      alpha: this.alpha,
      maxBins: this.maxBins,
      zeroCount: this.zeros,
      nanCount: this.nan,
      posInfCount: this.posInf,
      negInfCount: this.negInf,
      sum: this.s,
      min: this.min,
      max: this.max,
      mean: this.mean,
      m2: this.m2,
      positive: this.pos.entries(),
      negative: this.neg.entries(),
    };
  }

  /**
   * Rebuilds a sketch from plain data, checking that it could have come from real data (counts are
   * safe integers, bins fit in `maxBins`, moments are finite and consistent). Throws
   * `DECODE_INVALID` or `DECODE_TOO_LARGE` otherwise.
   */
  static fromState(state: NumericSketchState): NumericSketch {
    checkNumericState(state);
    const positive = new BinStore(state.maxBins);
    const negative = new BinStore(state.maxBins);
    positive.load(state.positive);
    negative.load(state.negative);
    return NumericSketch.fromParts({ ...state, positive, negative });
  }

  /**
   * Builds a sketch from decoded parts whose stores are already valid (see readBinStore); checks
   * the settings, the total and min/max. Internal to the codec.
   * @internal
   */
  static fromParts(parts: NumericSketchParts): NumericSketch {
    let sketch: NumericSketch;
    try {
      sketch = new NumericSketch({ alpha: parts.alpha, maxBins: parts.maxBins });
    } catch (cause) {
      throw new ProtocolError('DECODE_INVALID', 'Numeric sketch settings are out of range.', { cause });
    }
    const n = parts.zeroCount + parts.positive.total + parts.negative.total;
    checkNumericTotals(n, parts.min, parts.max);
    sketch.pos = parts.positive;
    sketch.neg = parts.negative;
    sketch.zeros = parts.zeroCount;
    sketch.nan = parts.nanCount;
    sketch.posInf = parts.posInfCount;
    sketch.negInf = parts.negInfCount;
    sketch.n = n;
    if (n > 0) {
      sketch.s = parts.sum;
      sketch.lo = parts.min;
      sketch.hi = parts.max;
      sketch.shift = parts.mean;
      sketch.s2 = parts.m2;
    }
    return sketch;
  }
}

/** A decoded sketch's state with its bins already in stores (see {@link NumericSketch.fromParts}). */
export interface NumericSketchParts extends Omit<NumericSketchState, 'positive' | 'negative'> {
  positive: BinStore;
  negative: BinStore;
}

/**
 * The share of a bin `(lower, upper]` that lies below `v`, interpolating linearly. Bins of
 * subnormal magnitudes can have bounds that round to the same double; their share is one half.
 */
function shareBelow(v: number, lower: number, upper: number): number {
  const width = upper - lower;
  if (!(width > 0)) return 0.5;
  return Math.min(1, Math.max(0, (v - lower) / width));
}
