import { BinStore } from './bin-store.ts';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';

/** Options of a {@link NumericSketch}. */
export interface NumericSketchOptions {
  /** Relative accuracy of quantiles, in [1e-4, 0.2]. Default 0.01. */
  alpha?: number;
  /** Most bins kept per sign before the smallest magnitudes are folded together. Default 2048. */
  maxBins?: number;
}

/** The plain data of a numeric sketch, as encoded on the wire. Bins are `[index, count]`. */
export interface NumericSketchState {
  alpha: number;
  maxBins: number;
  zeroCount: number;
  nanCount: number;
  posInfCount: number;
  negInfCount: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  positive: Array<[number, number]>;
  negative: Array<[number, number]>;
}

export const DEFAULT_ALPHA = 0.01;
export const DEFAULT_MAX_BINS = 2048;

/**
 * A mergeable summary of a stream of numbers: a DDSketch-style log-bucketed histogram with relative
 * accuracy `alpha` (signed values, exact zeros, at most `maxBins` bins per sign), plus count, sum,
 * min, max, mean and variance, and NaN / ±Infinity counts kept apart from the finite values.
 *
 * A positive value `x` lands in bin `ceil(log_γ x)` with `γ = (1+α)/(1−α)`; a negative value in the
 * bin of `|x|` of the negative store. Every value in a bin is within `α` relative error of the bin's
 * representative, so `quantile(q)` is within `α` of the exact (lower) quantile. Merging is exact:
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
  private readonly invLogGamma: number;
  private readonly logGamma: number;
  private readonly repFactor: number;
  private pos: BinStore;
  private neg: BinStore;
  private zeros = 0;
  private n = 0;
  private s = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private mu = 0;
  private m2 = 0;
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
    const gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(gamma);
    this.invLogGamma = 1 / this.logGamma;
    this.repFactor = 2 / (1 + gamma);
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
    return this.n === 0 ? Number.NaN : this.mu;
  }
  /** Population variance of the finite values; NaN when empty. */
  get variance(): number {
    return this.n === 0 ? Number.NaN : this.m2 / this.n;
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
    if (Number.isNaN(x)) {
      this.nan++;
      return;
    }
    if (x === Number.POSITIVE_INFINITY) {
      this.posInf++;
      return;
    }
    if (x === Number.NEGATIVE_INFINITY) {
      this.negInf++;
      return;
    }
    if (x > 0) this.pos.add(Math.ceil(Math.log(x) * this.invLogGamma));
    else if (x < 0) this.neg.add(Math.ceil(Math.log(-x) * this.invLogGamma));
    else {
      this.zeros++;
      x = 0; // -0 and +0 are one value
    }
    const n = ++this.n;
    this.s += x;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    const d = x - this.mu;
    this.mu += d / n;
    this.m2 += d * (x - this.mu);
  }

  /** Adds every value of an array or typed array, in order. */
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
    if (other.n > 0 && this.n === 0) {
      this.mu = other.mu;
      this.m2 = other.m2;
    } else if (other.n > 0) {
      const n = this.n + other.n;
      const d = other.mu - this.mu;
      this.mu += (d * other.n) / n;
      this.m2 += other.m2 + d * d * ((this.n * other.n) / n);
    }
    if (other.n > 0) {
      this.n += other.n;
      this.s += other.s;
      if (other.lo < this.lo) this.lo = other.lo;
      if (other.hi > this.hi) this.hi = other.hi;
    }
    return this;
  }

  /** Representative value of positive-store bin `index` (a magnitude). */
  binValue(index: number): number {
    return Math.exp(index * this.logGamma) * this.repFactor;
  }

  /** Upper bound of the magnitudes in bin `index`: `γ^index`. */
  binUpper(index: number): number {
    return Math.exp(index * this.logGamma);
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
      const ix = Math.ceil(Math.log(-x) * this.invLogGamma);
      this.neg.forEach((i, c) => {
        if (i > ix) below += c;
        else if (i === ix) {
          const upper = this.binUpper(i);
          const lower = upper / Math.exp(this.logGamma);
          below += (c * (upper - -x)) / (upper - lower);
        }
      });
      return below / this.n;
    }
    below = this.neg.total + this.zeros;
    if (x > 0) {
      const ix = Math.ceil(Math.log(x) * this.invLogGamma);
      this.pos.forEach((i, c) => {
        if (i < ix) below += c;
        else if (i === ix) {
          const upper = this.binUpper(i);
          const lower = upper / Math.exp(this.logGamma);
          below += (c * (x - lower)) / (upper - lower);
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

  /** Index of the bin that holds `|x|` for a finite non-zero `x`. */
  indexOf(x: number): number {
    return Math.ceil(Math.log(Math.abs(x)) * this.invLogGamma);
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
    copy.mu = this.mu;
    copy.m2 = this.m2;
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
      m2: this.n === 0 ? 0 : this.m2,
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
    const invalid = (why: string): never => {
      throw new ProtocolError('DECODE_INVALID', `Numeric sketch is inconsistent: ${why}.`);
    };
    let sketch: NumericSketch;
    try {
      sketch = new NumericSketch({ alpha: state.alpha, maxBins: state.maxBins });
    } catch (cause) {
      throw new ProtocolError('DECODE_INVALID', `Numeric sketch settings are out of range.`, { cause });
    }
    const isCount = (c: number) => Number.isSafeInteger(c) && c >= 0;
    for (const c of [state.zeroCount, state.nanCount, state.posInfCount, state.negInfCount]) {
      if (!isCount(c)) invalid(`count ${c} is not a non-negative integer`);
    }
    let n = state.zeroCount;
    for (const [store, bins] of [
      [sketch.pos, state.positive],
      [sketch.neg, state.negative],
    ] as const) {
      if (bins.length > state.maxBins) {
        throw new ProtocolError('DECODE_TOO_LARGE', `A numeric sketch has more than maxBins bins.`);
      }
      let prev = Number.NEGATIVE_INFINITY;
      for (const [i, c] of bins) {
        if (!Number.isSafeInteger(i) || i <= prev)
          invalid('bin indexes are not strictly increasing integers');
        if (!isCount(c) || c === 0) invalid('a bin count is not a positive integer');
        prev = i;
      }
      const first = bins[0];
      const last = bins[bins.length - 1];
      if (first && last && last[0] - first[0] + 1 > state.maxBins) invalid('bins span more than maxBins');
      for (const [i, c] of bins) store.add(i, c);
      n += store.total;
    }
    if (!Number.isSafeInteger(n)) invalid('total count overflows');
    sketch.zeros = state.zeroCount;
    sketch.nan = state.nanCount;
    sketch.posInf = state.posInfCount;
    sketch.negInf = state.negInfCount;
    sketch.n = n;
    if (n > 0) {
      const { sum, min, max, mean, m2 } = state;
      // sum, mean and m2 may legitimately overflow to ±Infinity on extreme data; min and max cannot.
      if (!Number.isFinite(min) || !Number.isFinite(max) || !(min <= max))
        invalid('min and max are not ordered finite values');
      sketch.s = sum;
      sketch.lo = min;
      sketch.hi = max;
      sketch.mu = mean;
      sketch.m2 = m2;
    }
    return sketch;
  }
}
