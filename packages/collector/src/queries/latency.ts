import { unknownModel } from '../errors.ts';
import type { Sql } from '../storage/storage.ts';
import { finite } from './finite.ts';
import { mergeByGroup } from './merge-rows.ts';
import { type RollupRow, rangeBuckets, readRollups } from './read-rollups.ts';

export type LatencyGroupBy = 'backend' | 'segment' | 'version';

/** One group's latency: percentiles (ms) of a stage from merged sketches, and counts. */
export interface LatencyGroup {
  key: string;
  inferences: number;
  samples: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
}

/** p50/p90/p95/p99 of latency stage `stage` per backend, segment or version. */
export async function modelLatency(
  sql: Sql,
  model: string,
  q: {
    version?: string;
    from?: number;
    to?: number;
    by?: LatencyGroupBy;
    stage?: string;
    retentionHours?: number;
  },
) {
  const by = q.by ?? 'backend';
  const stage = q.stage ?? 'total';
  const range = rangeBuckets(q.from, q.to, q.retentionHours);
  const rows = await readRollups(sql, { model, version: q.version, ...range });
  if (rows.length === 0) throw unknownModel(model);
  const inferences = new Map<string, number>();
  const keyOf = (r: RollupRow) => r[by];
  for (const r of rows) inferences.set(keyOf(r), (inferences.get(keyOf(r)) ?? 0) + Number(r.inferences));
  const groups: LatencyGroup[] = [];
  for (const [key, profile] of mergeByGroup(rows, keyOf)) {
    const s = profile.latency[stage];
    groups.push({
      key,
      inferences: inferences.get(key) ?? 0,
      samples: s?.count ?? 0,
      p50: s ? finite(s.quantile(0.5)) : null,
      p90: s ? finite(s.quantile(0.9)) : null,
      p95: s ? finite(s.quantile(0.95)) : null,
      p99: s ? finite(s.quantile(0.99)) : null,
      mean: s ? finite(s.mean) : null,
    });
  }
  groups.sort((a, b) => a.key.localeCompare(b.key));
  return {
    model,
    version: q.version ?? null,
    by,
    stage,
    from: range.fromBucket * 60_000,
    to: range.toBucket * 60_000 + 59_999,
    groups,
  };
}
