import { decodeProfile, encodeProfile, mergeProfiles, type Profile } from '@driftline/protocol';
import type { Sql, Storage } from '../storage/storage.ts';
import { LEVELS, levelBucket } from './levels.ts';
import { type RollupKey, rollupKeyString } from './rollup-key.ts';

interface PartRow extends RollupKey {
  inferences: number;
  errors: number;
  profile: Uint8Array;
}

/**
 * Moves up to `limit` stored windows (rollup parts) into their rollup rows, in one transaction.
 * Parts are claimed with `FOR UPDATE SKIP LOCKED`, so several replicas compact disjoint parts;
 * rollup rows are locked in key order, so two compactors never deadlock and never lose an update.
 * Readers see either the parts or the rollup that absorbed them, never both (one statement reads
 * both tables in one snapshot).
 * @returns how many parts were compacted.
 */
export async function compactOnce(storage: Storage, limit = 2_000): Promise<number> {
  return storage.transaction(async (tx) => {
    const parts = await tx.query<PartRow>(
      `DELETE FROM rollup_parts WHERE id IN (
         SELECT id FROM rollup_parts ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING model, version, role, segment, backend, bucket, inferences, errors, profile`,
      [limit],
    );
    if (parts.length === 0) return 0;
    // One target row per (level, key): merge the parts' profiles in memory first, then touch each
    // row once. Rows are locked in one global order (level, key), so compactors never deadlock.
    const targets = new Map<
      string,
      { res: number; key: RollupKey; inferences: number; errors: number; profile: Profile }
    >();
    for (const p of parts) {
      const profile = decodeProfile(p.profile);
      for (const res of LEVELS) {
        const key = { ...p, bucket: levelBucket(p.bucket, res) };
        const k = `${String(res).padStart(5, '0')}${rollupKeyString(key)}`;
        const t = targets.get(k);
        if (t) {
          t.profile = mergeProfiles(t.profile, profile);
          t.inferences += Number(p.inferences);
          t.errors += Number(p.errors);
        } else {
          targets.set(k, { res, key, inferences: Number(p.inferences), errors: Number(p.errors), profile });
        }
      }
    }
    for (const k of [...targets.keys()].sort()) {
      const t = targets.get(k)!;
      await mergeIntoRollup(tx, t.key, t.res, t.inferences, t.errors, t.profile);
    }
    return parts.length;
  });
}

/** Adds counts and a profile to one rollup row under its row lock, creating the row if needed. */
export async function mergeIntoRollup(
  tx: Sql,
  key: RollupKey,
  resolution: number,
  inferences: number,
  errors: number,
  profile: Profile,
): Promise<void> {
  const pk = [key.model, key.version, key.role, key.segment, key.backend, resolution, key.bucket];
  const where =
    'model = $1 AND version = $2 AND role = $3 AND segment = $4 AND backend = $5 AND resolution = $6 AND bucket = $7';
  for (let attempt = 0; attempt < 3; attempt++) {
    const rows = await tx.query<{ profile: Uint8Array }>(
      `SELECT profile FROM rollups WHERE ${where} FOR UPDATE`,
      pk,
    );
    if (rows[0]) {
      const merged = mergeProfiles(decodeProfile(rows[0].profile), profile);
      await tx.query(
        `UPDATE rollups SET inferences = inferences + $8, errors = errors + $9, profile = $10, updated_at = now()
         WHERE ${where}`,
        [...pk, inferences, errors, encodeProfile(merged)],
      );
      return;
    }
    const inserted = await tx.query(
      `INSERT INTO rollups (model, version, role, segment, backend, resolution, bucket, inferences, errors, profile)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING 1`,
      [...pk, inferences, errors, encodeProfile(profile)],
    );
    if (inserted.length === 1) return;
    // Another compactor created the row between our SELECT and INSERT: lock it and merge.
  }
  throw new Error(`rollup row ${JSON.stringify(pk)} could not be locked`);
}

/** Drops rollup rows finer than an hour whose bucket starts before `cutoffBucket` (coarsening). */
export async function dropFineRollups(storage: Storage, cutoffBucket: number): Promise<number> {
  const rows = await storage.query('DELETE FROM rollups WHERE resolution < 60 AND bucket < $1 RETURNING 1', [
    cutoffBucket,
  ]);
  return rows.length;
}

/** Compacts until no parts are left (or `maxRounds` transactions ran); answers the parts moved. */
export async function compactAll(storage: Storage, maxRounds = 50): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxRounds; i++) {
    const n = await compactOnce(storage);
    total += n;
    if (n < 2_000) break;
  }
  return total;
}
