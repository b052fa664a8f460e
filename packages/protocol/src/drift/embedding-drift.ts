import { NumericSketch } from '../numeric-sketch.ts';
import type { Profile } from '../profile.ts';
import { compareNumeric, type NumericDrift } from './numeric-drift.ts';
import { chiSquareSurvival } from './special-functions.ts';
import { type DriftOptions, type DriftStatus, levelOf, type Threshold, worst } from './thresholds.ts';

/** Thresholds of {@link compareEmbedding}; see "Schema summaries" in docs/protocol.md for how they were chosen. */
export interface EmbeddingDriftOptions {
  /** p-value of the projected mean-shift test: `warn` when p ≤ warn, `alert` when p ≤ alert. */
  meanP?: Threshold;
  /** Share of projections whose own drift status is `alert`. */
  driftedShare?: Threshold;
  /** MMD² divided by its standard deviation under no drift. */
  mmdZ?: Threshold;
  /** Values needed on each side; below it the status is `insufficient`. Default 500. */
  minCount?: number;
  /** Options of the per-projection `compareNumeric`. */
  projection?: DriftOptions;
}

/** Chosen by seeded simulation (src/drift/schema-simulation.test.ts): < 1 % false alarms on pure noise. */
export const DEFAULT_EMBEDDING_DRIFT_OPTIONS = {
  meanP: { warn: 1e-4, alert: 1e-6 },
  driftedShare: { warn: 0.25, alert: 0.5 },
  mmdZ: { warn: 8, alert: 12 },
  minCount: 500,
  projection: {},
} as const satisfies Required<EmbeddingDriftOptions>;

/** Result of {@link compareEmbedding}. */
export interface EmbeddingDrift {
  kind: 'embedding';
  /** Drift of each `<t>.proj<k>` feature. */
  projections: NumericDrift[];
  /** Share of projections whose status is `alert`. */
  driftedShare: number;
  /**
   * Distance between the two mean embeddings, estimated from the projection means and corrected
   * for sampling noise (√max(0, Σ Δk² − Σ (vk/n + vk/m))); 0 when the means differ by no more
   * than noise.
   */
  meanDistance: number;
  /** The same distance without the noise correction (what Evidently reports; grows as √(d/n) on noise). */
  rawMeanDistance: number;
  /** Σ Δk² / (vk/n + vk/m): chi-square with `projections` degrees of freedom when nothing changed. */
  meanChi2: number;
  /** Its p-value. */
  meanP: number;
  /** Unbiased MMD² (Gaussian kernel on the L2-normalised vectors) from the Fourier feature sums; NaN without them. */
  mmd2: number;
  /** `mmd2` over its standard deviation under no drift (diagonal approximation). */
  mmdZ: number;
  status: DriftStatus;
  referenceCount: number;
  currentCount: number;
}

function indexed(p: Profile, prefix: string): NumericSketch[] {
  const out: NumericSketch[] = [];
  for (let k = 0; ; k++) {
    const s = p.features[`${prefix}${k}`];
    if (!(s instanceof NumericSketch)) return out;
    out.push(s);
  }
}

/**
 * Embedding drift of tensor `name` between two profiles recorded by `summarizeEmbedding` with the
 * same schema: the share of drifted projections, the mean-embedding distance with a chi-square
 * test on the projected means, and an unbiased MMD² from the random Fourier feature sums. The
 * status is the worst of the three against their thresholds.
 *
 * @example
 * const d = compareEmbedding(reference, current, 'emb'); // d.status, d.meanDistance, d.mmd2
 */
export function compareEmbedding(
  ref: Profile,
  cur: Profile,
  name: string,
  opts: EmbeddingDriftOptions = {},
): EmbeddingDrift {
  const o = { ...DEFAULT_EMBEDDING_DRIFT_OPTIONS, ...opts };
  const rp = indexed(ref, `${name}.proj`);
  const cp = indexed(cur, `${name}.proj`);
  const k = Math.min(rp.length, cp.length);
  const projections: NumericDrift[] = [];
  let alerts = 0;
  let chi2 = 0;
  let raw2 = 0;
  let noise2 = 0;
  let n = Number.POSITIVE_INFINITY;
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    const a = rp[i]!;
    const b = cp[i]!;
    const d = compareNumeric(a, b, { ...o.projection, minCount: o.minCount });
    projections.push(d);
    if (d.status === 'alert') alerts++;
    n = Math.min(n, a.count);
    m = Math.min(m, b.count);
    const delta = b.mean - a.mean;
    const se2 = a.variance / a.count + b.variance / b.count;
    raw2 += delta * delta;
    noise2 += se2;
    if (se2 > 0) chi2 += (delta * delta) / se2;
  }
  const meanP = k > 0 && Number.isFinite(chi2) ? chiSquareSurvival(chi2, k) : Number.NaN;
  const { mmd2, mmdZ } = mmdOf(indexed(ref, `${name}.rff`), indexed(cur, `${name}.rff`));
  const referenceCount = k > 0 ? n : 0;
  const currentCount = k > 0 ? m : 0;
  const driftedShare = k > 0 ? alerts / k : Number.NaN;
  const level = worst([
    Number.isNaN(meanP) ? 'ok' : meanP <= o.meanP.alert ? 'alert' : meanP <= o.meanP.warn ? 'warn' : 'ok',
    levelOf(driftedShare, o.driftedShare),
    levelOf(mmdZ, o.mmdZ),
  ]);
  return {
    kind: 'embedding',
    projections,
    driftedShare,
    meanDistance: Math.sqrt(Math.max(0, raw2 - noise2)),
    rawMeanDistance: Math.sqrt(raw2),
    meanChi2: chi2,
    meanP,
    mmd2,
    mmdZ,
    status: k === 0 || referenceCount < o.minCount || currentCount < o.minCount ? 'insufficient' : level,
    referenceCount,
    currentCount,
  };
}

/**
 * Unbiased MMD² from the sums S of unit-norm feature maps z (‖z(x)‖ = 1, so Σ‖z‖² = n):
 * (‖Sx‖² − n) / (n(n−1)) + (‖Sy‖² − m) / (m(m−1)) − 2 Sx·Sy / (nm).
 */
function mmdOf(rz: NumericSketch[], cz: NumericSketch[]): { mmd2: number; mmdZ: number } {
  const j = Math.min(rz.length, cz.length);
  if (j === 0) return { mmd2: Number.NaN, mmdZ: Number.NaN };
  const n = rz[0]!.count;
  const m = cz[0]!.count;
  if (n < 2 || m < 2) return { mmd2: Number.NaN, mmdZ: Number.NaN };
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  let var2 = 0;
  for (let i = 0; i < j; i++) {
    const sx = rz[i]!.sum;
    const sy = cz[i]!.sum;
    sxx += sx * sx;
    syy += sy * sy;
    sxy += sx * sy;
    const v = (rz[i]!.m2 + cz[i]!.m2) / (n + m);
    var2 += v * v;
  }
  const mmd2 = (sxx - n) / (n * (n - 1)) + (syy - m) / (m * (m - 1)) - (2 * sxy) / (n * m);
  const sd = Math.sqrt(2 * var2) * (1 / n + 1 / m);
  return { mmd2, mmdZ: sd > 0 ? mmd2 / sd : Number.NaN };
}
