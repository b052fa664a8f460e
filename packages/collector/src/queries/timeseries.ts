import { decodeProfile } from '@driftline/protocol';
import { badRequest, unknownModel } from '../errors.ts';
import type { Sql } from '../storage/storage.ts';
import { bucketOf } from './buckets.ts';
import { rangeBuckets, readRollups, rollupQuery } from './read-rollups.ts';

export const TIMESERIES_METRICS = [
  'inferences',
  'errors',
  'error_rate',
  'latency_p50',
  'latency_p90',
  'latency_p99',
] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];

/** A metric per time bucket, for plots: `points` are `[bucketStartMs, value]`. */
export async function modelTimeseries(
  sql: Sql,
  model: string,
  q: {
    metric?: string;
    bucket?: string;
    version?: string;
    from?: number;
    to?: number;
    retentionHours?: number;
  },
) {
  const metric = (q.metric ?? 'inferences') as TimeseriesMetric;
  if (!TIMESERIES_METRICS.includes(metric))
    throw badRequest(`metric must be one of ${TIMESERIES_METRICS.join(', ')}.`);
  const { name: bucketName, width } = bucketOf(q.bucket, 'minute');
  const range = rangeBuckets(q.from, q.to, q.retentionHours);
  const points: [number, number | null][] = [];
  if (metric === 'inferences' || metric === 'errors' || metric === 'error_rate') {
    const rq = rollupQuery({ model, version: q.version, ...range, resolution: width });
    const params = rq.params;
    params.push(width);
    const w = `$${params.length}`;
    const rows = await sql.query<{ b: number; inferences: number; errors: number }>(
      `SELECT (bucket / ${w}::integer) * ${w}::integer AS b, sum(inferences)::float8 AS inferences, sum(errors)::float8 AS errors
       FROM (SELECT bucket, inferences, errors FROM rollups WHERE ${rq.rollups}
             UNION ALL SELECT bucket, inferences, errors FROM rollup_parts WHERE ${rq.parts}) t
       GROUP BY 1 ORDER BY 1`,
      params,
    );
    for (const r of rows) {
      const inf = Number(r.inferences);
      const err = Number(r.errors);
      const v = metric === 'inferences' ? inf : metric === 'errors' ? err : inf > 0 ? err / inf : null;
      points.push([Number(r.b) * 60_000, v]);
    }
  } else {
    const q50 = { latency_p50: 0.5, latency_p90: 0.9, latency_p99: 0.99 }[metric];
    const rows = await readRollups(sql, { model, version: q.version, ...range, resolution: width });
    const merged = new Map<number, ReturnType<typeof decodeProfile>['latency'][string]>();
    for (const r of rows) {
      const s = decodeProfile(r.profile).latency.total;
      if (!s) continue;
      const b = Math.floor(r.bucket / width) * width;
      const prev = merged.get(b);
      merged.set(b, prev ? prev.merge(s) : s);
    }
    for (const [b, s] of [...merged].sort((x, y) => x[0] - y[0])) {
      const v = s.quantile(q50);
      points.push([b * 60_000, Number.isFinite(v) ? v : null]);
    }
  }
  if (points.length === 0) {
    const any = await sql.query(
      'SELECT 1 FROM rollups WHERE model = $1 UNION ALL SELECT 1 FROM rollup_parts WHERE model = $1 LIMIT 1',
      [model],
    );
    if (any.length === 0) throw unknownModel(model);
  }
  return { model, metric, bucket: bucketName, version: q.version ?? null, points };
}
