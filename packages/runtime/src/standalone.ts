// The runtime as one ES module for pages without a bundler (dist/browser/driftline-runtime.js, put
// beside the worker and the wasm files by `driftline-runtime copy-assets`): the same API, with
// `assetBase` defaulting to the folder this file is served from.
import { createRuntime as createWithOptions } from './create-runtime.ts';
import type { RuntimeOptions } from './options.ts';
import type { Runtime } from './runtime.ts';

export * from './index.ts';

/** {@link createWithOptions createRuntime}, finding the worker and wasm files next to this module. */
export function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  return createWithOptions({ assetBase: new URL('.', import.meta.url).href, ...options });
}
