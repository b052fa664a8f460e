import type { ModelArtifact, ModelFormat, TfjsModelJson } from '../backends/backend.ts';
import { ModelFetchError, ModelIntegrityError, ModelLoadError } from '../errors.ts';
import { sha256Hex } from './sha256.ts';

/** Where a model comes from and, optionally, the SHA-256 its bytes must have. */
export interface ModelSource {
  url: string;
  format: ModelFormat;
  /** Hex SHA-256 of the .onnx file, or of model.json followed by its weight shards in manifest order. */
  sha256?: string;
}

/** A verified model, and where its bytes came from. */
export interface StoredModel {
  artifact: ModelArtifact;
  sha256: string;
  bytes: number;
  source: 'network' | 'cache';
}

export const CACHE_NAME = 'driftline-models-v1';

interface Parts {
  /** The .onnx file, or model.json. */
  main: Uint8Array;
  /** TF.js weight shards, concatenated in manifest order. */
  weights?: Uint8Array;
}

/**
 * Model bytes kept in Cache Storage under their SHA-256 and verified with WebCrypto before any
 * session is created, so a reload works offline and a tampered file is refused.
 */
export class ModelStore {
  constructor(
    private readonly useCache = typeof caches !== 'undefined',
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  /**
   * Returns the verified model. With `sha256` the cache is tried first and the network only on a
   * miss; without it the network is tried first and the last verified copy serves when offline.
   * @throws ModelIntegrityError when the bytes do not match `sha256`.
   * @throws ModelFetchError when the file can be neither downloaded nor found in the cache.
   */
  async load(source: ModelSource): Promise<StoredModel> {
    const expected = source.sha256?.toLowerCase();
    if (expected) {
      const cached = await this.readCache(expected);
      if (cached && (await digestOf(cached)) === expected)
        return this.finish(source, cached, expected, 'cache');
      const parts = await this.download(source);
      const actual = await digestOf(parts);
      if (actual !== expected) {
        throw new ModelIntegrityError(
          `Model ${source.url} has SHA-256 ${actual} but ${expected} was expected: the file is corrupted or was tampered with. Serve the right file, or update model.sha256 if the model changed on purpose.`,
        );
      }
      await this.writeCache(source.url, actual, parts);
      return this.finish(source, parts, actual, 'network');
    }
    let parts: Parts;
    try {
      parts = await this.download(source);
    } catch (error) {
      const known = await this.lookupUrl(source.url);
      const cached = known ? await this.readCache(known) : undefined;
      if (known && cached && (await digestOf(cached)) === known)
        return this.finish(source, cached, known, 'cache');
      throw error;
    }
    const actual = await digestOf(parts);
    await this.writeCache(source.url, actual, parts);
    return this.finish(source, parts, actual, 'network');
  }

  private finish(
    source: ModelSource,
    parts: Parts,
    sha256: string,
    from: StoredModel['source'],
  ): StoredModel {
    const bytes = parts.main.byteLength + (parts.weights?.byteLength ?? 0);
    if (source.format === 'onnx')
      return { artifact: { format: 'onnx', bytes: parts.main }, sha256, bytes, source: from };
    const modelJson = parseModelJson(source.url, parts.main);
    const weights = (parts.weights ?? new Uint8Array(0)).slice().buffer;
    return { artifact: { format: 'tfjs', modelJson, weights }, sha256, bytes, source: from };
  }

  private async download(source: ModelSource): Promise<Parts> {
    const main = await this.fetchBytes(source.url);
    if (source.format === 'onnx') return { main };
    const json = parseModelJson(source.url, main);
    const shards: Uint8Array[] = [];
    for (const group of json.weightsManifest) {
      for (const path of group.paths)
        shards.push(await this.fetchBytes(new URL(path, absolute(source.url)).href));
    }
    const weights = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
    let offset = 0;
    for (const s of shards) {
      weights.set(s, offset);
      offset += s.byteLength;
    }
    return { main, weights };
  }

  private async fetchBytes(url: string): Promise<Uint8Array> {
    let response: Response;
    try {
      response = await this.fetchFn(url, { cache: 'no-cache' });
    } catch (error) {
      throw new ModelFetchError(
        `Could not download ${url}: ${String(error)}. Check the URL and the network.`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) {
      throw new ModelFetchError(
        `Could not download ${url}: HTTP ${response.status}. Check that the file is served.`,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('text/html')) {
      throw new ModelFetchError(
        `${url} answered with an HTML page instead of the model: the server fell back to index.html, so the path is wrong or the file is not served.`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  private async cache(): Promise<Cache | undefined> {
    if (!this.useCache) return undefined;
    try {
      return await caches.open(CACHE_NAME);
    } catch {
      return undefined;
    }
  }

  private async readCache(sha256: string): Promise<Parts | undefined> {
    const cache = await this.cache();
    const main = await cache?.match(keyFor(sha256, 'main'));
    if (!cache || !main) return undefined;
    const weights = await cache.match(keyFor(sha256, 'weights'));
    return {
      main: new Uint8Array(await main.arrayBuffer()),
      ...(weights ? { weights: new Uint8Array(await weights.arrayBuffer()) } : {}),
    };
  }

  private async writeCache(url: string, sha256: string, parts: Parts): Promise<void> {
    const cache = await this.cache();
    if (!cache) return;
    try {
      await cache.put(keyFor(sha256, 'main'), new Response(parts.main.slice()));
      if (parts.weights) await cache.put(keyFor(sha256, 'weights'), new Response(parts.weights.slice()));
      await cache.put(keyFor(encodeURIComponent(absolute(url)), 'url'), new Response(sha256));
    } catch {
      // A full or unavailable cache only costs the offline start; the model still runs.
    }
  }

  private async lookupUrl(url: string): Promise<string | undefined> {
    const cache = await this.cache();
    const hit = await cache?.match(keyFor(encodeURIComponent(absolute(url)), 'url'));
    return hit ? (await hit.text()).trim() : undefined;
  }
}

function digestOf(parts: Parts): Promise<string> {
  return parts.weights ? sha256Hex(parts.main, parts.weights) : sha256Hex(parts.main);
}

function absolute(url: string): string {
  return new URL(url, globalThis.location?.href).href;
}

export function keyFor(id: string, part: string): string {
  return new URL(`/__driftline/models/${id}/${part}`, globalThis.location?.href ?? 'http://localhost/').href;
}

function parseModelJson(url: string, bytes: Uint8Array): TfjsModelJson {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as TfjsModelJson;
    if (!json.modelTopology || !Array.isArray(json.weightsManifest))
      throw new Error('no modelTopology/weightsManifest');
    return json;
  } catch (error) {
    throw new ModelLoadError(`${url} is not a TF.js model.json (${String(error)}).`, { cause: error });
  }
}
