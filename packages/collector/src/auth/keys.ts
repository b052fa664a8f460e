import { createHash, randomBytes } from 'node:crypto';
import { CollectorError } from '../errors.ts';
import type { Sql } from '../storage/storage.ts';

/** What a key may do: `ingest` posts telemetry, `read` queries, `admin` does everything. */
export type KeyRole = 'ingest' | 'read' | 'admin';
export const KEY_ROLES: readonly KeyRole[] = ['ingest', 'read', 'admin'];

/** A stored key as listed: never the secret itself. */
export interface KeyInfo {
  id: string;
  role: KeyRole;
  app: string | null;
  origins: string[];
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Options for a new key. `origins` is the CORS allowlist of an ingest key's web app. */
export interface CreateKeyOptions {
  app?: string;
  origins?: string[];
  label?: string;
  /** Use this secret instead of a random one (the `--dev` well-known keys). */
  secret?: string;
}

/** SHA-256 hex of a key secret: the only form in which keys are stored. */
export const hashKey = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/**
 * Creates a key and returns its secret, which is shown once and never stored.
 * @example
 * const { secret } = await createKey(storage, 'ingest', { app: 'demo', origins: ['http://localhost:5173'] });
 */
export async function createKey(
  sql: Sql,
  role: KeyRole,
  opts: CreateKeyOptions = {},
): Promise<{ id: string; secret: string }> {
  if (!KEY_ROLES.includes(role)) {
    throw new CollectorError(
      'invalid_role',
      400,
      `Unknown role "${role}"; use one of ${KEY_ROLES.join(', ')}.`,
    );
  }
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = opts.secret ?? `dl_${role}_${randomBytes(24).toString('base64url')}`;
  await sql.query(
    `INSERT INTO api_keys (id, hash, role, app, origins, label) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (hash) DO UPDATE SET revoked_at = NULL, role = EXCLUDED.role`,
    [id, hashKey(secret), role, opts.app ?? null, opts.origins ?? [], opts.label ?? null],
  );
  return { id, secret };
}

/** Lists every key, revoked ones included, oldest first. */
export async function listKeys(sql: Sql): Promise<KeyInfo[]> {
  const rows = await sql.query<{
    id: string;
    role: KeyRole;
    app: string | null;
    origins: string[];
    label: string | null;
    created_at: Date;
    revoked_at: Date | null;
  }>('SELECT id, role, app, origins, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id');
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    app: r.app,
    origins: r.origins,
    label: r.label,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
  }));
}

/** Revokes a key by id; answers false when no active key has that id. */
export async function revokeKey(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql.query(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/** Looks up an active key by its secret; null when unknown or revoked. */
export async function findKey(
  sql: Sql,
  secret: string,
): Promise<{ id: string; role: KeyRole; app: string | null; origins: string[] } | null> {
  const rows = await sql.query<{ id: string; role: KeyRole; app: string | null; origins: string[] }>(
    'SELECT id, role, app, origins FROM api_keys WHERE hash = $1 AND revoked_at IS NULL',
    [hashKey(secret)],
  );
  return rows[0] ?? null;
}
