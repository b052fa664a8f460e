import * as ort from 'onnxruntime-web';
import { INPUT_NAME, OUTPUT_NAME } from './onnx-export.ts';

ort.env.wasm.numThreads = 1;

/**
 * Runs a `.onnx` model with onnxruntime-web's WASM backend in Node (the same engine the browser
 * uses) on float inputs `[count, width]` and returns its output (a digit model's `[count, 10]`
 * probabilities by default names).
 */
export async function runOnnx(
  modelBytes: Uint8Array,
  inputs: Float32Array,
  count: number,
  names: { input: string; output: string } = { input: INPUT_NAME, output: OUTPUT_NAME },
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'] });
  try {
    const feeds = { [names.input]: new ort.Tensor('float32', inputs, [count, inputs.length / count]) };
    const out = await session.run(feeds);
    const probs = out[names.output];
    if (!probs) throw new Error(`model has no output named ${names.output}`);
    return probs.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
