import { readFile } from 'node:fs/promises';
import { encodeProfile, type Profile, toBase64 } from '@driftline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { createApp } from '../src/server/create-app.ts';
import type { Storage } from '../src/storage/storage.ts';
import { makeBatch } from './fixtures.ts';
import { TAB_SCHEMA_JSON, TAB_TENSORS, tabProfile } from './schema-fixtures.ts';

const ONNX = new URL('../../../demo/public/models/digits/1.0.0/model.onnx', import.meta.url);

/**
 * Drift with a model schema and `GET /v1/models/:name/performance`, end to end in process: a version
 * published over HTTP with its schema and a reference profile built with labels, telemetry built by
 * the protocol's summarizers, against one storage implementation.
 */
export function describePerformanceApi(name: string, open: () => Promise<Storage>): void {
  describe(`schema drift and performance API: ${name}`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let admin: string;
    let read: string;
    let ingest: string;
    let onnx: Buffer;
    const reference = tabProfile(4_000, { seed: 1, truth: true });
    const t0 = Math.floor((Date.now() - 50 * 60_000) / 60_000) * 60_000;
    const from = t0 - 60_000;
    // Minute 0: like the reference; minute 20: less sure (true accuracy ~0.65) and income shifted.
    const calm = tabProfile(2_000, { seed: 2, feedbackShare: 0.5 });
    const worse = tabProfile(2_000, {
      seed: 3,
      confidence: [0.55, 0.75],
      incomeShift: 0.5,
      feedbackShare: 0.5,
    });

    beforeAll(async () => {
      storage = await open();
      ({ app } = await createApp(storage, {
        logLevel: 'silent',
        rateLimit: { perDevicePerS: Number.POSITIVE_INFINITY },
      }));
      admin = (await createKey(storage, 'admin')).secret;
      read = (await createKey(storage, 'read')).secret;
      ingest = (await createKey(storage, 'ingest')).secret;
      onnx = await readFile(ONNX);
    });
    afterAll(async () => {
      await app.close();
      await storage.close();
    });

    const call = (method: 'GET' | 'POST', url: string, key: string, body?: unknown) =>
      app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
    const publish = async (model: string, version: string, extra: object) => {
      const res = await call('POST', `/v1/models/${model}/versions`, admin, {
        version,
        format: 'onnx',
        files: [{ path: 'model.onnx', data: onnx.toString('base64') }],
        ...TAB_TENSORS,
        ...extra,
      });
      expect(res.statusCode, res.body).toBe(201);
    };
    const send = async (model: string, version: string, minute: number, profile: Profile, device: string) => {
      const b = makeBatch({ model, version, deviceId: device, start: t0 + minute * 60_000, profile });
      const res = await call('POST', '/v1/telemetry', ingest, b);
      expect(res.statusCode, res.body).toBe(200);
    };

    it('publishes a version with its schema and labelled reference, then receives telemetry', async () => {
      await publish('tab', '1.0.0', {
        schema: TAB_SCHEMA_JSON,
        reference: toBase64(encodeProfile(reference.profile)),
      });
      await send('tab', '1.0.0', 0, calm.profile, 'd1');
      await send('tab', '1.0.0', 20, worse.profile, 'd2');
    });

    it('drift names each column, judges the embedding, and leaves the calibration sums out', async () => {
      const res = await call('GET', `/v1/models/tab/drift?version=1.0.0&from=${from}`, read);
      expect(res.statusCode, res.body).toBe(200);
      const d = res.json();
      expect(d.reference).toMatchObject({ kind: 'registry', version: '1.0.0' });
      expect(d.features['x.income'].status).toBe('alert');
      expect(d.features['x.age'].status).toBe('ok');
      expect(d.features['c.plan'].kind).toBe('categorical');
      expect(
        Object.keys(d.features).filter((f) => f.startsWith('probs.hit.') || /^emb\.rff/.test(f)),
      ).toEqual([]);
      expect(d.embeddings.emb).toMatchObject({ kind: 'embedding', status: 'ok', currentCount: 4_000 });
      expect(d.embeddings.emb.projections).toHaveLength(8);
      expect(d.status).toBe('alert');
    });

    it('answers estimated and realized accuracy per bucket, and over the range', async () => {
      const res = await call(
        'GET',
        `/v1/models/tab/performance?version=1.0.0&bucket=minute&from=${from}`,
        read,
      );
      expect(res.statusCode, res.body).toBe(200);
      const p = res.json();
      expect(p).toMatchObject({ model: 'tab', version: '1.0.0', output: 'probs', bucket: 'minute' });
      expect(p.referenceAccuracy).toBeCloseTo(reference.accuracy, 12);
      expect(p.reference).toEqual({ inferences: 4_000, predictions: 4_000 });
      expect(p.points.map((x: { t: number }) => x.t)).toEqual([t0, t0 + 20 * 60_000]);
      const [a, b] = p.points;
      expect(a).toMatchObject({ inferences: 2_000, predictions: 2_000, uncalibrated: 0 });
      expect(Math.abs(a.estimated - calm.accuracy)).toBeLessThan(0.03);
      expect(Math.abs(b.estimated - worse.accuracy)).toBeLessThan(0.03);
      expect(p.referenceAccuracy - b.estimated).toBeGreaterThan(0.1);
      expect(a.feedback).toBeGreaterThan(900);
      expect(Math.abs(a.realized - calm.accuracy)).toBeLessThan(0.05);
      expect(Math.abs(b.realized - worse.accuracy)).toBeLessThan(0.05);
      expect(p.window).toMatchObject({
        inferences: 4_000,
        predictions: 4_000,
        feedback: a.feedback + b.feedback,
      });
      expect(p.window.estimated).toBeCloseTo((a.estimated + b.estimated) / 2, 9);
      // Hour buckets hold the same predictions; without `version`, the version seen last.
      const hourly = (await call('GET', `/v1/models/tab/performance?from=${from}`, read)).json();
      expect(hourly.bucket).toBe('hour');
      expect(hourly.version).toBe('1.0.0');
      expect(hourly.points.reduce((n: number, x: { predictions: number }) => n + x.predictions, 0)).toBe(
        4_000,
      );
    });

    it('refuses with a stable code: no reference, no calibration, unknown model, bad query', async () => {
      await publish('tab', '0.9.0', { schema: TAB_SCHEMA_JSON });
      await publish('unlabelled', '1.0.0', {
        schema: TAB_SCHEMA_JSON,
        reference: toBase64(encodeProfile(tabProfile(500, { seed: 5 }).profile)),
      });
      const cases: [string, number, string][] = [
        ['/v1/models/tab/performance?version=0.9.0', 404, 'no_reference'],
        ['/v1/models/unlabelled/performance?version=1.0.0', 409, 'no_calibration'],
        ['/v1/models/tab/performance?version=1.0.0&output=emb', 409, 'no_calibration'],
        ['/v1/models/nobody/performance', 404, 'unknown_model'],
        ['/v1/models/tab/performance?bucket=week', 400, 'bad_request'],
      ];
      for (const [url, status, code] of cases) {
        const res = await call('GET', url, read);
        expect([res.statusCode, res.json().error.code], url).toEqual([status, code]);
      }
      expect((await call('GET', '/v1/models/tab/performance', ingest)).statusCode).toBe(403);
    });
  });
}
