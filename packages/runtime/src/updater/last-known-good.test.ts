import type { Manifest } from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { type KeyValue, LastKnownGood } from './last-known-good.ts';

const manifest = (version: string): Manifest => ({
  v: 1,
  model: 'digits',
  version,
  format: 'onnx',
  files: [{ path: 'model.onnx', url: `/v1/artifacts/${'a'.repeat(64)}`, sha256: 'a'.repeat(64), size: 3 }],
  etag: `"${version}"`,
  issuedAt: 1,
});

function memory(): KeyValue & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

describe('LastKnownGood', () => {
  it('remembers the last good manifest per collector origin and model', () => {
    const store = memory();
    const a = new LastKnownGood('http://c:1/', 'digits', store);
    expect(a.get()).toBeUndefined();
    a.set(manifest('1.0.0'));
    a.set(manifest('1.1.0'));
    expect(new LastKnownGood('http://c:1/x', 'digits', store).get()?.version).toBe('1.1.0');
    expect(new LastKnownGood('http://c:2/', 'digits', store).get()).toBeUndefined();
    expect(new LastKnownGood('http://c:1/', 'other', store).get()).toBeUndefined();
  });

  it('ignores garbage and survives a failing store', () => {
    const store = memory();
    const lkg = new LastKnownGood('http://c:1/', 'digits', store);
    for (const key of store.map.keys()) store.map.set(key, '{');
    store.map.set('driftline:lkg:http://c:1:digits', '{not json');
    expect(lkg.get()).toBeUndefined();
    const broken: KeyValue = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('full');
      },
    };
    const b = new LastKnownGood('http://c:1/', 'digits', broken);
    expect(() => b.set(manifest('1.0.0'))).not.toThrow();
    expect(b.get()).toBeUndefined();
  });
});
