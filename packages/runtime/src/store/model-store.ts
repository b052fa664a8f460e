import type { ModelArtifact, ModelFormat } from '../backends/backend.ts';
import { ModelIntegrityError } from '../errors.ts';
import { fetchBytes, type ModelFile, verifyFile } from './fetch-bytes.ts';
import { CACHE_NAME, type CacheStorageLike, defaultCacheStorage, FileCache, keyFor } from './file-cache.ts';
import { sha256Hex } from './sha256.ts';
import { assembleVersion, neededFiles, parseModelJson } from './version-files.ts';

/** Where a model comes from and, optionally, the SHA-256 its bytes must have. */
export interface ModelSource {
  url: string;
  format: ModelFormat;
  /** Hex SHA-256 of the .onnx file, or of model.json followed by its weight shards in manifest order. */
  sha256?: string;
  /** A manifest version's files (absolute URLs): each is loaded by its own SHA-256 and `url` is not fetched. */
  files?: ModelFile[];
  /** With `files`: the version, for messages. */
  version?: string;
  name?: string;
}

/** A verified model, and where its bytes came from. */
export interface StoredModel {
  artifact: ModelArtifact;
  /** The .onnx file's SHA-256, or that of model.json followed by its shards. */
  sha256: string;
  bytes: number;
  source: 'network' | 'cache';
}

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
  private readonly files: FileCache;

  constructor(
    private readonly useCache = typeof caches !== 'undefined',
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
    private readonly storage: CacheStorageLike | undefined = defaultCacheStorage(),
  ) {
    this.files = new FileCache(useCache ? storage : undefined);
  }

  /**
   * Returns the verified model. With `sha256` the cache is tried first and the network only on a
   * miss; without it the network is tried first and the last verified copy serves when offline.
   * @throws ModelIntegrityError when the bytes do not match `sha256`.
   * @throws ModelFetchError when the file can be neither downloaded nor found in the cache.
   */
  async load(source: ModelSource): Promise<StoredModel> {
    if (source.files) return this.loadFiles(source, source.files);
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

  /**
   * A manifest version: every file it needs from the cache by its own SHA-256 (checked again), or
   * from its URL on a miss, verified against the manifest before it is stored or used.
   */
  private async loadFiles(source: ModelSource, files: ModelFile[]): Promise<StoredModel> {
    const what = `${source.name ?? 'The model'} ${source.version ?? ''}`.trim();
    const bytesByPath = new Map<string, Uint8Array>();
    let from: StoredModel['source'] = 'cache';
    for (const file of neededFiles(source.format, files, what)) {
      let bytes = await this.files.read(file.sha256);
      if (!bytes) {
        bytes = await fetchBytes(file.url, { fetchFn: this.fetchFn });
        await verifyFile(bytes, file, what);
        await this.files.write(file.sha256, bytes);
        from = 'network';
      }
      bytesByPath.set(file.path, bytes);
    }
    const { artifact, parts } = assembleVersion(source.format, bytesByPath, what);
    const sha256 = await sha256Hex(...parts);
    const size = parts.reduce((n, p) => n + p.byteLength, 0);
    return { artifact, sha256, bytes: size, source: from };
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

  private fetchBytes(url: string): Promise<Uint8Array> {
    return fetchBytes(url, { fetchFn: this.fetchFn, init: { cache: 'no-cache' } });
  }

  private async cache(): Promise<Cache | undefined> {
    if (!this.useCache) return undefined;
    try {
      return await this.storage?.open(CACHE_NAME);
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
