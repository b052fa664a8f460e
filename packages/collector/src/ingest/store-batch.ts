import type { Profile } from '@driftline/protocol';
import { type RollupPart, rollupKeyString } from '../rollups/rollup-key.ts';
import type { Sql } from '../storage/storage.ts';

/** A validated batch reduced to what storage keeps. */
export interface PreparedBatch {
  batchId: string;
  deviceId: string;
  keyId: string | null;
  windows: number;
  inferences: number;
  /** One part per rollup key, with its decoded profile (kept in memory for the compactor). */
  parts: (RollupPart & { decoded: Profile })[];
  /** Day number (days since the epoch) of the batch's windows, for distinct-device counts. */
  day: number;
}

/**
 * Stores a batch exactly once, in ONE statement (hence one transaction): the batch id is inserted
 * with `ON CONFLICT DO NOTHING`, and its windows are appended as rollup parts only when that insert
 * happened. A concurrent retry of the same id waits on the id's unique index, then finds it taken.
 * Parts are merged into rollup rows later by the compactor (append-then-compact), so concurrent
 * writers never contend on a hot rollup row.
 */
export async function storeBatch(
  sql: Sql,
  b: PreparedBatch,
): Promise<{ duplicate: boolean; partIds: Map<string, number> }> {
  const params: unknown[] = [b.batchId, b.deviceId, b.keyId, b.windows, b.inferences, b.day];
  const partRows = b.parts.map((p) => {
    const base = params.length;
    params.push(
      p.model,
      p.version,
      p.role,
      p.segment,
      p.backend,
      p.bucket,
      p.inferences,
      p.errors,
      p.profile,
    );
    return `($${base + 1}::text, $${base + 2}::text, $${base + 3}::text, $${base + 4}::text, $${base + 5}::text, $${base + 6}::integer, $${base + 7}::bigint, $${base + 8}::bigint, $${base + 9}::bytea)`;
  });
  const versions = [...new Set(b.parts.map((p) => JSON.stringify([p.model, p.version])))].sort();
  const deviceRows = versions.map((mv) => {
    const [model, version] = JSON.parse(mv) as [string, string];
    params.push(model, version);
    return `($${params.length - 1}::text, $${params.length}::text)`;
  });
  const rows = await sql.query<{
    inserted: number;
    parts: [number, string, string, string, string, string, number][] | null;
  }>(
    `WITH b AS (
       INSERT INTO batches (batch_id, device_id, key_id, windows, inferences)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id
     ), p AS (
       INSERT INTO rollup_parts (model, version, role, segment, backend, bucket, inferences, errors, profile)
       SELECT v.* FROM (VALUES ${partRows.join(', ')})
         AS v(model, version, role, segment, backend, bucket, inferences, errors, profile), b
       RETURNING id, model, version, role, segment, backend, bucket
     ), d AS (
       INSERT INTO model_devices (model, version, day, device_id)
       SELECT v.model, v.version, $6::integer, $2 FROM (VALUES ${deviceRows.join(', ')}) AS v(model, version), b
       ORDER BY 1, 2
       ON CONFLICT DO NOTHING RETURNING 1
     )
     SELECT (SELECT count(*) FROM b)::integer AS inserted, (SELECT count(*) FROM d)::integer AS devices,
            (SELECT json_agg(json_build_array(id, model, version, role, segment, backend, bucket)) FROM p) AS parts`,
    params,
  );
  const partIds = new Map<string, number>();
  for (const [id, model, version, role, segment, backend, bucket] of rows[0]?.parts ?? []) {
    partIds.set(rollupKeyString({ model, version, role, segment, backend, bucket }), Number(id));
  }
  return { duplicate: rows[0]?.inserted !== 1, partIds };
}
