import type { ModelSchema } from '@driftline/protocol';
import type { Device, ModelFormat, WasmPaths } from '../backends/backend.ts';
import type { Fallback } from '../backends/resolve-backend.ts';
import type { SerializedError } from '../errors.ts';
import type { ModelFile } from '../store/fetch-bytes.ts';
import type { NamedTensors } from '../tensor.ts';

/** What the page tells a fresh worker. */
export interface WorkerInit {
  model: {
    url: string;
    format: ModelFormat;
    sha256?: string;
    name: string;
    version?: string;
    inputNames?: string[];
    outputNames?: string[];
    /** A manifest version's files (absolute URLs), each checked against its own SHA-256; `url` is then its entry file. */
    files?: ModelFile[];
    /**
     * How the version's tensors are summarized, under the page's names: the `schema` option, or
     * the manifest's. Checked against the loaded model before it answers a run.
     */
    schema?: ModelSchema;
  };
  backends?: Device[];
  threads?: number;
  wasmPaths: WasmPaths;
  /** Absolute URL (ending in `/`) of the folder copy-assets filled: the wasm files' default home. */
  assetBase?: string;
  cache: boolean;
  /** Browser family and OS for the coarse segment, read on the page. */
  segmentHint: { browser: string; os: string };
  telemetry?: TelemetryInit;
  /** The port that carries `run` calls (the data plane); comlink carries everything else. */
  runPort?: MessagePort;
  /** Shared memory for `run` calls when the page is cross-origin isolated (see shared-run-buffer.ts). */
  runBuffer?: SharedArrayBuffer;
}

/** Telemetry settings; absent when telemetry is off. */
export interface TelemetryInit {
  /** Owner of the windows this worker writes; its Web Lock is held by the page while it lives. */
  ownerId: string;
  /** Name of the IndexedDB outbox (and of its BroadcastChannel). */
  outbox: string;
  windowSeconds: number;
  maxInferences: number;
  /** Most recent tagged runs kept for `feedback`. */
  maxTrackedRuns: number;
  /** How long after a run its summary is written to IndexedDB at the latest. */
  checkpointMs: number;
  /** `shadow` for a shadow version's worker (default `primary`). */
  role?: 'primary' | 'shadow';
}

/** The model and backend a worker settled on. */
export interface WorkerInfo {
  model: { name: string; version: string; format: ModelFormat; url: string; sha256: string; bytes: number };
  /** Whether the model bytes came from the network or the Cache Storage copy. */
  modelSource: 'network' | 'cache';
  /** Device in use: `webgpu`, `webgl`, `wasm` or `cpu`. */
  backend: Device;
  /** Each preferred device that was not used, with the reason. */
  fallbacks: Fallback[];
  threads: number;
  threadsReason: string;
  inputNames: string[];
  outputNames: string[];
  /** The schema the version's telemetry follows (it fits the model); absent: whole-tensor features. */
  schema?: ModelSchema;
  /** Coarse segment the collector slices by, e.g. `chrome/linux/wasm/cores-2/gpu-none`. */
  segment: string;
  /** Session load time in ms (download or cache read, verification, session creation). */
  loadMs: number;
  /**
   * How `run` calls travel: `shared-memory` (cross-origin isolated pages: a SharedArrayBuffer and
   * Atomics, inputs copied) or `message-port` (postMessage, input buffers transferred).
   */
  dataPlane: 'shared-memory' | 'message-port';
  /** Set when telemetry could not start (no IndexedDB); the model runs anyway. */
  telemetryError?: string;
}

/** What the page learned about earlier runs, sent along with later calls. */
export interface RunRecord {
  /** End-to-end latency seen by the page, in ms. */
  totalMs: number;
  /** Values from the app's `features` callback. */
  features?: Record<string, number | string>;
}

/** Per-call options sent with `run`. */
export interface RunMeta {
  id?: string;
  records?: RunRecord[];
}

/** Feedback on a tagged run. */
export interface Feedback {
  label?: number | string;
  accepted?: boolean;
}

/** A `run` call on the run port. */
export interface RunRequest {
  id: number;
  inputs: NamedTensors;
  meta: RunMeta;
}

/** The answer to a {@link RunRequest}, with the same id. */
export interface RunResponse {
  id: number;
  result: Result<NamedTensors>;
}

/** Every worker answer: a value, or an error that crosses as plain data. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** The worker's API, as comlink exposes it. */
export interface WorkerApi {
  init(init: WorkerInit): Promise<Result<WorkerInfo>>;
  /**
   * Loads another model version beside the current one (same backends, threads and telemetry
   * settings) while runs keep being served; answers its info, or the typed error with the current
   * version untouched.
   */
  prepare(model: WorkerInit['model']): Promise<Result<WorkerInfo>>;
  /**
   * Makes the prepared version current after the runs already queued (which finish on the old
   * one; `records` are the page's records of them), closes the old version's telemetry window and
   * disposes its session.
   */
  activate(records?: RunRecord[]): Promise<Result<WorkerInfo>>;
  run(inputs: NamedTensors, meta: RunMeta): Promise<Result<NamedTensors>>;
  record(records: RunRecord[]): Promise<void>;
  feedback(id: string, feedback: Feedback): Promise<Result<void>>;
  /** Closes the current window (if it saw anything) and writes it to the outbox. */
  closeWindow(): Promise<void>;
  /** Writes the open window to the outbox now, so a reload loses nothing. */
  checkpoint(): Promise<void>;
  dispose(): Promise<void>;
}
