import {
  canonicalManifestBytes,
  generateSigningKeyPair,
  importSigningKey,
  type Manifest,
  signManifest,
  toBase64,
} from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { fetchManifest, manifestUrl } from './manifest-client.ts';

const manifest: Manifest = {
  v: 1,
  model: 'digits',
  version: '1.1.0',
  format: 'onnx',
  files: [{ path: 'model.onnx', url: `/v1/artifacts/${'b'.repeat(64)}`, sha256: 'b'.repeat(64), size: 9 }],
  assignment: 'candidate',
  bucket: 42,
  etag: '"e1"',
  issuedAt: 1000,
};

const request = { collector: 'http://c:8787', appKey: 'k', model: 'digits', deviceId: 'dev 1' };

/** A stand-in collector (the network is not what these tests are about). */
function answer(status: number, body: unknown, seen: { url?: string; auth?: string } = {}): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    seen.url = url;
    seen.auth = new Headers(init.headers).get('authorization') ?? undefined;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
}

describe('fetchManifest', () => {
  it('asks for this device (and the app pin) with the ingest key', async () => {
    expect(manifestUrl({ ...request, pin: '1.0.0' })).toBe(
      'http://c:8787/v1/models/digits/manifest?device=dev+1&pin=1.0.0',
    );
    const seen: { url?: string; auth?: string } = {};
    expect(await fetchManifest(request, answer(200, manifest, seen))).toEqual(manifest);
    expect(seen).toEqual({ url: 'http://c:8787/v1/models/digits/manifest?device=dev+1', auth: 'Bearer k' });
  });

  it('turns errors and unreachable collectors into MODEL_FETCH', async () => {
    await expect(fetchManifest(request, answer(404, { code: 'unknown_version' }))).rejects.toMatchObject({
      code: 'MODEL_FETCH',
    });
    const down = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(fetchManifest(request, down)).rejects.toMatchObject({ code: 'MODEL_FETCH' });
  });

  it('with a public key, accepts only a manifest signed by its private key', async () => {
    const keys = await generateSigningKeyPair();
    const other = await generateSigningKeyPair();
    const signed = await signManifest(manifest, keys.privateKey);
    const withKey = { ...request, publicKey: keys.publicKey };
    expect((await fetchManifest(withKey, answer(200, signed))).version).toBe('1.1.0');
    await expect(fetchManifest(withKey, answer(200, manifest))).rejects.toMatchObject({
      code: 'MODEL_INTEGRITY',
    });
    const forged = await signManifest({ ...manifest, version: '9.9.9' }, other.privateKey);
    await expect(fetchManifest(withKey, answer(200, forged))).rejects.toMatchObject({
      code: 'MODEL_INTEGRITY',
    });
    const altered = { ...signed, version: '1.0.0' };
    await expect(fetchManifest(withKey, answer(200, altered))).rejects.toMatchObject({
      code: 'MODEL_INTEGRITY',
    });
  });

  it('accepts a manifest a newer collector signed over members this runtime does not know, and refuses it when they change', async () => {
    const keys = await generateSigningKeyPair();
    const key = (await importSigningKey(keys.privateKey)) as CryptoKey;
    const newer = { ...manifest, canary: { wave: 2 } };
    const sig = new Uint8Array(
      await crypto.subtle.sign('Ed25519', key, canonicalManifestBytes(newer) as Uint8Array<ArrayBuffer>),
    );
    const sent = { ...newer, signature: `ed25519:${toBase64(sig)}` };
    const withKey = { ...request, publicKey: keys.publicKey };
    const got = await fetchManifest(withKey, answer(200, sent));
    expect(got.version).toBe('1.1.0');
    expect(got).not.toHaveProperty('canary');
    await expect(fetchManifest(withKey, answer(200, { ...sent, canary: { wave: 3 } }))).rejects.toMatchObject(
      { code: 'MODEL_INTEGRITY' },
    );
  });
});
