import { CategoricalSketch, NumericSketch, type Profile } from '@driftline/protocol';
import { unknownModel } from '../errors.ts';
import { parseReference, resolveReference } from '../queries/drift.ts';
import { finite } from '../queries/finite.ts';
import { mergeAll } from '../queries/merge-rows.ts';
import { rangeBuckets, readRollups } from '../queries/read-rollups.ts';
import { skipSummaryOnly } from '../queries/schema-drift.ts';
import { findVersion } from '../registry/versions.ts';
import type { Sql } from '../storage/storage.ts';

/**
 * A numeric feature on both sides over the reference's decile bins: `edges` are the 9 inner cut
 * points, `reference`/`current` the share of each side's finite values in each of the 10 bins
 * (≈ 0.1 each for the reference by construction), `quantiles` both sides' p1…p99.
 */
export interface NumericDistribution {
  kind: 'numeric';
  edges: number[];
  reference: number[];
  current: number[];
  quantiles: { q: number[]; reference: (number | null)[]; current: (number | null)[] };
}

/** A categorical feature: the share of each label (the most frequent 12 over both sides) on each side. */
export interface CategoricalDistribution {
  kind: 'categorical';
  labels: string[];
  reference: number[];
  current: number[];
}

export type FeatureDistribution = NumericDistribution | CategoricalDistribution;

const QS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];

/** Shares of a sketch's finite values in the bins cut at `edges` (at sketch-bin resolution). */
function shares(s: NumericSketch, edges: number[]): number[] {
  if (s.count === 0) return edges.map(() => 0).concat(0);
  const out: number[] = [];
  let prev = 0;
  for (const e of edges) {
    // cdf is NaN for values too small for the sketch's bins (subnormals): no mass moves there.
    const v = s.cdf(e);
    const c = Number.isFinite(v) ? Math.min(1, Math.max(prev, v)) : prev;
    out.push(c - prev);
    prev = c;
  }
  out.push(1 - prev);
  return out;
}

/** The picture of one feature: reference deciles as bins, both sides' shares in them. */
export function numericDistribution(ref: NumericSketch, cur: NumericSketch): NumericDistribution {
  const edges: number[] = [];
  if (ref.count > 0) {
    for (let k = 1; k < 10; k++) {
      const e = ref.quantile(k / 10);
      if (Number.isFinite(e) && (edges.length === 0 || e > edges[edges.length - 1]!)) edges.push(e);
    }
  }
  return {
    kind: 'numeric',
    edges,
    reference: shares(ref, edges),
    current: shares(cur, edges),
    quantiles: {
      q: QS,
      reference: QS.map((q) => (ref.count > 0 ? finite(ref.quantile(q)) : null)),
      current: QS.map((q) => (cur.count > 0 ? finite(cur.quantile(q)) : null)),
    },
  };
}

/** The label shares of a categorical feature on both sides. */
export function categoricalDistribution(
  ref: CategoricalSketch,
  cur: CategoricalSketch,
): CategoricalDistribution {
  const r = ref.counts();
  const c = cur.counts();
  const share = (m: Map<string, number>, total: number, k: string) =>
    total > 0 ? (m.get(k) ?? 0) / total : 0;
  const labels = [...new Set([...r.keys(), ...c.keys()])]
    .sort(
      (a, b) =>
        share(r, ref.total, b) + share(c, cur.total, b) - share(r, ref.total, a) - share(c, cur.total, a) ||
        a.localeCompare(b),
    )
    .slice(0, 12);
  return {
    kind: 'categorical',
    labels,
    reference: labels.map((k) => share(r, ref.total, k)),
    current: labels.map((k) => share(c, cur.total, k)),
  };
}

/** Per feature of two profiles (but those `skip` names), the picture of reference against current. */
export function profileDistributions(
  ref: Profile,
  cur: Profile,
  skip?: (name: string) => boolean,
): Record<string, FeatureDistribution> {
  const out: Record<string, FeatureDistribution> = {};
  for (const name of [...new Set([...Object.keys(ref.features), ...Object.keys(cur.features)])].sort()) {
    if (skip?.(name)) continue;
    const r = ref.features[name];
    const c = cur.features[name];
    if ((r ?? c) instanceof CategoricalSketch) {
      out[name] = categoricalDistribution(
        r instanceof CategoricalSketch ? r : new CategoricalSketch(),
        c instanceof CategoricalSketch ? c : new CategoricalSketch(),
      );
    } else {
      out[name] = numericDistribution(
        r instanceof NumericSketch ? r : new NumericSketch(),
        c instanceof NumericSketch ? c : new NumericSketch(),
      );
    }
  }
  return out;
}

/**
 * The distributions behind `GET /v1/models/:name/drift` for the same version, range and reference
 * (`registry`, `baseline` or `version:X`; absent: registry, else baseline), for the dashboard's
 * reference-vs-current picture. Like drift, it leaves out the summary-only features of the
 * version's schema (calibration and Fourier sums), which are no distribution of their own.
 */
export async function modelDistributions(
  sql: Sql,
  model: string,
  q: { version: string; from?: number; to?: number; reference?: string; retentionHours?: number },
  baselineInferences: number,
) {
  const spec = parseReference(q.reference);
  const range = rangeBuckets(q.from, q.to, q.retentionHours);
  const rows = await readRollups(sql, { model, version: q.version, role: 'primary', ...range });
  if (rows.length === 0) throw unknownModel(model);
  const current = mergeAll(rows);
  const { reference, info } = await resolveReference(sql, model, q.version, spec, range, baselineInferences);
  const schema = (await findVersion(sql, model, q.version))?.schema ?? null;
  return {
    model,
    version: q.version,
    reference: info,
    features: profileDistributions(reference, current, skipSummaryOnly(schema)),
  };
}
