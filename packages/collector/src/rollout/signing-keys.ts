import { randomBytes } from 'node:crypto';
import { generateSigningKeyPair, importSigningKey, type WebCryptoKey } from '@driftline/protocol';
import type { Sql, Storage } from '../storage/storage.ts';

/** The collector's manifest signing key (Ed25519). */
export interface SigningKey {
  id: string;
  /** base64 raw public key: what the runtime is given as `publicKey`. */
  publicKey: string;
  key: WebCryptoKey;
}

/**
 * Makes a new signing key pair, stores it (the private key in storage, readable by every replica)
 * and retires the previous one. Answers the public key to give the runtime.
 */
export async function createSigningKey(storage: Storage): Promise<{ id: string; publicKey: string }> {
  const pair = await generateSigningKeyPair();
  const id = `sk_${randomBytes(6).toString('hex')}`;
  await storage.transaction(async (tx) => {
    await tx.query('UPDATE signing_keys SET revoked_at = now() WHERE revoked_at IS NULL');
    await tx.query('INSERT INTO signing_keys (id, public_key, private_key) VALUES ($1, $2, $3)', [
      id,
      pair.publicKey,
      pair.privateKey,
    ]);
  });
  return { id, publicKey: pair.publicKey };
}

/** The active signing key, or null when manifests are not signed. */
export async function activeSigningKey(sql: Sql): Promise<SigningKey | null> {
  const rows = await sql.query<{ id: string; public_key: string; private_key: string }>(
    'SELECT id, public_key, private_key FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at DESC LIMIT 1',
  );
  const r = rows[0];
  if (!r) return null;
  return { id: r.id, publicKey: r.public_key, key: await importSigningKey(r.private_key) };
}

/** Caches the active signing key for a second, so a new key reaches every replica quickly. */
export function signingKeyCache(sql: Sql, ttlMs = 1_000) {
  let cached: { at: number; key: Promise<SigningKey | null> } | null = null;
  return {
    get(now = Date.now()): Promise<SigningKey | null> {
      if (!cached || now - cached.at > ttlMs) {
        const key = activeSigningKey(sql);
        cached = { at: now, key };
        key.catch(() => {
          cached = null;
        });
      }
      return cached.key;
    },
    clear() {
      cached = null;
    },
  };
}
