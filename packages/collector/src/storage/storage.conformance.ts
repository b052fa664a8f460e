import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAlertSettings, setAlertSettings } from '../alerts/alert-settings.ts';
import { createKey, findKey, listKeys, revokeKey } from '../auth/keys.ts';
import { migrate } from './migrations.ts';
import type { Storage } from './storage.ts';

/**
 * The one conformance suite every Storage implementation passes (run by pglite-storage.test.ts
 * and postgres-storage.test.ts). `open` answers a migrated, empty storage.
 */
export function describeStorageConformance(name: string, open: () => Promise<Storage>): void {
  describe(`storage conformance: ${name}`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await open();
    });
    afterAll(async () => {
      await storage.close();
    });

    it('migrates idempotently, also when two migrations race', async () => {
      await Promise.all([migrate(storage), migrate(storage)]);
      const rows = await storage.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]?.n).toBeGreaterThan(0);
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      await storage.transaction(async (tx) => {
        await tx.query("INSERT INTO events (model, kind, detail) VALUES ('m-commit', 'test', '{}')");
      });
      await expect(
        storage.transaction(async (tx) => {
          await tx.query("INSERT INTO events (model, kind, detail) VALUES ('m-rollback', 'test', '{}')");
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const rows = await storage.query<{ model: string }>(
        "SELECT model FROM events WHERE model LIKE 'm-%' ORDER BY model",
      );
      expect(rows.map((r) => r.model)).toEqual(['m-commit']);
    });

    it('round-trips bytea and integer columns', async () => {
      const bytes = new Uint8Array([0, 1, 2, 254, 255]);
      await storage.query(
        `INSERT INTO rollup_parts (model, version, role, segment, backend, bucket, inferences, errors, profile)
         VALUES ('bytes', '1', 'primary', 's', 'wasm', 123, 9007199254740, 0, $1)`,
        [bytes],
      );
      const rows = await storage.query<{ profile: Uint8Array; inferences: number }>(
        "SELECT profile, inferences FROM rollup_parts WHERE model = 'bytes'",
      );
      expect(Array.from(rows[0]!.profile)).toEqual([0, 1, 2, 254, 255]);
      expect(Number(rows[0]!.inferences)).toBe(9007199254740);
    });

    it('creates, finds, lists and revokes hashed keys', async () => {
      const ingest = await createKey(storage, 'ingest', { app: 'demo', origins: ['http://localhost:5173'] });
      const read = await createKey(storage, 'read', { label: 'analyst' });
      expect(ingest.secret).toMatch(/^dl_ingest_/);
      const stored = await storage.query<{ hash: string }>('SELECT hash FROM api_keys');
      expect(stored.some((r) => r.hash.includes(ingest.secret))).toBe(false);
      expect(await findKey(storage, ingest.secret)).toMatchObject({
        role: 'ingest',
        app: 'demo',
        origins: ['http://localhost:5173'],
      });
      expect(await findKey(storage, 'dl_ingest_wrong')).toBeNull();
      const listed = await listKeys(storage);
      expect(listed.map((k) => k.id)).toEqual(expect.arrayContaining([ingest.id, read.id]));
      expect(await revokeKey(storage, read.id)).toBe(true);
      expect(await revokeKey(storage, read.id)).toBe(false);
      expect(await findKey(storage, read.secret)).toBeNull();
      expect((await listKeys(storage)).find((k) => k.id === read.id)?.revokedAt).not.toBeNull();
    });

    it("stores a model's alert settings, accuracyDrop included, and replaces them as a whole", async () => {
      expect(await getAlertSettings(storage, 'settings')).toEqual({
        latencyP95Ms: null,
        webhookUrl: null,
        accuracyDrop: null,
      });
      await setAlertSettings(storage, 'settings', {
        latencyP95Ms: 25.5,
        webhookUrl: 'https://hooks.example/x',
        accuracyDrop: 0.125,
      });
      expect(await getAlertSettings(storage, 'settings')).toEqual({
        latencyP95Ms: 25.5,
        webhookUrl: 'https://hooks.example/x',
        accuracyDrop: 0.125,
      });
      await setAlertSettings(storage, 'settings', { latencyP95Ms: null, webhookUrl: null, accuracyDrop: 1 });
      expect(await getAlertSettings(storage, 'settings')).toEqual({
        latencyP95Ms: null,
        webhookUrl: null,
        accuracyDrop: 1,
      });
      expect((await getAlertSettings(storage, 'other')).accuracyDrop).toBeNull();
    });
  });
}
