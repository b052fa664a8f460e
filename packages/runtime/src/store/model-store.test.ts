import { describe, expect, it } from 'vitest';
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
