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

/** What storing one batch did: `duplicate` when its id was stored before; ids of its new parts by key. */
export interface StoreResult {
  duplicate: boolean;
  partIds: Map<string, number>;
}

/** Stores one batch exactly once; see storeBatches. */
export async function storeBatch(sql: Sql, b: PreparedBatch): Promise<StoreResult> {
  return (await storeBatches(sql, [b]))[0]!;
}

/**
 * Stores batches exactly once, in ONE statement (hence one transaction): batch ids are inserted
 * with `ON CONFLICT DO NOTHING`, and only the windows of the ids that were inserted are appended
 * as rollup parts (and their devices counted). A concurrent retry of an id waits on the id's
 * unique index, then finds it taken. Parts are merged into rollup rows later by the compactor
 * (append-then-compact), so concurrent writers never contend on a hot rollup row. Several
 * requests' batches share one statement when they arrive together (see BatchWriter).
 */
export async function storeBatches(sql: Sql, batches: PreparedBatch[]): Promise<StoreResult[]> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const first = new Map<string, number>();
  batches.forEach((b, i) => {
    if (!first.has(b.batchId)) first.set(b.batchId, i);
  });
  const unique = [...first.values()].map((i) => batches[i]!);
  const batchRows: string[] = [];
  const partRows: string[] = [];
  const deviceRows: string[] = [];
  const ordered: { batchId: string; part: RollupPart }[] = [];
  for (const b of unique) {
    const id = p(b.batchId);
    const device = p(b.deviceId);
    batchRows.push(
      `(${id}::text, ${device}::text, ${p(b.keyId)}::text, ${p(b.windows)}::integer, ${p(b.inferences)}::bigint)`,
    );
    for (const part of b.parts) {
      partRows.push(
        `(${p(partRows.length)}::integer, ${id}::text, ${p(part.model)}::text, ${p(part.version)}::text, ${p(part.role)}::text, ` +
          `${p(part.segment)}::text, ${p(part.backend)}::text, ${p(part.bucket)}::integer, ${p(part.inferences)}::bigint, ` +
          `${p(part.errors)}::bigint, ${p(part.profile)}::bytea)`,
      );
      ordered.push({ batchId: b.batchId, part });
    }
    const versions = [...new Set(b.parts.map((x) => JSON.stringify([x.model, x.version])))];
    for (const mv of versions) {
      const [model, version] = JSON.parse(mv) as [string, string];
      deviceRows.push(
        `(${id}::text, ${p(model)}::text, ${p(version)}::text, ${p(b.day)}::integer, ${device}::text)`,
      );
    }
  }
  const rows = await sql.query<{
    inserted: string[] | null;
    parts: [number, string, string, string, string, string, number, number][] | null;
  }>(
    `WITH b AS (
       INSERT INTO batches (batch_id, device_id, key_id, windows, inferences)
       VALUES ${batchRows.join(', ')} ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id
     ), p AS (
       INSERT INTO rollup_parts (model, version, role, segment, backend, bucket, inferences, errors, profile)
       SELECT v.model, v.version, v.role, v.segment, v.backend, v.bucket, v.inferences, v.errors, v.profile
       FROM (VALUES ${partRows.join(', ')})
         AS v(ord, batch_id, model, version, role, segment, backend, bucket, inferences, errors, profile)
       JOIN b ON b.batch_id = v.batch_id ORDER BY v.ord
       RETURNING id, model, version, role, segment, backend, bucket, inferences
     ), d AS (
       INSERT INTO model_devices (model, version, day, device_id)
       SELECT DISTINCT v.model, v.version, v.day, v.device_id
       FROM (VALUES ${deviceRows.join(', ')}) AS v(batch_id, model, version, day, device_id)
       JOIN b ON b.batch_id = v.batch_id ORDER BY 1, 2, 3, 4
       ON CONFLICT DO NOTHING RETURNING 1
     )
     SELECT (SELECT json_agg(batch_id) FROM b) AS inserted, (SELECT count(*) FROM d)::integer AS devices,
            (SELECT json_agg(json_build_array(id, model, version, role, segment, backend, bucket, inferences)
                             ORDER BY id) FROM p) AS parts`,
    params,
  );
  const inserted = new Set(rows[0]?.inserted ?? []);
  return batches.map((b, i) => ({
    duplicate: first.get(b.batchId) !== i || !inserted.has(b.batchId),
    partIds:
      first.get(b.batchId) === i
        ? matchPartIds(ordered, inserted, rows[0]?.parts ?? [], b.batchId)
        : new Map(),
  }));
}

// Ids come from a sequence in insertion order, and parts are inserted in `ord` order: the n-th
// returned id belongs to the n-th inserted part. Each pair is checked (key and count) before it is
// trusted; a mismatch only means the compactor decodes those parts itself.
function matchPartIds(
  ordered: { batchId: string; part: RollupPart }[],
  inserted: Set<string>,
  returned: [number, string, string, string, string, string, number, number][],
  batchId: string,
): Map<string, number> {
  const kept = ordered.filter((o) => inserted.has(o.batchId));
  const out = new Map<string, number>();
  if (kept.length !== returned.length) return out;
  for (let i = 0; i < kept.length; i++) {
    const { batchId: owner, part } = kept[i]!;
    const [id, model, version, role, segment, backend, bucket, inferences] = returned[i]!;
    const key = rollupKeyString(part);
    if (
      key !== rollupKeyString({ model, version, role, segment, backend, bucket }) ||
      Number(inferences) !== part.inferences
    ) {
      return new Map();
    }
    if (owner === batchId) out.set(key, Number(id));
  }
  return out;
}
