import type { Fallback } from './backends/resolve-backend.ts';
import { DisposedError, type DriftlineError, InvalidOptionsError } from './errors.ts';
import { Emitter } from './events.ts';
import { browserAndOs } from './identity/segment.ts';
import { checkOptions, type ModelOptions, nameAndVersion, type RuntimeOptions } from './options.ts';
import { outboxName } from './outbox/outbox-db.ts';
import type { SenderEvents } from './outbox/sender.ts';
import { TelemetryClient, type TelemetryStats } from './telemetry/telemetry-client.ts';
import { copyTensors, type NamedTensors, transferables } from './tensor.ts';
import type { UpdateEvent } from './updater/update-event.ts';
import type { Feedback, RunRecord, WorkerInfo, WorkerInit } from './worker/messages.ts';
import { WorkerClient } from './worker/worker-client.ts';

/**
 * What `info()` reports: the model, the backend in use and why others were passed over (the
 * worker's {@link WorkerInfo}), plus the page side's telemetry state and worker restarts.
 */
export interface RuntimeInfo extends WorkerInfo {
  telemetry: boolean;
  /** Worker generations started (more than 1 after a crash, or a swap that needed a new worker). */
  workerStarts: number;
  /** How the last model version swap was made; absent before the first swap. */
  lastSwap?: SwapInfo;
}

/**
 * How a version swap was made: `same` loaded the new session in the running worker; `new` started
 * a new worker for it, for the `reason` given (no worker running, a crashed worker, a format change).
 */
export interface SwapInfo {
  worker: 'same' | 'new';
  reason?: string;
}

/** Events a runtime emits. */
export interface RuntimeEvents extends SenderEvents {
  /** A worker crashed; pending calls were rejected with this error. */
  crash: DriftlineError;
  /** A backend was passed over at load time. */
  fallback: Fallback;
  /** Model version changes when `model` is a name resolved through the collector's manifest. */
  update: UpdateEvent;
}

/** Options once `model` is a concrete file (a model name is resolved through the manifest first). */
export type ResolvedOptions = RuntimeOptions & { model: ModelOptions };

/** Per-call options of `run`. */
export interface RunOptions {
  /** Tag this run so that `feedback(id, …)` can refer to it later. */
  id?: string;
  /** Copy the inputs instead of transferring their buffers, so the caller can keep using them. */
  keepInputs?: boolean;
}

/** @internal one worker with one model loaded. */
export interface Generation {
  client: WorkerClient;
  releaseOwner?: () => void;
  info?: WorkerInfo;
}

/** A model running in a Web Worker, with telemetry. Create it with {@link createRuntime}. */
export class Runtime {
  private current: Generation | undefined;
  private starting: Promise<WorkerClient> | undefined;
  private lastInfo: WorkerInfo | undefined;
  private records: RunRecord[] = [];
  private recordTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private workerStarts = 0;
  private telemetryClient: Promise<TelemetryClient> | undefined;
  private readonly events = new Emitter<RuntimeEvents>();
  private init: WorkerInit;
  private readonly disposeHooks: Array<() => void> = [];
  private readonly telemetry: boolean;
  private readonly removePageListeners: () => void = () => undefined;
  /** Set while a swap activates its version: new runs wait for it on the page. */
  private held: Promise<void> | undefined;
  /** Runs sent to the worker and not answered yet, and who waits for them to be none. */
  private running = 0;
  private whenIdle: (() => void) | undefined;
  private swaps: Promise<unknown> = Promise.resolve();
  private lastSwap: SwapInfo | undefined;

  /** @internal use {@link createRuntime}. */
  constructor(private readonly options: ResolvedOptions) {
    checkOptions(options);
    this.telemetry = options.telemetry ?? Boolean(options.collector);
    const named = nameAndVersion(options.model.url);
    const version = options.model.version ?? named.version;
    this.init = {
      model: {
        url: new URL(options.model.url, globalThis.location?.href).href,
        format: options.model.format,
        name: options.model.name ?? named.name,
        ...(options.model.sha256 ? { sha256: options.model.sha256 } : {}),
        ...(version ? { version } : {}),
        ...(options.model.inputNames ? { inputNames: options.model.inputNames } : {}),
        ...(options.model.outputNames ? { outputNames: options.model.outputNames } : {}),
      },
      ...(options.backends ? { backends: options.backends } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
      wasmPaths: options.wasmPaths ?? {},
      cache: options.cache ?? true,
      segmentHint: browserAndOs(globalThis.navigator?.userAgent ?? ''),
    };
    if (this.telemetry) {
      this.telemetryClient = TelemetryClient.open(
        {
          outbox: outboxName(options.collector),
          ...(options.collector ? { collector: options.collector } : {}),
          ...(options.appKey ? { appKey: options.appKey } : {}),
          maxBytes: options.outbox?.maxBytes ?? 1 << 20,
          maxAgeMs: options.outbox?.maxAgeMs ?? 7 * 86_400_000,
          ...(options.retry ? { retry: options.retry } : {}),
        },
        (type, event) => this.events.emit(type, event as RuntimeEvents[typeof type]),
      );
      this.telemetryClient.catch(() => undefined);
      this.removePageListeners = this.listenToPage();
    }
  }

  /** Subscribes to runtime events; returns an unsubscribe function. */
  on<K extends keyof RuntimeEvents>(type: K, listener: (event: RuntimeEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /** @internal starts (or restarts after a crash) the worker and loads the model in it. */
  async start(): Promise<WorkerClient> {
    if (this.disposed) throw new DisposedError('The runtime was disposed; create a new one.');
    if (this.current?.client.alive) return this.current.client;
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawn(): Promise<WorkerClient> {
    const generation = await this.build(this.init);
    if (!this.lastInfo) for (const f of generation.info?.fallbacks ?? []) this.events.emit('fallback', f);
    this.lastInfo = generation.info;
    this.current = generation;
    return generation.client;
  }

  /** @internal starts a worker with `init` and loads its model, without making it current. */
  async build(base: WorkerInit): Promise<Generation> {
    const worker = this.options.createWorker
      ? this.options.createWorker()
      : new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module', name: 'driftline' });
    const generation: Generation = {
      client: new WorkerClient(worker, (error) => {
        generation.releaseOwner?.();
        this.events.emit('crash', error);
        void this.telemetryReady().then((t) => t?.send());
      }),
    };
    const init: WorkerInit = { ...base };
    const telemetry = await this.telemetryReady();
    if (telemetry) {
      const ownerId = crypto.randomUUID();
      generation.releaseOwner = await telemetry.holdOwner(ownerId);
      init.telemetry = {
        ownerId,
        outbox: outboxName(this.options.collector),
        windowSeconds: this.options.window?.seconds ?? 60,
        maxInferences: this.options.window?.maxInferences ?? 5000,
        maxTrackedRuns: this.options.maxTrackedRuns ?? 1000,
        checkpointMs: this.options.checkpointMs ?? 200,
        ...(base.telemetry?.role ? { role: base.telemetry.role } : {}),
      };
    }
    this.workerStarts++;
    try {
      generation.info = await generation.client.init(init);
    } catch (error) {
      generation.client.terminate();
      generation.releaseOwner?.();
      throw error;
    }
    return generation;
  }

  /** @internal the settings a worker starts with (the current model's). */
  workerInit(): WorkerInit {
    return this.init;
  }

  /**
   * @internal makes `model` answer the next `run` calls. The new session is created in the running
   * worker while it keeps answering runs; then new runs wait on the page, the runs in flight finish
   * on the old session, the new one becomes current, the old one is disposed, and the waiting runs
   * go on. A new worker is started instead when none is alive or the format changes (one engine per
   * worker). Throws (and changes nothing) when the new model cannot be fetched, verified or loaded.
   * Swaps are made one at a time, in call order.
   */
  swapModel(model: WorkerInit['model']): Promise<void> {
    const swap = this.swaps.then(() => this.swapNow(model));
    this.swaps = swap.catch(() => undefined);
    return swap;
  }

  private async swapNow(model: WorkerInit['model']): Promise<void> {
    if (this.disposed) throw new DisposedError('The runtime was disposed; create a new one.');
    const init: WorkerInit = { ...this.init, model };
    const live = this.current;
    if (!live?.client.alive) {
      // New runs wait for the new worker rather than start one on the old version.
      const reason = live ? 'the worker had crashed' : 'no worker running';
      return this.holding(() => this.swapWorker(init, reason));
    }
    const format = live.info?.model.format;
    if (format !== model.format)
      return this.swapWorker(
        init,
        `the format changes (${format} to ${model.format}): one engine per worker`,
      );
    const { client } = live;
    try {
      await client.unwrap(client.api.prepare(model));
    } catch (error) {
      if (client.alive || this.disposed) throw error;
      return this.swapWorker(init, 'the worker crashed while loading the new version');
    }
    await this.holding(async () => {
      try {
        await this.idle();
        // Let the feature records of those runs land, so they reach the old version's window.
        await new Promise((resolve) => setTimeout(resolve, 0));
        const info = await client.unwrap(client.api.activate(this.takeRecords()));
        live.info = info;
        this.init = init;
        this.lastInfo = info;
        this.lastSwap = { worker: 'same' };
      } catch (error) {
        if (this.disposed) throw new DisposedError('The runtime was disposed; create a new one.');
        if (client.alive) throw error;
        await this.swapWorker(init, 'the worker crashed while switching versions');
      }
    });
  }

  /** Runs `work` while new runs wait on the page. */
  private async holding(work: () => Promise<void>): Promise<void> {
    let release!: () => void;
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await work();
    } finally {
      this.held = undefined;
      release();
    }
  }

  /** Resolves once no run is in flight. */
  private idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.whenIdle = resolve;
    });
  }

  /** The swap of old: `init`'s model in a new worker; runs in flight finish on the old one. */
  private async swapWorker(init: WorkerInit, reason: string): Promise<void> {
    // A worker a run was already restarting becomes the old one below, and is retired.
    await this.starting?.catch(() => undefined);
    const next = await this.build(init);
    if (this.disposed) {
      await this.retire(next);
      throw new DisposedError('The runtime was disposed; create a new one.');
    }
    const old = this.current;
    this.init = init;
    this.current = next;
    this.lastInfo = next.info;
    this.lastSwap = { worker: 'new', reason };
    if (old) void this.retire(old);
  }

  /** @internal ends a worker once its queued runs are done. */
  async retire(generation: Generation): Promise<void> {
    try {
      if (generation.client.alive) await generation.client.call(generation.client.api.dispose());
    } catch {
      // Ended below either way.
    } finally {
      generation.client.terminate();
      generation.releaseOwner?.();
    }
  }

  /** @internal emits a runtime event (for the updater and the shadow runner). */
  emit<K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]): void {
    this.events.emit(type, event);
  }

  /** @internal runs `hook` when the runtime is disposed. */
  onDispose(hook: () => void): void {
    this.disposeHooks.push(hook);
  }

  /**
   * Runs the model once in the worker. Input buffers are transferred (the caller's arrays become
   * detached) unless `keepInputs` is set; outputs are fresh arrays the caller owns.
   * @throws InvalidTensorError, InferenceError, WorkerCrashedError, DisposedError
   */
  async run(inputs: NamedTensors, options: RunOptions = {}): Promise<NamedTensors> {
    const client = await this.acquire();
    try {
      return await this.runOn(client, inputs, options);
    } finally {
      if (--this.running === 0) {
        const idle = this.whenIdle;
        this.whenIdle = undefined;
        idle?.();
      }
    }
  }

  /**
   * The client the next run goes to, counted in `running` in the same step (so a swap waiting for
   * runs in flight sees it): waits while a swap activates, starts a worker when none is alive.
   */
  private async acquire(): Promise<WorkerClient> {
    for (;;) {
      while (this.held) await this.held;
      const live = this.current?.client;
      if (live?.alive) {
        this.running++;
        return live;
      }
      const started = await this.start();
      if (!this.held) {
        this.running++;
        return started;
      }
    }
  }

  private async runOn(
    client: WorkerClient,
    inputs: NamedTensors,
    options: RunOptions,
  ): Promise<NamedTensors> {
    const features = this.telemetry ? this.options.features : undefined;
    // Shared memory copies the inputs anyway; over the port they are transferred unless kept.
    const keep = (options.keepInputs || features !== undefined) && !client.copiesInputs;
    const sent = keep ? copyTensors(inputs) : inputs;
    const records = this.takeRecords();
    const started = performance.now();
    const meta = {
      ...(options.id !== undefined ? { id: options.id } : {}),
      ...(records.length ? { records } : {}),
    };
    const outputs = await client.run(sent, meta, client.copiesInputs ? [] : transferables(sent));
    if (this.telemetry) {
      const totalMs = performance.now() - started;
      if (features)
        setTimeout(() => this.addRecord({ totalMs, ...safeFeatures(features, inputs, outputs) }), 0);
      else this.addRecord({ totalMs });
    }
    return outputs;
  }

  /**
   * Records the outcome of a run tagged with `run(inputs, { id })`: accepted or not, and with a
   * label, whether the run's predicted class was right (`feedback.correct`, whose mean is accuracy).
   * @throws UnknownRunError when no recent run had this id.
   */
  async feedback(id: string, feedback: Feedback): Promise<void> {
    if (!this.telemetry) return;
    const client = await this.start();
    await client.unwrap(client.api.feedback(id, feedback));
  }

  /** The model, the backend in use, fallbacks with reasons, threads and segment. */
  info(): RuntimeInfo {
    const info = this.lastInfo;
    if (!info) throw new InvalidOptionsError('info() is available once createRuntime has resolved.');
    return {
      ...info,
      telemetry: this.telemetry && !info.telemetryError,
      workerStarts: this.workerStarts,
      ...(this.lastSwap ? { lastSwap: { ...this.lastSwap } } : {}),
    };
  }

  /** Closes the current window, writes it to the outbox and sends what is due to the collector. */
  async flush(): Promise<void> {
    if (!this.telemetryClient) return;
    await this.closeWindow();
    await (await this.telemetryReady())?.send();
  }

  private async closeWindow(): Promise<void> {
    const client = this.current?.client;
    if (!client?.alive) return;
    await this.pushRecords(client);
    await client.call(client.api.closeWindow());
  }

  /**
   * Writes the open window to IndexedDB now. Runs reach IndexedDB on their own within
   * `checkpointMs`; call this before navigating away on purpose.
   */
  async checkpoint(): Promise<void> {
    const client = this.current?.client;
    if (!this.telemetry || !client?.alive) return;
    await this.pushRecords(client);
    await client.call(client.api.checkpoint());
  }

  /** Outbox counters (sent, rejected, merged, dropped) and what is waiting; undefined without telemetry. */
  async stats(): Promise<TelemetryStats | undefined> {
    return (await this.telemetryReady())?.stats();
  }

  /** Closes the window, ends the worker, and stops sending; the runtime cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const hook of this.disposeHooks.splice(0)) hook();
    this.removePageListeners();
    const generation = this.current;
    this.current = undefined;
    if (generation?.client.alive) {
      try {
        await this.pushRecords(generation.client);
        await generation.client.call(generation.client.api.dispose());
      } catch {
        // The worker is ended below either way.
      } finally {
        generation.client.terminate();
      }
    }
    generation?.releaseOwner?.();
    const telemetry = await this.telemetryReady();
    await telemetry?.send();
    telemetry?.close();
  }

  /** @internal crashes the worker, for the end-to-end tests of crash recovery. */
  crashWorkerForTest(): void {
    this.current?.client.crashForTest();
  }

  /** @internal the page side of telemetry, or undefined when it is off or could not open IndexedDB. */
  telemetryReady(): Promise<TelemetryClient | undefined> {
    return this.telemetryClient?.catch(() => undefined) ?? Promise.resolve(undefined);
  }

  private listenToPage(): () => void {
    if (typeof document === 'undefined') return () => undefined;
    // Hidden may mean closed: end the window and send it with keepalive. If the page dies first,
    // the last checkpoint is in IndexedDB and the next sender (any tab) delivers it.
    const hide = () => {
      if (document.visibilityState !== 'hidden') return;
      void this.closeWindow()
        .catch(() => undefined)
        .then(() => this.telemetryReady())
        .then((t) => t?.send({ keepalive: true }));
    };
    document.addEventListener('visibilitychange', hide);
    addEventListener('pagehide', hide);
    return () => {
      document.removeEventListener('visibilitychange', hide);
      removeEventListener('pagehide', hide);
    };
  }

  private addRecord(record: RunRecord): void {
    this.records.push(record);
    this.recordTimer ??= setTimeout(() => {
      this.recordTimer = undefined;
      const client = this.current?.client;
      if (client?.alive) void this.pushRecords(client).catch(() => undefined);
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
): { features?: Record<string, number | string> } {
  try {
    return { features: fn(inputs, outputs) };
  } catch {
    return {};
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
  if (typeof options?.model === 'string') {
    // Loaded on demand: the managed runtime extends Runtime, so a static import would be a cycle.
    const { createManagedRuntime } = await import('./updater/managed-runtime.ts');
    return createManagedRuntime(options);
  }
  const runtime = new Runtime(options as ResolvedOptions);
  try {
    await runtime.start();
  } catch (error) {
    await runtime.dispose();
    throw error;
  }
  return runtime;
}
