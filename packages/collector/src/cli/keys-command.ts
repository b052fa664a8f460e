import { createKey, KEY_ROLES, type KeyRole, listKeys, revokeKey } from '../auth/keys.ts';
import { openStorage } from '../storage/open-storage.ts';
import { type Args, flag, UsageError } from './args.ts';
import { printTable } from './table.ts';

/** `driftline keys create|list|revoke`: works on the storage directly, never over HTTP. */
export async function keysCommand(args: Args): Promise<number> {
  const [, action, id] = args.positionals;
  if (!action || !['create', 'list', 'revoke'].includes(action)) {
    throw new UsageError('keys needs an action: create, list or revoke.');
  }
  const role = flag(args, 'role');
  if (action === 'create' && (!role || !KEY_ROLES.includes(role as KeyRole))) {
    throw new UsageError(`keys create needs --role ${KEY_ROLES.join('|')}.`);
  }
  if (action === 'revoke' && !id) throw new UsageError('keys revoke needs a key id (see keys list).');
  const storage = await openStorage({
    databaseUrl: flag(args, 'database-url') ?? process.env.DATABASE_URL,
    dataDir: flag(args, 'data-dir') ?? process.env.DRIFTLINE_DATA_DIR ?? '.driftline/data',
  });
  try {
    if (action === 'create') {
      const origins = flag(args, 'origins');
      const key = await createKey(storage, role as KeyRole, {
        app: flag(args, 'app'),
        label: flag(args, 'label'),
        origins: origins ? origins.split(',') : [],
      });
      console.error(`Created ${role} key ${key.id}. The secret below is shown once; store it now.`);
      console.log(key.secret);
      return 0;
    }
    if (action === 'list') {
      const keys = await listKeys(storage);
      printTable(
        ['id', 'role', 'app', 'origins', 'label', 'created', 'revoked'],
        keys.map((k) => [
          k.id,
          k.role,
          k.app ?? '',
          k.origins.join(','),
          k.label ?? '',
          k.createdAt,
          k.revokedAt ?? '',
        ]),
      );
      return 0;
    }
    if (await revokeKey(storage, id!)) {
      console.log(`Revoked ${id}.`);
      return 0;
    }
    console.error(`No active key with id ${id}.`);
    return 1;
  } finally {
    await storage.close();
  }
}
