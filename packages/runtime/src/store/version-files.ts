import type { ModelArtifact, ModelFormat, TfjsModelJson } from '../backends/backend.ts';
import { ModelLoadError } from '../errors.ts';
import type { ModelFile } from './fetch-bytes.ts';

const isModelJson = (path: string) => path === 'model.json' || path.endsWith('/model.json');

/**
 * The file a version is loaded from: its `.onnx` file, or its TF.js `model.json`.
 * @throws ModelLoadError when the files hold no such file.
 */
export function entryFile<F extends Pick<ModelFile, 'path'>>(
  format: ModelFormat,
  files: readonly F[],
  what: string,
): F {
  const file = files.find((f) => (format === 'onnx' ? f.path.endsWith('.onnx') : isModelJson(f.path)));
  if (!file) {
    throw new ModelLoadError(
      `${what} is published as ${format} without ${format === 'onnx' ? 'an .onnx file' : 'a model.json'}: publish the version again with it.`,
    );
  }
  return file;
}

/** The files a version needs: the `.onnx` file alone, or every file of a TF.js version. */
export function neededFiles<F extends Pick<ModelFile, 'path'>>(
  format: ModelFormat,
  files: readonly F[],
  what: string,
): F[] {
  const entry = entryFile(format, files, what);
  return format === 'onnx' ? [entry] : [...files];
}

/** Parses a TF.js model.json. @throws ModelLoadError when it is not one. */
export function parseModelJson(where: string, bytes: Uint8Array): TfjsModelJson {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as TfjsModelJson;
    if (!json.modelTopology || !Array.isArray(json.weightsManifest))
      throw new Error('no modelTopology/weightsManifest');
    return json;
  } catch (error) {
    throw new ModelLoadError(`${where} is not a TF.js model.json (${String(error)}).`, { cause: error });
  }
}

/** A version's artifact, and its bytes in digest order (the .onnx; or model.json, then its shards). */
export interface AssembledVersion {
  artifact: ModelArtifact;
  parts: Uint8Array[];
}

/**
 * Builds the backend's artifact from verified files by manifest path. TF.js shards are found
 * relative to model.json, as TF.js itself resolves them, and joined in weightsManifest order.
 * @throws ModelLoadError when model.json names a shard that is not among the files.
 */
export function assembleVersion(
  format: ModelFormat,
  bytesByPath: ReadonlyMap<string, Uint8Array>,
  what: string,
): AssembledVersion {
  const entry = entryFile(
    format,
    [...bytesByPath.keys()].map((path) => ({ path })),
    what,
  ).path;
  const main = bytesByPath.get(entry) as Uint8Array;
  if (format === 'onnx') return { artifact: { format: 'onnx', bytes: main }, parts: [main] };
  const modelJson = parseModelJson(`${what} ${entry}`, main);
  const dir = entry.slice(0, entry.length - 'model.json'.length);
  const shards = modelJson.weightsManifest.flatMap((group) =>
    group.paths.map((p) => {
      const shard = bytesByPath.get(dir + p);
      if (!shard)
        throw new ModelLoadError(
          `${what}: ${entry} names the weight file ${dir + p}, which the version does not have; publish it with every shard.`,
        );
      return shard;
    }),
  );
  const weights = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const s of shards) {
    weights.set(s, offset);
    offset += s.byteLength;
  }
  return { artifact: { format: 'tfjs', modelJson, weights: weights.buffer }, parts: [main, ...shards] };
}
