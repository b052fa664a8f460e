import { coverRange, type Level, levelBucket } from '../rollups/levels.ts';
import type { Sql } from '../storage/storage.ts';

/** A rollup row (or a not-yet-compacted part) as queries see it. */
export interface RollupRow {
  version: string;
  role: string;
  segment: string;
  backend: string;
  bucket: number;
  inferences: number;
  errors: number;
  profile: Uint8Array;
}

/** Filter of a rollup read; buckets are minutes since the epoch, inclusive. */
export interface RollupFilter {
  model: string;
  version?: string;
  role?: string;
  fromBucket?: number;
  toBucket?: number;
  /** Read rows of this one level (range widened to it) instead of the fewest-rows cover. */
  resolution?: Level;
  /** First minute that still has rows finer than an hour (the retention cutoff). */
  finestFrom?: number;
}

/**
 * Reads the rollups of a model and the parts not yet compacted into them, in ONE statement, so
 * that a concurrent compaction (which moves parts into rollups in one transaction) is seen either
 * before or after, never half: nothing is missed or counted twice.
 */
export async function readRollups(sql: Sql, f: RollupFilter): Promise<RollupRow[]> {
  const q = rollupQuery(f);
  const cols = 'version, role, segment, backend, bucket, inferences, errors, profile';
  return sql.query<RollupRow>(
    `SELECT ${cols} FROM rollups WHERE ${q.rollups}
     UNION ALL SELECT ${cols} FROM rollup_parts WHERE ${q.parts}
     ORDER BY bucket`,
    q.params,
  );
}

/**
 * WHERE clauses (sharing one parameter list) that select each window of the filter exactly once:
 * from `rollups`, the rows of the level cover of the range (or of one level, or day rows for all
 * time); from `rollup_parts`, every part in the (widened) range.
 */
export function rollupQuery(f: RollupFilter): { rollups: string; parts: string; params: unknown[] } {
  const params: unknown[] = [f.model];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const common = ['model = $1'];
  if (f.version !== undefined) common.push(`version = ${p(f.version)}`);
  if (f.role !== undefined) common.push(`role = ${p(f.role)}`);
  const rollups = [...common];
  const parts = [...common];
  const hasRange = f.fromBucket !== undefined && f.toBucket !== undefined;
  if (f.resolution !== undefined) {
    const r = f.resolution;
    rollups.push(`resolution = ${p(r)}`);
    if (hasRange) {
      const a = levelBucket(f.fromBucket!, r);
      const b = levelBucket(f.toBucket!, r);
      rollups.push(`bucket BETWEEN ${p(a)} AND ${p(b)}`);
      parts.push(`bucket BETWEEN ${p(a)} AND ${p(b + r - 1)}`);
    }
  } else if (hasRange) {
    const cover = coverRange(f.fromBucket!, f.toBucket!, f.finestFrom);
    const or = cover.segments.map(
      (s) => `(resolution = ${p(s.resolution)} AND bucket BETWEEN ${p(s.from)} AND ${p(s.to)})`,
    );
    rollups.push(or.length ? `(${or.join(' OR ')})` : 'false');
    parts.push(`bucket BETWEEN ${p(cover.from)} AND ${p(cover.to)}`);
  } else {
    rollups.push('resolution = 1440');
  }
  return { rollups: rollups.join(' AND '), parts: parts.join(' AND '), params };
}

/**
 * Turns `from`/`to` in ms (defaults: the last 24 h) into inclusive minute buckets, with the
 * retention cutoff before which only hour and day rollups exist.
 */
export function rangeBuckets(
  from?: number,
  to?: number,
  retentionHours = 168,
  now = Date.now(),
): { fromBucket: number; toBucket: number; finestFrom: number } {
  const t = to ?? now;
  const f = from ?? t - 86_400_000;
  return {
    fromBucket: Math.floor(f / 60_000),
    toBucket: Math.floor(t / 60_000),
    finestFrom: Math.floor((now - retentionHours * 3_600_000) / 60_000),
  };
}
