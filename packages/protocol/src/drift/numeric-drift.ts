import type { NumericSketch } from '../numeric-sketch.ts';
import { alignBins } from './aligned-bins.ts';
import { jsDistance, psi } from './divergence.ts';
import {
  type DriftOptions,
  type DriftStatus,
  levelOf,
  type QualityDelta,
  qualityDelta,
  rate,
  resolveOptions,
  worst,
} from './thresholds.ts';

/** Data quality of a numeric feature on both sides. */
export interface NumericQuality {
  /** NaN among everything observed. */
  nan: QualityDelta;
  /** ±Infinity among everything observed. */
  inf: QualityDelta;
  /** Finite values outside the reference's [min, max] (bin resolution). */
  outOfRange: QualityDelta;
}

/** Result of {@link compareNumeric}. Statistics are NaN when either side is empty. */
export interface NumericDrift {
  kind: 'numeric';
  /** Population stability index over reference-quantile bins. */
  psi: number;
  /** Jensen–Shannon distance (base 2) over the same bins. */
  js: number;
  /** Kolmogorov–Smirnov D: the largest CDF gap over the sketch bin edges. */
  ks: number;
  /** Wasserstein-1 distance divided by the reference standard deviation. */
  wasserstein: number;
  status: DriftStatus;
  /**
   * Upper edges of the PSI/JS bins (representative value of the sketch bin at each reference
   * decile); a value `<=` edge k (at bin resolution) falls in bin k or before.
   */
  edges: number[];
  referenceCount: number;
  currentCount: number;
  quality: NumericQuality;
}

/**
 * Compares a current numeric sketch with a reference. PSI and JS use `bins` (default 10) bins
 * whose edges are sketch bin boundaries at the reference's deciles, so the counts in them are exact;
 * KS and Wasserstein use every sketch bin. Status is the worst statistic against its threshold, or
 * `insufficient` below `minCount` finite values on either side.
 *
 * @example
 * const d = compareNumeric(reference.features['input.mean'], current.features['input.mean']);
 * if (d.status === 'alert') …
 */
export function compareNumeric(ref: NumericSketch, cur: NumericSketch, opts?: DriftOptions): NumericDrift {
  const o = resolveOptions(opts);
  const { values, ref: rc, cur: cc } = alignBins(ref, cur);
  const nr = ref.count;
  const nc = cur.count;
  let ks = Number.NaN;
  let w = Number.NaN;
  let psiValue = Number.NaN;
  let jsValue = Number.NaN;
  let outside = 0;
  const edges: number[] = [];
  if (nr > 0 && nc > 0) {
    // One walk: CDF gaps for KS and Wasserstein, reference-decile cut points for PSI/JS.
    const rBins = new Float64Array(o.bins);
    const cBins = new Float64Array(o.bins);
    let fr = 0;
    let fc = 0;
    let bin = 0;
    ks = 0;
    w = 0;
    let first = -1;
    let last = -1;
    for (let k = 0; k < values.length; k++) {
      fr += rc[k]!;
      fc += cc[k]!;
      rBins[bin]! += rc[k]!;
      cBins[bin]! += cc[k]!;
      while (bin < o.bins - 1 && fr >= ((bin + 1) * nr) / o.bins) {
        bin++;
        edges.push(values[k]!);
      }
      if (rc[k]! > 0) {
        if (first < 0) first = k;
        last = k;
      }
      const gap = Math.abs(fr / nr - fc / nc);
      if (gap > ks) ks = gap;
      if (k + 1 < values.length) w += gap * (values[k + 1]! - values[k]!);
    }
    for (let k = 0; k < values.length; k++) if (k < first || k > last) outside += cc[k]!;
    const sd = Math.sqrt(ref.variance);
    const scale = sd > 0 ? sd : Math.max(Math.abs(ref.mean), 1);
    w /= scale;
    psiValue = psi(rBins, cBins, o.epsilon);
    jsValue = jsDistance(rBins, cBins);
  }
  const level = worst([
    levelOf(psiValue, o.psi),
    levelOf(jsValue, o.js),
    levelOf(ks, o.ks),
    levelOf(w, o.wasserstein),
  ]);
  return {
    kind: 'numeric',
    psi: psiValue,
    js: jsValue,
    ks,
    wasserstein: w,
    status: nr < o.minCount || nc < o.minCount ? 'insufficient' : level,
    edges,
    referenceCount: nr,
    currentCount: nc,
    quality: {
      nan: qualityDelta(rate(ref.nanCount, ref.total), rate(cur.nanCount, cur.total)),
      inf: qualityDelta(
        rate(ref.posInfCount + ref.negInfCount, ref.total),
        rate(cur.posInfCount + cur.negInfCount, cur.total),
      ),
      outOfRange: qualityDelta(0, rate(outside, nc)),
    },
  };
}
