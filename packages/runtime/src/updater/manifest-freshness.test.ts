import { generateSigningKeyPair, type Manifest, signManifest } from '@driftline/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue } from './last-known-good.ts';
import { fetchManifest } from './manifest-client.ts';
import { ManifestFreshness } from './manifest-freshness.ts';

const base: Manifest = {
  v: 1,
  model: 'digits',
  version: '1.1.0',
  format: 'onnx',
  files: [{ path: 'model.onnx', url: `/v1/artifacts/${'b'.repeat(64)}`, sha256: 'b'.repeat(64), size: 9 }],
  etag: '"e1"',
  issuedAt: 1_000,
};

const memoryStore = (): KeyValue => {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
};

/** A stand-in collector that answers `body` (the network is not what these tests are about). */
const answer = (body: unknown): typeof fetch =>
  (async () => new Response(JSON.stringify(body), { status: 200 })) as unknown as typeof fetch;

describe('ManifestFreshness', () => {
  it('refuses a manifest issued before the newest accepted, and remembers across instances', () => {
    const store = memoryStore();
    const first = new ManifestFreshness('http://c:8787', 'digits', store);
    first.accept({ ...base, issuedAt: 5_000 }, 6_000);
    first.accept({ ...base, issuedAt: 5_000 }, 6_000); // the same answer again (a 304) is fine
    const later = new ManifestFreshness('http://c:8787/other/path', 'digits', store);
    expect(later.newest()).toBe(5_000);
    expect(() => later.accept({ ...base, issuedAt: 4_999 }, 6_000)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_STALE', message: expect.stringMatching(/replayed/) }),
    );
    // Another model, or another collector, has its own history.
    new ManifestFreshness('http://c:8787', 'other', store).accept({ ...base, issuedAt: 1 }, 6_000);
    new ManifestFreshness('http://d:8787', 'digits', store).accept({ ...base, issuedAt: 1 }, 6_000);
  });

  it('refuses an expired manifest and does not record it', () => {
    const freshness = new ManifestFreshness('http://c:8787', 'digits', memoryStore());
    expect(() => freshness.accept({ ...base, issuedAt: 2_000, expiresAt: 3_000 }, 3_000)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_STALE', message: expect.stringMatching(/expired/) }),
    );
    expect(freshness.newest()).toBe(0);
    freshness.accept({ ...base, issuedAt: 2_000, expiresAt: 3_001 }, 3_000);
    expect(freshness.newest()).toBe(2_000);
  });

  it('accepts exactly the manifests not older than every one accepted before (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }), (issued) => {
        const freshness = new ManifestFreshness('http://c:8787', 'digits', memoryStore());
        let newest = 0;
        for (const issuedAt of issued) {
          let accepted = true;
          try {
            freshness.accept({ ...base, issuedAt }, 0);
          } catch {
            accepted = false;
          }
          expect(accepted).toBe(issuedAt >= newest);
          newest = Math.max(newest, accepted ? issuedAt : newest);
        }
        expect(freshness.newest()).toBe(Math.max(...issued));
      }),
    );
  });
});

describe('fetchManifest with several signing keys', () => {
  it('accepts a manifest signed by any configured key, by key id, and refuses an unknown key id', async () => {
    const [oldKey, newKey, strange] = await Promise.all([
      generateSigningKeyPair(),
      generateSigningKeyPair(),
      generateSigningKeyPair(),
    ]);
    const request = { collector: 'http://c:8787', appKey: 'k', model: 'digits', deviceId: 'd' };
    const byOld = await signManifest({ ...base, keyId: 'sk_old' }, oldKey.privateKey);
    const byNew = await signManifest({ ...base, keyId: 'sk_new' }, newKey.privateKey);
    const byStrange = await signManifest({ ...base, keyId: 'sk_new' }, strange.privateKey);
    const list = { ...request, publicKey: [oldKey.publicKey, newKey.publicKey] };
    expect((await fetchManifest(list, answer(byOld))).keyId).toBe('sk_old');
    expect((await fetchManifest(list, answer(byNew))).keyId).toBe('sk_new');
    await expect(fetchManifest(list, answer(byStrange))).rejects.toMatchObject({ code: 'MODEL_INTEGRITY' });
    const byId = { ...request, publicKey: { sk_old: oldKey.publicKey, sk_new: newKey.publicKey } };
    expect((await fetchManifest(byId, answer(byNew))).version).toBe('1.1.0');
    await expect(fetchManifest(byId, answer(byStrange))).rejects.toMatchObject({
      code: 'MODEL_INTEGRITY',
      message: expect.stringMatching(/wrongly signed/),
    });
    const unknownId = await signManifest({ ...base, keyId: 'constructor' }, newKey.privateKey);
    await expect(fetchManifest(byId, answer(unknownId))).rejects.toMatchObject({
      code: 'MODEL_INTEGRITY',
      message: expect.stringMatching(/not among the configured keys/),
    });
  });

  it('checks freshness only after the signature: a forged newer manifest cannot raise the bar', async () => {
    const keys = await generateSigningKeyPair();
    const other = await generateSigningKeyPair();
    const freshness = new ManifestFreshness('http://c:8787', 'digits', memoryStore());
    const request = {
      collector: 'http://c:8787',
      appKey: 'k',
      model: 'digits',
      deviceId: 'd',
      publicKey: keys.publicKey,
      freshness,
    };
    const forged = await signManifest({ ...base, issuedAt: 9_999_999 }, other.privateKey);
    await expect(fetchManifest(request, answer(forged))).rejects.toMatchObject({ code: 'MODEL_INTEGRITY' });
    expect(freshness.newest()).toBe(0);
    const real = await signManifest({ ...base, issuedAt: 2_000 }, keys.privateKey);
    await fetchManifest(request, answer(real));
    expect(freshness.newest()).toBe(2_000);
    const replay = await signManifest({ ...base, issuedAt: 1_000 }, keys.privateKey);
    await expect(fetchManifest(request, answer(replay))).rejects.toMatchObject({ code: 'MANIFEST_STALE' });
  });
});
