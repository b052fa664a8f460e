import { decodeProfile, encodeProfile, mergeProfiles, type Profile } from '@driftline/protocol';
import type { Sql, Storage } from '../storage/storage.ts';
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
    const groups = new Map<
      string,
      { key: RollupKey; inferences: number; errors: number; profile: Profile }
    >();
    for (const p of parts) {
      const k = rollupKeyString(p);
      const profile = decodeProfile(p.profile);
      const g = groups.get(k);
      if (g) {
        g.profile = mergeProfiles(g.profile, profile);
        g.inferences += Number(p.inferences);
        g.errors += Number(p.errors);
      } else {
        groups.set(k, { key: p, inferences: Number(p.inferences), errors: Number(p.errors), profile });
      }
    }
    for (const k of [...groups.keys()].sort()) {
      const g = groups.get(k)!;
      await mergeIntoRollup(tx, g.key, 1, g.inferences, g.errors, g.profile);
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
