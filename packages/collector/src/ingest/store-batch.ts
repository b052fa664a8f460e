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

// One fixed text whatever the number of batches (columns travel as arrays), so PostgreSQL parses
// and plans it once per connection (a prepared statement) instead of once per group.
// The batch ids are inserted sorted (ORDER BY 1): every statement takes their index locks in one
// order, so two replicas storing the same retried batches in different groups never deadlock.
const STORE_BATCHES = `WITH b AS (
    INSERT INTO batches (batch_id, device_id, key_id, windows, inferences)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[]) ORDER BY 1
    ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id
  ), p AS (
    INSERT INTO rollup_parts (model, version, role, segment, backend, bucket, inferences, errors, profile)
    SELECT v.model, v.version, v.role, v.segment, v.backend, v.bucket, v.inferences, v.errors,
           substring($22::bytea FROM v.profile_at FOR v.profile_bytes)
    FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::integer[],
                $13::bigint[], $14::bigint[], $15::integer[], $16::integer[]) WITH ORDINALITY
      AS v(batch_id, model, version, role, segment, backend, bucket, inferences, errors, profile_at,
           profile_bytes, ord)
    JOIN b ON b.batch_id = v.batch_id ORDER BY v.ord
    RETURNING id, model, version, role, segment, backend, bucket, inferences
  ), d AS (
    INSERT INTO model_devices (model, version, day, device_id)
    SELECT DISTINCT v.model, v.version, v.day, v.device_id
    FROM unnest($17::text[], $18::text[], $19::text[], $20::integer[], $21::text[])
      AS v(batch_id, model, version, day, device_id)
    JOIN b ON b.batch_id = v.batch_id ORDER BY 1, 2, 3, 4
    ON CONFLICT DO NOTHING
  )
  SELECT (SELECT json_agg(batch_id) FROM b) AS inserted,
         (SELECT json_agg(json_build_array(id, model, version, role, segment, backend, bucket, inferences)
                          ORDER BY id) FROM p) AS parts`;

/**
 * Stores batches exactly once, in ONE statement (hence one transaction): batch ids are inserted
 * with `ON CONFLICT DO NOTHING`, and only the windows of the ids that were inserted are appended
 * as rollup parts (and their devices counted). A concurrent retry of an id waits on the id's
 * unique index, then finds it taken. Parts are merged into rollup rows later by the compactor
 * (append-then-compact), so concurrent writers never contend on a hot rollup row. Several
 * requests' batches share one statement when they arrive together (see BatchWriter); the ids are
 * inserted in sorted order, so statements holding the same ids in any order never wait in a cycle.
 */
export async function storeBatches(sql: Sql, batches: PreparedBatch[]): Promise<StoreResult[]> {
  const first = new Map<string, number>();
  batches.forEach((b, i) => {
    if (!first.has(b.batchId)) first.set(b.batchId, i);
  });
  const unique = [...first.values()].map((i) => batches[i]!);
  const batchCols = columns(5);
  const partCols = columns(11);
  const deviceCols = columns(5);
  // Profiles travel as one binary parameter (no hex text), cut by offset (1-based) and length.
  const profiles: Uint8Array[] = [];
  let at = 1;
  const ordered: { batchId: string; part: RollupPart }[] = [];
  for (const b of unique) {
    push(batchCols, b.batchId, b.deviceId, b.keyId, b.windows, b.inferences);
    for (const part of b.parts) {
      push(
        partCols,
        b.batchId,
        part.model,
        part.version,
        part.role,
        part.segment,
        part.backend,
        part.bucket,
        part.inferences,
        part.errors,
        at,
        part.profile.length,
      );
      profiles.push(part.profile);
      at += part.profile.length;
      ordered.push({ batchId: b.batchId, part });
    }
    const versions = new Map(b.parts.map((x) => [`${x.model}\u0000${x.version}`, x]));
    for (const x of versions.values()) push(deviceCols, b.batchId, x.model, x.version, b.day, b.deviceId);
  }
  const rows = await sql.query<{
    inserted: string[] | null;
    parts: [number, string, string, string, string, string, number, number][] | null;
  }>(STORE_BATCHES, [...batchCols, ...partCols, ...deviceCols, Buffer.concat(profiles)], {
    name: 'driftline_store_batches',
  });
  const inserted = new Set(rows[0]?.inserted ?? []);
  const partIds = matchPartIds(ordered, inserted, rows[0]?.parts ?? []);
  return batches.map((b, i) => ({
    duplicate: first.get(b.batchId) !== i || !inserted.has(b.batchId),
    partIds: (first.get(b.batchId) === i && partIds.get(b.batchId)) || new Map(),
  }));
}

function columns(n: number): unknown[][] {
  return Array.from({ length: n }, () => []);
}

function push(cols: unknown[][], ...values: unknown[]): void {
  values.forEach((v, i) => {
    cols[i]!.push(v);
  });
}

// Ids come from a sequence in insertion order, and parts are inserted in `ord` order: the n-th
// returned id belongs to the n-th inserted part. Each pair is checked (key and count) before it is
// trusted; a mismatch only means the compactor decodes those parts itself. One pass for the whole
// statement: batch id → (rollup key → part id).
function matchPartIds(
  ordered: { batchId: string; part: RollupPart }[],
  inserted: Set<string>,
  returned: [number, string, string, string, string, string, number, number][],
): Map<string, Map<string, number>> {
  const byBatch = new Map<string, Map<string, number>>();
  let i = 0;
  for (const { batchId, part } of ordered) {
    if (!inserted.has(batchId)) continue;
    const row = returned[i++];
    if (!row) return new Map();
    const [id, model, version, role, segment, backend, bucket, inferences] = row;
    if (
      model !== part.model ||
      version !== part.version ||
      role !== part.role ||
      segment !== part.segment ||
      backend !== part.backend ||
      Number(bucket) !== part.bucket ||
      Number(inferences) !== part.inferences
    ) {
      return new Map();
    }
    const ids = byBatch.get(batchId) ?? new Map<string, number>();
    ids.set(rollupKeyString(part), Number(id));
    byBatch.set(batchId, ids);
  }
  return i === returned.length ? byBatch : new Map();
}
