import { unknownModel } from '../errors.ts';
import type { Sql } from '../storage/storage.ts';
import { rangeBuckets, rollupQuery } from './read-rollups.ts';

/** Per-version totals of a model over a range. */
export interface VersionSummary {
  version: string;
  inferences: number;
  errors: number;
  devices: number;
  firstSeen: number;
  lastSeen: number;
}

/** All models with any telemetry, with totals. */
export async function listModels(
  sql: Sql,
): Promise<{ name: string; versions: string[]; inferences: number; lastSeen: number }[]> {
  const rows = await sql.query<{ model: string; versions: string[]; inferences: number; last: number }>(
    `SELECT model, array_agg(DISTINCT version ORDER BY version) AS versions,
            sum(inferences)::float8 AS inferences, max(bucket)::float8 AS last
     FROM (SELECT model, version, inferences, bucket FROM rollups WHERE resolution = 1440
           UNION ALL SELECT model, version, inferences, bucket FROM rollup_parts) t
     GROUP BY model ORDER BY model`,
  );
  return rows.map((r) => ({
    name: r.model,
    versions: r.versions,
    inferences: Number(r.inferences),
    lastSeen: Number(r.last) * 60_000,
  }));
}

/** Inferences, errors, distinct devices and versions of a model in [from, to]. */
export async function modelSummary(
  sql: Sql,
  model: string,
  from?: number,
  to?: number,
  retentionHours?: number,
) {
  const range = rangeBuckets(from, to, retentionHours);
  const q = rollupQuery({ model, ...range });
  const rows = await sql.query<{
    version: string;
    inferences: number;
    errors: number;
    first: number;
    last: number;
  }>(
    `SELECT version, sum(inferences)::float8 AS inferences, sum(errors)::float8 AS errors,
            min(bucket)::float8 AS first, max(bucket)::float8 AS last
     FROM (SELECT version, inferences, errors, bucket FROM rollups WHERE ${q.rollups}
           UNION ALL SELECT version, inferences, errors, bucket FROM rollup_parts WHERE ${q.parts}) t
     GROUP BY version ORDER BY version`,
    q.params,
  );
  if (rows.length === 0) throw unknownModel(model);
  const dayFrom = Math.floor(range.fromBucket / 1440);
  const dayTo = Math.floor(range.toBucket / 1440);
  const devices = await sql.query<{ version: string | null; n: number }>(
    `SELECT version, count(DISTINCT device_id)::float8 AS n FROM model_devices
     WHERE model = $1 AND day BETWEEN $2 AND $3 GROUP BY ROLLUP (version)`,
    [model, dayFrom, dayTo],
  );
  const perVersion = new Map(devices.filter((d) => d.version !== null).map((d) => [d.version, Number(d.n)]));
  const versions: VersionSummary[] = rows.map((r) => ({
    version: r.version,
    inferences: Number(r.inferences),
    errors: Number(r.errors),
    devices: perVersion.get(r.version) ?? 0,
    firstSeen: Number(r.first) * 60_000,
    lastSeen: Number(r.last) * 60_000,
  }));
  return {
    model,
    from: range.fromBucket * 60_000,
    to: range.toBucket * 60_000 + 59_999,
    inferences: versions.reduce((s, v) => s + v.inferences, 0),
    errors: versions.reduce((s, v) => s + v.errors, 0),
    devices: Number(devices.find((d) => d.version === null)?.n ?? 0),
    versions,
  };
}
