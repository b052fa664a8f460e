import { recordAudit } from '../auth/audit-log.ts';
import { createSigningKey } from '../rollout/signing-keys.ts';
import { openStorage } from '../storage/open-storage.ts';
import { type Args, flag } from './args.ts';
import { request } from './remote.ts';

/**
 * `driftline keys signing`: makes a manifest signing key pair (Ed25519), stores it in the
 * collector's storage (retiring the previous one) and prints the public key for the runtime.
 * With `--url`/`--key` (admin) it asks a running collector to do it (`POST /v1/signing-key`).
 */
export async function signingCommand(args: Args): Promise<number> {
  if (flag(args, 'url')) {
    // Over HTTP (admin key): works while the collector owns its PGlite data directory.
    const key = (await request(args, 'POST', '/v1/signing-key')) as { id: string; publicKey: string };
    console.error(`Created signing key ${key.id}; manifests are signed with it from now on. Public key:`);
    console.log(key.publicKey);
    return 0;
  }
  const storage = await openStorage({
    databaseUrl: flag(args, 'database-url') ?? process.env.DATABASE_URL,
    dataDir: flag(args, 'data-dir') ?? process.env.DRIFTLINE_DATA_DIR ?? '.driftline/data',
  });
  try {
    const key = await createSigningKey(storage);
    await recordAudit(storage, { actor: 'cli', action: 'keys.signing', target: key.id, detail: {} });
    console.error(
      `Created signing key ${key.id}; manifests are signed with it from now on. Give the runtime this public key (createRuntime({ publicKey })):`,
    );
    console.log(key.publicKey);
    return 0;
  } finally {
    await storage.close();
  }
}
