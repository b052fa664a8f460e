import fc from 'fast-check';
import { expect, test } from 'vitest';
import { fromBase64, toBase64 } from './base64.ts';

test('matches the RFC 4648 test vectors', () => {
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of vectors) {
    const bytes = Uint8Array.from(plain, (c) => c.charCodeAt(0));
    expect(toBase64(bytes)).toBe(encoded);
    expect(fromBase64(encoded)).toEqual(bytes);
  }
});

test('property: round-trips any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }),
  );
});

test('rejects non-canonical text with INVALID_BASE64', () => {
  for (const bad of ['Zg', 'Zh==', 'Zm9v\n', 'Zm-_', '====', 'Z===', 'Zm=v']) {
    expect(() => fromBase64(bad)).toThrow(expect.objectContaining({ code: 'INVALID_BASE64' }));
  }
});
