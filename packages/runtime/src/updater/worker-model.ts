import type { Manifest } from '@driftline/protocol';
import type { WorkerInit } from '../worker/messages.ts';
import { fileUrl, mainFile, versionFiles } from './download.ts';

/** What a worker needs of a manifest version (a shadow assignment carries no tensor names). */
export type VersionManifest = Pick<Manifest, 'model' | 'version' | 'format' | 'files'> &
  Partial<Pick<Manifest, 'inputs' | 'outputs' | 'schema'>>;

/**
 * The model a manifest version is, as the worker loads it: every file by its own SHA-256 from the
 * model cache (where `downloadVersion` put it) or from the collector's artifact URL. A TF.js
 * version's tensors take the names given at publish time, so a page reads the ONNX names. The
 * version's schema, when it was published with one, goes along: the worker checks it against the
 * model before the version answers a run.
 * @throws ModelLoadError when the version lacks its `.onnx` file or `model.json`.
 */
export function workerModel(collector: string, manifest: VersionManifest): WorkerInit['model'] {
  const file = mainFile(manifest);
  const tfjs = manifest.format === 'tfjs';
  const inputNames = tfjs ? manifest.inputs?.map((t) => t.name) : undefined;
  const outputNames = tfjs ? manifest.outputs?.map((t) => t.name) : undefined;
  return {
    url: fileUrl(collector, file),
    format: manifest.format,
    name: manifest.model,
    version: manifest.version,
    ...(tfjs ? {} : { sha256: file.sha256 }),
    files: versionFiles(collector, manifest),
    ...(inputNames?.length ? { inputNames } : {}),
    ...(outputNames?.length ? { outputNames } : {}),
    ...(manifest.schema ? { schema: manifest.schema } : {}),
  };
}
