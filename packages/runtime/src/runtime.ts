import * as Comlink from 'comlink';
import type { Device } from './backends/backend.ts';
import type { Fallback } from './backends/resolve-backend.ts';
import { DisposedError, type DriftlineError, InvalidOptionsError } from './errors.ts';
import { Emitter } from './events.ts';
import { browserAndOs } from './identity/segment.ts';
import { checkOptions, nameAndVersion, type RuntimeOptions } from './options.ts';
import { copyTensors, type NamedTensors, transferables } from './tensor.ts';
import type { Feedback, RunRecord, WorkerInfo, WorkerInit } from './worker/messages.ts';
import { WorkerClient } from './worker/worker-client.ts';

/** What `info()` reports: the model, the backend in use, and why others were passed over. */
export interface RuntimeInfo {
  model: WorkerInfo['model'];
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
  segment: string;
  telemetry: boolean;
  /** Worker generations started (more than 1 after a crash). */
  workerStarts: number;
}

/** Events a runtime emits. */
export interface RuntimeEvents {
  /** A worker crashed; pending calls were rejected with this error. */
  crash: DriftlineError;
  /** A backend was passed over at load time. */
  fallback: Fallback;
}

/** Per-call options of `run`. */
export interface RunOptions {
  /** Tag this run so that `feedback(id, …)` can refer to it later. */
  id?: string;
  /** Copy the inputs instead of transferring their buffers, so the caller can keep using them. */
  keepInputs?: boolean;
}

/** A model running in a Web Worker, with telemetry. Create it with {@link createRuntime}. */
export class Runtime {
  private client: WorkerClient | undefined;
  private starting: Promise<WorkerClient> | undefined;
  private lastInfo: WorkerInfo | undefined;
  private records: RunRecord[] = [];
  private recordTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private workerStarts = 0;
  private readonly events = new Emitter<RuntimeEvents>();
  private readonly init: WorkerInit;
  private readonly telemetry: boolean;

  /** @internal use {@link createRuntime}. */
  constructor(private readonly options: RuntimeOptions) {
    checkOptions(options);
    this.telemetry = options.telemetry ?? Boolean(options.collector);
    const named = nameAndVersion(options.model.url);
    const hint = browserAndOs(globalThis.navigator?.userAgent ?? '');
    this.init = {
      model: {
        url: new URL(options.model.url, globalThis.location?.href).href,
        format: options.model.format,
        name: options.model.name ?? named.name,
        ...(options.model.sha256 ? { sha256: options.model.sha256 } : {}),
        ...((options.model.version ?? named.version)
          ? { version: options.model.version ?? named.version }
          : {}),
      },
      ...(options.backends ? { backends: options.backends } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
      wasmPaths: options.wasmPaths ?? {},
      cache: options.cache ?? true,
      ...(this.telemetry
        ? {
            telemetry: {
              ownerId: crypto.randomUUID(),
              windowSeconds: options.window?.seconds ?? 60,
              maxInferences: options.window?.maxInferences ?? 5000,
              maxTrackedRuns: options.maxTrackedRuns ?? 1000,
              checkpointMs: options.checkpointMs ?? 200,
              segmentHint: hint,
            },
          }
        : {}),
    };
  }

  /** Subscribes to runtime events; returns an unsubscribe function. */
  on<K extends keyof RuntimeEvents>(type: K, listener: (event: RuntimeEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /** @internal starts (or restarts after a crash) the worker and loads the model in it. */
  async start(): Promise<WorkerClient> {
    if (this.disposed) throw new DisposedError('The runtime was disposed; create a new one.');
    if (this.client?.alive) return this.client;
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawn(): Promise<WorkerClient> {
    const worker = this.options.createWorker
      ? this.options.createWorker()
      : new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module', name: 'driftline' });
    const client = new WorkerClient(worker, (error) => this.events.emit('crash', error));
    this.workerStarts++;
    try {
      const info = await client.init(this.init);
      if (!this.lastInfo) for (const f of info.fallbacks) this.events.emit('fallback', f);
      this.lastInfo = info;
    } catch (error) {
      client.terminate();
      throw error;
    }
    this.client = client;
    return client;
  }

  /**
   * Runs the model once in the worker. Input buffers are transferred (the caller's arrays become
   * detached) unless `keepInputs` is set; outputs are fresh arrays the caller owns.
   * @throws InvalidTensorError, InferenceError, WorkerCrashedError, DisposedError
   */
  async run(inputs: NamedTensors, options: RunOptions = {}): Promise<NamedTensors> {
    const client = await this.start();
    const features = this.telemetry ? this.options.features : undefined;
    const keep = options.keepInputs || features !== undefined;
    const sent = keep ? copyTensors(inputs) : inputs;
    const records = this.takeRecords();
    const started = performance.now();
    const outputs = await client.unwrap(
      client.api.run(Comlink.transfer(sent, transferables(sent)), {
        ...(options.id !== undefined ? { id: options.id } : {}),
        ...(records.length ? { records } : {}),
      }),
    );
    if (this.telemetry) {
      const totalMs = performance.now() - started;
      if (features)
        setTimeout(() => this.addRecord({ totalMs, features: safeFeatures(features, inputs, outputs) }), 0);
      else this.addRecord({ totalMs });
    }
    return outputs;
  }

  /**
   * Records the outcome of a run tagged with `run(inputs, { id })`: counts of accepted/rejected,
   * and with a label, accuracy against that run's predicted class.
   * @throws UnknownRunError when no recent run had this id.
   */
  async feedback(id: string, feedback: Feedback): Promise<void> {
    if (!this.telemetry) return;
    const client = await this.start();
    await client.unwrap(client.api.feedback(id, feedback));
  }

  /** The model, the backend in use, fallbacks with reasons, and threads. */
  info(): RuntimeInfo {
    const info = this.lastInfo;
    if (!info) throw new InvalidOptionsError('info() is available once createRuntime has resolved.');
    const { loadMs: _loadMs, ...rest } = info;
    return { ...rest, telemetry: this.telemetry, workerStarts: this.workerStarts };
  }

  /** Closes the current window and writes it to the outbox. */
  async flush(): Promise<void> {
    if (!this.telemetry || !this.client?.alive) return;
    const client = this.client;
    await this.pushRecords(client);
    await client.call(client.api.closeWindow());
  }

  /** Ends the worker; the runtime cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const client = this.client;
    this.client = undefined;
    if (client?.alive) {
      try {
        await this.pushRecords(client);
        await client.call(client.api.dispose());
      } finally {
        client.terminate();
      }
    }
  }

  /** @internal crashes the worker, for the end-to-end tests of crash recovery. */
  crashWorkerForTest(): void {
    this.client?.crashForTest();
  }

  private addRecord(record: RunRecord): void {
    this.records.push(record);
    this.recordTimer ??= setTimeout(() => {
      this.recordTimer = undefined;
      if (this.client?.alive) void this.pushRecords(this.client).catch(() => undefined);
    }, 50);
  }

  private takeRecords(): RunRecord[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  private async pushRecords(client: WorkerClient): Promise<void> {
    const records = this.takeRecords();
    if (records.length) await client.call(client.api.record(records));
  }
}

function safeFeatures(
  fn: NonNullable<RuntimeOptions['features']>,
  inputs: NamedTensors,
  outputs: NamedTensors,
): Record<string, number | string> | undefined {
  try {
    return fn(inputs, outputs);
  } catch {
    return undefined;
  }
}

/**
 * Starts a worker, downloads and verifies the model, and picks the best backend.
 *
 * @example
 * const rt = await createRuntime({ model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' } });
 * const out = await rt.run({ input: { data: new Float32Array(784), dims: [1, 784] } });
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const runtime = new Runtime(options);
  await runtime.start();
  return runtime;
}
