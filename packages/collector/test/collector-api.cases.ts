import { gzipSync } from 'node:zlib';
import { encodeProfile } from '@driftline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { prepareBatch } from '../src/ingest/prepare-batch.ts';
import { storeBatches } from '../src/ingest/store-batch.ts';
import { compactOnce, dropFineRollups } from '../src/rollups/compactor.ts';
import { PartCache, partCacheFor } from '../src/rollups/part-cache.ts';
import { minuteBucket } from '../src/rollups/rollup-key.ts';
import { createApp } from '../src/server/create-app.ts';
import type { Storage } from '../src/storage/storage.ts';
import { makeBatch, makeProfile } from './fixtures.ts';

/** Row counts of every table ingest writes: must not move on a rejected request. */
export async function storageCounts(storage: Storage) {
  const rows = await storage.query<{ b: number; p: number; r: number; d: number }>(
    `SELECT (SELECT count(*) FROM batches)::integer AS b, (SELECT count(*) FROM rollup_parts)::integer AS p,
            (SELECT count(*) FROM rollups)::integer AS r, (SELECT count(*) FROM model_devices)::integer AS d`,
  );
  return rows[0]!;
}

/** The collector API, end to end in process (fastify.inject), against one storage implementation. */
export function describeCollectorApi(name: string, open: () => Promise<Storage>): void {
  describe(`collector API: ${name}`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let ingestKey: string;
    let readKey: string;
    let originKey: string;

    beforeAll(async () => {
      storage = await open();
      ({ app } = await createApp(storage, {
        logLevel: 'silent',
        rateLimit: { perDevicePerS: Number.POSITIVE_INFINITY },
        baselineInferences: 500,
      }));
      ingestKey = (await createKey(storage, 'ingest')).secret;
      readKey = (await createKey(storage, 'read')).secret;
      originKey = (await createKey(storage, 'ingest', { origins: ['https://app.example'] })).secret;
    });
    afterAll(async () => {
      await app.close();
      await storage.close();
    });

    const post = (body: unknown, headers: Record<string, string> = {}, key: string | null = ingestKey) =>
      app.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...headers,
        },
        payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      });
    const get = (url: string, key = readKey) =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

    it('stores a batch once: a retry answers duplicate and changes nothing', async () => {
      const batch = makeBatch({ model: 'once', profile: makeProfile(7) });
      const first = await post(batch);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ accepted: true, duplicate: false });
      const before = await storageCounts(storage);
      const again = await post(batch);
      expect(again.json()).toEqual({ accepted: true, duplicate: true });
      expect(await storageCounts(storage)).toEqual(before);
      expect((await get('/v1/models/once/summary')).json()).toMatchObject({ inferences: 7, devices: 1 });
    });

    it('stores a group of batches in one statement, a repeated id once, and maps part ids', async () => {
      const prep = (n: number, id?: string) =>
        prepareBatch(
          makeBatch({ model: 'group', batchId: id, deviceId: `g${n}`, profile: makeProfile(n) }),
          null,
        ).prepared;
      const a = prep(2, 'group-a');
      const b = prep(3, 'group-b');
      const results = await storeBatches(storage, [a, b, prep(2, 'group-a')]);
      expect(results.map((r) => r.duplicate)).toEqual([false, false, true]);
      expect((await storeBatches(storage, [prep(2, 'group-a'), prep(5)])).map((r) => r.duplicate)).toEqual(
        [false, false].map((_, i) => i === 0),
      );
      const rows = await storage.query<{ id: number; inferences: number }>(
        "SELECT id, inferences FROM rollup_parts WHERE model = 'group' ORDER BY id",
      );
      const ids = [...results[0]!.partIds.values(), ...results[1]!.partIds.values()];
      expect(rows.slice(0, 2).map((r) => [Number(r.id), Number(r.inferences)])).toEqual([
        [ids[0], 2],
        [ids[1], 3],
      ]);
      expect((await get('/v1/models/group/summary')).json()).toMatchObject({ inferences: 10 });
    });

    it('stores two groups holding the same batches in opposite orders at once, each batch once', async () => {
      // Two replicas' group commits can hold the same retried batches in different orders; each
      // statement takes the ids' index locks in batch-id order, so neither waits on the other in a cycle.
      for (let round = 0; round < 5; round++) {
        const group = Array.from(
          { length: 100 },
          (_, n) =>
            prepareBatch(
              makeBatch({ model: 'cross', deviceId: `x${n}`, profile: makeProfile(1 + (n % 3)) }),
              null,
            ).prepared,
        );
        const results = await Promise.all([
          storeBatches(storage, group),
          storeBatches(storage, [...group].reverse()),
        ]);
        const stored = results.flat().filter((r) => !r.duplicate);
        expect(stored).toHaveLength(group.length);
      }
      const made = 5 * Array.from({ length: 100 }, (_, n) => 1 + (n % 3)).reduce((a, b) => a + b);
      expect((await get('/v1/models/cross/summary')).json()).toMatchObject({ inferences: made });
    });

    it("compacts its own parts first and another replica's only a round later", async () => {
      while ((await compactOnce(storage)) > 0); // earlier tests' parts out of the way
      // Two replicas' part caches on one storage: each stores 2 parts, as its ingest route would.
      const replicas = [new PartCache(), new PartCache()];
      for (const [r, cache] of replicas.entries()) {
        for (const n of [1, 2]) {
          const { prepared } = prepareBatch(
            makeBatch({ model: 'claim', deviceId: `r${r}-${n}`, profile: makeProfile(n) }),
            null,
          );
          const [result] = await storeBatches(storage, [prepared]);
          for (const part of prepared.parts) cache.set([...result!.partIds.values()][0]!, part.decoded);
        }
      }
      const pending = async () =>
        (
          await storage.query<{ n: number }>(
            "SELECT count(*)::integer AS n FROM rollup_parts WHERE model = 'claim'",
          )
        )[0]!.n;
      const [a, b] = replicas as [PartCache, PartCache];
      expect(await compactOnce(storage, 100, a)).toBe(2); // its own two; b's are new to it
      expect(a.size).toBe(0);
      expect(await pending()).toBe(2);
      expect(await compactOnce(storage, 100, b)).toBe(2); // b's own, from its cache
      expect(b.size).toBe(0);
      // A dead replica's parts: stored, never cached anywhere, compacted a round later.
      const { prepared } = prepareBatch(makeBatch({ model: 'claim', profile: makeProfile(4) }), null);
      await storeBatches(storage, [prepared]);
      expect(await compactOnce(storage, 100, a)).toBe(0);
      expect(await compactOnce(storage, 100, a)).toBe(1);
      expect((await get('/v1/models/claim/summary')).json()).toMatchObject({ inferences: 10 });
    });

    it('accepts gzip and merges several windows of one key', async () => {
      const batch = makeBatch({ model: 'gz', windows: 3, profile: makeProfile(5) });
      const res = await post(gzipSync(JSON.stringify(batch)), { 'content-encoding': 'gzip' });
      expect(res.statusCode).toBe(200);
      expect((await get('/v1/models/gz/summary')).json()).toMatchObject({ inferences: 15 });
    });

    it('answers 401 without or with a wrong key, 403 with the wrong role', async () => {
      const batch = makeBatch({ model: 'auth' });
      expect((await post(batch, {}, null)).json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect((await post(batch, {}, 'dl_ingest_nope')).statusCode).toBe(401);
      const wrongRole = await post(batch, {}, readKey);
      expect(wrongRole.statusCode).toBe(403);
      expect(wrongRole.json().error.code).toBe('forbidden');
      expect((await get('/v1/models', ingestKey)).statusCode).toBe(403);
      expect((await get('/v1/models', 'nope')).statusCode).toBe(401);
    });

    it("checks the origin against an ingest key's origins and answers CORS preflights", async () => {
      const batch = makeBatch({ model: 'cors' });
      const wrongOrigin = await post(batch, { origin: 'https://evil.example' }, originKey);
      expect(wrongOrigin.statusCode).toBe(403);
      expect(wrongOrigin.json().error.code).toBe('origin_not_allowed');
      expect((await post(batch, { origin: 'https://app.example' }, originKey)).statusCode).toBe(200);
      const pre = await app.inject({
        method: 'OPTIONS',
        url: '/v1/telemetry',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
      const denied = await app.inject({
        method: 'OPTIONS',
        url: '/v1/telemetry',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      // This suite also has an ingest key without origins, which accepts any origin (docs/collector.md).
      expect(denied.statusCode).toBe(204);
      expect(denied.headers['access-control-allow-origin']).toBe('https://evil.example');
    });

    it('refuses bad input with a stable code and leaves storage unchanged', async () => {
      const before = await storageCounts(storage);
      const now = Date.now();
      const good = makeBatch({ model: 'bad' });
      const gz = gzipSync(JSON.stringify(good));
      const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
      const cases: [
        string,
        () => Promise<{ statusCode: number; json(): { error: { code: string } } }>,
        number,
        string,
      ][] = [
        [
          'truncated gzip',
          () => post(gz.subarray(0, gz.length - 10), { 'content-encoding': 'gzip' }),
          400,
          'invalid_batch',
        ],
        ['not gzip', () => post('{"v":1}', { 'content-encoding': 'gzip' }), 400, 'invalid_batch'],
        ['zip bomb', () => post(bomb, { 'content-encoding': 'gzip' }), 413, 'payload_too_large'],
        ['brotli', () => post(gz, { 'content-encoding': 'br' }), 415, 'unsupported_media_type'],
        [
          'text/plain',
          () => post(JSON.stringify(good), { 'content-type': 'text/plain' }),
          415,
          'unsupported_media_type',
        ],
        ['malformed JSON', () => post('{"v":1,'), 400, 'invalid_batch'],
        ['NaN count', () => post(JSON.stringify({ ...good, sentAt: 'NaN' })), 400, 'invalid_batch'],
        [
          'end before start',
          () => post({ ...good, windows: [{ ...good.windows[0]!, end: good.windows[0]!.start - 1 }] }),
          400,
          'invalid_batch',
        ],
        [
          'far future',
          () => post(makeBatch({ model: 'bad', start: now + 86_400_000 })),
          400,
          'invalid_batch',
        ],
        [
          'undecodable profile',
          () => post({ ...good, windows: [{ ...good.windows[0]!, profile: 'AAAAAAAA' }] }),
          400,
          'invalid_batch',
        ],
        [
          '10 MB string',
          () => post({ ...good, deviceId: 'x'.repeat(10 * 1024 * 1024) }),
          413,
          'payload_too_large',
        ],
        ['no windows', () => post({ ...good, windows: [] }), 400, 'invalid_batch'],
        [
          'ten thousand categorical labels',
          () => post({ ...good, windows: [{ ...good.windows[0]!, profile: tenThousandLabels() }] }),
          400,
          'invalid_batch',
        ],
      ];
      for (const [label, send, status, code] of cases) {
        const res = await send();
        expect({ label, status: res.statusCode, code: res.json().error.code }).toEqual({
          label,
          status,
          code,
        });
      }
      expect(await storageCounts(storage)).toEqual(before);
    });

    it('answers summary, latency, timeseries and models from rollups and parts alike', async () => {
      const start = Date.now() - 5 * 60_000;
      const sends = [
        makeBatch({
          model: 'q',
          backend: 'wasm',
          deviceId: 'a',
          start,
          profile: makeProfile(10, { latencyMs: 4 }),
        }),
        makeBatch({
          model: 'q',
          backend: 'webgpu',
          deviceId: 'b',
          start,
          profile: makeProfile(20, { latencyMs: 40 }),
        }),
        makeBatch({
          model: 'q',
          backend: 'wasm',
          version: '2.0.0',
          deviceId: 'a',
          start: start + 60_000,
          profile: makeProfile(5, { errors: 1 }),
        }),
      ];
      for (const b of sends) expect((await post(b)).statusCode).toBe(200);
      const check = async () => {
        const summary = (await get('/v1/models/q/summary')).json();
        expect(summary).toMatchObject({ inferences: 35, errors: 1, devices: 2 });
        expect(summary.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '2.0.0']);
        const lat = (await get('/v1/models/q/latency?by=backend&version=1.0.0')).json();
        expect(lat.groups.map((g: { key: string; inferences: number }) => [g.key, g.inferences])).toEqual([
          ['wasm', 10],
          ['webgpu', 20],
        ]);
        const [wasm, gpu] = lat.groups;
        expect(wasm.p50).toBeGreaterThan(1);
        expect(gpu.p50).toBeGreaterThan(wasm.p99);
        const ts = (await get('/v1/models/q/timeseries?metric=inferences&bucket=minute')).json();
        expect(ts.points.map((p: [number, number]) => p[1])).toEqual([30, 5]);
        const hourly = (await get('/v1/models/q/timeseries?metric=inferences&bucket=hour')).json();
        expect(hourly.points.reduce((n: number, p: [number, number]) => n + p[1], 0)).toBe(35);
        const p99 = (await get('/v1/models/q/timeseries?metric=latency_p99&bucket=day')).json();
        expect(Math.max(...p99.points.map((p: [number, number]) => p[1]))).toBeGreaterThan(40);
        const rate = (
          await get('/v1/models/q/timeseries?metric=error_rate&bucket=hour&version=2.0.0')
        ).json();
        expect(rate.points).toEqual([[expect.any(Number), 1 / 5]]);
        const models = (await get('/v1/models')).json().models.map((m: { name: string }) => m.name);
        expect(models).toContain('q');
      };
      await check();
      while ((await compactOnce(storage)) > 0);
      await check();
      expect((await get('/v1/models/unknown/summary')).json().error.code).toBe('unknown_model');
      expect((await get('/v1/models/q/latency?by=nope')).json().error.code).toBe('bad_request');
      expect((await get('/v1/models/q/drift?reference=registry')).json().error.code).toBe('no_reference');
      expect((await get('/v1/models/q/drift?reference=bogus')).json().error.code).toBe('bad_request');
    });

    it('answers drift against the baseline and against another version', async () => {
      const t0 = Date.now() - 3 * 3_600_000;
      const recent = Math.floor((Date.now() - 20 * 60_000 - t0) / 60_000);
      const send = (version: string, minute: number, shift: number, seed: number) =>
        post(
          makeBatch({
            model: 'drift',
            version,
            deviceId: `d${seed}`,
            start: t0 + minute * 60_000,
            profile: makeProfile(300, { seed, shift }),
          }),
        );
      for (const [m, seed] of [
        [0, 1],
        [1, 2],
      ] as const)
        expect((await send('1.0.0', m, 0, seed)).statusCode).toBe(200);
      for (const [m, seed] of [
        [recent, 3],
        [recent + 1, 4],
      ] as const)
        expect((await send('1.0.0', m, 0, seed)).statusCode).toBe(200);
      for (const [m, seed] of [
        [recent, 5],
        [recent + 1, 6],
      ] as const)
        expect((await send('2.0.0', m, 3, seed)).statusCode).toBe(200);
      const from = Date.now() - 30 * 60_000;
      const same = (await get(`/v1/models/drift/drift?version=1.0.0&from=${from}`)).json();
      expect(same.reference).toMatchObject({ kind: 'baseline', version: '1.0.0', inferences: 600 });
      expect(same.window.inferences).toBe(600);
      expect(Object.keys(same.features)).toEqual(expect.arrayContaining(['f0', 'f15', 'argmax']));
      expect(same.features.f0.status).not.toBe('alert');
      const shifted = (
        await get(`/v1/models/drift/drift?version=2.0.0&from=${from}&reference=version:1.0.0`)
      ).json();
      expect(shifted.reference).toMatchObject({ kind: 'version', version: '1.0.0' });
      expect(shifted.features.f0.status).toBe('alert');
      expect(shifted.status).toBe('alert');
      expect(shifted.features.argmax.status).not.toBe('alert');
      await storage.query(
        `INSERT INTO model_versions (model, version, format, files, reference) VALUES ('drift', '2.0.0', 'onnx', '[]', $1)`,
        [encodeProfile(makeProfile(600, { seed: 9, shift: 3 }))],
      );
      const registry = (await get(`/v1/models/drift/drift?version=2.0.0&from=${from}`)).json();
      expect(registry.reference).toMatchObject({ kind: 'registry', version: '2.0.0', inferences: 600 });
      expect(registry.features.f0.status).not.toBe('alert');
      expect(
        (await get(`/v1/models/drift/drift?version=2.0.0&from=${from}&reference=baseline`)).json().reference
          .kind,
      ).toBe('baseline');
      const missing = (await get('/v1/models/drift/drift?version=2.0.0&reference=version:9.9.9')).json();
      expect(missing.error.code).toBe('no_reference');
    });

    it('answers the same after minute rollups are coarsened to hours', async () => {
      const t = Date.now() - 2 * 3_600_000;
      for (let i = 0; i < 3; i++) {
        const b = makeBatch({
          model: 'coarse',
          deviceId: `c${i}`,
          start: t + i * 7 * 60_000,
          profile: makeProfile(4 + i, { seed: i }),
        });
        expect((await post(b)).statusCode).toBe(200);
      }
      while ((await compactOnce(storage)) > 0);
      const range = `from=${t - 3_600_000}&to=${Date.now()}`;
      const before = (await get(`/v1/models/coarse/latency?${range}`)).json().groups[0];
      expect(before.inferences).toBe(15);
      await dropFineRollups(storage, minuteBucket(Date.now()));
      const levels = await storage.query<{ r: number }>(
        "SELECT DISTINCT resolution AS r FROM rollups WHERE model = 'coarse' ORDER BY 1",
      );
      expect(levels.map((l) => l.r)).toEqual([60, 1440]);
      expect((await get(`/v1/models/coarse/summary?${range}`)).json()).toMatchObject({ inferences: 15 });
      expect((await get(`/v1/models/coarse/latency?${range}`)).json().groups[0]).toEqual(before);
    });

    it('merges concurrent writers and compactors without losing an update', async () => {
      const start = Date.now() - 2 * 60_000;
      const batches = Array.from({ length: 40 }, (_, i) =>
        makeBatch({ model: 'race', deviceId: `d${i}`, start, profile: makeProfile(i + 1, { seed: i }) }),
      );
      const compactors = Promise.all(
        // One compactor uses the ingest path's decoded profiles, the other decodes the stored bytes.
        [0, 1].map(async (c) => {
          for (let i = 0; i < 10; i++) await compactOnce(storage, 5, c ? partCacheFor(storage) : undefined);
        }),
      );
      const results = await Promise.all(batches.flatMap((b) => [post(b), post(b)]));
      await compactors;
      expect(results.every((r) => r.statusCode === 200)).toBe(true);
      expect(results.filter((r) => r.json().duplicate === false)).toHaveLength(40);
      while ((await compactOnce(storage)) > 0);
      const expected = (40 * 41) / 2;
      expect((await get('/v1/models/race/summary')).json()).toMatchObject({
        inferences: expected,
        devices: 40,
      });
      const rows = await storage.query<{ n: number }>(
        "SELECT count(*)::integer AS n FROM rollups WHERE model = 'race' AND resolution = 1",
      );
      expect(rows[0]!.n).toBe(1);
      const levels = await storage.query<{ r: number; n: number }>(
        "SELECT resolution AS r, sum(inferences)::integer AS n FROM rollups WHERE model = 'race' GROUP BY 1 ORDER BY 1",
      );
      expect(levels).toEqual([1, 10, 60, 1440].map((r) => ({ r, n: expected })));
      const lat = (await get('/v1/models/race/latency')).json();
      expect(lat.groups[0].samples).toBe(expected);
    });

    it('serves health, readiness, metrics and an OpenAPI document', async () => {
      expect((await app.inject('/healthz')).json()).toEqual({ ok: true });
      expect((await app.inject('/readyz')).json()).toMatchObject({ ready: true });
      const metrics = (await app.inject('/metrics')).body;
      expect(metrics).toContain('driftline_ingest_batches_total{result="stored"}');
      expect(metrics).toContain('driftline_rejects_total{code="invalid_batch"}');
      const doc = (await app.inject('/openapi.json')).json();
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/telemetry',
          '/v1/models/{name}/drift',
          '/v1/models/{name}/latency',
          '/metrics',
        ]),
      );
      expect((await app.inject('/nope')).json().error.code).toBe('not_found');
    });
  });
}

/**
 * A profile (format version 1, hand-written bytes: no encoder makes one) whose one categorical
 * feature claims 10,000 distinct labels, past the 1,024-label cap of the wire format.
 */
function tenThousandLabels(): string {
  const varint = (n: number): number[] =>
    n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(Math.floor(n / 0x80))];
  const text = (t: string): number[] => [...varint(t.length), ...Buffer.from(t)];
  const labels = Array.from({ length: 10_000 }, (_, i) => [...text(`label-${i}`), 1]).flat();
  // version, inferences, errors, no latency stages, one feature "argmax" of kind categorical,
  // maxLabels, maxLabelLength, label count, the labels with their counts, other.
  const bytes = [
    1,
    ...varint(10_000),
    0,
    0,
    1,
    ...text('argmax'),
    1,
    ...varint(10_000),
    64,
    ...varint(10_000),
    ...labels,
    0,
  ];
  return Buffer.from(bytes).toString('base64');
}
