import { describe, expect, it } from 'vitest';
import { MemoryCaches } from '../store/memory-caches.ts';
import { ModelStore } from '../store/model-store.ts';
import { sha256Hex } from '../store/sha256.ts';
import { downloadVersion } from '../updater/download.ts';
import type { ModelArtifact } from './backend.ts';
import { tfjsBackendFactory } from './tfjs-backend.ts';

const dir = new URL('../../../../demo/public/models/digits/1.0.0/', import.meta.url);
// The package is typed for the browser (no Node types), so node:fs is reached by a dynamic name.
const fsModule = 'node:fs';
const { readFileSync } = (await import(/* @vite-ignore */ fsModule)) as {
  readFileSync(path: URL): Uint8Array;
};
const bytesOf = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

/** The digit probabilities of one mid-grey image, on TF.js's plain-JS backend. */
async function probs(artifact: ModelArtifact): Promise<number[]> {
  const env = { capabilities: {} as never, threads: 1, wasmPaths: {} };
  const backend = await tfjsBackendFactory.create(artifact, 'cpu', env);
  try {
    const out = await backend.run({ input: { data: new Float32Array(784).fill(0.5), dims: [1, 784] } });
    return [...(Object.values(out)[0]!.data as Float32Array)];
  } finally {
    await backend.dispose();
  }
}

describe('TF.js backend on a manifest version', () => {
  it('loads the real digit model from the files the page stored, with no request, and runs it', async () => {
    const json = bytesOf('tfjs/model.json');
    const shard = bytesOf('tfjs/group1-shard1of1.bin');
    const files = await Promise.all(
      [
        ['model.json', json],
        ['group1-shard1of1.bin', shard],
      ].map(async ([path, b]) => {
        const sha256 = await sha256Hex(b as Uint8Array);
        return {
          path: path as string,
          url: `/v1/artifacts/${sha256}`,
          sha256,
          size: (b as Uint8Array).byteLength,
        };
      }),
    );
    const served = new Map(files.map((f, i) => [f.sha256, [json, shard][i]!]));
    const storage = new MemoryCaches();
    await downloadVersion(
      'http://c',
      { model: 'digits', version: '1.0.0', format: 'tfjs', files },
      () => undefined,
      {
        storage,
        fetchFn: (async (url: string) =>
          new Response(served.get(url.split('/').at(-1)!)!.slice())) as unknown as typeof fetch,
      },
    );
    const offline = (async () => {
      throw new TypeError('offline');
    }) as unknown as typeof fetch;
    const stored = await new ModelStore(true, offline, storage).load({
      url: `http://c${files[0]!.url}`,
      format: 'tfjs',
      files: files.map((f) => ({ ...f, url: `http://c${f.url}` })),
    });
    expect(stored.source).toBe('cache');

    // The same model by URL (shards fetched relative to model.json) answers exactly the same.
    const byPath = (async (url: string) =>
      new Response((url.endsWith('model.json') ? json : shard).slice())) as unknown as typeof fetch;
    const direct = await new ModelStore(false, byPath).load({ url: 'http://h/m/model.json', format: 'tfjs' });
    expect(stored.sha256).toBe(direct.sha256);
    const [a, b] = [await probs(stored.artifact), await probs(direct.artifact)];
    expect(a).toHaveLength(10);
    expect(a.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    expect(a).toEqual(b);
  });

  it('reports its tensors from the model: names, free batch dim, dims and dtype', async () => {
    const direct = await new ModelStore(
      false,
      (async (url: string) =>
        new Response(
          bytesOf(url.endsWith('model.json') ? 'tfjs/model.json' : 'tfjs/group1-shard1of1.bin').slice(),
        )) as unknown as typeof fetch,
    ).load({
      url: 'http://h/m/model.json',
      format: 'tfjs',
    });
    const env = { capabilities: {} as never, threads: 1, wasmPaths: {} };
    const backend = await tfjsBackendFactory.create(direct.artifact, 'cpu', env);
    try {
      const { inputs, outputs } = backend.tensors();
      expect(inputs.map((t) => t.name)).toEqual([...backend.inputNames]);
      expect(outputs.map((t) => t.name)).toEqual([...backend.outputNames]);
      expect(inputs[0]).toMatchObject({ dims: [-1, 784], type: 'float32' });
      expect(outputs[0]).toMatchObject({ dims: [-1, 10], type: 'float32' });
    } finally {
      await backend.dispose();
    }
  });
});
