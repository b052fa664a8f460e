import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { createApp } from '../src/server/create-app.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';
import { describeRegistryApi } from './registry-api.cases.ts';

// Artifacts in the database, shared by every replica.
describeRegistryApi('postgres, artifacts in the database', async () =>
  openStorage({ databaseUrl: await freshDatabaseUrl() }),
);

describe('registry across two replicas on one PostgreSQL', () => {
  it('a version published on one replica is served, bytes included, by the other; a concurrent re-publish is one version', async () => {
    const url = await freshDatabaseUrl();
    const [sa, sb] = [await openStorage({ databaseUrl: url }), await openStorage({ databaseUrl: url })];
    const [a, b] = [
      (await createApp(sa, { logLevel: 'silent', databaseUrl: url })).app,
      (await createApp(sb, { logLevel: 'silent', databaseUrl: url })).app,
    ];
    try {
      const admin = (await createKey(sa, 'admin')).secret;
      const ingest = (await createKey(sa, 'ingest')).secret;
      const onnx = await readFile(
        new URL('../../../demo/public/models/digits/1.0.0/model.onnx', import.meta.url),
      );
      const body = {
        version: '1.0.0',
        format: 'onnx',
        files: [{ path: 'model.onnx', data: onnx.toString('base64') }],
      };
      const publish = (app: typeof a) =>
        app.inject({
          method: 'POST',
          url: '/v1/models/digits/versions',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
      const results = await Promise.all([publish(a), publish(b)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 201]);
      const m = await b.inject({
        method: 'GET',
        url: '/v1/models/digits/manifest?device=d',
        headers: { authorization: `Bearer ${ingest}` },
      });
      expect(m.json()).toMatchObject({ version: '1.0.0', assignment: 'stable' });
      const file = await b.inject({ method: 'GET', url: m.json().files[0].url });
      expect(createHash('sha256').update(file.rawPayload).digest('hex')).toBe(m.json().files[0].sha256);
    } finally {
      await a.close();
      await b.close();
      await sa.close();
      await sb.close();
    }
  });
});
