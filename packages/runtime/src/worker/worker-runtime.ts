import * as Comlink from 'comlink';
import type { Backend, BackendFactory } from '../backends/backend.ts';
import { chooseThreads, probeCapabilities } from '../backends/capabilities.ts';
import { defaultWasmPaths } from '../backends/default-wasm-paths.ts';
import { resolveBackend } from '../backends/resolve-backend.ts';
import { DisposedError, InvalidOptionsError, ModelLoadError, serializeError } from '../errors.ts';
import { coarseSegment } from '../identity/segment.ts';
import { ModelStore } from '../store/model-store.ts';
import { checkTensor, type NamedTensors, transferables } from '../tensor.ts';
import type {
  Feedback,
  Result,
  RunMeta,
  RunRecord,
  RunRequest,
  RunResponse,
  WorkerApi,
  WorkerInfo,
  WorkerInit,
} from './messages.ts';
import { type Answer, serveShared } from './shared-run-server.ts';
import { TensorNames } from './tensor-names.ts';

/** What the worker tells telemetry; every call happens after the outputs were posted back. */
export interface RunObserver {
  onRun(inputs: NamedTensors, outputs: NamedTensors, runMs: number, id: string | undefined): void;
  onError(runMs: number): void;
  onRecords(records: RunRecord[]): void;
  feedback(id: string, feedback: Feedback): void;
  closeWindow(): Promise<void>;
  checkpoint(): Promise<void>;
  dispose(): Promise<void>;
}

/** Creates telemetry once the model and backend are known. */
export type ObserverFactory = (init: WorkerInit, info: WorkerInfo) => Promise<RunObserver>;

const factories: Record<string, () => Promise<BackendFactory>> = {
  onnx: async () => (await import('../backends/onnx-backend.ts')).onnxBackendFactory,
  tfjs: async () => (await import('../backends/tfjs-backend.ts')).tfjsBackendFactory,
};

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (error: unknown, code?: string): Result<never> => ({
  ok: false,
  error: serializeError(error, code),
});

/** The worker side: one model, one backend, a queue of runs, and the telemetry observer. */
export class WorkerRuntime implements WorkerApi {
  private backend: Backend | undefined;
  private names = new TensorNames([], []);
  private observer: RunObserver | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly deferred: Array<() => void> = [];
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether a run waits in shared memory (deferred work then yields to it). */
  private runWaiting: () => boolean = () => false;
  private disposed = false;

  constructor(private readonly createObserver?: ObserverFactory) {}

  async init(init: WorkerInit): Promise<Result<WorkerInfo>> {
    try {
      const started = performance.now();
      const load = factories[init.model.format];
      if (!load)
        throw new InvalidOptionsError(`model.format must be "onnx" or "tfjs", not "${init.model.format}".`);
      const capabilities = await probeCapabilities();
      const { threads, reason } = chooseThreads(capabilities, init.threads);
      const stored = await new ModelStore(init.cache).load(init.model);
      const factory = await load();
      const env = { capabilities, threads, wasmPaths: { ...defaultWasmPaths, ...init.wasmPaths } };
      const { backend, fallbacks } = await resolveBackend(factory, stored.artifact, env, init.backends);
      this.backend = backend;
      this.names = new TensorNames(
        backend.inputNames,
        backend.outputNames,
        init.model.inputNames,
        init.model.outputNames,
      );
      const info: WorkerInfo = {
        model: {
          name: init.model.name,
          version: init.model.version ?? stored.sha256.slice(0, 12),
          format: init.model.format,
          url: init.model.url,
          sha256: stored.sha256,
          bytes: stored.bytes,
        },
        modelSource: stored.source,
        backend: backend.device,
        fallbacks,
        threads: backend.device !== 'wasm' ? 1 : (backend.threadLimit?.threads ?? threads),
        threadsReason:
          backend.device !== 'wasm'
            ? `${backend.device} does not use WASM threads`
            : threads > 1 && backend.threadLimit
              ? backend.threadLimit.reason
              : reason,
        inputNames: this.names.inputs,
        outputNames: this.names.outputs,
        segment: coarseSegment({
          ...init.segmentHint,
          backend: backend.device,
          cores: capabilities.hardwareConcurrency,
          gpuVendor: capabilities.webgpu.vendor,
        }),
        loadMs: performance.now() - started,
        dataPlane: 'message-port',
      };
      if (init.runPort) info.dataPlane = this.listen(init.runPort, init.runBuffer);
      if (init.telemetry && this.createObserver) {
        try {
          this.observer = await this.createObserver(init, info);
        } catch (error) {
          // No IndexedDB (private mode, storage blocked): the model still runs, without telemetry.
          info.telemetryError = `telemetry is off: ${String(error)}`;
        }
      }
      return ok(info);
    } catch (error) {
      return fail(error, 'MODEL_LOAD');
    }
  }

  async run(inputs: NamedTensors, meta: RunMeta): Promise<Result<NamedTensors>> {
    const { result, transfer } = await this.enqueue(inputs, meta);
    return Comlink.transfer(result, transfer);
  }

  /**
   * Serves `run` calls on a dedicated port (one message each way, no proxy machinery) and, when the
   * page sent a shared buffer and this worker has `Atomics.waitAsync`, through shared memory too.
   */
  private listen(port: MessagePort, buffer: SharedArrayBuffer | undefined): WorkerInfo['dataPlane'] {
    port.onmessage = (event: MessageEvent<RunRequest>) => {
      const { id, inputs, meta } = event.data;
      void this.enqueue(inputs, meta).then(({ result, transfer }) => {
        port.postMessage({ id, result } satisfies RunResponse, transfer);
      });
    };
    if (!buffer || typeof Atomics.waitAsync !== 'function') return 'message-port';
    void serveShared(buffer, port, {
      run: (inputs, meta) => this.enqueue(inputs, meta),
      idle: (waiting) => {
        this.runWaiting = waiting;
        this.drain(waiting);
      },
    });
    return 'shared-memory';
  }

  /** Queues work that must not delay a run (summaries); it runs when no run is waiting. */
  private defer(work: () => void): void {
    this.deferred.push(work);
    this.drainTimer ??= setTimeout(() => {
      this.drainTimer = undefined;
      this.drain(this.runWaiting);
    }, 0);
  }

  /** Runs deferred work until none is left or `stop()` says a run is waiting. */
  private drain(stop: () => boolean): void {
    while (this.deferred.length && !stop()) {
      try {
        this.deferred.shift()!();
      } catch {
        // A summary that fails loses that run's features; it must not stop the runs.
      }
    }
  }

  private enqueue(inputs: NamedTensors, meta: RunMeta): Promise<Answer> {
    if (meta.records?.length) this.observer?.onRecords(meta.records);
    const next = this.queue.then(() => this.runNow(inputs, meta));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(inputs: NamedTensors, meta: RunMeta): Promise<Answer> {
    const answer = await this.execute(inputs, meta);
    return answer.ok && !this.observer
      ? { result: answer, transfer: transferables(answer.value) }
      : { result: answer, transfer: [] };
  }

  private async execute(inputs: NamedTensors, meta: RunMeta): Promise<Result<NamedTensors>> {
    if (this.disposed) return fail(new DisposedError('The runtime was disposed; create a new one.'));
    const backend = this.backend;
    if (!backend) return fail(new ModelLoadError('The model is not loaded.'), 'MODEL_LOAD');
    let checked: NamedTensors;
    try {
      checked = {};
      for (const [name, t] of Object.entries(inputs)) checked[name] = checkTensor(name, t);
    } catch (error) {
      return fail(error);
    }
    const started = performance.now();
    let outputs: NamedTensors;
    try {
      outputs = this.names.outbound(await backend.run(this.names.inbound(checked)));
    } catch (error) {
      const ms = performance.now() - started;
      const observer = this.observer;
      if (observer) this.defer(() => observer.onError(ms));
      return fail(error, 'INFERENCE_FAILED');
    }
    const runMs = performance.now() - started;
    const observer = this.observer;
    // Summaries run later, after the outputs were sent back, and never ahead of a waiting run.
    if (observer) this.defer(() => observer.onRun(checked, outputs, runMs, meta.id));
    return ok(outputs);
  }

  async record(records: RunRecord[]): Promise<void> {
    this.observer?.onRecords(records);
  }

  async feedback(id: string, feedback: Feedback): Promise<Result<void>> {
    try {
      this.observer?.feedback(id, feedback);
      return ok(undefined);
    } catch (error) {
      return fail(error, 'UNKNOWN_RUN');
    }
  }

  async closeWindow(): Promise<void> {
    await this.queue;
    this.drain(() => false);
    await this.observer?.closeWindow();
  }

  async checkpoint(): Promise<void> {
    await this.queue;
    this.drain(() => false);
    await this.observer?.checkpoint();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.queue;
    await this.observer?.dispose();
    await this.backend?.dispose();
    this.backend = undefined;
  }
}
