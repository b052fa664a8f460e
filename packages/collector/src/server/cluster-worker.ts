import { AggregatorRegistry, Registry } from 'prom-client';
import {
  isDriftlineMessage,
  type MetricsJson,
  type PrimaryMessage,
  type WorkerMessage,
} from './cluster-messages.ts';

const send = (m: WorkerMessage) => process.send?.(m);

/**
 * The metrics registry of a `serve --workers` worker. Its own metrics go to the primary when the
 * primary collects; `metrics()` (what /metrics serves) asks the primary for every other worker's
 * and aggregates them with its own, listed first: counters and histograms are summed, gauges use
 * their `aggregator` (`first` is this worker's value, fresh for this scrape).
 */
export class ClusterWorkerRegistry extends Registry {
  private nextId = 0;
  private readonly pending = new Map<number, (parts: MetricsJson[]) => void>();

  constructor(
    /** How long a scrape waits for the other workers before serving what it has. */
    private readonly timeoutMs = 2_000,
  ) {
    super();
    process.on('message', (m: unknown) => {
      if (!isDriftlineMessage(m)) return;
      const msg = m as PrimaryMessage;
      if (msg.type === 'driftline:metrics-collect') {
        void this.getMetricsAsJSON().then((metrics) =>
          send({ type: 'driftline:metrics-part', id: msg.id, metrics }),
        );
      } else if (msg.type === 'driftline:metrics-reply') {
        this.pending.get(msg.id)?.(msg.parts);
      }
    });
  }

  override async metrics(): Promise<string> {
    const own = await this.getMetricsAsJSON();
    const others = process.connected ? await this.askOthers() : [];
    return AggregatorRegistry.aggregate([own, ...others]).metrics();
  }

  private askOthers(): Promise<MetricsJson[]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const done = (parts: MetricsJson[]) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(parts);
      };
      const timer = setTimeout(() => done([]), this.timeoutMs);
      this.pending.set(id, done);
      send({ type: 'driftline:metrics-request', id });
    });
  }
}

/** Tells the primary that this worker listens. */
export function announceReady(url: string, port: number, storage: string): void {
  send({ type: 'driftline:ready', url, port, storage });
}

/**
 * Resolves on SIGINT, SIGTERM or the primary's shutdown message, whichever comes first. The signal
 * handlers stay for the rest of the process: Ctrl-C signals the primary and every worker at once,
 * and a second signal must not kill a worker that is still closing.
 */
export function shutdownRequested(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => resolve();
    process.on('message', (m: unknown) => {
      if (isDriftlineMessage(m) && m.type === 'driftline:shutdown') stop();
    });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
