import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';
import type { Sql, Storage } from './storage.ts';

/**
 * Opens the embedded storage: PGlite (PostgreSQL in WebAssembly) on `dataDir`, or in memory
 * when `dataDir` is omitted. One process owns a data directory at a time.
 */
export async function openPgliteStorage(dataDir?: string): Promise<Storage> {
  let unlock = async () => {};
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    unlock = await lockDataDir(dataDir);
  }
  let db: PGlite;
  try {
    db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  } catch (err) {
    await unlock();
    throw err;
  }
  const run = async <R>(q: Pick<PGlite, 'query'>, text: string, params?: readonly unknown[]) =>
    (await q.query<R>(text, params ? [...params] : undefined)).rows;
  return {
    kind: 'pglite',
    query: (text, params) => run(db, text, params),
    transaction: (fn) =>
      db.transaction((tx) => {
        const sql: Sql = { query: (text, params) => run(tx, text, params) };
        return fn(sql);
      }),
    ping: async () => {
      await db.query('SELECT 1');
    },
    close: async () => {
      await db.close();
      await unlock();
    },
  };
}
