import {
  cloneProfile,
  decodeProfile,
  encodeProfile,
  mergeProfileInto,
  type Profile,
} from '@driftline/protocol';
import type { Sql, Storage } from '../storage/storage.ts';
import { LEVELS, levelBucket } from './levels.ts';
import type { PartCache } from './part-cache.ts';
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
export async function compactOnce(storage: Storage, limit = 2_000, cache?: PartCache): Promise<number> {
  return storage.transaction(async (tx) => {
    const ids = cache ? await claimOwnFirst(tx, limit, cache) : await claimAny(tx, limit);
    if (ids.length === 0) return 0;
    const known = new Map<number, Profile>();
    for (const id of ids) {
      const p = cache?.take(id);
      if (p) known.set(id, p);
    }
    const misses = ids.filter((id) => !known.has(id));
    const parts = await tx.query<PartRow & { id: number; profile: Uint8Array | null }>(
      `DELETE FROM rollup_parts WHERE id = ANY($1::bigint[])
       RETURNING id, model, version, role, segment, backend, bucket, inferences, errors,
                 CASE WHEN id = ANY($2::bigint[]) THEN profile END AS profile`,
      [ids, misses],
    );
    // Merge in memory first: parts into minute keys (one merge per part), then minute keys into
    // the coarser levels; then touch each rollup row once, locking rows in one global order
    // (level, key) so that two compactors never deadlock.
    // A target first borrows the profile it starts from (a cached or decoded part, or a minute
    // target's); the first merge into it clones once and every later merge is in place, so a key
    // with n parts costs n merges and one clone, not n growing clones.
    type Target = {
      res: number;
      key: RollupKey;
      inferences: number;
      errors: number;
      profile: Profile;
      owned: boolean;
    };
    const add = (
      into: Map<string, Target>,
      res: number,
      key: RollupKey,
      from: { inferences: number; errors: number; profile: Profile },
    ) => {
      const k = `${String(res).padStart(5, '0')}${rollupKeyString(key)}`;
      const t = into.get(k);
      if (t) {
        if (!t.owned) {
          t.profile = cloneProfile(t.profile);
          t.owned = true;
        }
        mergeProfileInto(t.profile, from.profile);
        t.inferences += from.inferences;
        t.errors += from.errors;
      } else {
        into.set(k, {
          res,
          key,
          inferences: from.inferences,
          errors: from.errors,
          profile: from.profile,
          owned: false,
        });
      }
    };
    const minutes = new Map<string, Target>();
    for (const p of parts) {
      const profile = known.get(Number(p.id)) ?? decodeProfile(p.profile!);
      const key: RollupKey = {
        model: p.model,
        version: p.version,
        role: p.role,
        segment: p.segment,
        backend: p.backend,
        bucket: p.bucket,
      };
      add(minutes, 1, key, { inferences: Number(p.inferences), errors: Number(p.errors), profile });
    }
    const targets = new Map(minutes);
    for (const res of LEVELS.slice(1)) {
      for (const m of minutes.values())
        add(targets, res, { ...m.key, bucket: levelBucket(m.key.bucket, res) }, m);
    }
    for (const k of [...targets.keys()].sort()) {
      const t = targets.get(k)!;
      await mergeIntoRollup(tx, t.key, t.res, t.inferences, t.errors, t.profile);
    }
    return parts.length;
  });
}

async function claimAny(tx: Sql, limit: number): Promise<number[]> {
  const rows = await tx.query<{ id: number }>(
    'SELECT id FROM rollup_parts ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
    [limit],
  );
  return rows.map((r) => Number(r.id));
}

/**
 * Claims this process's own parts (those whose decoded profiles it holds) first, then parts of
 * other processes (replicas, `--workers`, a previous run) only once they are older than this
 * compactor's previous round, so that their owner, which merges them without decoding, gets
 * them first; a dead owner's parts are still compacted one round later.
 */
async function claimOwnFirst(tx: Sql, limit: number, cache: PartCache): Promise<number[]> {
  const upTo = cache.foreignUpTo;
  const top = await tx.query<{ m: number | null }>('SELECT max(id) AS m FROM rollup_parts');
  cache.foreignUpTo = Number(top[0]?.m ?? 0);
  const own = await tx.query<{ id: number }>(
    'SELECT id FROM rollup_parts WHERE id = ANY($1::bigint[]) ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED',
    [cache.ids(), limit],
  );
  const ids = own.map((r) => Number(r.id));
  if (ids.length < limit && upTo > 0) {
    const foreign = await tx.query<{ id: number }>(
      `SELECT id FROM rollup_parts WHERE id <= $1 AND NOT (id = ANY($2::bigint[]))
       ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [upTo, ids, limit - ids.length],
    );
    for (const r of foreign) ids.push(Number(r.id));
  }
  return ids;
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
      // The decoded row is ours: merge into it in place.
      const merged = mergeProfileInto(decodeProfile(rows[0].profile), profile);
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
export async function compactAll(storage: Storage, cache?: PartCache, maxRounds = 50): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxRounds; i++) {
    const n = await compactOnce(storage, 2_000, cache);
    total += n;
    if (n < 2_000) break;
  }
  return total;
}
