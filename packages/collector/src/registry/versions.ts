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
