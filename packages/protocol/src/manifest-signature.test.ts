import { describe, expect, test } from 'vitest';
import { parseManifest } from './manifest.ts';
import {
  canonicalManifestBytes,
  generateSigningKeyPair,
  signManifest,
  verifyManifestSignature,
} from './manifest-signature.ts';
import { utf8Decode } from './utf8.ts';

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
  test('canonical bytes sort keys, drop signature and unknown keys, and ignore key order', () => {
    const text = utf8Decode(canonicalManifestBytes(manifest));
    expect(text.startsWith('{"assignment":"candidate","bucket":42,"etag":')).toBe(true);
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as typeof manifest;
    const extra = { ...reordered, signature: 'ed25519:xx', extra: 1 } as typeof manifest;
    expect(canonicalManifestBytes(extra)).toEqual(canonicalManifestBytes(manifest));
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
    await expect(verifyManifestSignature(signed, 'AAAA')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
