import * as Comlink from 'comlink';
import type { Backend, BackendFactory } from '../backends/backend.ts';
import { chooseThreads, probeCapabilities } from '../backends/capabilities.ts';
import { defaultWasmPaths } from '../backends/default-wasm-paths.ts';
import { resolveBackend } from '../backends/resolve-backend.ts';
import { DisposedError, InvalidOptionsError, ModelLoadError, serializeError } from '../errors.ts';
import { coarseSegment } from '../identity/segment.ts';
import { checkSchemaFitsModel, parseSchema } from '../schema/runtime-schema.ts';
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

/** Replaced versions whose runs can still get feedback. */
const KEPT_VERSIONS = 2;

const factories: Record<string, () => Promise<BackendFactory>> = {
  onnx: async () => (await import('../backends/onnx-backend.ts')).onnxBackendFactory,
  tfjs: async () => (await import('../backends/tfjs-backend.ts')).tfjsBackendFactory,
};

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (error: unknown, code?: string): Result<never> => ({
  ok: false,
  error: serializeError(error, code),
});

/** One loaded model version in the worker: its backend, tensor names, telemetry and info. */
interface Session {
  backend: Backend;
  names: TensorNames;
  observer: RunObserver | undefined;
  info: WorkerInfo;
}

/**
 * The worker side: the current session (one model version on one backend), a queue of runs, the
 * telemetry observer, and at most one prepared session waiting to replace the current one.
 */
export class WorkerRuntime implements WorkerApi {
  private session: Session | undefined;
  private prepared: Session | undefined;
  /** Replaced sessions being closed and freed. */
  private retiring: Promise<void> = Promise.resolve();
  /**
   * Telemetry of the versions replaced most recently, newest first: feedback for a run one of
   * them answered still reaches that version (in a new window of it).
   */
  private previous: RunObserver[] = [];
  /** The settings `init` got, without the ports; `prepare` loads other models with them. */
  private settings: WorkerInit | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly deferred: Array<() => void> = [];
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether a run waits in shared memory (deferred work then yields to it). */
  private runWaiting: () => boolean = () => false;
  private disposed = false;

  constructor(private readonly createObserver?: ObserverFactory) {}

  async init(init: WorkerInit): Promise<Result<WorkerInfo>> {
    try {
      const { runPort, runBuffer, ...settings } = init;
      this.settings = settings;
      const session = await this.load(settings, (work) => work());
      if (runPort) session.info.dataPlane = this.listen(runPort, runBuffer);
      this.session = session;
      return ok(session.info);
    } catch (error) {
      return fail(error, 'MODEL_LOAD');
    }
  }

  /**
   * Loads `model` beside the current session, with the settings `init` got; runs keep being served
   * by the current session meanwhile (its backend is created between two runs). A failure leaves
   * the current session as it was. A version prepared earlier and not activated is dropped.
   */
  async prepare(model: WorkerInit['model']): Promise<Result<WorkerInfo>> {
    try {
      if (!this.settings || !this.session)
        throw new InvalidOptionsError('prepare() needs a started worker: call init() first.');
      if (this.disposed) throw new DisposedError('The runtime was disposed; create a new one.');
      await this.drop(this.prepared);
      this.prepared = undefined;
      const session = await this.load({ ...this.settings, model }, (work) => this.inQueue(work));
      session.info.dataPlane = this.session.info.dataPlane;
      if (this.disposed) {
        await this.drop(session);
        throw new DisposedError('The runtime was disposed; create a new one.');
      }
      this.prepared = session;
      return ok(session.info);
    } catch (error) {
      return fail(error, 'MODEL_LOAD');
    }
  }

  /**
   * Makes the prepared session current once the runs queued before this call are done (they
   * finish on the old session, and `records`, the page's view of them, go to its window too).
   * Answers then; the old version's window is closed at once and written, and its backend is
   * disposed between two runs, without holding up the answer.
   */
  async activate(records?: RunRecord[]): Promise<Result<WorkerInfo>> {
    const next = this.prepared;
    this.prepared = undefined;
    if (!next)
      return fail(new InvalidOptionsError('activate() needs a prepared version: call prepare() first.'));
    const old = await this.inQueue(async () => {
      if (records?.length) this.session?.observer?.onRecords(records);
      // Summaries of the old version's runs go to its own window before that window closes.
      this.drain(() => false);
      const old = this.session;
      this.session = next;
      // From now on feedback for the old version's runs finds them here (see retire).
      if (old?.observer) this.previous.unshift(old.observer);
      return old;
    });
    this.retiring = this.retiring.then(() => this.retire(old));
    return ok(next.info);
  }

  /**
   * Closes a replaced session's window and keeps its telemetry for late feedback (the oldest kept
   * one is disposed), then frees its backend between two runs.
   */
  private async retire(session: Session | undefined): Promise<void> {
    if (!session) return;
    await session.observer?.closeWindow().catch(() => undefined);
    for (const old of this.previous.splice(KEPT_VERSIONS)) await old.dispose().catch(() => undefined);
    await this.inQueue(() => session.backend.dispose()).catch(() => undefined);
  }

  /** Runs `work` in the run queue: after the runs queued before it, before those queued after. */
  private inQueue<T>(work: () => Promise<T>): Promise<T> {
    const done = this.queue.then(work);
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Closes a session's window and frees its backend. */
  private async drop(session: Session | undefined): Promise<void> {
    if (!session) return;
    try {
      await session.observer?.dispose();
    } finally {
      await session.backend.dispose();
    }
  }

  /**
   * Reads and verifies the model, creates its backend (inside `create`, so that `prepare` can
   * put it between two runs), checks its schema against the backend's tensors (a misfit is
   * thrown, its backend freed), and starts its telemetry.
   */
  private async load(init: WorkerInit, create: <T>(work: () => Promise<T>) => Promise<T>): Promise<Session> {
    const started = performance.now();
    const load = factories[init.model.format];
    if (!load)
      throw new InvalidOptionsError(`model.format must be "onnx" or "tfjs", not "${init.model.format}".`);
    // A manifest's schema has its shape checked by parseManifest, not its feature count and names.
    const schema = init.model.schema === undefined ? undefined : parseSchema(init.model.schema);
    const capabilities = await probeCapabilities();
    const { threads, reason } = chooseThreads(capabilities, init.threads);
    const stored = await new ModelStore(init.cache).load(init.model);
    const factory = await load();
    const env = {
      capabilities,
      threads,
      wasmPaths: { ...defaultWasmPaths(init.assetBase), ...init.wasmPaths },
    };
    const { backend, fallbacks } = await create(() =>
      resolveBackend(factory, stored.artifact, env, init.backends),
    );
    const names = new TensorNames(
      backend.inputNames,
      backend.outputNames,
      init.model.inputNames,
      init.model.outputNames,
    );
    // Before the version answers any run: a schema that does not fit its model is refused with it.
    if (schema) {
      try {
        checkSchemaFitsModel(schema, names.shapes(backend.tensors()));
      } catch (error) {
        await create(() => backend.dispose()).catch(() => undefined);
        throw error;
      }
    }
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
      inputNames: names.inputs,
      outputNames: names.outputs,
      ...(schema ? { schema } : {}),
      segment: coarseSegment({
        ...init.segmentHint,
        backend: backend.device,
        cores: capabilities.hardwareConcurrency,
        gpuVendor: capabilities.webgpu.vendor,
      }),
      loadMs: performance.now() - started,
      dataPlane: 'message-port',
    };
    let observer: RunObserver | undefined;
    if (init.telemetry && this.createObserver) {
      try {
        observer = await this.createObserver(init, info);
      } catch (error) {
        // No IndexedDB (private mode, storage blocked): the model still runs, without telemetry.
        info.telemetryError = `telemetry is off: ${String(error)}`;
      }
    }
    return { backend, names, observer, info };
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
    if (meta.records?.length) this.session?.observer?.onRecords(meta.records);
    return this.inQueue(() => this.runNow(inputs, meta));
  }

  private async runNow(inputs: NamedTensors, meta: RunMeta): Promise<Answer> {
    const answer = await this.execute(inputs, meta);
    return answer.ok && !this.session?.observer
      ? { result: answer, transfer: transferables(answer.value) }
      : { result: answer, transfer: [] };
  }

  private async execute(inputs: NamedTensors, meta: RunMeta): Promise<Result<NamedTensors>> {
    if (this.disposed) return fail(new DisposedError('The runtime was disposed; create a new one.'));
    const session = this.session;
    if (!session) return fail(new ModelLoadError('The model is not loaded.'), 'MODEL_LOAD');
    const { backend, names, observer } = session;
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
      outputs = names.outbound(await backend.run(names.inbound(checked)));
    } catch (error) {
      const ms = performance.now() - started;
      if (observer) this.defer(() => observer.onError(ms));
      return fail(error, 'INFERENCE_FAILED');
    }
    const runMs = performance.now() - started;
    // Summaries run later, after the outputs were sent back, and never ahead of a waiting run.
    if (observer) this.defer(() => observer.onRun(checked, outputs, runMs, meta.id));
    return ok(outputs);
  }

  async record(records: RunRecord[]): Promise<void> {
    this.session?.observer?.onRecords(records);
  }

  /** Records feedback in the window of the version that answered run `id`: the current one or a replaced one. */
  async feedback(id: string, feedback: Feedback): Promise<Result<void>> {
    // The run's own summary (deferred after its answer) must be recorded first, or its id is unknown.
    this.drain(() => false);
    let unknown: unknown;
    for (const observer of [this.session?.observer, ...this.previous]) {
      if (!observer) continue;
      try {
        observer.feedback(id, feedback);
        return ok(undefined);
      } catch (error) {
        unknown ??= error;
      }
    }
    return unknown === undefined ? ok(undefined) : fail(unknown, 'UNKNOWN_RUN');
  }

  async closeWindow(): Promise<void> {
    await this.queue;
    this.drain(() => false);
    await this.session?.observer?.closeWindow();
  }

  async checkpoint(): Promise<void> {
    await this.queue;
    this.drain(() => false);
    await this.session?.observer?.checkpoint();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.retiring;
    await this.queue;
    this.drain(() => false);
    const sessions = [this.session, this.prepared];
    this.session = undefined;
    this.prepared = undefined;
    for (const session of sessions) await this.drop(session);
    for (const observer of this.previous.splice(0)) await observer.dispose().catch(() => undefined);
  }
}
