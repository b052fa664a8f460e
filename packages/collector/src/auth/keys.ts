import { createHash, randomBytes } from 'node:crypto';
import { CollectorError, keyConflict } from '../errors.ts';
import type { Sql, Storage } from '../storage/storage.ts';

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
  /** When the key stops working (ISO time), or null for never. */
  expiresAt: string | null;
  /** The key that replaced this one in a rotation. */
  rotatedTo: string | null;
}

/** Options for a new key. `origins` restricts an ingest key to these browser origins. */
export interface CreateKeyOptions {
  app?: string;
  origins?: string[];
  label?: string;
  /** When the key stops working; default never. */
  expiresAt?: Date;
  /** Use this secret instead of a random one (the `--dev` well-known keys). */
  secret?: string;
}

/** What a secret is: an active key's principal, or why it is refused. */
export type KeyLookup = { status: 'active'; key: ActiveKey } | { status: 'unknown' | 'revoked' | 'expired' };

/** An active key as authentication sees it. */
export interface ActiveKey {
  id: string;
  role: KeyRole;
  app: string | null;
  origins: string[];
  /** Epoch ms when the key expires, or null. */
  expiresAtMs: number | null;
}

/** SHA-256 hex of a key secret: the only form in which keys are stored. */
export const hashKey = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Default overlap of the old and the new key after a rotation: one day. */
export const DEFAULT_ROTATE_GRACE_S = 86_400;

/** Longest a key may live or a rotation's grace period may last: 10 years. */
const MAX_LIFETIME_MS = 10 * 365 * 86_400_000;

/**
 * Checks what a caller may set on a new key; throws `bad_request` or `invalid_role` with the fix.
 * The HTTP route and both CLI forms go through here.
 */
export function checkKeyOptions(
  role: string,
  opts: CreateKeyOptions,
  now = Date.now(),
): asserts role is KeyRole {
  if (!KEY_ROLES.includes(role as KeyRole)) {
    throw new CollectorError(
      'invalid_role',
      400,
      `Unknown role "${role}"; use one of ${KEY_ROLES.join(', ')}.`,
    );
  }
  if (opts.expiresAt !== undefined) {
    const at = opts.expiresAt.getTime();
    if (!Number.isFinite(at) || at <= now || at > now + MAX_LIFETIME_MS) {
      throw new CollectorError(
        'bad_request',
        400,
        'The expiry must be a time in the future, at most 10 years ahead (e.g. 2027-01-31T00:00:00Z).',
      );
    }
  }
  for (const origin of opts.origins ?? []) {
    if (!isOrigin(origin)) {
      throw new CollectorError(
        'bad_request',
        400,
        `"${origin}" is not an origin; give scheme, host and port only, e.g. https://app.example.com.`,
      );
    }
  }
  if (role !== 'ingest' && (opts.origins?.length ?? 0) > 0) {
    throw new CollectorError('bad_request', 400, 'Only ingest keys have origins; drop --origins.');
  }
}

function isOrigin(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
  } catch {
    return false;
  }
}

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
  checkKeyOptions(role, opts);
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = opts.secret ?? `dl_${role}_${randomBytes(24).toString('base64url')}`;
  const rows = await sql.query<{ id: string }>(
    `INSERT INTO api_keys (id, hash, role, app, origins, label, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (hash) DO UPDATE SET revoked_at = NULL, role = EXCLUDED.role, expires_at = EXCLUDED.expires_at
     RETURNING id`,
    [
      id,
      hashKey(secret),
      role,
      opts.app ?? null,
      opts.origins ?? [],
      opts.label ?? null,
      opts.expiresAt ?? null,
    ],
  );
  return { id: rows[0]?.id ?? id, secret };
}

interface KeyRow {
  id: string;
  role: KeyRole;
  app: string | null;
  origins: string[];
  label: string | null;
  created_at: Date;
  revoked_at: Date | null;
  expires_at: Date | null;
  rotated_to: string | null;
}

const KEY_COLUMNS = 'id, role, app, origins, label, created_at, revoked_at, expires_at, rotated_to';

function keyInfo(r: KeyRow): KeyInfo {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: r.id,
    role: r.role,
    app: r.app,
    origins: r.origins,
    label: r.label,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: iso(r.revoked_at),
    expiresAt: iso(r.expires_at),
    rotatedTo: r.rotated_to,
  };
}

/** Whether a listed key still works: neither revoked nor past its expiry. */
export function isActiveKey(k: Pick<KeyInfo, 'revokedAt' | 'expiresAt'>, now = Date.now()): boolean {
  return !k.revokedAt && (!k.expiresAt || Date.parse(k.expiresAt) > now);
}

/** Lists every key, revoked and expired ones included, oldest first. */
export async function listKeys(sql: Sql): Promise<KeyInfo[]> {
  const rows = await sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`);
  return rows.map(keyInfo);
}

/** One key by id, or null. */
export async function getKey(sql: Sql, id: string): Promise<KeyInfo | null> {
  const rows = await sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] ? keyInfo(rows[0]) : null;
}

/** Revokes a key by id; answers false when no active key has that id. */
export async function revokeKey(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql.query(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/**
 * Replaces a key with a new one of the same role, app, origins and label. The old key keeps
 * working for `graceMs` (sooner if it expired sooner), so that devices and services can switch
 * over without downtime; then it is expired, all in one transaction. Answers null when no active
 * key has that id.
 * @throws CollectorError `key_conflict` (409) when the key was already rotated (it is in its grace
 * period): a key has one successor.
 */
export async function rotateKey(
  storage: Storage,
  id: string,
  graceMs: number,
  now = Date.now(),
): Promise<{ id: string; secret: string; previous: KeyInfo } | null> {
  if (!Number.isFinite(graceMs) || graceMs < 0 || graceMs > MAX_LIFETIME_MS) {
    throw new CollectorError(
      'bad_request',
      400,
      'The grace period must be 0 s to 10 years (e.g. 86400 for a day).',
    );
  }
  // One transaction: the new key exists exactly when the old one is marked as replaced. The old
  // row is locked first, so that of two rotations at once (two admins, a retried request) the
  // second sees the first's successor and is refused instead of minting another.
  return storage.transaction(async (sql) => {
    const locked = await sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    const old = locked[0] ? keyInfo(locked[0]) : null;
    if (!old || !isActiveKey(old, now)) return null;
    if (old.rotatedTo) {
      throw keyConflict(
        `Key ${id} was already rotated to ${old.rotatedTo} and stays valid until ${old.expiresAt ?? 'its grace period ends'}; rotate ${old.rotatedTo} instead, or revoke ${id} to end its grace period now.`,
      );
    }
    const created = await createKey(sql, old.role, {
      app: old.app ?? undefined,
      origins: old.origins,
      label: old.label ?? undefined,
      expiresAt: old.expiresAt ? new Date(old.expiresAt) : undefined,
    });
    const graceEnd = new Date(now + graceMs);
    const rows = await sql.query<KeyRow>(
      `UPDATE api_keys SET rotated_to = $2,
         expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < $3 THEN expires_at ELSE $3 END
       WHERE id = $1 RETURNING ${KEY_COLUMNS}`,
      [id, created.id, graceEnd],
    );
    return { ...created, previous: keyInfo(rows[0]!) };
  });
}

/** Says what a secret is: an active key, or unknown, revoked or expired (each its own answer). */
export async function lookupKey(sql: Sql, secret: string, now = Date.now()): Promise<KeyLookup> {
  const rows = await sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = $1`, [
    hashKey(secret),
  ]);
  const r = rows[0];
  if (!r) return { status: 'unknown' };
  if (r.revoked_at) return { status: 'revoked' };
  const expiresAtMs = r.expires_at ? new Date(r.expires_at).getTime() : null;
  if (expiresAtMs !== null && expiresAtMs <= now) return { status: 'expired' };
  return { status: 'active', key: { id: r.id, role: r.role, app: r.app, origins: r.origins, expiresAtMs } };
}

/** Looks up an active key by its secret; null when unknown, revoked or expired. */
export async function findKey(
  sql: Sql,
  secret: string,
): Promise<{ id: string; role: KeyRole; app: string | null; origins: string[] } | null> {
  const found = await lookupKey(sql, secret);
  if (found.status !== 'active') return null;
  const { expiresAtMs: _, ...key } = found.key;
  return key;
}
