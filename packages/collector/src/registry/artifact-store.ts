import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Sql } from '../storage/storage.ts';
import { SHA256 } from './names.ts';

/**
 * Content-addressed model files. A file is named only by the SHA-256 of its bytes (checked to be
 * 64 hex digits before any path is built), so nothing from a request ever names a path.
 * The `artifacts` table always lists what is stored (hash, size); the bytes live on disk or in it.
 */
export interface ArtifactStore {
  readonly kind: 'disk' | 'database';
  /** Stores bytes under their hash (computed here); answers the hash and whether they were new. */
  put(bytes: Uint8Array): Promise<{ sha256: string; size: number; created: boolean }>;
  /** The bytes of an artifact, or null when unknown. */
  get(sha256: string): Promise<Uint8Array | null>;
  /** Size of a stored artifact, or null when unknown. */
  size(sha256: string): Promise<number | null>;
  /** Bytes `start..end` (inclusive) of a stored artifact, streamed from disk or sliced in SQL. */
  read(sha256: string, start: number, end: number): Promise<Readable | Uint8Array | null>;
}

/** SHA-256 (lower-case hex) of bytes. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function sizeOf(sql: Sql, sha256: string): Promise<number | null> {
  if (!SHA256.test(sha256)) return null;
  const rows = await sql.query<{ size: number }>('SELECT size FROM artifacts WHERE sha256 = $1', [sha256]);
  return rows[0] ? Number(rows[0].size) : null;
}

/**
 * Bytes in the database (`artifacts.data`): what several collector replicas on one PostgreSQL
 * share without a shared disk, and what an in-memory collector uses.
 */
export function databaseArtifactStore(sql: Sql): ArtifactStore {
  return {
    kind: 'database',
    async put(bytes) {
      const sha256 = sha256Hex(bytes);
      const rows = await sql.query(
        `INSERT INTO artifacts (sha256, size, data) VALUES ($1, $2, $3)
         ON CONFLICT (sha256) DO NOTHING RETURNING sha256`,
        [sha256, bytes.length, bytes],
      );
      return { sha256, size: bytes.length, created: rows.length > 0 };
    },
    async get(sha256) {
      if (!SHA256.test(sha256)) return null;
      const rows = await sql.query<{ data: Uint8Array | null }>(
        'SELECT data FROM artifacts WHERE sha256 = $1',
        [sha256],
      );
      return rows[0]?.data ?? null;
    },
    size: (sha256) => sizeOf(sql, sha256),
    async read(sha256, start, end) {
      if (!SHA256.test(sha256)) return null;
      const rows = await sql.query<{ data: Uint8Array | null }>(
        'SELECT substring(data FROM $2 FOR $3) AS data FROM artifacts WHERE sha256 = $1',
        [sha256, start + 1, end - start + 1],
      );
      return rows[0]?.data ?? null;
    },
  };
}

/**
 * Bytes on disk under `dir/<first two hex digits>/<hash>`, written to a temporary name and renamed,
 * so a reader never sees half a file. The default next to a PGlite data directory.
 */
export function diskArtifactStore(sql: Sql, dir: string): ArtifactStore {
  const pathOf = (sha256: string) => join(dir, sha256.slice(0, 2), sha256);
  return {
    kind: 'disk',
    async put(bytes) {
      const sha256 = sha256Hex(bytes);
      const known = await sizeOf(sql, sha256);
      if (known === null) {
        await mkdir(join(dir, sha256.slice(0, 2)), { recursive: true });
        const tmp = `${pathOf(sha256)}.${randomBytes(4).toString('hex')}.tmp`;
        await writeFile(tmp, bytes);
        await rename(tmp, pathOf(sha256)).catch(async (err: unknown) => {
          await rm(tmp, { force: true });
          throw err;
        });
      }
      const rows = await sql.query(
        'INSERT INTO artifacts (sha256, size) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING RETURNING sha256',
        [sha256, bytes.length],
      );
      return { sha256, size: bytes.length, created: rows.length > 0 };
    },
    async get(sha256) {
      if ((await sizeOf(sql, sha256)) === null) return null;
      try {
        return new Uint8Array(await readFile(pathOf(sha256)));
      } catch {
        return null;
      }
    },
    size: (sha256) => sizeOf(sql, sha256),
    async read(sha256, start, end) {
      if ((await sizeOf(sql, sha256)) === null) return null;
      return createReadStream(pathOf(sha256), { start, end });
    },
  };
}

/**
 * The artifact store a collector uses: in the database on PostgreSQL (replicas share it) and in
 * memory; on disk under `<dataDir>/artifacts` next to an embedded PGlite data directory.
 */
export function openArtifactStore(sql: Sql, opts: { databaseUrl?: string; dataDir?: string }): ArtifactStore {
  if (opts.databaseUrl || !opts.dataDir) return databaseArtifactStore(sql);
  return diskArtifactStore(sql, join(opts.dataDir, 'artifacts'));
}
