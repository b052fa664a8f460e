import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { openStorage } from '../src/storage/open-storage.ts';

/** Creates an empty database on the test run's PostgreSQL and answers its URL. */
export async function freshDatabaseUrl(): Promise<string> {
  const admin = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh database, migrated, with an ingest and a read key made directly in storage. */
export async function freshDatabaseWithKeys(): Promise<{
  databaseUrl: string;
  ingest: string;
  read: string;
}> {
  const databaseUrl = await freshDatabaseUrl();
  const storage = await openStorage({ databaseUrl });
  try {
    const ingest = (await createKey(storage, 'ingest')).secret;
    const read = (await createKey(storage, 'read')).secret;
    return { databaseUrl, ingest, read };
  } finally {
    await storage.close();
  }
}
