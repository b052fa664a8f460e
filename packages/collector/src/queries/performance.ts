import {
  createProfile,
  decodeProfile,
  estimateAccuracy,
  type ModelSchema,
  mergeProfileInto,
  NumericSketch,
  type Profile,
} from '@driftline/protocol';
import { noCalibration, noReference } from '../errors.ts';
import { findVersion, versionReference } from '../registry/versions.ts';
import type { Level } from '../rollups/levels.ts';
import type { Sql } from '../storage/storage.ts';
import { bucketOf } from './buckets.ts';
import { latestVersion } from './drift.ts';
import { finite } from './finite.ts';
import { rangeBuckets, readRollups } from './read-rollups.ts';

/** The feature devices record per `rt.feedback`: 1 when the run's predicted class was right, else 0. */
export const FEEDBACK_CORRECT = 'feedback.correct';

/** Estimated and realized accuracy of one window. */
export interface WindowAccuracy {
  inferences: number;
  /** CBPE estimate from the reference's calibration; null without predictions. */
  estimated: number | null;
  /** Predictions of the output the estimate covers. */
  predictions: number;
  /** Share of them whose class the reference never predicted (taken at face value). */
  uncalibrated: number;
  /** Mean of `feedback.correct`; null without feedback. */
  realized: number | null;
  /** Feedback calls (`feedback.correct` values) behind `realized`. */
  feedback: number;
}

/**
 * The output accuracy is estimated for: `output` when given, else the first `classes` output of the
 * schema. Throws `no_calibration` when the reference holds no `<output>.hit.<label>` sketches (it
 * was not built with labels, or not with this output as `classes`).
 */
export function calibratedOutput(reference: Profile, schema: ModelSchema | null, output?: string): string {
  const candidates = output !== undefined ? [output] : Object.keys(schema?.outputs ?? {});
  if (candidates.length === 0) {
    throw noCalibration(
      'The version has no schema with a classes output; publish it with a schema naming one (docs/protocol.md "Schema summaries") or pass ?output=<tensor>.',
    );
  }
  const hasHits = (t: string) => Object.keys(reference.features).some((k) => k.startsWith(`${t}.hit.`));
  const found = candidates.find(hasHits);
  if (found === undefined) {
    throw noCalibration(
      `The reference profile holds no calibration for output "${candidates[0]}": build it with labels (driftline profile on samples with a label) for a classes output, then publish it with the version.`,
    );
  }
  return found;
}

/** Estimated (CBPE against `reference`) and realized (`feedback.correct`) accuracy of one window. */
export function accuracyOf(reference: Profile, window: Profile, output: string): WindowAccuracy {
  const e = estimateAccuracy(reference, window, output);
  const fb = window.features[FEEDBACK_CORRECT];
  const n = fb instanceof NumericSketch ? fb.count : 0;
  return {
    inferences: window.inferences,
    estimated: finite(e.estimated),
    predictions: e.currentCount,
    uncalibrated: e.uncalibrated,
    realized: n > 0 ? finite((fb as NumericSketch).mean) : null,
    feedback: n,
  };
}

/** Only what accuracy needs of a window's profile: its counts, `<output>.conf.*` and `feedback.correct`. */
function accuracyFeatures(p: Profile, output: string): Profile {
  const out = createProfile();
  out.inferences = p.inferences;
  out.errors = p.errors;
  const prefix = `${output}.conf.`;
  for (const [k, s] of Object.entries(p.features)) {
    if (k === FEEDBACK_CORRECT || k.startsWith(prefix)) out.features[k] = s;
  }
  return out;
}

/**
 * Accuracy of a version per time bucket and over the whole range: `estimated` by CBPE from the
 * reference profile published with the version (built with labels), `realized` from devices'
 * feedback, and the reference's own accuracy. Throws `no_reference` without a published reference
 * and `no_calibration` when it cannot calibrate the output.
 */
export async function modelPerformance(
  sql: Sql,
  model: string,
  q: {
    version?: string;
    from?: number;
    to?: number;
    bucket?: string;
    output?: string;
    retentionHours?: number;
  },
) {
  const { name: bucketName, width } = bucketOf(q.bucket, 'hour');
  const version = q.version ?? (await latestVersion(sql, model));
  const uploaded = await versionReference(sql, model, version);
  if (!uploaded) {
    throw noReference(
      `No reference profile was published with ${model}@${version}; build one with labels (driftline profile) and publish it with the version's schema.`,
    );
  }
  const reference = decodeProfile(uploaded);
  const schema = (await findVersion(sql, model, version))?.schema ?? null;
  const output = calibratedOutput(reference, schema, q.output);
  const range = rangeBuckets(q.from, q.to, q.retentionHours);
  const rows = await readRollups(sql, {
    model,
    version,
    role: 'primary',
    ...range,
    resolution: width as Level,
  });
  const total = createProfile();
  const byBucket = new Map<number, Profile>();
  for (const r of rows) {
    const p = accuracyFeatures(decodeProfile(r.profile), output);
    const b = Math.floor(r.bucket / width) * width;
    mergeProfileInto(total, p);
    const prev = byBucket.get(b);
    if (prev) mergeProfileInto(prev, p);
    else byBucket.set(b, p);
  }
  const points = [...byBucket]
    .sort((a, b) => a[0] - b[0])
    .map(([b, p]) => ({ t: b * 60_000, ...accuracyOf(reference, p, output) }));
  const ref = estimateAccuracy(reference, reference, output);
  return {
    model,
    version,
    output,
    bucket: bucketName,
    referenceAccuracy: finite(ref.referenceAccuracy),
    reference: { inferences: reference.inferences, predictions: ref.currentCount },
    window: {
      from: range.fromBucket * 60_000,
      to: range.toBucket * 60_000 + 59_999,
      ...accuracyOf(reference, total, output),
    },
    points,
  };
}
