import type { Manifest } from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { keyFor } from '../store/file-cache.ts';
import { MemoryCaches } from '../store/memory-caches.ts';
import { sha256Hex } from '../store/sha256.ts';
import { downloadVersion, type Progress, sameFiles, versionFiles } from './download.ts';

const collector = 'http://c:8787';
const json = new TextEncoder().encode(
  JSON.stringify({
    format: 'layers-model',
    modelTopology: {},
    weightsManifest: [{ paths: ['a.bin', 'b.bin'], weights: [] }],
  }),
);
const shardA = new Uint8Array(3000).fill(1);
const shardB = new Uint8Array(2000).fill(2);
const onnx = new Uint8Array([8, 7, 18, 4]);

async function fileOf(path: string, bytes: Uint8Array): Promise<Manifest['files'][number]> {
  const sha256 = await sha256Hex(bytes);
  return { path, url: `/v1/artifacts/${sha256}`, sha256, size: bytes.byteLength };
}

async function manifestOf(format: 'onnx' | 'tfjs', files: [string, Uint8Array][]): Promise<Manifest> {
  return {
    v: 1,
    model: 'digits',
    version: '1.1.0',
    format,
    files: await Promise.all(files.map(([p, b]) => fileOf(p, b))),
    etag: '"e"',
    issuedAt: 1,
  };
}

/** A stand-in collector serving artifacts by hash (the network is not what is tested); counts requests. */
function artifacts(files: Uint8Array[], swap?: { sha256: string; bytes: Uint8Array }) {
  const requests: string[] = [];
  const byHash = new Map<string, Uint8Array>();
  const ready = Promise.all(files.map(async (b) => byHash.set(await sha256Hex(b), b)));
  const fetchFn = (async (url: string) => {
    await ready;
    requests.push(url);
    const hash = new URL(url).pathname.split('/').at(-1)!;
    const body = swap?.sha256 === hash ? swap.bytes : byHash.get(hash);
    return body ? new Response(body.slice()) : new Response('no', { status: 404 });
  }) as unknown as typeof fetch;
  return { fetchFn, requests };
}

describe('downloadVersion', () => {
  it('downloads every file of a TF.js version with progress over their total, and stores each by its hash', async () => {
    const manifest = await manifestOf('tfjs', [
      ['model.json', json],
      ['a.bin', shardA],
      ['b.bin', shardB],
    ]);
    const storage = new MemoryCaches();
    const { fetchFn, requests } = artifacts([json, shardA, shardB]);
    const progress: Progress[] = [];
    await downloadVersion(collector, manifest, (p) => progress.push(p), { fetchFn, storage });
    const total = json.byteLength + 5000;
    expect(requests).toHaveLength(3);
    expect(progress.at(-1)).toEqual({ version: '1.1.0', loaded: total, total });
    expect(progress.every((p, i) => p.total === total && p.loaded >= (progress[i - 1]?.loaded ?? 0))).toBe(
      true,
    );
    for (const f of manifest.files) expect(storage.entries.has(keyFor(f.sha256, 'main'))).toBe(true);

    // Cached: nothing downloaded again, one progress event at the total.
    const again: Progress[] = [];
    await downloadVersion(collector, manifest, (p) => again.push(p), { fetchFn, storage });
    expect(requests).toHaveLength(3);
    expect(again).toEqual([{ version: '1.1.0', loaded: total, total }]);
  });

  it('refuses a tampered shard naming it, stores nothing of it, and fetches only what is missing next time', async () => {
    const manifest = await manifestOf('tfjs', [
      ['model.json', json],
      ['a.bin', shardA],
      ['b.bin', shardB],
    ]);
    const b = manifest.files[2]!;
    const tampered = shardB.slice();
    tampered[7] = 0xff;
    const storage = new MemoryCaches();
    const bad = artifacts([json, shardA, shardB], { sha256: b.sha256, bytes: tampered });
    const error = await downloadVersion(collector, manifest, () => undefined, {
      fetchFn: bad.fetchFn,
      storage,
    }).catch((e) => e);
    expect(error).toMatchObject({ name: 'ModelIntegrityError', code: 'MODEL_INTEGRITY' });
    expect(error.message).toContain('b.bin');
    expect(error.message).toContain(b.sha256);
    expect(error.message).toContain(await sha256Hex(tampered));
    expect(storage.entries.has(keyFor(b.sha256, 'main'))).toBe(false);

    const good = artifacts([json, shardA, shardB]);
    await downloadVersion(collector, manifest, () => undefined, { fetchFn: good.fetchFn, storage });
    expect(good.requests).toEqual([`${collector}/v1/artifacts/${b.sha256}`]);
  });

  it('downloads only the .onnx file of an ONNX version', async () => {
    const manifest = await manifestOf('onnx', [
      ['model.onnx', onnx],
      ['labels.txt', new Uint8Array([65])],
    ]);
    const { fetchFn, requests } = artifacts([onnx]);
    const progress: Progress[] = [];
    await downloadVersion(collector, manifest, (p) => progress.push(p), {
      fetchFn,
      storage: new MemoryCaches(),
    });
    expect(requests).toEqual([`${collector}${manifest.files[0]!.url}`]);
    expect(progress.at(-1)).toEqual({ version: '1.1.0', loaded: 4, total: 4 });
  });

  it('says what is missing when a version has no entry file', async () => {
    const manifest = await manifestOf('tfjs', [['a.bin', shardA]]);
    expect(() => versionFiles(collector, manifest)).toThrow(/model\.json/);
    const error = await downloadVersion(collector, manifest, () => undefined, { storage: undefined }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'MODEL_LOAD' });
  });
});

describe('sameFiles', () => {
  it('tells versions apart by every file, not only the entry file', async () => {
    const a = await manifestOf('tfjs', [
      ['model.json', json],
      ['a.bin', shardA],
    ]);
    const b = await manifestOf('tfjs', [
      ['model.json', json],
      ['a.bin', shardB],
    ]);
    expect(sameFiles(a, { ...a, etag: '"other"', files: [...a.files].reverse() })).toBe(true);
    expect(sameFiles(a, b)).toBe(false);
    expect(sameFiles(a, { ...a, version: '1.2.0' })).toBe(false);
  });
});
