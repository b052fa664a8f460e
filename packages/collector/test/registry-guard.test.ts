import { readFile } from 'node:fs/promises';
import { numericFeature } from '@driftline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, DEV_KEYS, startCollector } from '../src/index.ts';
import { makeBatch, makeProfile } from './fixtures.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';

const models = new URL('../../../demo/public/models/digits/', import.meta.url);

describe('guarded rollout on a running collector (real HTTP, periodic job)', () => {
  let c: Collector;
  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${c.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: res.status,
      json: (await res.json()) as Record<string, unknown> & { entries?: unknown[] },
    };
  };

  beforeAll(async () => {
    c = await startCollector({
      port: 0,
      databaseUrl: await freshDatabaseUrl(),
      dev: true,
      logLevel: 'silent',
      rolloutIntervalMs: 200,
      compactIntervalMs: 200,
    });
    for (const version of ['1.0.0', '1.1.0']) {
      const data = (await readFile(new URL(`${version}/model.onnx`, models))).toString('base64');
      const r = await call('POST', '/v1/models/digits/versions', DEV_KEYS.admin, {
        version,
        format: 'onnx',
        files: [{ path: 'model.onnx', data }],
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => c.close());

  it('a candidate with lower feedback accuracy and drifted outputs is rolled back by itself, verdict and numbers in the history', async () => {
    await call('PUT', '/v1/models/digits/guard', DEV_KEYS.admin, {
      minSamples: 300,
      reason: 'test thresholds',
    });
    const r = await call('PUT', '/v1/models/digits/rollout', DEV_KEYS.admin, {
      candidate: '1.1.0',
      percent: 50,
    });
    expect(r.status).toBe(200);
    const start = Date.now();
    const window = (version: string, correct: number, shift: number, seed: number) => {
      const profile = makeProfile(400, { seed, shift });
      const fb = numericFeature(profile, 'feedback.correct');
      for (let i = 0; i < 400; i++) fb.add(i < correct * 400 ? 1 : 0);
      return makeBatch({ model: 'digits', version, profile, start }).windows[0]!;
    };
    // One batch, stored at once, so the 200 ms guard never sees half of it.
    const batch = makeBatch({ model: 'digits', start, deviceId: 'dev-1' });
    batch.windows = [
      window('1.0.0', 0.95, 0, 1),
      window('1.0.0', 0.95, 0, 2),
      window('1.1.0', 0.7, 1, 3),
      window('1.1.0', 0.7, 1, 4),
    ];
    expect((await call('POST', '/v1/telemetry', DEV_KEYS.ingest, batch)).status).toBe(200);
    let entries: {
      action: string;
      actor: string;
      reason: string;
      verdict: { checks: { name: string; result: string }[] };
    }[] = [];
    for (let i = 0; i < 100 && entries[0]?.action !== 'auto_rollback'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      entries = (await call('GET', '/v1/models/digits/history?limit=1', DEV_KEYS.read)).json
        .entries as typeof entries;
    }
    expect(entries[0]).toMatchObject({ action: 'auto_rollback', actor: 'guard' });
    const failed = entries[0]!.verdict.checks.filter((x) => x.result === 'fail').map((x) => x.name);
    expect(failed).toEqual(['drift', 'accuracy']);
    const manifest = await call('GET', '/v1/models/digits/manifest?device=dev-1', DEV_KEYS.ingest);
    expect(manifest.json).toMatchObject({ version: '1.0.0', assignment: 'stable' });
    const status = await call('GET', '/v1/models/digits/status', DEV_KEYS.read);
    expect(status.json).toMatchObject({ policy: { candidate: null }, verdict: { result: 'fail' } });
  });
});
