import { decodeProfile, type NumericSketch } from '@driftline/protocol';
import { unknownModel } from '../errors.ts';
import { rangeBuckets, readRollups } from '../queries/read-rollups.ts';
import type { Level } from '../rollups/levels.ts';
import type { Sql } from '../storage/storage.ts';

/** One group's latency quantile per time bucket: `points` are `[bucketStartMs, ms | null]`. */
export interface LatencySeries {
  key: string;
  points: [number, number | null][];
}

const WIDTH = { minute: 1, hour: 60 } as const;

/**
 * A latency quantile of stage `total` per time bucket and per backend or segment, from the merged
 * sketches of each (bucket, group): the "over time, split by backend / segment" of the dashboard.
 */
export async function latencyOverTime(
  sql: Sql,
  model: string,
  q: {
    by?: 'backend' | 'segment';
    quantile?: number;
    bucket?: 'minute' | 'hour';
    version?: string;
    from?: number;
    to?: number;
    retentionHours?: number;
  },
) {
  const by = q.by ?? 'backend';
  const quantile = q.quantile ?? 0.9;
  const bucket = q.bucket ?? 'minute';
  const width = WIDTH[bucket];
  const range = rangeBuckets(q.from, q.to, q.retentionHours);
  const rows = await readRollups(sql, { model, version: q.version, ...range, resolution: width as Level });
  if (rows.length === 0) throw unknownModel(model);
  const groups = new Map<string, Map<number, NumericSketch>>();
  for (const r of rows) {
    const s = decodeProfile(r.profile).latency.total;
    if (!s) continue;
    const b = Math.floor(r.bucket / width) * width;
    const g = groups.get(r[by]) ?? new Map<number, NumericSketch>();
    groups.set(r[by], g);
    const prev = g.get(b);
    g.set(b, prev ? prev.merge(s) : s);
  }
  const series: LatencySeries[] = [...groups]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([key, g]) => ({
      key,
      points: [...g]
        .sort((a, b) => a[0] - b[0])
        .map(([b, s]): [number, number | null] => {
          const v = s.quantile(quantile);
          return [b * 60_000, Number.isFinite(v) ? v : null];
        }),
    }));
  return { model, by, quantile, bucket, version: q.version ?? null, series };
}
