import { CategoricalSketch } from '../categorical-sketch.ts';
import { ProtocolError } from '../errors.ts';
import { NumericSketch } from '../numeric-sketch.ts';
import type { FeatureSketch, Profile } from '../profile.ts';
import { type CategoricalDrift, compareCategorical } from './categorical-drift.ts';
import { compareNumeric, type NumericDrift } from './numeric-drift.ts';
import { type DriftOptions, type DriftStatus, type QualityDelta, qualityDelta } from './thresholds.ts';

/** Drift of one feature, with its missing rate on both sides. */
export type FeatureDrift = (NumericDrift | CategoricalDrift) & { missing: QualityDelta };

/**
 * Share of inferences that recorded no value for a feature, assuming one value per inference
 * (0 when the feature records more, e.g. several rows per inference).
 */
function missingRate(profile: Profile, s: FeatureSketch | undefined): number {
  if (profile.inferences === 0) return 0;
  const seen = s?.total ?? 0;
  return Math.max(0, 1 - seen / profile.inferences);
}

function emptyLike(s: FeatureSketch): FeatureSketch {
  return s instanceof NumericSketch
    ? new NumericSketch({ alpha: s.alpha, maxBins: s.maxBins })
    : new CategoricalSketch({ maxLabels: s.maxLabels, maxLabelLength: s.maxLabelLength });
}

/**
 * Compares every feature of `cur` with the same feature of `ref`. A feature present on one side
 * only is compared with an empty sketch (status `insufficient`, missing rate 1 on the empty side).
 * `opts.features[name]` overrides the shared options for one feature; `opts.skip` leaves features out. Throws
 * `FEATURE_KIND_MISMATCH` when a feature is numeric on one side and categorical on the other.
 *
 * @example
 * for (const [name, d] of Object.entries(compareProfiles(reference, current))) if (d.status === 'alert') …
 */
export function compareProfiles(
  ref: Profile,
  cur: Profile,
  opts?: DriftOptions & {
    features?: Record<string, DriftOptions>;
    /** Features to leave out, e.g. `summaryOnlyFeature(schema)`: sums that feed other statistics. */
    skip?: (name: string) => boolean;
  },
): Record<string, FeatureDrift> {
  const { features, skip, ...shared } = opts ?? {};
  const out: Record<string, FeatureDrift> = Object.create(null);
  const names = [...new Set([...Object.keys(ref.features), ...Object.keys(cur.features)])]
    .filter((n) => !skip?.(n))
    .sort();
  for (const name of names) {
    const r = ref.features[name];
    const c = cur.features[name];
    const a = r ?? emptyLike(c!);
    const b = c ?? emptyLike(r!);
    let drift: NumericDrift | CategoricalDrift;
    const o = features?.[name] ? { ...shared, ...features[name] } : shared;
    if (a instanceof NumericSketch && b instanceof NumericSketch) drift = compareNumeric(a, b, o);
    else if (a instanceof CategoricalSketch && b instanceof CategoricalSketch)
      drift = compareCategorical(a, b, o);
    else {
      throw new ProtocolError(
        'FEATURE_KIND_MISMATCH',
        `Feature "${name}" is numeric on one side and categorical on the other; compare profiles built by the same summarizers.`,
      );
    }
    out[name] = { ...drift, missing: qualityDelta(missingRate(ref, r), missingRate(cur, c)) };
  }
  return out;
}

/** The worst status among features (ignoring `insufficient` unless every feature is). */
export function overallStatus(drifts: Record<string, { status: DriftStatus }>): DriftStatus {
  const order: DriftStatus[] = ['alert', 'warn', 'ok'];
  const statuses = new Set(Object.values(drifts).map((d) => d.status));
  for (const s of order) if (statuses.has(s)) return s;
  return 'insufficient';
}
