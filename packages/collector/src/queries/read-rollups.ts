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
}

/**
 * Reads the rollups of a model and the parts not yet compacted into them, in ONE statement, so
 * that a concurrent compaction (which moves parts into rollups in one transaction) is seen either
 * before or after, never half: nothing is missed or counted twice.
 */
export async function readRollups(sql: Sql, f: RollupFilter): Promise<RollupRow[]> {
  const { where, params } = rollupWhere(f);
  const cols = 'version, role, segment, backend, bucket, inferences, errors, profile';
  return sql.query<RollupRow>(
    `SELECT ${cols} FROM rollups WHERE ${where}
     UNION ALL SELECT ${cols} FROM rollup_parts WHERE ${where}
     ORDER BY bucket`,
    params,
  );
}

/** The shared WHERE clause (same parameters for rollups and rollup_parts). */
export function rollupWhere(f: RollupFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [f.model];
  const clauses = ['model = $1'];
  if (f.version !== undefined) {
    params.push(f.version);
    clauses.push(`version = $${params.length}`);
  }
  if (f.role !== undefined) {
    params.push(f.role);
    clauses.push(`role = $${params.length}`);
  }
  if (f.fromBucket !== undefined) {
    params.push(f.fromBucket);
    clauses.push(`bucket >= $${params.length}`);
  }
  if (f.toBucket !== undefined) {
    params.push(f.toBucket);
    clauses.push(`bucket <= $${params.length}`);
  }
  return { where: clauses.join(' AND '), params };
}

/** Turns `from`/`to` in ms (defaults: the last 24 h) into inclusive minute buckets. */
export function rangeBuckets(
  from?: number,
  to?: number,
  now = Date.now(),
): { fromBucket: number; toBucket: number } {
  const t = to ?? now;
  const f = from ?? t - 86_400_000;
  return { fromBucket: Math.floor(f / 60_000), toBucket: Math.floor(t / 60_000) };
}
