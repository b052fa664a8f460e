import { describe, expect, test } from 'vitest';
import { toBase64 } from './base64.ts';
import { parseManifest } from './manifest.ts';
import {
  canonicalManifestBytes,
  generateSigningKeyPair,
  importSigningKey,
  signManifest,
  verifyManifestSignature,
} from './manifest-signature.ts';
import { utf8Decode } from './utf8.ts';

// WebCrypto as the test needs it (the package's lib is plain ES2023, without DOM types).
const webCrypto = (
  globalThis as unknown as {
    crypto: { subtle: { sign(alg: string, key: object, data: Uint8Array): Promise<ArrayBuffer> } };
  }
).crypto.subtle;

const manifest = parseManifest({
  model: 'digits',
  version: '1.1.0',
  format: 'onnx',
  files: [{ path: 'model.onnx', url: `/v1/artifacts/${'b'.repeat(64)}`, sha256: 'b'.repeat(64), size: 9 }],
  assignment: 'candidate',
  bucket: 42,
  etag: '"abc"',
  issuedAt: 1_700_000_000_000,
});

describe('manifest signatures', () => {
  test('canonical bytes sort keys, drop signature, keep every other member, and ignore key order', () => {
    const text = utf8Decode(canonicalManifestBytes(manifest));
    expect(text.startsWith('{"assignment":"candidate","bucket":42,"etag":')).toBe(true);
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as typeof manifest;
    expect(canonicalManifestBytes({ ...reordered, signature: 'ed25519:xx' })).toEqual(
      canonicalManifestBytes(manifest),
    );
    const extra = utf8Decode(canonicalManifestBytes({ ...manifest, zz: { b: 1, a: [2, null] } }));
    expect(extra).toBe(`${text.slice(0, -1)},"zz":{"a":[2,null],"b":1}}`);
    expect(() => canonicalManifestBytes([manifest])).toThrow(
      expect.objectContaining({ code: 'INVALID_MANIFEST' }),
    );
  });

  test('a manifest a newer collector signed with members this version does not know still verifies; changing them does not', async () => {
    const keys = await generateSigningKeyPair();
    const key = await importSigningKey(keys.privateKey);
    // What a newer collector sends: a member this protocol version has never heard of, signed.
    const newer: Record<string, unknown> = { ...manifest, rolloutHint: { wave: 3, note: 'é' } };
    const sig = await webCrypto.sign('Ed25519', key, canonicalManifestBytes(newer));
    const received = JSON.parse(
      JSON.stringify({ ...newer, signature: `ed25519:${toBase64(new Uint8Array(sig))}` }),
    );
    expect(await verifyManifestSignature(received, keys.publicKey)).toBe(true);
    expect(parseManifest(received)).not.toHaveProperty('rolloutHint');
    expect(
      await verifyManifestSignature({ ...received, rolloutHint: { wave: 4, note: 'é' } }, keys.publicKey),
    ).toBe(false);
    const { rolloutHint: _, ...dropped } = received;
    expect(await verifyManifestSignature(dropped, keys.publicKey)).toBe(false);
    expect(await verifyManifestSignature({ ...received, added: true }, keys.publicKey)).toBe(false);
  });

  test('a signed manifest verifies with its public key and survives a JSON round trip', async () => {
    const keys = await generateSigningKeyPair();
    const signed = await signManifest(manifest, keys.privateKey);
    expect(signed.signature).toMatch(/^ed25519:[A-Za-z0-9+/]+=*$/);
    const received = parseManifest(JSON.parse(JSON.stringify(signed)));
    expect(await verifyManifestSignature(received, keys.publicKey)).toBe(true);
  });

  test('refuses unsigned, tampered, foreign-key and malformed signatures', async () => {
    const keys = await generateSigningKeyPair();
    const other = await generateSigningKeyPair();
    const signed = await signManifest(manifest, keys.privateKey);
    expect(await verifyManifestSignature(manifest, keys.publicKey)).toBe(false);
    expect(await verifyManifestSignature({ ...signed, version: '1.0.0' }, keys.publicKey)).toBe(false);
    const file = { ...signed.files[0]!, sha256: 'c'.repeat(64) };
    expect(await verifyManifestSignature({ ...signed, files: [file] }, keys.publicKey)).toBe(false);
    expect(await verifyManifestSignature(signed, other.publicKey)).toBe(false);
    expect(await verifyManifestSignature({ ...signed, signature: 'ed25519:AAAA' }, keys.publicKey)).toBe(
      false,
    );
    expect(await verifyManifestSignature({ ...signed, signature: 'rsa:AAAA' }, keys.publicKey)).toBe(false);
    expect(await verifyManifestSignature(null, keys.publicKey)).toBe(false);
    expect(await verifyManifestSignature({ ...signed, signature: 7 }, keys.publicKey)).toBe(false);
    await expect(verifyManifestSignature(signed, 'AAAA')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
