import type { TensorShape } from '@driftline/protocol';
import type { NamedTensors } from '../tensor.ts';
import type { Capabilities } from './capabilities.ts';

/** Where a backend runs the model's kernels. */
export type Device = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The model formats the runtime loads. */
export type ModelFormat = 'onnx' | 'tfjs';

/** Verified model bytes, ready for a backend. */
export type ModelArtifact =
  | { format: 'onnx'; bytes: Uint8Array }
  | { format: 'tfjs'; modelJson: TfjsModelJson; weights: ArrayBuffer };

/** The parts of a TF.js `model.json` the runtime reads. */
export interface TfjsModelJson {
  format?: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
  signature?: unknown;
  userDefinedMetadata?: unknown;
  modelInitializer?: unknown;
}

/** Where the ORT and TF.js WebAssembly files are served from; see docs/runtime.md. */
export interface WasmPaths {
  /** A URL prefix, or the exact URLs of `ort-wasm-simd-threaded.jsep.{mjs,wasm}`. */
  onnx?: string | { mjs?: string; wasm?: string };
  /** A URL prefix, or the exact URLs keyed by file name (`tfjs-backend-wasm-simd.wasm`, …). */
  tfjs?: string | Record<string, string>;
}

/** What a backend factory gets besides the model. */
export interface BackendEnv {
  capabilities: Capabilities;
  /** Threads to use on WASM: 1 unless the page is cross-origin isolated. */
  threads: number;
  wasmPaths: WasmPaths;
}

/** One loaded model on one device: the small interface every engine implements. */
export interface Backend {
  readonly format: ModelFormat;
  readonly device: Device;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Set when the backend uses fewer WASM threads than offered, with the reason. */
  readonly threadLimit?: { threads: number; reason: string };
  /**
   * The model's inputs and outputs as its metadata declares them, in model order and under the
   * model's names: dims with -1 for a free (symbolic or unknown) dim, and the element type.
   */
  tensors(): { inputs: TensorShape[]; outputs: TensorShape[] };
  /** Runs the model once. Inputs are not modified; outputs are fresh arrays the caller owns. */
  run(inputs: NamedTensors): Promise<NamedTensors>;
  dispose(): Promise<void>;
}

/** Creates backends of one model format, for the devices it supports. */
export interface BackendFactory {
  readonly format: ModelFormat;
  /** Supported devices, best first: the default preference order. */
  readonly devices: readonly Device[];
  create(model: ModelArtifact, device: Device, env: BackendEnv): Promise<Backend>;
}
