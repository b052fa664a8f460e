import { browserAndOs } from '../identity/segment.ts';
import { assetBaseUrl, type ModelOptions, nameAndVersion, type RuntimeOptions } from '../options.ts';
import { parseSchema } from '../schema/runtime-schema.ts';
import type { WorkerInit } from './messages.ts';

/** Options once `model` is a concrete file (a model name is resolved through the manifest first). */
export type ResolvedOptions = RuntimeOptions & { model: ModelOptions };

/** The settings a runtime's workers start with, from its (checked) options. */
export function workerInitFrom(options: ResolvedOptions): WorkerInit {
  const named = nameAndVersion(options.model.url);
  const version = options.model.version ?? named.version;
  return {
    model: {
      url: new URL(options.model.url, globalThis.location?.href).href,
      format: options.model.format,
      name: options.model.name ?? named.name,
      ...(options.model.sha256 ? { sha256: options.model.sha256 } : {}),
      ...(version ? { version } : {}),
      ...(options.model.inputNames ? { inputNames: options.model.inputNames } : {}),
      ...(options.model.outputNames ? { outputNames: options.model.outputNames } : {}),
      ...(options.schema !== undefined ? { schema: parseSchema(options.schema) } : {}),
    },
    ...(options.backends ? { backends: options.backends } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    wasmPaths: options.wasmPaths ?? {},
    ...(options.assetBase !== undefined ? { assetBase: assetBaseUrl(options.assetBase) } : {}),
    cache: options.cache ?? true,
    segmentHint: browserAndOs(globalThis.navigator?.userAgent ?? ''),
  };
}
