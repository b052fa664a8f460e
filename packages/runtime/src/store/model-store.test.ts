import { describe, expect, it } from 'vitest';
import { keyFor } from './file-cache.ts';
import { MemoryCaches } from './memory-caches.ts';
import { ModelStore } from './model-store.ts';
import { sha256Hex } from './sha256.ts';

const onnxBytes = new Uint8Array([8, 7, 18, 4, 116, 101, 115, 116]);
const modelJson = {
  format: 'layers-model',
  modelTopology: { class_name: 'Sequential' },
  weightsManifest: [{ paths: ['a.bin', 'b.bin'], weights: [] }],
};
const jsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));
const shardA = new Uint8Array([1, 2, 3]);
const shardB = new Uint8Array([4, 5]);

/** A stand-in server for what the store is not about (the network); the hashing is real WebCrypto. */
function serve(
  files: Record<string, { body: Uint8Array | string; type?: string; status?: number }>,
): typeof fetch {
  return (async (url: string) => {
    const path = new URL(url).pathname;
    const file = files[path];
    if (!file) return new Response('not found', { status: 404 });
    return new Response(file.body as BodyInit, {
      status: file.status ?? 200,
      headers: { 'content-type': file.type ?? 'application/octet-stream' },
    });
  }) as unknown as typeof fetch;
}

describe('ModelStore', () => {
  it('accepts an ONNX file whose SHA-256 matches and reports its digest', async () => {
    const sha256 = await sha256Hex(onnxBytes);
    const store = new ModelStore(false, serve({ '/m/model.onnx': { body: onnxBytes } }));
    const got = await store.load({ url: 'http://h/m/model.onnx', format: 'onnx', sha256 });
    expect(got).toMatchObject({ sha256, bytes: onnxBytes.byteLength, source: 'network' });
  });

  it('refuses a tampered file with MODEL_INTEGRITY naming both digests', async () => {
    const sha256 = await sha256Hex(onnxBytes);
    const tampered = onnxBytes.slice();
    tampered[3] = 0xff - tampered[3]!;
    const store = new ModelStore(false, serve({ '/m/model.onnx': { body: tampered } }));
    const error = await store.load({ url: 'http://h/m/model.onnx', format: 'onnx', sha256 }).catch((e) => e);
    expect(error).toMatchObject({ code: 'MODEL_INTEGRITY', name: 'ModelIntegrityError' });
    expect(error.message).toContain(sha256);
    expect(error.message).toContain(await sha256Hex(tampered));
  });

  it('hashes a TF.js model as model.json followed by its shards in manifest order', async () => {
    const sha256 = await sha256Hex(jsonBytes, shardA, shardB);
    const store = new ModelStore(
      false,
      serve({
        '/t/model.json': { body: jsonBytes },
        '/t/a.bin': { body: shardA },
        '/t/b.bin': { body: shardB },
      }),
    );
    const got = await store.load({ url: 'http://h/t/model.json', format: 'tfjs', sha256 });
    expect(got.artifact.format).toBe('tfjs');
    if (got.artifact.format === 'tfjs')
      expect([...new Uint8Array(got.artifact.weights)]).toEqual([1, 2, 3, 4, 5]);
  });

  it('says so when the server answers with an HTML page instead of the model', async () => {
    const store = new ModelStore(
      false,
      serve({ '/m/model.onnx': { body: '<!doctype html>', type: 'text/html' } }),
    );
    const error = await store.load({ url: 'http://h/m/model.onnx', format: 'onnx' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'MODEL_FETCH' });
    expect(error.message).toMatch(/HTML page/);
  });

  it('reports a missing file with its HTTP status', async () => {
    const store = new ModelStore(false, serve({}));
    const error = await store.load({ url: 'http://h/m/model.onnx', format: 'onnx' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'MODEL_FETCH' });
    expect(error.message).toContain('HTTP 404');
  });
});

describe('ModelStore with a manifest version’s files', () => {
  const nested = {
    ...modelJson,
    weightsManifest: [
      { paths: ['a.bin'], weights: [] },
      { paths: ['b.bin'], weights: [] },
    ],
  };
  const nestedJson = new TextEncoder().encode(JSON.stringify(nested));

  async function fileOf(path: string, bytes: Uint8Array) {
    const sha256 = await sha256Hex(bytes);
    return { path, url: `http://c/v1/artifacts/${sha256}`, sha256, size: bytes.byteLength };
  }

  /** Files listed shards first: the weights must still follow model.json's order. */
  async function tfjsFiles() {
    return [
      await fileOf('tfjs/b.bin', shardB),
      await fileOf('tfjs/model.json', nestedJson),
      await fileOf('tfjs/a.bin', shardA),
    ];
  }

  function byHash(files: { sha256: string }[], bodies: Uint8Array[], requests: string[] = []) {
    const map = new Map(files.map((f, i) => [f.sha256, bodies[i]!]));
    return (async (url: string) => {
      requests.push(url);
      const body = map.get(new URL(url).pathname.split('/').at(-1)!);
      return body ? new Response(body.slice()) : new Response('no', { status: 404 });
    }) as unknown as typeof fetch;
  }

  const offline = (async () => {
    throw new TypeError('Failed to fetch');
  }) as unknown as typeof fetch;

  it('downloads and verifies each file, then loads the version from the cache alone when offline', async () => {
    const files = await tfjsFiles();
    const storage = new MemoryCaches();
    const requests: string[] = [];
    const source = { url: files[1]!.url, format: 'tfjs' as const, files, name: 'digits', version: '1.0.0' };
    const online = new ModelStore(true, byHash(files, [shardB, nestedJson, shardA], requests), storage);
    const first = await online.load(source);
    expect(requests).toHaveLength(3);
    expect(first).toMatchObject({ source: 'network', bytes: nestedJson.byteLength + 5 });
    expect(first.sha256).toBe(await sha256Hex(nestedJson, shardA, shardB));

    const again = await new ModelStore(true, offline, storage).load(source);
    expect(again.source).toBe('cache');
    expect(again.sha256).toBe(first.sha256);
    if (again.artifact.format !== 'tfjs') throw new Error('not tfjs');
    expect(again.artifact.modelJson.weightsManifest).toEqual(nested.weightsManifest);
    expect([...new Uint8Array(again.artifact.weights)]).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not trust a cached copy that no longer hashes to its name', async () => {
    const files = await tfjsFiles();
    const storage = new MemoryCaches();
    await new ModelStore(true, byHash(files, [shardB, nestedJson, shardA]), storage).load({
      url: files[1]!.url,
      format: 'tfjs',
      files,
    });
    storage.entries.set(keyFor(files[2]!.sha256, 'main'), new Uint8Array([9, 9, 9]));
    const requests: string[] = [];
    const got = await new ModelStore(
      true,
      byHash(files, [shardB, nestedJson, shardA], requests),
      storage,
    ).load({ url: files[1]!.url, format: 'tfjs', files });
    expect(requests).toEqual([files[2]!.url]);
    expect(got.source).toBe('network');
  });

  it('refuses a tampered shard with MODEL_INTEGRITY naming the file, and keeps nothing of it', async () => {
    const files = await tfjsFiles();
    const storage = new MemoryCaches();
    const store = new ModelStore(true, byHash(files, [new Uint8Array([4, 6]), nestedJson, shardA]), storage);
    const error = await store
      .load({ url: files[1]!.url, format: 'tfjs', files, name: 'digits', version: '1.1.0' })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'MODEL_INTEGRITY' });
    expect(error.message).toContain('digits 1.1.0: tfjs/b.bin');
    expect(storage.entries.has(keyFor(files[0]!.sha256, 'main'))).toBe(false);
  });

  it('says which shard model.json names that the version does not have', async () => {
    const files = (await tfjsFiles()).slice(1);
    const store = new ModelStore(false, byHash(files, [nestedJson, shardA]));
    const error = await store.load({ url: files[0]!.url, format: 'tfjs', files }).catch((e) => e);
    expect(error).toMatchObject({ code: 'MODEL_LOAD' });
    expect(error.message).toContain('tfjs/b.bin');
  });

  it('loads an ONNX version from its one file, reporting that file’s hash', async () => {
    const file = await fileOf('model.onnx', onnxBytes);
    const store = new ModelStore(false, byHash([file], [onnxBytes]));
    const got = await store.load({ url: file.url, format: 'onnx', files: [file] });
    expect(got).toMatchObject({ sha256: file.sha256, bytes: onnxBytes.byteLength, source: 'network' });
  });
});
