import { decodeProfile, type Profile } from '@driftline/protocol';
import { badRequest, noReference, unknownModel } from '../errors.ts';
import { findVersion, versionReference } from '../registry/versions.ts';
import type { Sql } from '../storage/storage.ts';
import { mergeAll } from './merge-rows.ts';
import { type RollupRow, rangeBuckets, readRollups, rollupQuery } from './read-rollups.ts';
import { driftWithSchema } from './schema-drift.ts';

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
export async function latestVersion(sql: Sql, model: string): Promise<string> {
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

/** The reference profile a drift question is answered against, and a description of it. */
export interface ResolvedReference {
  reference: Profile;
  info: { kind: 'registry' | 'baseline' | 'version'; version: string; inferences: number; to?: number };
}

/**
 * Resolves a reference spec for one version: the uploaded reference profile (`registry`, or `auto`
 * when there is one), the version's production baseline (`baseline`, or `auto` without an upload),
 * or another version's telemetry in the same range (`version:X`). Throws `no_reference` otherwise.
 */
export async function resolveReference(
  sql: Sql,
  model: string,
  version: string,
  spec: ReferenceSpec,
  range: ReturnType<typeof rangeBuckets>,
  baselineInferences: number,
): Promise<ResolvedReference> {
  const uploaded =
    spec.kind === 'registry' || spec.kind === 'auto' ? await versionReference(sql, model, version) : null;
  if (uploaded) {
    const reference = decodeProfile(uploaded);
    return { reference, info: { kind: 'registry', version, inferences: reference.inferences } };
  }
  if (spec.kind === 'registry') {
    throw noReference(
      `No reference profile was uploaded with ${model}@${version}; publish one (driftline profile, then publish) or use reference=baseline.`,
    );
  }
  if (spec.kind === 'baseline' || spec.kind === 'auto') {
    const b = await baselineProfile(sql, model, version, baselineInferences);
    return { reference: b.profile, info: { kind: 'baseline', version, inferences: b.inferences, to: b.to } };
  }
  const refRows = await readRollups(sql, { model, version: spec.version, role: 'primary', ...range });
  if (refRows.length === 0) {
    throw noReference(`Version ${spec.version} of ${model} has no production telemetry in this range.`);
  }
  const reference = mergeAll(refRows);
  return { reference, info: { kind: 'version', version: spec.version, inferences: reference.inferences } };
}

/**
 * Drift of a version's window against a reference: per feature the statistics and status from
 * @driftline/protocol, per embedding input of the version's schema its embedding drift, the
 * reference used, and the counts on both sides.
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
  const { reference, info: refInfo } = await resolveReference(
    sql,
    model,
    version,
    ref,
    range,
    baselineInferences,
  );
  const schema = (await findVersion(sql, model, version))?.schema ?? null;
  const { features, embeddings, status } = driftWithSchema(reference, current, schema);
  return {
    model,
    version,
    reference: refInfo,
    window: {
      from: range.fromBucket * 60_000,
      to: range.toBucket * 60_000 + 59_999,
      inferences: current.inferences,
    },
    status,
    features,
    embeddings,
  };
}
