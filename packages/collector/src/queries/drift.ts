import { compareProfiles, decodeProfile, overallStatus, type Profile } from '@driftline/protocol';
import { badRequest, noReference, unknownModel } from '../errors.ts';
import { versionReference } from '../registry/versions.ts';
import type { Sql } from '../storage/storage.ts';
import { mergeAll } from './merge-rows.ts';
import { type RollupRow, rangeBuckets, readRollups, rollupQuery } from './read-rollups.ts';

/** Where the drift reference comes from; `auto` (no `reference` given): registry, else baseline. */
export type ReferenceSpec =
  | { kind: 'auto' }
  | { kind: 'registry' }
  | { kind: 'baseline' }
  | { kind: 'version'; version: string };

/** Parses `reference=registry|baseline|version:X` (absent: `auto`). */
export function parseReference(s: string | undefined): ReferenceSpec {
  if (s === undefined) return { kind: 'auto' };
  if (s === 'baseline') return { kind: 'baseline' };
  if (s === 'registry') return { kind: 'registry' };
  if (s.startsWith('version:') && s.length > 'version:'.length)
    return { kind: 'version', version: s.slice(8) };
  throw badRequest(`reference must be registry, baseline or version:<version>, not "${s}".`);
}

/** Finds the latest version of a model that has primary telemetry. */
async function latestVersion(sql: Sql, model: string): Promise<string> {
  const rows = await sql.query<{ version: string }>(
    `SELECT version FROM (SELECT version, bucket FROM rollups WHERE model = $1 AND resolution = 60
       UNION ALL SELECT version, bucket FROM rollup_parts WHERE model = $1) t
     GROUP BY version ORDER BY max(bucket) DESC, version DESC LIMIT 1`,
    [model],
  );
  if (!rows[0]) throw unknownModel(model);
  return rows[0].version;
}

/**
 * The production baseline of a version: the merged profile of its earliest minute buckets until
 * they hold at least `n` inferences.
 */
export async function baselineProfile(sql: Sql, model: string, version: string, n: number) {
  // Hour rows (and pending parts, by hour): a baseline must not move when minute rows are coarsened
  // away after retention. The running sum keeps only the rows needed on the wire.
  const q = rollupQuery({ model, version, role: 'primary', resolution: 60 });
  const rows = await sql.query<RollupRow & { cum: number }>(
    `SELECT * FROM (
       SELECT t.*, sum(inferences) OVER (ORDER BY bucket, src, id ROWS UNBOUNDED PRECEDING) AS cum FROM (
         SELECT version, role, segment, backend, bucket, inferences, errors, profile, 0 AS src, 0::bigint AS id
         FROM rollups WHERE ${q.rollups}
         UNION ALL
         SELECT version, role, segment, backend, (bucket / 60) * 60, inferences, errors, profile, 1, id
         FROM rollup_parts WHERE ${q.parts}) t) u
     WHERE cum - inferences < $${q.params.length + 1} ORDER BY bucket, src, id`,
    [...q.params, n],
  );
  if (rows.length === 0) throw noReference(`Version ${version} of ${model} has no production telemetry yet.`);
  const count = rows.reduce((s, r) => s + Number(r.inferences), 0);
  const last = rows[rows.length - 1]!.bucket;
  return { profile: mergeAll(rows), inferences: count, to: (last + 60) * 60_000 - 1 };
}

/**
 * Drift of a version's window against a reference: per feature the statistics and status from
 * @driftline/protocol, the reference used, and the counts on both sides.
 */
export async function modelDrift(
  sql: Sql,
  model: string,
  q: { version?: string; from?: number; to?: number; reference?: string; retentionHours?: number },
  baselineInferences: number,
) {
  const ref = parseReference(q.reference);
  const version = q.version ?? (await latestVersion(sql, model));
  const range = rangeBuckets(q.from, q.to, q.retentionHours);
  const rows = await readRollups(sql, { model, version, role: 'primary', ...range });
  if (rows.length === 0) throw unknownModel(model);
  const current = mergeAll(rows);
  let reference: Profile;
  let refInfo: Record<string, unknown>;
  const uploaded =
    ref.kind === 'registry' || ref.kind === 'auto' ? await versionReference(sql, model, version) : null;
  if (uploaded) {
    reference = decodeProfile(uploaded);
    refInfo = { kind: 'registry', version, inferences: reference.inferences };
  } else if (ref.kind === 'registry') {
    throw noReference(
      `No reference profile was uploaded with ${model}@${version}; publish one (driftline profile, then publish) or use reference=baseline.`,
    );
  } else if (ref.kind === 'baseline' || ref.kind === 'auto') {
    const b = await baselineProfile(sql, model, version, baselineInferences);
    reference = b.profile;
    refInfo = { kind: 'baseline', version, inferences: b.inferences, to: b.to };
  } else {
    const refRows = await readRollups(sql, { model, version: ref.version, role: 'primary', ...range });
    if (refRows.length === 0) {
      throw noReference(`Version ${ref.version} of ${model} has no production telemetry in this range.`);
    }
    reference = mergeAll(refRows);
    refInfo = { kind: 'version', version: ref.version, inferences: reference.inferences };
  }
  const features = compareProfiles(reference, current);
  return {
    model,
    version,
    reference: refInfo,
    window: {
      from: range.fromBucket * 60_000,
      to: range.toBucket * 60_000 + 59_999,
      inferences: current.inferences,
    },
    status: overallStatus(features),
    features,
  };
}
