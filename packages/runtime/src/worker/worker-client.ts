import * as Comlink from 'comlink';
import { type DriftlineError, deserializeError, WorkerCrashedError, WorkerLoadError } from '../errors.ts';
import type { NamedTensors } from '../tensor.ts';
import type {
  Result,
  RunMeta,
  RunRequest,
  RunResponse,
  WorkerApi,
  WorkerInfo,
  WorkerInit,
} from './messages.ts';
import { createSharedRunBuffer, SharedRunClient, sharedMemoryAvailable } from './shared-run-client.ts';

/** Message the worker entry treats as a request to crash; used by the end-to-end tests. */
export const CRASH_FOR_TEST = 'driftline:crash-for-test';

/**
 * One worker generation seen from the page: spawns it, initialises it, and turns an uncaught error
 * in it into a {@link WorkerCrashedError} for every pending call. Once crashed it stays dead; the
 * runtime makes a new one for the next call.
 */
export class WorkerClient {
  readonly api: Comlink.Remote<WorkerApi>;
  private crashed: DriftlineError | undefined;
  private readonly rejecters = new Set<(error: DriftlineError) => void>();
  private readonly runPort: MessagePort;
  private readonly workerPort: MessagePort;
  private readonly pendingRuns = new Map<
    number,
    { resolve: (outputs: NamedTensors) => void; reject: (error: DriftlineError) => void }
  >();
  private nextRunId = 0;
  private shared: SharedRunClient | undefined;
  /** Calls answered over the port that the shared-memory queue waits for. */
  private readonly answered = new Map<number, () => void>();

  constructor(
    private readonly worker: Worker,
    private readonly onCrash: (error: DriftlineError) => void,
  ) {
    this.api = Comlink.wrap<WorkerApi>(worker);
    const channel = new MessageChannel();
    this.runPort = channel.port1;
    this.workerPort = channel.port2;
    this.runPort.onmessage = (event: MessageEvent<RunResponse>) =>
      this.settle(event.data.id, event.data.result);
    const crash = (event: Event) => {
      if (event.type === 'error' && !(event instanceof ErrorEvent)) {
        // A script that never ran reports a bare error event: not found, or not JavaScript.
        this.kill(
          new WorkerLoadError(
            'The model worker script could not be loaded. With esbuild or without a bundler, run ' +
              '`npx driftline-runtime copy-assets <public dir>/driftline` and pass ' +
              "`assetBase: '/driftline/'` (docs/install/); or build the worker yourself with `createWorker`.",
          ),
        );
        return;
      }
      const detail = event instanceof ErrorEvent ? event.message : 'the worker could not read a message';
      this.kill(
        new WorkerCrashedError(`The model worker crashed (${detail}); the next call starts a new worker.`),
      );
    };
    worker.addEventListener('error', crash);
    worker.addEventListener('messageerror', crash);
  }

  get alive(): boolean {
    return !this.crashed;
  }

  /**
   * Initialises the worker; throws the typed error when the model cannot load. On a cross-origin
   * isolated page the worker also gets shared memory for `run` calls.
   */
  async init(init: WorkerInit): Promise<WorkerInfo> {
    const port = this.workerPort;
    const runBuffer = sharedMemoryAvailable() ? createSharedRunBuffer() : undefined;
    const info = await this.unwrap(
      this.api.init(
        Comlink.transfer({ ...init, runPort: port, ...(runBuffer ? { runBuffer } : {}) }, [port]),
      ),
    );
    if (runBuffer && info.dataPlane === 'shared-memory' && !this.crashed) {
      this.shared = new SharedRunClient(runBuffer, {
        post: (id, inputs, meta) => this.runPort.postMessage({ id, inputs, meta } satisfies RunRequest),
        answered: (id) =>
          this.pendingRuns.has(id)
            ? new Promise((resolve) => this.answered.set(id, resolve))
            : Promise.resolve(),
        settle: (id, answer) => this.settle(id, answer),
      });
    }
    return info;
  }

  /** Whether `run` copies inputs through shared memory (true) or transfers them over the port. */
  get copiesInputs(): boolean {
    return this.shared !== undefined;
  }

  /**
   * One `run`: on the shared-memory plane, copied (`transfer` ignored) and sent in order through
   * shared memory or, when too big, the run port; else over the run port, moving the `transfer`
   * buffers to the worker.
   */
  run(inputs: NamedTensors, meta: RunMeta, transfer: Transferable[]): Promise<NamedTensors> {
    if (this.crashed) return Promise.reject(this.crashed);
    const id = this.nextRunId++;
    return new Promise<NamedTensors>((resolve, reject) => {
      this.pendingRuns.set(id, { resolve, reject });
      if (this.shared) this.shared.send(id, inputs, meta);
      else this.runPort.postMessage({ id, inputs, meta } satisfies RunRequest, transfer);
    });
  }

  private settle(id: number, result: Result<NamedTensors>): void {
    const pending = this.pendingRuns.get(id);
    this.pendingRuns.delete(id);
    if (result.ok) pending?.resolve(result.value);
    else pending?.reject(deserializeError(result.error));
    this.answered.get(id)?.();
    this.answered.delete(id);
  }

  /** Rejects every pending run with `error` and releases the shared-memory queue. */
  private rejectRuns(error: DriftlineError): void {
    this.shared?.close();
    for (const pending of this.pendingRuns.values()) pending.reject(error);
    this.pendingRuns.clear();
    for (const resolve of this.answered.values()) resolve();
    this.answered.clear();
  }

  /** Awaits a worker answer; rejects at once when the worker crashes meanwhile. */
  call<T>(answer: Promise<T>): Promise<T> {
    if (this.crashed) return Promise.reject(this.crashed);
    return new Promise<T>((resolve, reject) => {
      this.rejecters.add(reject);
      answer.then(
        (value) => {
          this.rejecters.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.rejecters.delete(reject);
          reject(error);
        },
      );
    });
  }

  /** Like {@link call} for answers in the `Result` shape: unwraps the value or throws the typed error. */
  async unwrap<T>(answer: Promise<Result<T>>): Promise<T> {
    const result = await this.call(answer);
    if (!result.ok) throw deserializeError(result.error);
    return result.value;
  }

  /** Asks the worker to throw an uncaught error (tests only). */
  crashForTest(): void {
    this.worker.postMessage(CRASH_FOR_TEST);
  }

  kill(error: DriftlineError): void {
    if (this.crashed) return;
    this.crashed = error;
    this.worker.terminate();
    this.runPort.close();
    for (const reject of this.rejecters) reject(error);
    this.rejecters.clear();
    this.rejectRuns(error);
    this.onCrash(error);
  }

  /** Ends the worker without counting it as a crash. */
  terminate(): void {
    this.crashed ??= new WorkerCrashedError('The worker was terminated.');
    this.worker.terminate();
    this.runPort.close();
    this.rejectRuns(this.crashed);
    this.api[Comlink.releaseProxy]();
  }
}
