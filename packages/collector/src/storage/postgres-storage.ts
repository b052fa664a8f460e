import pg from 'pg';
import type { Sql, Storage } from './storage.ts';

// int8 and numeric come back as strings by default; our counts fit in a double.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/** Opens PostgreSQL storage through a node-postgres pool on `databaseUrl`. */
export async function openPostgresStorage(
  databaseUrl: string,
  opts: { max?: number } = {},
): Promise<Storage> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: opts.max ?? 10, types });
  // An idle client that loses its connection emits here; the pool replaces it.
  pool.on('error', () => {});
  await pool.query('SELECT 1');
  return {
    kind: 'postgres',
    query: async (text, params, opts) =>
      (await pool.query({ text, values: params ? [...params] : undefined, name: opts?.name })).rows,
    transaction: async (fn) => {
      const client = await pool.connect();
      let broken = false;
      // A checked-out client whose server goes away between two queries emits 'error' with no
      // query to take it; unheard, that would crash the process. The next query (or ROLLBACK) fails
      // instead, the request answers 503, and the client is thrown away on release.
      const onLost = () => {
        broken = true;
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const sql: Sql = {
          query: async (text, params, opts) =>
            (await client.query({ text, values: params ? [...params] : undefined, name: opts?.name })).rows,
        };
        const result = await fn(sql);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.off('error', onLost);
        client.release(broken);
      }
    },
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
}
