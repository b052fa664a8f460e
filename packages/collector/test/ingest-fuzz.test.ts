import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { createApp } from '../src/server/create-app.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import type { Storage } from '../src/storage/storage.ts';
import { storageCounts } from './collector-api.cases.ts';
import { makeBatch, makeProfile } from './fixtures.ts';

// 4 properties x 2,500 runs = 10,000 malformed bodies through the real route (fastify.inject).
const RUNS = 2_500;

// A flipped bit in deflate padding or a cut gzip trailer can still inflate to the whole valid
// batch: such a body is not malformed, so the property skips it.
const gunzips = (b: Buffer) => {
  try {
    gunzipSync(b);
    return true;
  } catch {
    return false;
  }
};

describe('ingest fuzz: malformed bodies get a 4xx and leave storage unchanged', () => {
  let storage: Storage;
  let app: FastifyInstance;
  let key: string;
  let before: Awaited<ReturnType<typeof storageCounts>>;
  const valid = makeBatch({ model: 'fuzz', profile: makeProfile(3) });
  const validText = JSON.stringify(valid);
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    storage = await openStorage({});
    ({ app } = await createApp(storage, { logLevel: 'silent', bodyLimit: 64 * 1024 }));
    key = (await createKey(storage, 'ingest')).secret;
    before = await storageCounts(storage);
  });
  afterAll(async () => {
    expect(await storageCounts(storage)).toEqual(before);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    await app.close();
    await storage.close();
  });

  const send = async (payload: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/telemetry',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      payload,
    });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    const body = res.json() as { error?: { code?: unknown; message?: unknown } };
    return (
      res.statusCode >= 400 &&
      res.statusCode < 500 &&
      typeof body.error?.code === 'string' &&
      typeof body.error.message === 'string'
    );
  };

  it('any JSON value that is not a batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (v) => send(JSON.stringify(v) ?? 'null')),
      { numRuns: RUNS },
    );
  });

  it('a valid batch with one field broken (wrong type, missing, out of range)', async () => {
    const w = valid.windows[0]!;
    const notString = fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.constant(''),
    );
    const notTime = fc.oneof(
      fc.string(),
      fc.double({ noInteger: true }),
      fc.constant(-1),
      fc.constant(null),
      fc.constant(Number.MAX_VALUE),
    );
    const mutation = fc.oneof(
      fc
        .record({ field: fc.constantFrom('batchId', 'deviceId', 'sdkVersion'), value: notString })
        .map(({ field, value }) => ({ ...valid, [field]: value })),
      fc
        .record({
          field: fc.constantFrom('model', 'version', 'backend', 'segment', 'profile'),
          value: notString,
        })
        .map(({ field, value }) => ({ ...valid, windows: [{ ...w, [field]: value }] })),
      fc.record({ field: fc.constantFrom('start', 'end'), value: notTime }).map(({ field, value }) => ({
        ...valid,
        windows: [{ ...w, [field]: value }],
      })),
      fc.constantFrom('v', 'batchId', 'deviceId', 'sentAt', 'windows').map((field) => {
        const copy: Record<string, unknown> = { ...valid };
        delete copy[field];
        return copy;
      }),
      fc.integer({ min: 1, max: 1e9 }).map((d) => ({ ...valid, windows: [{ ...w, end: w.start - d }] })),
      fc
        .integer({ min: 86_400_000, max: 1e12 })
        .map((d) => ({ ...valid, windows: [{ ...w, start: Date.now() + d, end: Date.now() + d }] })),
      fc.constantFrom(0, 2, '1', null).map((v) => ({ ...valid, v })),
      fc.constantFrom('canary', '', 1, null).map((role) => ({ ...valid, windows: [{ ...w, role }] })),
      fc
        .integer({ min: 101, max: 150 })
        .map((n) => ({ ...valid, windows: Array.from({ length: n }, () => w) })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({
        ...valid,
        windows: [{ ...w, profile: Buffer.from([0xff, ...b]).toString('base64') }],
      })),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (b) => send(JSON.stringify(b))),
      { numRuns: RUNS },
    );
  });

  it('truncated, corrupted or random bytes, plain or gzip', async () => {
    const bytes = fc.oneof(
      fc.integer({ min: 0, max: validText.length - 1 }).map((n) => Buffer.from(validText.slice(0, n))),
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 256 }).map((s) => Buffer.from(s)),
    );
    await fc.assert(
      fc.asyncProperty(bytes, fc.boolean(), async (b, gzip) =>
        gzip ? send(gzipSync(b), { 'content-encoding': 'gzip' }) : send(b.length ? b : Buffer.from(' ')),
      ),
      { numRuns: RUNS },
    );
  });

  it('broken gzip streams and wrong headers', async () => {
    const gz = gzipSync(validText);
    const cases = fc.oneof(
      fc
        .integer({ min: 0, max: gz.length - 1 })
        .map((n) => ({ payload: gz.subarray(0, n), headers: { 'content-encoding': 'gzip' } })),
      fc
        .tuple(fc.integer({ min: 10, max: gz.length - 9 }), fc.integer({ min: 1, max: 255 }))
        .map(([i, x]) => {
          const copy = Buffer.from(gz);
          copy[i] = copy[i]! ^ x;
          return { payload: copy, headers: { 'content-encoding': 'gzip' } };
        }),
      fc
        .constantFrom('deflate', 'br', 'zstd', 'gzip, br')
        .map((enc) => ({ payload: gz, headers: { 'content-encoding': enc } })),
      fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/octet-stream',
          'multipart/form-data',
        )
        .map((ct) => ({ payload: Buffer.from(validText), headers: { 'content-type': ct } })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const h: Record<string, string> = c.headers;
        fc.pre(!(h['content-encoding'] === 'gzip' && !h['content-type'] && gunzips(c.payload)));
        return send(c.payload, h);
      }),
      { numRuns: RUNS },
    );
  });
});
