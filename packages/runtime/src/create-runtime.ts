import type { RuntimeOptions } from './options.ts';
import { Runtime } from './runtime.ts';
import { createManagedRuntime } from './updater/managed-runtime.ts';
import type { ResolvedOptions } from './worker/worker-init.ts';

/**
 * Starts a worker, downloads and verifies the model, and picks the best backend. Given a model
 * name instead of a file, the collector's manifest assigns the version and the runtime follows it.
 *
 * @example
 * const rt = await createRuntime({ model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' } });
 * const out = await rt.run({ input: { data: new Float32Array(784), dims: [1, 784] } });
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  if (typeof options?.model === 'string') return createManagedRuntime(options);
  const runtime = new Runtime(options as ResolvedOptions);
  try {
    await runtime.start();
  } catch (error) {
    await runtime.dispose();
    throw error;
  }
  return runtime;
}
