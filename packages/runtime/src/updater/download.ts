import type { Manifest } from '@driftline/protocol';
import { fetchBytes, type ModelFile, verifyFile } from '../store/fetch-bytes.ts';
import { type CacheStorageLike, defaultCacheStorage, FileCache } from '../store/file-cache.ts';
import { entryFile, neededFiles } from '../store/version-files.ts';

/** Bytes of a version downloaded so far, over all of its files. */
export interface Progress {
  version: string;
  loaded: number;
  total: number;
}

type VersionRef = Pick<Manifest, 'format' | 'files' | 'model'>;

/** The file a manifest version is loaded from: its `.onnx` file, or its TF.js `model.json`. */
export function mainFile(manifest: VersionRef): Manifest['files'][number] {
  return entryFile(manifest.format, manifest.files, manifest.model);
}

/** The absolute URL of a manifest file (its `url` is collector-relative). */
export function fileUrl(collector: string, file: { url: string }): string {
  return new URL(file.url, collector).href;
}

/**
 * The files of a manifest version a runtime downloads and loads (the `.onnx` file; every file of a
 * TF.js version), with absolute URLs.
 * @throws ModelLoadError when the version lacks its `.onnx` file or `model.json`.
 */
export function versionFiles(collector: string, manifest: VersionRef): ModelFile[] {
  return neededFiles(manifest.format, manifest.files, manifest.model).map((f) => ({
    path: f.path,
    url: fileUrl(collector, f),
    sha256: f.sha256,
    size: f.size,
  }));
}

/** Whether two manifests name the same version with the same files. */
export function sameFiles(a: Manifest, b: Manifest): boolean {
  const key = (m: Manifest) =>
    m.files
      .map((f) => `${f.path}\n${f.sha256}`)
      .sort()
      .join('\n');
  return a.version === b.version && a.format === b.format && key(a) === key(b);
}

/** Where `downloadVersion` fetches from and stores to (the page's `fetch` and `caches` by default). */
export interface DownloadDeps {
  fetchFn?: typeof fetch;
  storage?: CacheStorageLike | undefined;
}

/**
 * Downloads every file of a version the runtime needs in the background, one after the other,
 * with progress over the sum of their sizes; checks each against its own SHA-256 from the manifest
 * before it is stored in the model cache, where the worker finds (and checks again) it. Files
 * already cached are not downloaded again.
 * @throws ModelFetchError, ModelIntegrityError (naming the file), ModelLoadError (no .onnx / model.json)
 */
export async function downloadVersion(
  collector: string,
  manifest: Pick<Manifest, 'format' | 'files' | 'model' | 'version'>,
  onProgress: (p: Progress) => void,
  deps: DownloadDeps = {},
): Promise<void> {
  const files = versionFiles(collector, manifest);
  const cache = new FileCache('storage' in deps ? deps.storage : defaultCacheStorage());
  const total = files.reduce((n, f) => n + f.size, 0);
  const what = `${manifest.model} ${manifest.version}`;
  const missing: ModelFile[] = [];
  let loaded = 0;
  for (const file of files) {
    if (await cache.has(file.sha256)) loaded += file.size;
    else missing.push(file);
  }
  const version = manifest.version;
  if (missing.length === 0) {
    onProgress({ version, loaded: total, total });
    return;
  }
  for (const file of missing) {
    const before = loaded;
    const bytes = await fetchBytes(file.url, {
      ...(deps.fetchFn ? { fetchFn: deps.fetchFn } : {}),
      onBytes: (n) => onProgress({ version, loaded: before + n, total }),
    });
    await verifyFile(bytes, file, what);
    await cache.write(file.sha256, bytes);
    loaded = before + bytes.byteLength;
  }
}
