import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  encodeProfile,
  numericFeature,
  parseManifest,
  toBase64,
  verifyManifestSignature,
} from '@driftline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { bucketOf, inPercent } from '../src/rollout/bucket.ts';
import { buildManifest, MANIFEST_TTL_MS } from '../src/rollout/build-manifest.ts';
import { evaluateRollouts } from '../src/rollout/evaluate-rollouts.ts';
import { createSigningKey } from '../src/rollout/signing-keys.ts';
import { createApp } from '../src/server/create-app.ts';
import type { Storage } from '../src/storage/storage.ts';
import { makeBatch, makeProfile } from './fixtures.ts';

const MODELS = new URL('../../../demo/public/models/digits/', import.meta.url);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The two real digit versions as publish requests (inline ONNX, and TF.js by uploaded hash). */
async function digitFiles(version: string) {
  const onnx = await readFile(new URL(`${version}/model.onnx`, MODELS));
  const modelJson = await readFile(new URL(`${version}/tfjs/model.json`, MODELS));
  const shard = await readFile(new URL(`${version}/tfjs/group1-shard1of1.bin`, MODELS));
  return { onnx, modelJson, shard };
}

/** The registry and rollout API, in process (fastify.inject), against one storage implementation. */
export function describeRegistryApi(
  name: string,
  open: () => Promise<Storage>,
  dataDir?: () => Promise<string>,
): void {
  describe(`registry and rollout API: ${name}`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let admin: string;
    let read: string;
    let ingest: string;
    let v1: Awaited<ReturnType<typeof digitFiles>>;
    let v2: Awaited<ReturnType<typeof digitFiles>>;

    beforeAll(async () => {
      storage = await open();
      ({ app } = await createApp(storage, {
        logLevel: 'silent',
        rateLimit: { perDevicePerS: Number.POSITIVE_INFINITY },
        ...(dataDir ? { dataDir: await dataDir() } : {}),
      }));
      admin = (await createKey(storage, 'admin')).secret;
      read = (await createKey(storage, 'read')).secret;
      ingest = (await createKey(storage, 'ingest')).secret;
      v1 = await digitFiles('1.0.0');
      v2 = await digitFiles('1.1.0');
    });
    afterAll(async () => {
      await app.close();
      await storage.close();
    });

    const call = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      key: string | null,
      body?: unknown,
      headers: Record<string, string> = {},
    ) =>
      app.inject({
        method,
        url,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
      });
    const publishOnnx = (model: string, version: string, bytes: Uint8Array, extra: object = {}) =>
      call('POST', `/v1/models/${model}/versions`, admin, {
        version,
        format: 'onnx',
        files: [{ path: 'model.onnx', data: b64(bytes) }],
        ...extra,
      });
    const manifest = async (model: string, device?: string, extra = '') => {
      const res = await call(
        'GET',
        `/v1/models/${model}/manifest?${device ? `device=${device}` : ''}${extra}`,
        ingest,
      );
      expect(res.statusCode, res.body).toBe(200);
      return parseManifest(res.json());
    };

    it('publishes the real digit model; the first version becomes stable; same files again is a no-op, other files a 409', async () => {
      const first = await publishOnnx('digits', '1.0.0', v1.onnx, {
        inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 784] }],
        outputs: [{ name: 'probs', dtype: 'float32', shape: ['N', 10] }],
        notes: 'MLP',
      });
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json()).toMatchObject({ created: true, stable: true });
      expect(first.json().version.files).toEqual([
        { path: 'model.onnx', sha256: sha(v1.onnx), size: v1.onnx.length },
      ]);
      const again = await publishOnnx('digits', '1.0.0', v1.onnx);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ created: false, stable: true });
      const other = await publishOnnx('digits', '1.0.0', v2.onnx);
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe('version_exists');
      const m = await manifest('digits', 'device-a');
      expect(m).toMatchObject({ version: '1.0.0', format: 'onnx', assignment: 'stable' });
      expect(m.files).toEqual([
        {
          path: 'model.onnx',
          url: `/v1/artifacts/${sha(v1.onnx)}`,
          sha256: sha(v1.onnx),
          size: v1.onnx.length,
        },
      ]);
      expect(m.inputs?.[0]?.name).toBe('input');
    });

    it('publishes TF.js by uploaded hashes after PUT /v1/artifacts, and checks model.json names every shard', async () => {
      for (const bytes of [v2.modelJson, v2.shard]) {
        const put = await call('PUT', `/v1/artifacts/${sha(bytes)}`, admin, bytes, {
          'content-type': 'application/octet-stream',
        });
        expect(put.statusCode, put.body).toBe(201);
      }
      const files = [
        { path: 'model.json', sha256: sha(v2.modelJson) },
        { path: 'group1-shard1of1.bin', sha256: sha(v2.shard), size: v2.shard.length },
      ];
      const missingShard = await call('POST', '/v1/models/digits-tfjs/versions', admin, {
        version: '1.1.0',
        format: 'tfjs',
        files: [files[0]],
      });
      expect(missingShard.json().error.code).toBe('invalid_model_files');
      const res = await call('POST', '/v1/models/digits-tfjs/versions', admin, {
        version: '1.1.0',
        format: 'tfjs',
        files,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect((await manifest('digits-tfjs', 'd')).files.map((f) => f.path)).toEqual([
        'group1-shard1of1.bin',
        'model.json',
      ]);
    });

    it('publishes a model schema with a version: checked against the ONNX graph, delivered in the manifest with its defaults', async () => {
      const labels = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
      const schema = {
        inputs: { input: { kind: 'embedding', projections: 8 } },
        outputs: { probs: { kind: 'classes', labels } },
      };
      const bad: [object, string, RegExp][] = [
        [
          { inputs: { input: { kind: 'columns', columns: [{ name: 'a' }] } } },
          'schema_mismatch',
          /1 columns.*784/,
        ],
        [
          { inputs: { pixels: { kind: 'embedding' } } },
          'schema_mismatch',
          /"pixels" is not a tensor.*input, probs/,
        ],
        [
          { outputs: { probs: { kind: 'classes', labels: ['a', 'b'] } } },
          'schema_mismatch',
          /2 labels but 10 classes/,
        ],
        [{ inputs: { input: { kind: 'pixels' } } }, 'invalid_schema', /inputs\.input\.kind|kind/],
      ];
      for (const [s, code, message] of bad) {
        const res = await publishOnnx('digits-schema', '1.0.0', v1.onnx, { schema: s });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json().error.code).toBe(code);
        expect(res.json().error.message).toMatch(message);
      }
      // Refused publishes left nothing behind: the model has no version yet.
      expect((await call('GET', '/v1/models/digits-schema/versions', read)).json()).toMatchObject({
        versions: [],
      });
      // The publisher's own tensor list wins over the graph's (here it names the input `x`).
      const named = await publishOnnx('digits-schema', '0.9.0', v1.onnx, {
        inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 784] }],
        outputs: [{ name: 'probs', dtype: 'float32', shape: ['N', 10] }],
        schema,
      });
      expect(named.json().error.message).toMatch(/"input" is not a tensor.*x, probs/);
      const ok = await publishOnnx('digits-schema', '1.0.0', v1.onnx, { schema });
      expect(ok.statusCode, ok.body).toBe(201);
      const m = await manifest('digits-schema', 'device-s');
      expect(m.schema).toEqual({
        inputs: { input: { kind: 'embedding', projections: 8, seed: 0, rff: 8, bandwidth: 1 } },
        outputs: { probs: { kind: 'classes', labels } },
      });
      const listed = (await call('GET', '/v1/models/digits-schema/versions', read)).json();
      expect(listed.versions[0].schema).toEqual(m.schema);
      // A version's schema and reference are part of it: the same again (a retry, in any key
      // order, with or without them) is a no-op; another one is refused and changes nothing.
      const reordered = { outputs: schema.outputs, inputs: schema.inputs };
      for (const extra of [{ schema: reordered }, {}, { schema: m.schema }]) {
        const again = await publishOnnx('digits-schema', '1.0.0', v1.onnx, extra);
        expect(again.statusCode, again.body).toBe(200);
        expect(again.json()).toMatchObject({ created: false });
      }
      const reference = b64(encodeProfile(makeProfile(50)));
      const refused: [object, RegExp][] = [
        [{ schema: { outputs: schema.outputs } }, /already published with another schema/],
        [{ schema, reference }, /already published with no reference profile/],
      ];
      for (const [extra, message] of refused) {
        const res = await publishOnnx('digits-schema', '1.0.0', v1.onnx, extra);
        expect(res.statusCode, res.body).toBe(409);
        expect(res.json().error).toMatchObject({ code: 'version_exists', message });
      }
      const withRef = await publishOnnx('digits-schema', '1.0.1', v1.onnx, { schema, reference });
      expect(withRef.statusCode, withRef.body).toBe(201);
      const same = await publishOnnx('digits-schema', '1.0.1', v1.onnx, { reference });
      expect(same.statusCode, same.body).toBe(200);
      const otherRef = b64(encodeProfile(makeProfile(50, { seed: 2 })));
      const res = await publishOnnx('digits-schema', '1.0.1', v1.onnx, { reference: otherRef });
      expect(res.json().error).toMatchObject({
        code: 'version_exists',
        message: expect.stringMatching(/another reference profile/),
      });
      const bare = await publishOnnx('digits-schema', '1.0.2', v1.onnx);
      expect(bare.statusCode, bare.body).toBe(201);
      const late = await publishOnnx('digits-schema', '1.0.2', v1.onnx, { schema });
      expect(late.json().error.message).toMatch(/already published with no schema/);
      const versions = (await call('GET', '/v1/models/digits-schema/versions', read)).json().versions;
      expect(versions.find((v: { version: string }) => v.version === '1.0.0').schema).toEqual(m.schema);
      expect(versions.find((v: { version: string }) => v.version === '1.0.2').schema).toBeNull();
      // A TF.js version without a tensor list is checked by the runtime before its first run.
      const tfjs = await call('POST', '/v1/models/digits-schema/versions', admin, {
        version: '1.1.0',
        format: 'tfjs',
        files: [
          { path: 'model.json', data: b64(v2.modelJson) },
          { path: 'group1-shard1of1.bin', data: b64(v2.shard) },
        ],
        schema: { outputs: { probs: { kind: 'classes' } } },
      });
      expect(tfjs.statusCode, tfjs.body).toBe(201);
      expect(tfjs.json().version.schema).toEqual({ inputs: {}, outputs: { probs: { kind: 'classes' } } });
    });

    it('refuses bad names, versions, paths, hashes and roles with stable codes', async () => {
      const cases: [
        string,
        Promise<{ statusCode: number; json(): { error: { code: string } } }>,
        number,
        string,
      ][] = [
        ['upper-case model', publishOnnx('Digits', '1.0.0', v1.onnx), 400, 'invalid_name'],
        ['non-semver version', publishOnnx('digits', '1.0', v1.onnx), 400, 'invalid_name'],
        [
          'climbing path',
          call('POST', '/v1/models/digits/versions', admin, {
            version: '9.0.0',
            format: 'onnx',
            files: [{ path: '../x.onnx', data: b64(v1.onnx) }],
          }),
          400,
          'invalid_model_files',
        ],
        [
          'unknown hash',
          call('POST', '/v1/models/digits/versions', admin, {
            version: '9.0.0',
            format: 'onnx',
            files: [{ path: 'm.onnx', sha256: 'e'.repeat(64) }],
          }),
          400,
          'missing_artifact',
        ],
        [
          'wrong hash in upload',
          call('PUT', `/v1/artifacts/${'0'.repeat(64)}`, admin, Buffer.from('abc'), {
            'content-type': 'application/octet-stream',
          }),
          400,
          'artifact_mismatch',
        ],
        [
          'publish with a read key',
          call('POST', '/v1/models/digits/versions', read, {
            version: '9.0.0',
            format: 'onnx',
            files: [{ path: 'm.onnx', data: 'AA==' }],
          }),
          403,
          'forbidden',
        ],
        ['manifest with a read key', call('GET', '/v1/models/digits/manifest', read), 403, 'forbidden'],
        [
          'manifest of an unknown model',
          call('GET', '/v1/models/nope/manifest', ingest),
          404,
          'unknown_version',
        ],
        [
          'unknown app pin',
          call('GET', '/v1/models/digits/manifest?pin=7.7.7', ingest),
          404,
          'unknown_version',
        ],
        [
          'promote without candidate',
          call('POST', '/v1/models/digits/promote', admin, {}),
          409,
          'rollout_conflict',
        ],
      ];
      for (const [what, res, status, code] of cases) {
        const r = await res;
        expect([what, r.statusCode, r.json().error.code]).toEqual([what, status, code]);
      }
    });

    it('serves artifacts immutable with ETag, 304, Range and 404', async () => {
      const url = `/v1/artifacts/${sha(v1.onnx)}`;
      const full = await call('GET', url, null);
      expect(full.statusCode).toBe(200);
      expect(full.rawPayload.equals(v1.onnx)).toBe(true);
      expect(full.headers).toMatchObject({
        etag: `"${sha(v1.onnx)}"`,
        'cache-control': 'public, max-age=31536000, immutable',
        'accept-ranges': 'bytes',
        'access-control-allow-origin': '*',
      });
      expect(
        (await call('GET', url, null, undefined, { 'if-none-match': `"${sha(v1.onnx)}"` })).statusCode,
      ).toBe(304);
      const part = await call('GET', url, null, undefined, { range: 'bytes=10-19' });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${v1.onnx.length}`);
      expect(part.rawPayload.equals(v1.onnx.subarray(10, 20))).toBe(true);
      const tail = await call('GET', url, null, undefined, { range: 'bytes=-5' });
      expect(tail.rawPayload.equals(v1.onnx.subarray(v1.onnx.length - 5))).toBe(true);
      const outside = await call('GET', url, null, undefined, { range: `bytes=${v1.onnx.length}-` });
      expect(outside.statusCode).toBe(416);
      expect(outside.headers['content-range']).toBe(`bytes */${v1.onnx.length}`);
      expect((await call('GET', `/v1/artifacts/${'f'.repeat(64)}`, null)).json().error.code).toBe(
        'unknown_artifact',
      );
      expect((await call('GET', '/v1/artifacts/..%2F..%2Fetc%2Fpasswd', null)).statusCode).toBe(404);
      const head = await app.inject({ method: 'HEAD', url });
      expect(head.statusCode).toBe(200);
      expect(Number(head.headers['content-length'])).toBe(v1.onnx.length);
    });

    it('splits devices by bucket at 50 %, ramps up monotonically, answers 304 on an unchanged manifest', async () => {
      expect((await publishOnnx('digits', '1.1.0', v2.onnx)).statusCode).toBe(201);
      const ramp = await call('PUT', '/v1/models/digits/rollout', admin, {
        candidate: '1.1.0',
        percent: 50,
        reason: 'canary',
      });
      expect(ramp.statusCode, ramp.body).toBe(200);
      const salt = ramp.json().salt as string;
      const devices = Array.from({ length: 40 }, (_, i) => `device-${i}`);
      const at50 = new Set<string>();
      for (const d of devices) {
        const m = await manifest('digits', d);
        const expected = inPercent(bucketOf('digits', salt, d), 50);
        expect([d, m.version, m.assignment, m.bucket]).toEqual([
          d,
          expected ? '1.1.0' : '1.0.0',
          expected ? 'candidate' : 'stable',
          bucketOf('digits', salt, d),
        ]);
        if (expected) at50.add(d);
      }
      expect(at50.size).toBeGreaterThan(5);
      expect(at50.size).toBeLessThan(35);
      const up = await call('PUT', '/v1/models/digits/rollout', admin, { candidate: '1.1.0', percent: 80 });
      expect(up.json().salt).toBe(salt);
      for (const d of at50) expect((await manifest('digits', d)).version).toBe('1.1.0');

      const first = await call('GET', '/v1/models/digits/manifest?device=device-0', ingest);
      const etag = first.headers.etag as string;
      const again = await call('GET', '/v1/models/digits/manifest?device=device-0', ingest, undefined, {
        'if-none-match': etag,
      });
      expect(again.statusCode).toBe(304);
      expect(again.rawPayload.length).toBe(0);
      expect(JSON.stringify(again.headers).length).toBeLessThan(600);
    });

    it("answers browsers: CORS preflight and headers for the ingest key's origins, 403 for others", async () => {
      const key = (await createKey(storage, 'ingest', { origins: ['https://app.example'] })).secret;
      const pre = await app.inject({
        method: 'OPTIONS',
        url: '/v1/models/digits/manifest?device=x',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(String(pre.headers['access-control-allow-headers'])).toMatch(/authorization/);
      const ok = await call('GET', '/v1/models/digits/manifest?device=x', key, undefined, {
        origin: 'https://app.example',
      });
      expect(ok.headers).toMatchObject({
        'access-control-allow-origin': 'https://app.example',
        'access-control-expose-headers': 'etag',
      });
      const evil = await call('GET', '/v1/models/digits/manifest?device=x', key, undefined, {
        origin: 'https://evil.example',
      });
      expect(evil.statusCode).toBe(403);
    });

    it('pins a device and honours an app pin over it; rollback returns everyone to stable, audited', async () => {
      const pin = await call('PUT', '/v1/models/digits/pins/device-pinned', admin, {
        version: '1.1.0',
        reason: 'qa',
      });
      expect(pin.statusCode, pin.body).toBe(200);
      expect(await manifest('digits', 'device-pinned')).toMatchObject({
        version: '1.1.0',
        assignment: 'device',
      });
      expect(await manifest('digits', 'device-pinned', '&pin=1.0.0')).toMatchObject({
        version: '1.0.0',
        assignment: 'app',
      });

      const back = await call('POST', '/v1/models/digits/rollback', admin, { reason: 'looks wrong' });
      expect(back.statusCode, back.body).toBe(200);
      expect(back.json()).toMatchObject({ stable: '1.0.0', candidate: null });
      for (let i = 0; i < 40; i++) expect((await manifest('digits', `device-${i}`)).version).toBe('1.0.0');
      expect((await manifest('digits', 'device-pinned')).version).toBe('1.1.0');
      await call('DELETE', '/v1/models/digits/pins/device-pinned', admin);
      expect((await manifest('digits', 'device-pinned')).version).toBe('1.0.0');

      const history = (await call('GET', '/v1/models/digits/history', read)).json().entries as {
        action: string;
        actor: string;
        reason: string | null;
        before: { candidate: unknown } | null;
        after: { candidate: unknown; stable: string } | null;
      }[];
      expect(history.map((h) => h.action)).toEqual([
        'unpin',
        'rollback',
        'pin',
        'rollout',
        'rollout',
        'publish',
        'stable',
        'publish',
      ]);
      const rb = history[1]!;
      expect(rb.reason).toBe('looks wrong');
      expect(rb.actor).toMatch(/^key_/);
      expect(rb.before?.candidate).toEqual({ version: '1.1.0', percent: 80 });
      expect(rb.after).toMatchObject({ stable: '1.0.0', candidate: null });
    });

    it('promotes, then rolls stable back to the previous stable in one step', async () => {
      await call('PUT', '/v1/models/digits/rollout', admin, { candidate: '1.1.0', percent: 10 });
      const promoted = await call('POST', '/v1/models/digits/promote', admin, {});
      expect(promoted.json()).toMatchObject({ stable: '1.1.0', previousStable: '1.0.0', candidate: null });
      expect((await manifest('digits', 'any')).version).toBe('1.1.0');
      const back = await call('POST', '/v1/models/digits/rollback', admin);
      expect(back.statusCode, back.body).toBe(200);
      expect(back.json()).toMatchObject({ stable: '1.0.0', previousStable: null });
      expect((await call('POST', '/v1/models/digits/rollback', admin, {})).json().error.code).toBe(
        'rollout_conflict',
      );
    });

    it('assigns a shadow version by its own bucket, never the version the device runs', async () => {
      const res = await call('PUT', '/v1/models/digits/shadow', admin, {
        version: '1.1.0',
        percent: 100,
        sample: 25,
      });
      expect(res.statusCode, res.body).toBe(200);
      const m = await manifest('digits', 'device-3');
      expect(m.shadow).toMatchObject({ version: '1.1.0', format: 'onnx', percent: 25 });
      expect(m.shadow?.files[0]?.sha256).toBe(sha(v2.onnx));
      expect((await manifest('digits', 'device-3', '&pin=1.1.0')).shadow).toBeUndefined();
      expect((await manifest('digits')).shadow).toBeUndefined();
      await call('PUT', '/v1/models/digits/shadow', admin, { version: null });
      expect((await manifest('digits', 'device-3')).shadow).toBeUndefined();
    });

    it('signs manifests once a signing key exists; the public key verifies them and a changed one fails', async () => {
      const unsigned = await call('GET', '/v1/models/digits/manifest?device=s', ingest);
      expect(parseManifest(unsigned.json()).keyId).toBeUndefined();
      const { id, publicKey } = await createSigningKey(storage);
      await new Promise((r) => setTimeout(r, 1_100)); // the route caches the key for 1 s
      const res = await call('GET', '/v1/models/digits/manifest?device=s', ingest);
      const m = parseManifest(res.json());
      expect(m.signature).toMatch(/^ed25519:/);
      // Named by its key, and valid for a day from issue: covered by the signature like the rest.
      expect(m.keyId).toBe(id);
      expect(m.expiresAt! - m.issuedAt).toBe(MANIFEST_TTL_MS);
      expect(await verifyManifestSignature({ ...m, expiresAt: m.expiresAt! + 1 }, publicKey)).toBe(false);
      // An unchanged assignment is still reissued every quarter of the TTL (a new ETag), so a device
      // revalidating with If-None-Match never ends up holding an expired manifest.
      const t = Date.UTC(2026, 0, 1);
      const etagAt = async (at: number) =>
        (await buildManifest(storage, 'digits', { deviceId: 's' }, null, at)).etag;
      expect(await etagAt(t + 1)).toBe(await etagAt(t + MANIFEST_TTL_MS / 4 - 1));
      expect(await etagAt(t + MANIFEST_TTL_MS / 4)).not.toBe(await etagAt(t + 1));
      expect(res.headers.etag).not.toBe(unsigned.headers.etag);
      expect(await verifyManifestSignature(m, publicKey)).toBe(true);
      expect(await verifyManifestSignature({ ...m, version: '1.1.0' }, publicKey)).toBe(false);
    });

    it('guarded rollout: a slower, error-prone candidate is rolled back by itself with the verdict in the history', async () => {
      await call('PUT', '/v1/models/digits/guard', admin, { minSamples: 200 });
      await call('PUT', '/v1/models/digits/rollout', admin, { candidate: '1.1.0', percent: 50 });
      const start = Date.now();
      const post = (version: string, profile: ReturnType<typeof makeProfile>, deviceId: string) =>
        call(
          'POST',
          '/v1/telemetry',
          ingest,
          makeBatch({ model: 'digits', version, profile, deviceId, start }),
        );
      expect((await evaluateRollouts(storage, Date.now()))[0]).toMatchObject({
        result: 'insufficient',
        action: 'none',
      });
      for (let i = 0; i < 3; i++) {
        expect(
          (await post('1.0.0', makeProfile(150, { seed: i, latencyMs: 5, errors: 1 }), `s-${i}`)).statusCode,
        ).toBe(200);
        expect(
          (await post('1.1.0', makeProfile(150, { seed: 10 + i, latencyMs: 20, errors: 12 }), `c-${i}`))
            .statusCode,
        ).toBe(200);
      }
      const actions = await evaluateRollouts(storage, Date.now());
      expect(actions).toEqual([
        { model: 'digits', candidate: '1.1.0', result: 'fail', action: 'rolled_back' },
      ]);
      expect((await manifest('digits', 'device-1')).version).toBe('1.0.0');
      const [last] = (await call('GET', '/v1/models/digits/history?limit=1', read)).json().entries;
      expect(last).toMatchObject({
        action: 'auto_rollback',
        actor: 'guard',
        after: { candidate: null, stable: '1.0.0' },
      });
      expect(last.reason).toMatch(/error_rate.*p95_latency \(wasm\)/);
      const checks = Object.fromEntries(last.verdict.checks.map((c: { name: string }) => [c.name, c]));
      expect(last.verdict).toMatchObject({
        result: 'fail',
        candidate: '1.1.0',
        stable: '1.0.0',
        inferences: { candidate: 450, stable: 450 },
      });
      expect(checks.error_rate).toMatchObject({ result: 'fail', candidate: 36 / 450, stable: 3 / 450 });
      expect(checks.p95_latency.candidate).toBeGreaterThan(2 * checks.p95_latency.stable);
      expect(checks.drift.result).not.toBe('fail'); // 450 < 500 values: insufficient for drift
      const status = (await call('GET', '/v1/models/digits/status', read)).json();
      expect(status.verdict.result).toBe('fail');
      expect(status.live).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ version: '1.1.0', role: 'primary', inferences: 450, devicesToday: 3 }),
        ]),
      );
    });

    it('guarded rollout: a candidate whose outputs drift is rolled back; a clean one is auto-promoted', async () => {
      const publish = async (model: string) => {
        expect((await publishOnnx(model, '1.0.0', v1.onnx)).statusCode).toBe(201);
        expect((await publishOnnx(model, '1.1.0', v2.onnx)).statusCode).toBe(201);
        await call('PUT', `/v1/models/${model}/guard`, admin, { minSamples: 200, autoPromoteAfterMs: 0 });
        await call('PUT', `/v1/models/${model}/rollout`, admin, { candidate: '1.1.0', percent: 20 });
      };
      await publish('drifty');
      await publish('clean');
      await publish('watched');
      await call('PUT', '/v1/models/watched/guard', admin, { autoRollback: false });
      const start = Date.now();
      const send = async (model: string, version: string, shift: number, seed: number) => {
        const p = makeProfile(600, { seed, shift });
        const top1 = numericFeature(p, 'top1');
        for (let i = 0; i < 600; i++) top1.add(0.9 - shift * 0.3 + ((i * 37) % 100) / 1000);
        const batch = makeBatch({ model, version, start, deviceId: `${model}-${version}` });
        batch.windows[0]!.profile = toBase64(encodeProfile(p));
        expect((await call('POST', '/v1/telemetry', ingest, batch)).statusCode).toBe(200);
      };
      await send('drifty', '1.0.0', 0, 1);
      await send('drifty', '1.1.0', 1.5, 2);
      await send('clean', '1.0.0', 0, 3);
      await send('clean', '1.1.0', 0, 4);
      await send('watched', '1.0.0', 0, 5);
      await send('watched', '1.1.0', 1.5, 6);
      const actions = await evaluateRollouts(storage, Date.now());
      expect(actions).toEqual([
        { model: 'clean', candidate: '1.1.0', result: 'pass', action: 'promoted' },
        { model: 'drifty', candidate: '1.1.0', result: 'fail', action: 'rolled_back' },
        { model: 'watched', candidate: '1.1.0', result: 'fail', action: 'none' },
      ]);
      await evaluateRollouts(storage, Date.now());
      const watched = (await call('GET', '/v1/models/watched/history?limit=2', read)).json().entries;
      expect(watched.map((e: { action: string }) => e.action)).toEqual(['verdict', 'guard']);
      const policy = (await call('GET', '/v1/models/watched/rollout', read)).json().policy;
      expect(policy).toMatchObject({ candidate: { version: '1.1.0' }, verdict: { result: 'fail' } });
      const [drift] = (await call('GET', '/v1/models/drifty/history?limit=1', read)).json().entries;
      expect(drift.verdict.checks.find((c: { name: string }) => c.name === 'drift')).toMatchObject({
        result: 'fail',
        candidate: 'alert',
      });
      expect((await manifest('clean', 'x')).version).toBe('1.1.0');
    });
  });
}
