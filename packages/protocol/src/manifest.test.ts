import { describe, expect, test } from 'vitest';
import { parseManifest } from './manifest.ts';

const file = {
  path: 'model.onnx',
  url: '/v1/models/digits/1.0.0/model.onnx',
  sha256: 'a'.repeat(64),
  size: 1234,
};
const manifest = {
  model: 'digits',
  version: '1.0.0',
  format: 'onnx',
  files: [file],
  etag: 'W/"3"',
  issuedAt: 1_700_000_000_000,
};

describe('parseManifest', () => {
  test('accepts a manifest, fills in v, keeps an optional shadow and signature', () => {
    expect(parseManifest(manifest)).toEqual({ v: 1, ...manifest });
    const full = { ...manifest, shadow: { version: '1.1.0', percent: 10, files: [file] }, signature: 'c2ln' };
    expect(parseManifest(full).shadow?.percent).toBe(10);
  });

  test.each([
    ['an unknown format', { ...manifest, format: 'tflite' }, /format/],
    ['no files', { ...manifest, files: [] }, /files/],
    ['an upper-case sha256', { ...manifest, files: [{ ...file, sha256: 'A'.repeat(64) }] }, /sha256/],
    ['a path that climbs', { ...manifest, files: [{ ...file, path: '../etc/passwd' }] }, /relative/],
    ['an absolute path', { ...manifest, files: [{ ...file, path: '/model.onnx' }] }, /relative/],
    [
      'a shadow percent above 100',
      { ...manifest, shadow: { version: '2', percent: 101, files: [file] } },
      /percent/,
    ],
    ['a wrong version', { ...manifest, v: 2 }, /v/],
    ['a missing etag', { ...manifest, etag: undefined }, /etag/],
  ])('rejects %s with INVALID_MANIFEST', (_, input, message) => {
    expect(() => parseManifest(input)).toThrow(expect.objectContaining({ code: 'INVALID_MANIFEST' }));
    expect(() => parseManifest(input)).toThrow(message);
  });
});
