import { readFile } from 'node:fs/promises';
import { categoricalFeature, createProfile, latencySketch, numericFeature } from '@driftline/protocol';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../src/alerts/evaluate-alerts.ts';
import { createKey } from '../src/auth/keys.ts';
import { createApp } from '../src/server/create-app.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import type { Storage } from '../src/storage/storage.ts';
import { makeBatch, makeProfile } from './fixtures.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';

// 4 properties, 1,450 generated requests per storage (PGlite, PostgreSQL) against the analyst and
// admin routes of /openapi.json: odd path parameters, query strings, bodies and Authorization
// headers, through the real routes (fastify.inject). Every answer is a 2xx or a 4xx with a coded
// JSON error, never a 5xx; a refused request leaves every table as it was; the collector answers
// afterwards.

interface Operation {
  parameters?: { name: string; in: 'path' | 'query' }[];
  requestBody?: { content?: { 'application/json'?: { schema?: { properties?: object } } } };
  security?: Record<string, string[]>[];
}
interface Op {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  roles: string[];
  pathParams: string[];
  queryParams: string[];
  bodyFields: string[] | null;
}
interface Request {
  op: Op;
  role: 'read' | 'admin';
  url: string;
  payload?: string | Buffer;
  headers?: Record<string, string>;
}

const MODEL = 'fuzz-model';
const MODELS = new URL('../../../demo/public/models/digits/', import.meta.url);
const PLAUSIBLE: Record<string, string> = { name: MODEL, version: '1.0.0', device: 'device-1' };
// Tables whose rows may move without a change being made (rate-limit buckets).
const VOLATILE = new Set(['rate_buckets']);

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '.',
    '..',
    '../..',
    '../../etc/passwd',
    '..\\..\\windows\\win.ini',
    '/etc/passwd',
    "' OR 1=1 --",
    '"; DROP TABLE batches; --',
    '\u0000',
    'a\u0000b',
    '__proto__',
    'constructor',
    '<script>alert(1)</script>',
    '\uFEFF\u202E',
    'NaN',
    'Infinity',
    '-1',
    '1e309',
    '0x10',
    '9'.repeat(40),
    'null',
    'true',
    '[]',
    '{}',
    '🙂'.repeat(100),
    'version:',
    'version:../../x',
    'registry',
  ),
  fc.integer({ min: 60, max: 5_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: -1e6, max: 1e15 }).map(String),
);
// A path segment as a client may send it, as far as the router lets it through to the route (at
// most 100 characters, decodable; see the known issue below for the others).
const pathSegment = fc.oneof(
  { weight: 4, arbitrary: oddString.map(encodeURIComponent).filter((s) => s.length <= 100) },
  fc.constantFrom('%2e%2e', '%2F', '..%2F..%2F', '%00', 'a%00b', '.', '~', '%20'),
);
const wrongValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  oddString,
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, true, false, null, [], {}),
);

function describeApiFuzz(name: string, open: () => Promise<Storage>): void {
  describe(`API fuzz (${name}): odd requests to analyst and admin routes get a 2xx or a coded 4xx`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let ops: Op[];
    let tables: string[];
    let last: Record<string, number>;
    const keys = { read: '', admin: '', ingest: '' };
    const statuses = new Map<number, number>();

    const counts = async (): Promise<Record<string, number>> => {
      const cols = tables.map((t) => `(SELECT count(*) FROM "${t}")::integer AS "${t}"`).join(', ');
      return (await storage.query<Record<string, number>>(`SELECT ${cols}`))[0]!;
    };

    beforeAll(async () => {
      storage = await open();
      ({ app } = await createApp(storage, { logLevel: 'silent' }));
      keys.read = (await createKey(storage, 'read')).secret;
      keys.admin = (await createKey(storage, 'admin')).secret;
      keys.ingest = (await createKey(storage, 'ingest')).secret;
      const auth = (k: string) => ({ authorization: `Bearer ${k}` });
      for (const version of ['1.0.0', '1.1.0']) {
        const onnx = await readFile(new URL(`${version}/model.onnx`, MODELS));
        const res = await app.inject({
          method: 'POST',
          url: `/v1/models/${MODEL}/versions`,
          headers: auth(keys.admin),
          payload: {
            version,
            format: 'onnx',
            files: [{ path: 'model.onnx', data: onnx.toString('base64') }],
          },
        });
        expect(res.statusCode, res.body).toBe(201);
        const batch = makeBatch({
          model: MODEL,
          version,
          profile: makeProfile(20, { seed: version.length }),
        });
        const ingest = await app.inject({
          method: 'POST',
          url: '/v1/telemetry',
          headers: auth(keys.ingest),
          payload: batch,
        });
        expect(ingest.statusCode, ingest.body).toBe(200);
      }
      const rollout = await app.inject({
        method: 'PUT',
        url: `/v1/models/${MODEL}/rollout`,
        headers: auth(keys.admin),
        payload: { candidate: '1.1.0', percent: 10 },
      });
      expect(rollout.statusCode, rollout.body).toBe(200);

      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, Operation>>;
      };
      ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
        Object.entries(byMethod).flatMap(([method, op]) => {
          const roles = op.security?.flatMap((s) => s.bearer ?? []) ?? [];
          if (!roles.includes('read') && !roles.includes('admin')) return [];
          const params = op.parameters ?? [];
          const schema = op.requestBody?.content?.['application/json']?.schema;
          return [
            {
              method: method.toUpperCase() as Op['method'],
              path,
              roles,
              pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
              queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
              bodyFields: op.requestBody ? Object.keys(schema?.properties ?? {}) : null,
            },
          ];
        }),
      );
      const rows = await storage.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
      );
      tables = rows.map((r) => r.table_name).filter((t) => !VOLATILE.has(t));
      last = await counts();
    });
    afterAll(async () => {
      await app?.close();
      await storage?.close();
    });

    const fill = (op: Op, segment: (name: string) => string) =>
      op.path.replace(/\{([^}]+)\}/g, (_, name: string) => segment(name));
    const plausible = (name: string) => encodeURIComponent(PLAUSIBLE[name] ?? 'x');
    const opArb = () => fc.constantFrom(...ops);
    const withBody = (op: Op) => op.bodyFields !== null || op.method === 'POST' || op.method === 'PUT';
    const roleFor = (op: Op) =>
      op.roles.includes('read')
        ? fc.constantFrom('read' as const, 'admin' as const)
        : fc.constant('admin' as const);

    /** Sends one request and checks the answer; refused requests must leave every table as it was. */
    const send = async (r: Request, authorization = `Bearer ${keys[r.role]}`, inProperty = true) => {
      const hasJson = r.payload !== undefined && !r.headers?.['content-type'];
      const res = await app.inject({
        method: r.op.method,
        url: r.url,
        headers: {
          authorization,
          ...(hasJson ? { 'content-type': 'application/json' } : {}),
          ...r.headers,
        },
        ...(r.payload !== undefined ? { payload: r.payload } : {}),
      });
      if (inProperty) statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const where = `${r.op.method} ${r.url.slice(0, 300)} (${r.role}) → ${res.statusCode} ${res.body.slice(0, 300)}`;
      expect(res.statusCode, where).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, where).toBeLessThan(500);
      const now = await counts();
      if (res.statusCode >= 400) {
        const body = res.json() as { error?: { code?: unknown; message?: unknown } };
        expect(typeof body.error?.code, where).toBe('string');
        expect(typeof body.error?.message, where).toBe('string');
        expect(now, where).toEqual(last);
      }
      last = now;
      return res;
    };

    it('path parameters: unicode, very long, traversal, undecodable', async () => {
      const req = opArb()
        .filter((op) => op.pathParams.length > 0)
        .chain((op) =>
          fc.record({
            op: fc.constant(op),
            role: roleFor(op),
            segments: fc.array(pathSegment, {
              minLength: op.pathParams.length,
              maxLength: op.pathParams.length,
            }),
          }),
        )
        .map(({ op, role, segments }) => {
          const url = fill(op, (name) => segments[op.pathParams.indexOf(name)] ?? 'x');
          return { op, role, url, ...(withBody(op) ? { payload: '{}' } : {}) } satisfies Request;
        });
      await fc.assert(
        fc.asyncProperty(req, async (r) => {
          await send(r);
        }),
        { numRuns: 400 },
      );
    });

    it('query strings: odd values, unknown, repeated and prototype keys', async () => {
      const entry = (op: Op) =>
        fc.tuple(
          fc.oneof(
            {
              weight: 3,
              arbitrary: op.queryParams.length ? fc.constantFrom(...op.queryParams) : fc.constant('x'),
            },
            fc.constantFrom('__proto__', 'constructor', 'from[]', 'to[0]', 'limit', 'reference', 'x'),
          ),
          fc.oneof(
            oddString.map(encodeURIComponent),
            fc.constantFrom('%', '%zz', '', '%00'),
            // Past int4, int8 and safe JS integers, and their negatives.
            fc
              .constantFrom('2147483648', '9223372036854775808', '99999999999999999999', '9007199254740993')
              .chain((n) => fc.constantFrom(n, `-${n}`, `${n}.5`)),
          ),
        );
      const req = opArb().chain((op) =>
        fc.record({
          op: fc.constant(op),
          role: roleFor(op),
          query: fc.array(entry(op), { minLength: 1, maxLength: 5 }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(req, async ({ op, role, query }) => {
          const qs = query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
          await send({
            op,
            role,
            url: `${fill(op, plausible)}?${qs}`,
            ...(withBody(op) ? { payload: '{}' } : {}),
          });
        }),
        { numRuns: 400 },
      );
    });

    it('bodies: wrong types, wrong fields, not JSON, wrong content type', async () => {
      const bodyFor = (op: Op) => {
        const fields = op.bodyFields?.length ? op.bodyFields : ['reason'];
        return fc.oneof(
          fc.jsonValue({ maxDepth: 3 }).map((v) => ({ payload: JSON.stringify(v) ?? 'null' })),
          fc
            .dictionary(fc.constantFrom(...fields, '__proto__', 'extra'), wrongValue, { maxKeys: 4 })
            .map((o) => ({ payload: JSON.stringify(o) })),
          fc
            .constantFrom('', '{', '{"a":', '[1,2', 'nul', '\u0000', '{"__proto__":{"x":1}}')
            .map((payload) => ({
              payload,
            })),
          fc.uint8Array({ maxLength: 256 }).map((b) => ({ payload: Buffer.from(b) })),
          fc
            .tuple(
              fc.constantFrom(
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/octet-stream',
                'multipart/form-data',
              ),
              fc.string({ maxLength: 64 }),
            )
            .map(([type, payload]) => ({ payload, headers: { 'content-type': type } })),
        );
      };
      const req = opArb()
        .filter(withBody)
        .chain((op) => fc.record({ op: fc.constant(op), role: roleFor(op), body: bodyFor(op) }));
      await fc.assert(
        fc.asyncProperty(req, async ({ op, role, body }) => {
          await send({ op, role, url: fill(op, plausible), ...body });
        }),
        { numRuns: 400 },
      );
    });

    it('Authorization headers that are not a valid key: 401 and nothing changes', async () => {
      const header = fc.oneof(
        fc.constantFrom(
          '',
          'Bearer',
          'Bearer ',
          'Basic dXNlcjpwYXNz',
          'bearer  ',
          'Token abc',
          `Bearer ${'x'.repeat(5000)}`,
        ),
        fc.string({ unit: 'binary-ascii', maxLength: 64 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        fc.string({ maxLength: 64 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'k')}k`),
      );
      await fc.assert(
        fc.asyncProperty(opArb(), header, async (op, h) => {
          const res = await send(
            { op, role: 'read', url: fill(op, plausible), ...(withBody(op) ? { payload: '{}' } : {}) },
            h,
          );
          expect(res.statusCode, `${op.method} ${op.path} with "${h.slice(0, 40)}"`).toBe(401);
        }),
        { numRuns: 250 },
      );
    });

    it('the requests these properties found answering 500 now get 400 bad_request', async () => {
      const found: [string, string, string, unknown?][] = [
        ['GET', '/v1/models/{name}/latency', '?from=128849018880000'], // minute bucket past int4
        ['GET', '/v1/models/{name}/summary', '?from=1e309'], // Infinity past Ajv's maximum
        ['GET', '/v1/models/{name}/history', '', 'a%00b'], // NUL in a path parameter
        ['GET', '/v1/events', '?model=%00'], // NUL in a query string
        ['PUT', '/v1/models/{name}/rollout', '', undefined], // NUL in a JSON body
        ['POST', '/v1/keys/{id}/rotate', '', '%00'],
        ['GET', '/v1/audit', '?before=99999999999999999999'], // past int8
      ];
      for (const [method, path, query, segment] of found) {
        const op = ops.find((o) => o.method === method && o.path === path);
        expect(op, `${method} ${path}`).toBeDefined();
        const url = `${fill(op!, (name) => (typeof segment === 'string' ? segment : plausible(name)))}${query}`;
        const payload =
          method === 'PUT'
            ? JSON.stringify({ candidate: '1.1.0', percent: 10, reason: 'a\u0000' })
            : undefined;
        const res = await send(
          { op: op!, role: 'admin', url, ...(payload ? { payload } : {}) },
          undefined,
          false,
        );
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error.code, url).toBe('bad_request');
      }
    });

    it('ingest: a NUL in a window field or a profile name is refused, and the batches sent with it are stored', async () => {
      // One statement stores a group of batches; a NUL anywhere failed the whole group with a 500,
      // and a feature name with one, once stored, made every alert evaluation fail.
      const named = (feature: string, label: string, stage: string) => {
        const p = makeProfile(5);
        numericFeature(p, feature).add(1);
        categoricalFeature(p, 'label').add(label);
        latencySketch(p, stage).add(1);
        return p;
      };
      const nul = 'a\u0000b';
      const bad = [
        ...['model', 'version', 'segment', 'backend'].map((field) => {
          const b = makeBatch({ model: MODEL, profile: makeProfile(5) });
          return { ...b, windows: [{ ...b.windows[0]!, [field]: nul }] };
        }),
        { ...makeBatch({ model: MODEL }), deviceId: nul },
        { ...makeBatch({ model: MODEL }), batchId: nul },
        makeBatch({ model: MODEL, profile: named(nul, 'ok', 'total') }),
        makeBatch({ model: MODEL, profile: named('ok', nul, 'total') }),
        makeBatch({ model: MODEL, profile: named('ok', 'ok', nul) }),
      ];
      const good = Array.from({ length: 10 }, (_, i) =>
        makeBatch({ model: MODEL, deviceId: `group-${i}`, profile: createProfile() }),
      );
      const post = (b: unknown) =>
        app.inject({
          method: 'POST',
          url: '/v1/telemetry',
          headers: { authorization: `Bearer ${keys.ingest}` },
          payload: b as object,
        });
      const answers = await Promise.all([...good, ...bad].map(post));
      expect(answers.slice(0, good.length).map((r) => r.statusCode)).toEqual(good.map(() => 200));
      for (const r of answers.slice(good.length)) {
        expect(r.statusCode, r.body).toBe(400);
        expect(r.json().error.code, r.body).toBe('invalid_batch');
      }
      await expect(
        evaluateAlerts(storage, { windowMs: 15 * 60_000, baselineInferences: 10, webhookUrl: null }),
      ).resolves.toBeInstanceOf(Array);
      last = await counts();
    });

    // Fastify answers these itself, before the collector's error handler (createApp sets no
    // `frameworkErrors`), as `{ error: 'Bad Request', code: 'FST_ERR_…' }` instead of a coded error.
    it('a path parameter over 100 characters or that does not decode gets a coded 400', async () => {
      const op = ops.find((o) => o.path === '/v1/models/{name}/summary')!;
      for (const segment of ['a'.repeat(101), '%', '%zz', '%ED%A0%80', '%C0%AE%C0%AE']) {
        await send({ op, role: 'read', url: fill(op, () => segment) }, undefined, false);
      }
    });

    it('the dashboard routes refuse a NUL or an infinite number with a coded 400', async () => {
      const op = ops.find((o) => o.path === '/v1/models/{name}/drift/distributions')!;
      for (const query of ['version=1.0.0&from=1e309', 'version=1.0.0%00']) {
        await send({ op, role: 'read', url: `${fill(op, plausible)}?${query}` }, undefined, false);
      }
    });

    it('still answers afterwards, and no request answered a 5xx', async () => {
      expect(ops.length).toBeGreaterThan(10);
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(1_450);
      expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const models = await app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${keys.read}` },
      });
      expect(models.statusCode).toBe(200);
      expect(models.json().models.map((m: { name: string }) => m.name)).toContain(MODEL);
    });
  });
}

describeApiFuzz('pglite', () => openStorage({}));
describeApiFuzz('postgres', async () => openStorage({ databaseUrl: await freshDatabaseUrl() }));
