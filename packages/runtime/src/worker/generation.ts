import type { DriftlineError } from '../errors.ts';
import type { TelemetryClient } from '../telemetry/telemetry-client.ts';
import type { TelemetryInit, WorkerInfo, WorkerInit } from './messages.ts';
import { WorkerClient } from './worker-client.ts';

/** One worker with one model loaded, and the telemetry owner lock it holds while alive. */
export interface Generation {
  client: WorkerClient;
  releaseOwner?: () => void;
  info?: WorkerInfo;
}

/** Telemetry settings every generation's window recorder starts with. */
export type GenerationTelemetry = Omit<TelemetryInit, 'ownerId' | 'role'>;

export interface GenerationFactoryOptions {
  createWorker: () => Worker;
  /** The page side of telemetry, or undefined when it is off or IndexedDB could not be opened. */
  telemetry: () => Promise<TelemetryClient | undefined>;
  telemetrySettings: GenerationTelemetry;
  /** A generation's worker crashed; its pending calls were rejected with `error`. */
  onCrash: (error: DriftlineError) => void;
}

/**
 * Starts and retires worker generations. The plain runtime, the managed runtime's version swaps
 * and the shadow runner all build their workers here, so each one holds its own owner lock (its
 * open window is delivered by the page only once it is gone) and starts with the same settings.
 */
export class GenerationFactory {
  /** Generations started (more than 1 after a crash, a swap to a new worker, or a shadow). */
  starts = 0;

  constructor(private readonly options: GenerationFactoryOptions) {}

  /** Starts a worker with `base` and loads its model. Throws (and leaves nothing running) on failure. */
  async build(base: WorkerInit): Promise<Generation> {
    const generation: Generation = {
      client: new WorkerClient(this.options.createWorker(), (error) => {
        generation.releaseOwner?.();
        this.options.onCrash(error);
      }),
    };
    const init: WorkerInit = { ...base };
    const telemetry = await this.options.telemetry();
    if (telemetry) {
      const ownerId = crypto.randomUUID();
      generation.releaseOwner = await telemetry.holdOwner(ownerId);
      init.telemetry = {
        ...this.options.telemetrySettings,
        ownerId,
        ...(base.telemetry?.role ? { role: base.telemetry.role } : {}),
      };
    }
    this.starts++;
    try {
      generation.info = await generation.client.init(init);
    } catch (error) {
      generation.client.terminate();
      generation.releaseOwner?.();
      throw error;
    }
    return generation;
  }

  /** Ends a generation's worker once its queued calls are done, and releases its owner lock. */
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
}
