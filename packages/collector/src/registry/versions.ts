import { unknownVersion } from '../errors.ts';
import type { Sql } from '../storage/storage.ts';
import { type ModelVersion, toModelVersion, VERSION_COLUMNS, type VersionRow } from './model-version.ts';
import { compareVersions } from './names.ts';

/** A published version, or null. */
export async function findVersion(sql: Sql, model: string, version: string): Promise<ModelVersion | null> {
  const rows = await sql.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model = $1 AND version = $2`,
    [model, version],
  );
  return rows[0] ? toModelVersion(rows[0]) : null;
}

/** A published version; throws `unknown_version` (404) when it is not. */
export async function getVersion(sql: Sql, model: string, version: string): Promise<ModelVersion> {
  const v = await findVersion(sql, model, version);
  if (!v) throw unknownVersion(model, version);
  return v;
}

/** Several versions of a model in one statement, by version; throws `unknown_version` for a missing one. */
export async function getVersions(
  sql: Sql,
  model: string,
  versions: string[],
): Promise<Map<string, ModelVersion>> {
  const rows = await sql.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model = $1 AND version = ANY($2::text[])`,
    [model, versions],
  );
  const out = new Map(rows.map((r) => [r.version, toModelVersion(r)]));
  for (const v of versions) if (!out.has(v)) throw unknownVersion(model, v);
  return out;
}

/** Every version of a model, newest semver first. */
export async function listVersions(sql: Sql, model: string): Promise<ModelVersion[]> {
  const rows = await sql.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model = $1`, [
    model,
  ]);
  return rows.map(toModelVersion).sort((a, b) => compareVersions(b.version, a.version));
}

/** The uploaded reference profile (encoded) of a version, or null. */
export async function versionReference(sql: Sql, model: string, version: string): Promise<Uint8Array | null> {
  const rows = await sql.query<{ reference: Uint8Array | null }>(
    'SELECT reference FROM model_versions WHERE model = $1 AND version = $2',
    [model, version],
  );
  return rows[0]?.reference ?? null;
}
