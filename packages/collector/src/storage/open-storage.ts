import { migrate } from './migrations.ts';
import { openPgliteStorage } from './pglite-storage.ts';
import { openPostgresStorage } from './postgres-storage.ts';
import type { Storage } from './storage.ts';

/** Where the collector keeps its data: a PostgreSQL URL wins over a PGlite data directory. */
export interface StorageOptions {
  /** `postgres://…`; when set, PostgreSQL is used. */
  databaseUrl?: string;
  /** PGlite data directory; in memory when neither this nor `databaseUrl` is set. */
  dataDir?: string;
}

/**
 * Opens and migrates the storage named by the options.
 * @example
 * const storage = await openStorage({ dataDir: '.driftline/data' });
 */
export async function openStorage(opts: StorageOptions): Promise<Storage> {
  const storage = opts.databaseUrl
    ? await openPostgresStorage(opts.databaseUrl)
    : await openPgliteStorage(opts.dataDir);
  try {
    await migrate(storage);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}
