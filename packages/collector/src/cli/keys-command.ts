import { type AuditEntry, listAudit, recordAudit } from '../auth/audit-log.ts';
import {
  type CreateKeyOptions,
  checkKeyOptions,
  createKey,
  DEFAULT_ROTATE_GRACE_S,
  getKey,
  type KeyInfo,
  listKeys,
  revokeKey,
  rotateKey,
} from '../auth/keys.ts';
import { CollectorError, unknownKey } from '../errors.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { type Args, flag, intFlag, UsageError } from './args.ts';
import { request } from './remote.ts';
import { printTable } from './table.ts';

type Action = 'create' | 'list' | 'rotate' | 'revoke' | 'audit';

/** What one keys action does, against a running collector (HTTP) or on the storage (offline). */
interface KeyStore {
  create(role: string, opts: CreateKeyOptions): Promise<{ key: KeyInfo; secret: string }>;
  list(): Promise<KeyInfo[]>;
  rotate(id: string, graceS: number): Promise<{ key: KeyInfo; secret: string; previous: KeyInfo }>;
  revoke(id: string): Promise<KeyInfo>;
  audit(limit: number): Promise<AuditEntry[]>;
}

/**
 * `driftline keys create|list|rotate|revoke|audit`. With `--url`/`--key` (or DRIFTLINE_URL /
 * DRIFTLINE_KEY and no storage flag) it asks a running collector with an admin key; otherwise it
 * works on the storage directly (`--data-dir`/`--database-url`), which is how the first admin key
 * is made. Both ways are recorded in the audit log (offline as actor `cli`).
 */
export async function keysCommand(args: Args): Promise<number> {
  const [, action, id] = args.positionals as [string, Action, string | undefined];
  if ((action === 'rotate' || action === 'revoke') && !id) {
    throw new UsageError(`keys ${action} needs a key id (see keys list).`);
  }
  const createOpts = action === 'create' ? createOptions(args) : undefined;
  if (isRemote(args)) return run(action, id, args, createOpts, remoteStore(args));
  const storage = await openStorage({
    databaseUrl: flag(args, 'database-url') ?? process.env.DATABASE_URL,
    dataDir: flag(args, 'data-dir') ?? process.env.DRIFTLINE_DATA_DIR ?? '.driftline/data',
  });
  try {
    return await run(action, id, args, createOpts, storageStore(storage));
  } finally {
    await storage.close();
  }
}

async function run(
  action: Action,
  id: string | undefined,
  args: Args,
  createOpts: { role: string; opts: CreateKeyOptions } | undefined,
  store: KeyStore,
): Promise<number> {
  switch (action) {
    case 'create': {
      const { key, secret } = await store.create(createOpts!.role, createOpts!.opts);
      const until = key.expiresAt ? `, valid until ${key.expiresAt}` : '';
      console.error(
        `Created ${key.role} key ${key.id}${until}. The secret below is shown once; store it now.`,
      );
      console.log(secret);
      return 0;
    }
    case 'list':
      printTable(
        ['id', 'role', 'app', 'origins', 'label', 'created', 'expires', 'revoked'],
        (await store.list()).map((k) => [
          k.id,
          k.role,
          k.app ?? '',
          k.origins.join(','),
          k.label ?? '',
          k.createdAt,
          k.expiresAt ?? '',
          k.revokedAt ?? '',
        ]),
      );
      return 0;
    case 'rotate': {
      const graceS = durationFlag(args, 'grace', DEFAULT_ROTATE_GRACE_S);
      const { key, secret, previous } = await store.rotate(id!, graceS);
      console.error(
        `Created ${key.role} key ${key.id} to replace ${previous.id}, which keeps working until ${previous.expiresAt}. The secret below is shown once; store it now.`,
      );
      console.log(secret);
      return 0;
    }
    case 'revoke':
      await store.revoke(id!);
      console.log(`Revoked ${id}.`);
      return 0;
    case 'audit':
      printTable(
        ['id', 'at', 'actor', 'action', 'target'],
        (await store.audit(intFlag(args, 'limit', 50, 1, 1000))).map((e) => [
          e.id,
          e.at,
          e.actor,
          e.action,
          e.target ?? '',
        ]),
      );
      return 0;
  }
}

/** Remote when a collector is named (flags win; the env vars count when no storage flag is given). */
function isRemote(args: Args): boolean {
  if (args.flags.has('url') || args.flags.has('key')) return true;
  if (args.flags.has('data-dir') || args.flags.has('database-url')) return false;
  return Boolean(process.env.DRIFTLINE_URL || process.env.DRIFTLINE_KEY);
}

function createOptions(args: Args): { role: string; opts: CreateKeyOptions } {
  const role = flag(args, 'role');
  if (!role) throw new UsageError('keys create needs --role ingest|read|admin.');
  const origins = flag(args, 'origins');
  const expires = flag(args, 'expires');
  const opts: CreateKeyOptions = {
    app: flag(args, 'app'),
    label: flag(args, 'label'),
    origins: origins ? origins.split(',').map((o) => o.trim()) : undefined,
    expiresAt: expires === undefined ? undefined : expiryOf(expires),
  };
  try {
    checkKeyOptions(role, opts);
  } catch (err) {
    if (err instanceof CollectorError) throw new UsageError(err.message);
    throw err;
  }
  return { role, opts };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** Seconds of a duration flag: `90`, `90s`, `15m`, `12h`, `30d`. */
function durationFlag(args: Args, name: string, def: number): number {
  const v = flag(args, name);
  if (v === undefined) return def;
  const s = seconds(v);
  if (s === null)
    throw new UsageError(`--${name} takes a duration such as 3600, 15m, 12h or 7d (got "${v}").`);
  return s;
}

function seconds(v: string): number | null {
  const m = /^(\d+)([smhd]?)$/.exec(v.trim());
  return m ? Number(m[1]) * UNITS[m[2] || 's']! : null;
}

/** `--expires 30d` (from now) or an ISO time such as 2027-01-31T00:00:00Z. */
function expiryOf(v: string): Date {
  const s = seconds(v);
  if (s !== null) return new Date(Date.now() + s * 1000);
  const at = new Date(v);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError(
      `--expires takes a duration (30d, 12h) or an ISO time (2027-01-31T00:00:00Z), not "${v}".`,
    );
  }
  return at;
}

function remoteStore(args: Args): KeyStore {
  type Created = { key: KeyInfo; secret: string; previous: KeyInfo };
  return {
    create: async (role, o) =>
      (await request(args, 'POST', '/v1/keys', {
        role,
        ...(o.app ? { app: o.app } : {}),
        ...(o.origins ? { origins: o.origins } : {}),
        ...(o.label ? { label: o.label } : {}),
        ...(o.expiresAt ? { expiresAt: o.expiresAt.toISOString() } : {}),
      })) as Created,
    list: async () => ((await request(args, 'GET', '/v1/keys')) as { keys: KeyInfo[] }).keys,
    rotate: async (id, graceS) =>
      (await request(args, 'POST', `/v1/keys/${encodeURIComponent(id)}/rotate`, {
        graceSeconds: graceS,
      })) as Created,
    revoke: async (id) =>
      ((await request(args, 'POST', `/v1/keys/${encodeURIComponent(id)}/revoke`)) as { key: KeyInfo }).key,
    audit: async (limit) =>
      ((await request(args, 'GET', `/v1/audit?limit=${limit}`)) as { entries: AuditEntry[] }).entries,
  };
}

function storageStore(storage: Storage): KeyStore {
  const audit = (action: string, target: string, detail: Record<string, unknown> = {}) =>
    recordAudit(storage, { actor: 'cli', action, target, detail });
  return {
    create: async (role, o) => {
      const created = await createKey(storage, role as KeyInfo['role'], o);
      await audit('keys.create', created.id, { role });
      return { key: (await getKey(storage, created.id))!, secret: created.secret };
    },
    list: () => listKeys(storage),
    rotate: async (id, graceS) => {
      const rotated = await rotateKey(storage, id, graceS * 1000);
      if (!rotated) throw unknownKey(id);
      await audit('keys.rotate', id, { replacedBy: rotated.id, graceSeconds: graceS });
      return {
        key: (await getKey(storage, rotated.id))!,
        secret: rotated.secret,
        previous: rotated.previous,
      };
    },
    revoke: async (id) => {
      if (!(await revokeKey(storage, id))) throw unknownKey(id);
      await audit('keys.revoke', id);
      return (await getKey(storage, id))!;
    },
    audit: (limit) => listAudit(storage, limit),
  };
}
