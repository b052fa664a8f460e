import type { TensorShape } from '@driftline/protocol';
import type * as Ort from 'onnxruntime-web';
import { ModelLoadError } from '../errors.ts';
import type { NamedTensors, TensorData, TensorType } from '../tensor.ts';
import type { Backend, BackendEnv, BackendFactory, Device, ModelArtifact } from './backend.ts';

type OrtModule = typeof Ort;
let ortPromise: Promise<OrtModule> | undefined;
let configuredThreads: number | undefined;

async function loadOrt(env: BackendEnv): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-web');
  const ort = await ortPromise;
  if (configuredThreads === undefined) {
    // ORT reads these once, when its wasm starts; later sessions share that instance.
    const paths = env.wasmPaths.onnx;
    if (paths) ort.env.wasm.wasmPaths = paths;
    ort.env.wasm.numThreads = env.threads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    configuredThreads = env.threads;
  }
  return ort;
}

/**
 * Whether ORT's WebGPU backend really runs: once it has a GPU device it publishes the adapter on
 * `env.webgpu` as a fixed value. The backend reported is what this probe sees, never what the
 * import path or the wasm file name suggests (both change as ORT moves WebGPU to a native EP).
 */
function webGpuStarted(ort: OrtModule): boolean {
  const adapter = Object.getOwnPropertyDescriptor(ort.env.webgpu, 'adapter');
  return adapter !== undefined && 'value' in adapter && Boolean(adapter.value);
}

const fromOrtType: Record<string, TensorType> = {
  float32: 'float32',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  bool: 'bool',
};

/** A graph input or output from ORT's metadata; a symbolic dim (`'N'`) is free (-1). */
function shapeOf(meta: Ort.InferenceSession.ValueMetadata): TensorShape {
  if (!meta.isTensor) return { name: meta.name, dims: [-1] };
  // No shape in the model at all: one free dim, so that no size check applies.
  const dims = meta.shape.length ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1)) : [-1];
  return { name: meta.name, dims, type: meta.type };
}

class OnnxBackend implements Backend {
  readonly format = 'onnx';
  constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly device: Device,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  tensors(): { inputs: TensorShape[]; outputs: TensorShape[] } {
    return {
      inputs: this.session.inputMetadata.map(shapeOf),
      outputs: this.session.outputMetadata.map(shapeOf),
    };
  }

  async run(inputs: NamedTensors): Promise<NamedTensors> {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) {
      feeds[name] = new this.ort.Tensor(t.type ?? 'float32', t.data as Float32Array, t.dims);
    }
    const results = await this.session.run(feeds);
    const out: NamedTensors = {};
    for (const [name, t] of Object.entries(results)) {
      const type = fromOrtType[t.type];
      if (!type)
        throw new ModelLoadError(`Output "${name}" has type ${t.type}, which the runtime does not return.`);
      out[name] = { data: t.data as TensorData, dims: [...t.dims], type };
      t.dispose();
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** ONNX models through onnxruntime-web: the WebGPU execution provider, else WASM. */
export const onnxBackendFactory: BackendFactory = {
  format: 'onnx',
  devices: ['webgpu', 'wasm'],
  async create(model: ModelArtifact, device: Device, env: BackendEnv): Promise<Backend> {
    if (model.format !== 'onnx') throw new ModelLoadError('The ONNX backend needs an .onnx model.');
    if (device !== 'webgpu' && device !== 'wasm') throw new ModelLoadError(`ONNX does not run on ${device}.`);
    const ort = await loadOrt(env);
    const session = await ort.InferenceSession.create(model.bytes, {
      executionProviders: [device],
      graphOptimizationLevel: 'all',
    });
    if (device === 'webgpu' && !webGpuStarted(ort)) {
      await session.release();
      throw new ModelLoadError('onnxruntime-web created the session without starting its WebGPU backend.');
    }
    return new OnnxBackend(ort, session, device);
  },
};
