import type { Manifest } from '@driftline/protocol';
import { ModelFetchError, ModelIntegrityError, ModelLoadError } from '../errors.ts';
import { CACHE_NAME, keyFor } from '../store/model-store.ts';
import { sha256Hex } from '../store/sha256.ts';

/** Bytes of a version downloaded so far. */
export interface Progress {
  version: string;
  loaded: number;
  total: number;
}

/** The `.onnx` file of a manifest (the only format a manifest-driven runtime loads today). */
export function mainFile(manifest: Pick<Manifest, 'format' | 'files' | 'model'>): Manifest['files'][number] {
  const file = manifest.files.find((f) => f.path.endsWith('.onnx'));
  if (manifest.format !== 'onnx' || !file) {
    throw new ModelLoadError(
      `${manifest.model} is published as ${manifest.format}; updates through the manifest load ONNX versions: publish an .onnx file.`,
    );
  }
  return file;
}

/** The absolute URL of a manifest file (its `url` is collector-relative). */
export function fileUrl(collector: string, file: { url: string }): string {
  return new URL(file.url, collector).href;
}

async function cached(sha256: string): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  try {
    return Boolean(await (await caches.open(CACHE_NAME)).match(keyFor(sha256, 'main')));
  } catch {
    return false;
  }
}

/**
 * Downloads a version's model file in the background with progress, checks its SHA-256 against
 * the manifest, and puts it in the model cache, where the worker finds (and checks again) it.
 * Already cached files are not downloaded again.
 * @throws ModelFetchError, ModelIntegrityError
 */
export async function downloadVersion(
  collector: string,
  manifest: Pick<Manifest, 'format' | 'files' | 'model' | 'version'>,
  onProgress: (p: Progress) => void,
  fetchFn: typeof fetch = (...args) => fetch(...args),
): Promise<void> {
  const file = mainFile(manifest);
  if (await cached(file.sha256)) {
    onProgress({ version: manifest.version, loaded: file.size, total: file.size });
    return;
  }
  const url = fileUrl(collector, file);
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new ModelFetchError(`Could not download ${url}: ${String(error)}.`, { cause: error });
  }
  if (!response.ok || !response.body)
    throw new ModelFetchError(`Could not download ${url}: HTTP ${response.status}.`);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ version: manifest.version, loaded, total: file.size });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new ModelIntegrityError(
      `${manifest.model} ${manifest.version}: ${url} has SHA-256 ${actual}, the manifest says ${file.sha256}; the file was refused and the current version keeps running.`,
    );
  }
  if (typeof caches === 'undefined') return;
  try {
    await (await caches.open(CACHE_NAME)).put(keyFor(file.sha256, 'main'), new Response(bytes));
  } catch {
    // The worker downloads it itself then.
  }
}
