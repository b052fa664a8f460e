import { ProtocolError } from '../errors.ts';

/** A statistic's limits: `warn` when it reaches `warn`, `alert` when it reaches `alert`. */
export interface Threshold {
  warn: number;
  alert: number;
}

/** `insufficient`: fewer than `minCount` values on either side, so no verdict is given. */
export type DriftStatus = 'ok' | 'warn' | 'alert' | 'insufficient';

/** Settings of the drift comparisons; every field is optional and falls back to {@link DEFAULT_DRIFT_OPTIONS}. */
export interface DriftOptions {
  psi?: Threshold;
  js?: Threshold;
  ks?: Threshold;
  wasserstein?: Threshold;
  /**
   * Categorical chi-square p-value: `warn` when p ≤ warn, `alert` when p ≤ alert. Off by default,
   * because at fleet sample sizes any difference is significant; PSI and JS carry the verdict.
   */
  chi2p?: Threshold | null;
  /** Values needed on each side before a status other than `insufficient` is given. Default 500. */
  minCount?: number;
  /** Number of reference-quantile bins for PSI and JS, 2 to 50. Default 10. */
  bins?: number;
  /** Proportion used in place of an empty bin's 0 in PSI. Default 1e-4. */
  epsilon?: number;
}

/** The defaults of the issue: PSI 0.1/0.25, JS distance 0.1/0.2, Wasserstein/σ 0.1/0.2, KS D 0.1/0.2. */
export const DEFAULT_DRIFT_OPTIONS = {
  psi: { warn: 0.1, alert: 0.25 },
  js: { warn: 0.1, alert: 0.2 },
  ks: { warn: 0.1, alert: 0.2 },
  wasserstein: { warn: 0.1, alert: 0.2 },
  chi2p: null,
  minCount: 500,
  bins: 10,
  epsilon: 1e-4,
} as const satisfies Required<DriftOptions>;

/** Options with defaults filled in and ranges checked. */
export function resolveOptions(opts: DriftOptions = {}): Required<DriftOptions> {
  const o = { ...DEFAULT_DRIFT_OPTIONS, ...opts } as Required<DriftOptions>;
  for (const key of ['psi', 'js', 'ks', 'wasserstein'] as const) {
    const t = o[key];
    if (!t || !(t.warn <= t.alert)) {
      throw new ProtocolError('INVALID_ARGUMENT', `Drift threshold "${key}" needs warn <= alert.`);
    }
  }
  if (o.chi2p && !(o.chi2p.warn >= o.chi2p.alert)) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      'Drift threshold "chi2p" needs warn >= alert (p-values fall as drift grows).',
    );
  }
  if (!Number.isInteger(o.bins) || o.bins < 2 || o.bins > 50) {
    throw new ProtocolError('INVALID_ARGUMENT', `Drift bins must be an integer from 2 to 50, got ${o.bins}.`);
  }
  if (!(o.minCount >= 0)) throw new ProtocolError('INVALID_ARGUMENT', 'Drift minCount must be >= 0.');
  if (!(o.epsilon > 0 && o.epsilon < 0.1)) {
    throw new ProtocolError('INVALID_ARGUMENT', 'Drift epsilon must be between 0 and 0.1.');
  }
  return o;
}

/** Status of one statistic that grows with drift; NaN gives `ok` (nothing to judge). */
export function levelOf(value: number, t: Threshold): 'ok' | 'warn' | 'alert' {
  if (value >= t.alert) return 'alert';
  if (value >= t.warn) return 'warn';
  return 'ok';
}

const RANK = { ok: 0, warn: 1, alert: 2 } as const;

/** The worst of several levels. */
export function worst(levels: Array<'ok' | 'warn' | 'alert'>): 'ok' | 'warn' | 'alert' {
  let w: 'ok' | 'warn' | 'alert' = 'ok';
  for (const l of levels) if (RANK[l] > RANK[w]) w = l;
  return w;
}

/** One rate on both sides: reference, current, and current − reference. */
export interface QualityDelta {
  reference: number;
  current: number;
  delta: number;
}

export function qualityDelta(reference: number, current: number): QualityDelta {
  return { reference, current, delta: current - reference };
}

/** Rate `part / whole`, 0 when `whole` is 0. */
export function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
