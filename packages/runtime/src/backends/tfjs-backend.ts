import type { TensorShape } from '@driftline/protocol';
import type * as Tf from '@tensorflow/tfjs';
import { ModelLoadError } from '../errors.ts';
import type { NamedTensors, TensorType } from '../tensor.ts';
import type { Backend, BackendEnv, BackendFactory, Device, ModelArtifact } from './backend.ts';

type TfModule = typeof Tf;
let tfPromise: Promise<TfModule> | undefined;

async function loadTf(device: Device, env: BackendEnv): Promise<TfModule> {
  tfPromise ??= import('@tensorflow/tfjs');
  const tf = await tfPromise;
  if (device === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const paths = env.wasmPaths.tfjs;
    if (paths) wasm.setWasmPaths(paths as string);
    // TF.js starts its pthreads with importScripts, which a module worker does not have: keep it
    // on the single-threaded binary even on a cross-origin isolated page.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
  } else if (device === 'webgpu') {
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  return tf;
}

const stripPort = (name: string): string => name.replace(/:\d+$/, '');

/** What a GraphModel's `TensorInfo` and a LayersModel's `SymbolicTensor` both have. */
interface TfTensorInfo {
  shape?: readonly (number | null)[] | null;
  dtype?: string;
}

/** A model tensor from TF.js: `null` or -1 dims (the batch) are free; no shape is one free dim. */
function shapeOf(
  name: string,
  shape: readonly (number | null)[] | null | undefined,
  dtype?: string,
): TensorShape {
  const dims = shape?.length ? shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1)) : [-1];
  return { name, dims, ...(dtype ? { type: dtype } : {}) };
}

class TfjsBackend implements Backend {
  readonly format = 'tfjs';
  readonly threadLimit = {
    threads: 1,
    reason: 'TF.js threaded WASM cannot start its threads inside a module worker: one thread',
  };
  constructor(
    private readonly tf: TfModule,
    private readonly model: Tf.LayersModel | Tf.GraphModel,
    readonly device: Device,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  tensors(): { inputs: TensorShape[]; outputs: TensorShape[] } {
    const shapes = (list: readonly TfTensorInfo[], names: readonly string[]) =>
      list.map((t, i) => shapeOf(names[i] ?? `tensor_${i}`, t.shape, t.dtype));
    return {
      inputs: shapes(this.model.inputs, this.inputNames),
      outputs: shapes(this.model.outputs, this.outputNames),
    };
  }

  async run(inputs: NamedTensors): Promise<NamedTensors> {
    const { tf } = this;
    const given = Object.entries(inputs);
    const ordered = this.inputNames.map(
      (name, i) => inputs[name] ?? (given.length === 1 ? given[0]?.[1] : given[i]?.[1]),
    );
    const tensors = ordered.map((t, i) => {
      if (!t) throw new ModelLoadError(`Missing input "${this.inputNames[i]}".`);
      const dtype = t.type === 'int64' ? 'int32' : t.type === 'uint8' ? 'int32' : (t.type ?? 'float32');
      const data = t.data instanceof BigInt64Array ? Int32Array.from(t.data, Number) : t.data;
      return tf.tensor(data as Float32Array, [...t.dims], dtype as Tf.DataType);
    });
    try {
      const result = this.model.predict(tensors.length === 1 ? tensors[0]! : tensors) as
        | Tf.Tensor
        | Tf.Tensor[];
      const list = Array.isArray(result) ? result : [result];
      const out: NamedTensors = {};
      for (const [i, t] of list.entries()) {
        const data = await t.data();
        const type: TensorType = t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : 'float32';
        out[this.outputNames[i] ?? `output_${i}`] = { data: data as Float32Array, dims: [...t.shape], type };
        t.dispose();
      }
      return out;
    } finally {
      for (const t of tensors) t.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

/** TensorFlow.js layers or graph models: WebGPU, then WebGL, then WASM, then plain JS. */
export const tfjsBackendFactory: BackendFactory = {
  format: 'tfjs',
  devices: ['webgpu', 'webgl', 'wasm', 'cpu'],
  async create(model: ModelArtifact, device: Device, env: BackendEnv): Promise<Backend> {
    if (model.format !== 'tfjs') throw new ModelLoadError('The TF.js backend needs a model.json model.');
    const tf = await loadTf(device, env);
    if (!(await tf.setBackend(device)))
      throw new ModelLoadError(`TF.js could not initialise its ${device} backend.`);
    await tf.ready();
    // Reported as the backend TF.js says is active, not the one asked for.
    if (tf.getBackend() !== device)
      throw new ModelLoadError(`TF.js runs on ${tf.getBackend()} after asking for ${device}.`);
    const { modelJson, weights } = model;
    const artifacts: Tf.io.ModelArtifacts = {
      modelTopology: modelJson.modelTopology as Tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights) as Tf.io.WeightsManifestEntry[],
      weightData: weights,
      ...(modelJson.format ? { format: modelJson.format } : {}),
      ...(modelJson.signature ? { signature: modelJson.signature as object } : {}),
      ...(modelJson.userDefinedMetadata
        ? {
            userDefinedMetadata: modelJson.userDefinedMetadata as Tf.io.ModelArtifacts['userDefinedMetadata'],
          }
        : {}),
      ...(modelJson.modelInitializer ? { modelInitializer: modelJson.modelInitializer as object } : {}),
    };
    const handler: Tf.io.IOHandler = { load: async () => artifacts };
    if (modelJson.format === 'graph-model') {
      const graph = await tf.loadGraphModel(handler);
      return new TfjsBackend(
        tf,
        graph,
        device,
        graph.inputs.map((i) => stripPort(i.name)),
        graph.outputs.map((o) => stripPort(o.name)),
      );
    }
    const layers = await tf.loadLayersModel(handler);
    const inputs = layers.inputNames?.length
      ? layers.inputNames
      : layers.inputs.map((t) => stripPort(t.name));
    const outputs = layers.outputNames?.length
      ? layers.outputNames
      : layers.outputs.map((t) => stripPort(t.name));
    return new TfjsBackend(tf, layers, device, inputs, outputs);
  },
};
