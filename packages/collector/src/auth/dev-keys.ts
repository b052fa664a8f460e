import { CollectorError } from '../errors.ts';
import { DEV_KEYS } from '../server/options.ts';
import type { Sql } from '../storage/storage.ts';
import { createKey, hashKey } from './keys.ts';

const DEV_LABEL = 'dev (well-known, local only)';

/**
 * The `--dev` keys exist only while `--dev` is on: with it, the three well-known keys are created
 * (or re-enabled); without it, any left from an earlier `--dev` run on this storage are revoked, so
 * a secret printed in every README never opens a production collector.
 */
export async function syncDevKeys(sql: Sql, dev: boolean): Promise<void> {
  if (dev) {
    for (const role of ['ingest', 'read', 'admin'] as const) {
      await createKey(sql, role, { secret: DEV_KEYS[role], label: DEV_LABEL });
    }
    return;
  }
  await sql.query('UPDATE api_keys SET revoked_at = now() WHERE hash = ANY($1) AND revoked_at IS NULL', [
    Object.values(DEV_KEYS).map(hashKey),
  ]);
}

/**
 * `--dev` serves well-known keys, so it listens on a loopback address only.
 * @throws CollectorError `dev_not_loopback` for any other host.
 */
export function checkDevHost(host: string): void {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)) return;
  throw new CollectorError(
    'dev_not_loopback',
    400,
    `--dev serves well-known keys and listens on loopback only, not on "${host}"; drop --host, or drop --dev and create keys (driftline keys create).`,
  );
}
