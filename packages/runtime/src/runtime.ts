import type { Fallback } from './backends/resolve-backend.ts';
import { DisposedError, type DriftlineError, InvalidOptionsError } from './errors.ts';
import { Emitter } from './events.ts';
import { checkOptions } from './options.ts';
import { outboxName } from './outbox/outbox-db.ts';
import type { SenderEvents } from './outbox/sender.ts';
import { type DeliveryStatus, DeliveryTracker } from './telemetry/delivery-status.ts';
import { onPageHide } from './telemetry/page-hide.ts';
import { RunRecords } from './telemetry/run-records.ts';
import { TelemetryClient, type TelemetryStats } from './telemetry/telemetry-client.ts';
import { copyTensors, type NamedTensors, transferables } from './tensor.ts';
import type { UpdateEvent } from './updater/update-event.ts';
import { createModuleWorker } from './worker/create-worker.ts';
import { type Generation, GenerationFactory } from './worker/generation.ts';
import type { Feedback, WorkerInfo, WorkerInit } from './worker/messages.ts';
import { RunGate } from './worker/run-gate.ts';
import type { WorkerClient } from './worker/worker-client.ts';
import { type ResolvedOptions, workerInitFrom } from './worker/worker-init.ts';

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
  /** Delivery changed: after every send attempt, with what `status()` answers then. */
  status: DeliveryStatus;
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
  private current: Generation | undefined;
  private starting: Promise<WorkerClient> | undefined;
  private lastInfo: WorkerInfo | undefined;
  private disposed = false;
  private telemetryClient: Promise<TelemetryClient> | undefined;
  private readonly events = new Emitter<RuntimeEvents>();
  private init: WorkerInit;
  private readonly disposeHooks: Array<() => void> = [];
  private readonly telemetry: boolean;
  private readonly records = new RunRecords(() => this.current?.client);
  private readonly delivery = new DeliveryTracker();
  private readonly removePageListeners: () => void = () => undefined;
  /** New runs wait while a swap activates its version; the swap waits for the runs in flight. */
  private readonly gate = new RunGate();
  private swaps: Promise<unknown> = Promise.resolve();
  private lastSwap: SwapInfo | undefined;
  /** @internal builds this runtime's workers; the shadow runner builds its own here too. */
  readonly generations: GenerationFactory;

  /** @internal use {@link createRuntime}. */
  constructor(private readonly options: ResolvedOptions) {
    checkOptions(options);
    this.telemetry = options.telemetry ?? Boolean(options.collector);
    this.init = workerInitFrom(options);
    const assetBase = this.init.assetBase;
    this.generations = new GenerationFactory({
      createWorker: options.createWorker ?? (() => createModuleWorker(assetBase)),
      telemetry: () => this.telemetryReady(),
      telemetrySettings: {
        outbox: outboxName(options.collector),
        windowSeconds: options.window?.seconds ?? 60,
        maxInferences: options.window?.maxInferences ?? 5000,
        maxTrackedRuns: options.maxTrackedRuns ?? 1000,
        checkpointMs: options.checkpointMs ?? 200,
      },
      onCrash: (error) => {
        this.events.emit('crash', error);
        void this.telemetryReady().then((t) => t?.send());
      },
    });
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
        (type, event) => {
          this.delivery.observe(type, event);
          this.events.emit(type, event as RuntimeEvents[typeof type]);
          void this.status().then((status) => status && this.events.emit('status', status));
        },
      );
      this.telemetryClient.catch(() => undefined);
      // Hidden may mean closed: end the window and send it with keepalive. If the page dies first,
      // the last checkpoint is in IndexedDB and the next sender (any tab) delivers it.
      this.removePageListeners = onPageHide(() => {
        void this.closeWindow()
          .catch(() => undefined)
          .then(() => this.telemetryReady())
          .then((t) => t?.send({ keepalive: true }));
      });
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
    const generation = await this.generations.build(this.init);
    if (!this.lastInfo) for (const f of generation.info?.fallbacks ?? []) this.events.emit('fallback', f);
    this.lastInfo = generation.info;
    this.current = generation;
    return generation.client;
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
      return this.gate.hold(() => this.swapWorker(init, reason));
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
    await this.gate.hold(async () => {
      try {
        await this.gate.idle();
        // Let the feature records of those runs land, so they reach the old version's window.
        await new Promise((resolve) => setTimeout(resolve, 0));
        const records = this.records.take();
        const info = await client.unwrap(client.api.activate(records)).catch((error: unknown) => {
          // Not delivered when the worker died: they go to the next worker instead of nowhere.
          if (!client.alive) this.records.putBack(records);
          throw error;
        });
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

  /** The swap of old: `init`'s model in a new worker; runs in flight finish on the old one. */
  private async swapWorker(init: WorkerInit, reason: string): Promise<void> {
    // A worker a run was already restarting becomes the old one below, and is retired.
    await this.starting?.catch(() => undefined);
    const next = await this.generations.build(init);
    if (this.disposed) {
      await this.generations.retire(next);
      throw new DisposedError('The runtime was disposed; create a new one.');
    }
    const old = this.current;
    this.init = init;
    this.current = next;
    this.lastInfo = next.info;
    this.lastSwap = { worker: 'new', reason };
    if (old) void this.generations.retire(old);
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
      this.gate.leave();
    }
  }

  /**
   * The client the next run goes to, counted in the gate in the same step (so a swap waiting for
   * runs in flight sees it): waits while a swap activates, starts a worker when none is alive.
   */
  private async acquire(): Promise<WorkerClient> {
    for (;;) {
      await this.gate.open();
      const live = this.current?.client;
      if (live?.alive) {
        this.gate.enter();
        return live;
      }
      const started = await this.start();
      if (!this.gate.closed) {
        this.gate.enter();
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
    const records = this.records.take();
    const started = performance.now();
    const meta = {
      ...(options.id !== undefined ? { id: options.id } : {}),
      ...(records.length ? { records } : {}),
    };
    const outputs = await client
      .run(sent, meta, client.copiesInputs ? [] : transferables(sent))
      .catch((error) => {
        if (!client.alive) this.records.putBack(records);
        throw error;
      });
    if (this.telemetry) this.records.add(performance.now() - started, features, inputs, outputs);
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
      workerStarts: this.generations.starts,
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
    await this.records.flush(client);
    await client.call(client.api.closeWindow());
  }

  /**
   * Writes the open window to IndexedDB now. Runs reach IndexedDB on their own within
   * `checkpointMs`; call this before navigating away on purpose.
   */
  async checkpoint(): Promise<void> {
    const client = this.current?.client;
    if (!this.telemetry || !client?.alive) return;
    await this.records.flush(client);
    await client.call(client.api.checkpoint());
  }

  /** Outbox counters (sent, rejected, merged, dropped) and what is waiting; undefined without telemetry. */
  async stats(): Promise<TelemetryStats | undefined> {
    return (await this.telemetryReady())?.stats();
  }

  /**
   * Whether telemetry reaches the collector: the last success, the last error code since then
   * (`NETWORK` covers offline, unreachable and a CORS refusal of this origin), and what waits in
   * the outbox. Undefined without telemetry. The `status` event carries the same after each send.
   */
  async status(): Promise<DeliveryStatus | undefined> {
    const telemetry = await this.telemetryReady();
    if (!telemetry) return undefined;
    const { pending } = await telemetry.stats();
    return this.delivery.status({ windows: pending.windows, inferences: pending.inferences });
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
        await this.records.flush(generation.client);
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
}
