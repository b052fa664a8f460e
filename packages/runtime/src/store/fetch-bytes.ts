import { ModelFetchError, ModelIntegrityError } from '../errors.ts';
import { sha256Hex } from './sha256.ts';

/** How to fetch: the `fetch` to use, request options, and a callback with the bytes read so far. */
export interface FetchOptions {
  fetchFn?: typeof fetch;
  init?: RequestInit;
  onBytes?: (loaded: number) => void;
}

/**
 * Downloads `url` whole, reporting the bytes read so far as they stream in.
 * @throws ModelFetchError when the request fails, answers an HTTP error, or answers an HTML page.
 */
export async function fetchBytes(url: string, options: FetchOptions = {}): Promise<Uint8Array> {
  const fetchFn = options.fetchFn ?? ((...args) => fetch(...args));
  let response: Response;
  try {
    response = await fetchFn(url, options.init);
  } catch (error) {
    throw new ModelFetchError(`Could not download ${url}: ${String(error)}. Check the URL and the network.`, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new ModelFetchError(
      `Could not download ${url}: HTTP ${response.status}. Check that the file is served.`,
    );
  }
  if ((response.headers.get('content-type') ?? '').includes('text/html')) {
    throw new ModelFetchError(
      `${url} answered with an HTML page instead of the model: the server fell back to index.html, so the path is wrong or the file is not served.`,
    );
  }
  if (!options.onBytes || !response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      options.onBytes(loaded);
    }
  } catch (error) {
    throw new ModelFetchError(`The download of ${url} broke off: ${String(error)}. Check the network.`, {
      cause: error,
    });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/** One file of a manifest version, with an absolute (or collector-relative) `url`. */
export interface ModelFile {
  /** Path inside the version, e.g. `model.onnx`, `model.json`, `group1-shard1of1.bin`. */
  path: string;
  url: string;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
  size: number;
}

/**
 * Checks `bytes` against the SHA-256 the manifest gives for `file`.
 * @throws ModelIntegrityError naming the file and both digests.
 */
export async function verifyFile(bytes: Uint8Array, file: ModelFile, version: string): Promise<void> {
  const actual = await sha256Hex(bytes);
  if (actual === file.sha256) return;
  throw new ModelIntegrityError(
    `${version}: ${file.path} (${file.url}) has SHA-256 ${actual}, the manifest says ${file.sha256}: the file is corrupted or was tampered with, so the version was refused (a version already running keeps running). Check what serves ${file.url}.`,
  );
}
