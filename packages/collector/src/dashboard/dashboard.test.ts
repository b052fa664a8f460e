import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CategoricalSketch, encodeProfile, NumericSketch, toBase64 } from '@driftline/protocol';
import * as fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch, makeProfile } from '../../test/fixtures.ts';
import { TAB_SCHEMA_JSON, TAB_TENSORS, tabProfile } from '../../test/schema-fixtures.ts';
import { createKey } from '../auth/keys.ts';
import { createApp } from '../server/create-app.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { categoricalDistribution, numericDistribution } from './feature-distributions.ts';
import { serveDashboard } from './serve-dashboard.ts';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const sketch = (xs: number[]) => {
  const s = new NumericSketch();
  s.addMany(xs);
  return s;
};

describe('feature distributions', () => {
  it('shares over the reference deciles are a distribution on both sides', () => {
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 1, maxLength: 200 }),
        fc.array(finite, { maxLength: 200 }),
        (r, c) => {
          const d = numericDistribution(sketch(r), sketch(c));
          expect(d.reference.length).toBe(d.edges.length + 1);
          expect(d.current.length).toBe(d.edges.length + 1);
          for (const x of [...d.reference, ...d.current]) expect(x).toBeGreaterThanOrEqual(-1e-12);
          expect(sum(d.reference)).toBeCloseTo(1, 9);
          expect(sum(d.current)).toBeCloseTo(c.length === 0 ? 0 : 1, 9);
          for (let i = 1; i < d.edges.length; i++) expect(d.edges[i]!).toBeGreaterThan(d.edges[i - 1]!);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a shifted current puts its mass in the top reference bins', () => {
    const ref = sketch(Array.from({ length: 1000 }, (_, i) => i / 1000));
    const cur = sketch(Array.from({ length: 1000 }, (_, i) => 0.5 + i / 1000));
    const d = numericDistribution(ref, cur);
    expect(d.edges).toHaveLength(9);
    for (const s of d.reference) expect(s).toBeCloseTo(0.1, 1);
    expect(d.current[9]!).toBeGreaterThan(0.5);
    expect(d.current[0]!).toBe(0);
    expect(d.quantiles.current[4]! - d.quantiles.reference[4]!).toBeCloseTo(0.5, 1);
  });

  it('categorical shares per label, the most frequent first', () => {
    const r = new CategoricalSketch();
    const c = new CategoricalSketch();
    r.add('a', 6);
    r.add('b', 4);
    c.add('b', 9);
    c.add('c', 1);
    const d = categoricalDistribution(r, c);
    expect(d.labels).toEqual(['b', 'a', 'c']);
    expect(d.reference).toEqual([0.4, 0.6, 0]);
    expect(d.current).toEqual([0.9, 0, 0.1]);
  });
});

describe('serving the built dashboard', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftline-dashboard-dist-'));
    app = Fastify();
    await app.register(async (s) => serveDashboard(s, dir));
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 with how to build it while dist is missing, then serves the files', async () => {
    const missing = await app.inject('/');
    expect(missing.statusCode).toBe(503);
    expect(missing.headers['content-type']).toContain('text/html');
    expect(missing.body).toContain('pnpm --filter @driftline/collector build:dashboard');
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>ok</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.body).toContain('<title>ok</title>');
    const js = await app.inject('/assets/index-abc123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toContain('immutable');
  });

  it('never reads outside dist/assets', async () => {
    for (const url of [
      '/assets/..%2Findex.html',
      '/assets/..%2F..%2Fetc%2Fpasswd',
      '/assets/.hidden',
      '/assets/nope.js',
    ]) {
      expect((await app.inject(url)).statusCode, url).toBe(404);
    }
  });
});

describe('dashboard read routes', () => {
  let storage: Storage;
  let app: FastifyInstance;
  let read: string;
  let admin: string;
  beforeAll(async () => {
    storage = await openStorage({});
    ({ app } = await createApp(storage, { logLevel: 'silent', baselineInferences: 100 }));
    read = (await createKey(storage, 'read')).secret;
    admin = (await createKey(storage, 'admin')).secret;
    const ingest = (await createKey(storage, 'ingest')).secret;
    const now = Date.now();
    const batches = [
      makeBatch({ start: now - 3 * 3_600_000, profile: makeProfile(200, { seed: 1 }), deviceId: 'a' }),
      makeBatch({ start: now - 120_000, profile: makeProfile(300, { seed: 2, shift: 2 }), deviceId: 'b' }),
    ];
    for (const b of batches) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: { authorization: `Bearer ${ingest}` },
        payload: b,
      });
      expect(res.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await app.close();
    await storage.close();
  });

  it('whoami names the role of the key', async () => {
    const get = (key: string) =>
      app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    expect((await get(read)).json()).toMatchObject({ role: 'read' });
    expect((await get(admin)).json()).toMatchObject({ role: 'admin' });
    expect((await app.inject('/v1/whoami')).statusCode).toBe(401);
  });

  it('distributions show the shifted current against the baseline', async () => {
    const res = await app.inject({
      url: '/v1/models/digits/drift/distributions?version=1.0.0&reference=baseline',
      headers: { authorization: `Bearer ${read}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const f0 = body.features.f0;
    expect(f0.kind).toBe('numeric');
    expect(f0.current[f0.current.length - 1]).toBeGreaterThan(0.5);
    expect(body.features.argmax.kind).toBe('categorical');
    const missing = await app.inject({
      url: '/v1/models/digits/drift/distributions',
      headers: { authorization: `Bearer ${read}` },
    });
    expect(missing.statusCode).toBe(400);
  });

  it("distributions leave out the schema's summary-only features, as drift does", async () => {
    const onnx = await readFile(
      new URL('../../../../demo/public/models/digits/1.0.0/model.onnx', import.meta.url),
    );
    const reference = tabProfile(2_000, { seed: 1, truth: true }).profile;
    const published = await app.inject({
      method: 'POST',
      url: '/v1/models/tab/versions',
      headers: { authorization: `Bearer ${admin}` },
      payload: {
        version: '1.0.0',
        format: 'onnx',
        files: [{ path: 'model.onnx', data: onnx.toString('base64') }],
        ...TAB_TENSORS,
        schema: TAB_SCHEMA_JSON,
        reference: toBase64(encodeProfile(reference)),
      },
    });
    expect(published.statusCode, published.body).toBe(201);
    const ingest = (await createKey(storage, 'ingest')).secret;
    const window = tabProfile(1_000, { seed: 2 }).profile;
    const sent = await app.inject({
      method: 'POST',
      url: '/v1/telemetry',
      headers: { authorization: `Bearer ${ingest}` },
      payload: makeBatch({ model: 'tab', version: '1.0.0', start: Date.now() - 120_000, profile: window }),
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const summaryOnly = (f: string) => f.startsWith('probs.hit.') || /^emb\.rff\d+$/.test(f);
    // The window holds them: leaving them out is the route's doing.
    expect(Object.keys(window.features).filter(summaryOnly).length).toBeGreaterThan(0);

    const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${read}` } });
    const dist = await get('/v1/models/tab/drift/distributions?version=1.0.0');
    expect(dist.statusCode, dist.body).toBe(200);
    const features = Object.keys(dist.json().features);
    expect(features).toEqual(expect.arrayContaining(['x.age', 'x.income', 'c.plan']));
    expect(features.filter(summaryOnly)).toEqual([]);
    const drift = (await get('/v1/models/tab/drift?version=1.0.0')).json();
    expect(features.sort()).toEqual(Object.keys(drift.features).sort());
  });

  it('latency over time: one series per backend with the quantile per minute', async () => {
    const res = await app.inject({
      url: `/v1/models/digits/latency/timeseries?by=backend&quantile=0.5&from=${Date.now() - 3_600_000}`,
      headers: { authorization: `Bearer ${read}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.series.map((s: { key: string }) => s.key)).toEqual(['wasm']);
    const points = body.series[0].points as [number, number][];
    expect(points).toHaveLength(1);
    expect(points[0]![0] % 60_000).toBe(0);
    expect(points[0]![1]).toBeGreaterThan(0);
    const bad = await app.inject({
      url: '/v1/models/digits/latency/timeseries?by=version',
      headers: { authorization: `Bearer ${read}` },
    });
    expect(bad.statusCode).toBe(400);
  });
});
