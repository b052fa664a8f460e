import type { Registry } from 'prom-client';

/** One worker's metrics as `Registry.getMetricsAsJSON()` answers them: what crosses IPC for /metrics. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The messages between the `serve --workers` primary and its workers, over the cluster IPC channel.
 * Every request carries an id that its reply repeats.
 */
export type WorkerMessage =
  /** The worker listens: the primary prints the URL once every worker has said so. */
  | { type: 'driftline:ready'; url: string; port: number; storage: string }
  /** A worker answering /metrics asks for every other worker's metrics. */
  | { type: 'driftline:metrics-request'; id: number }
  /** A worker's own metrics, for a collect round of the primary. */
  | { type: 'driftline:metrics-part'; id: number; metrics: MetricsJson };

export type PrimaryMessage =
  /** Close gracefully (stop accepting, finish in-flight requests, close storage), then exit 0. */
  | { type: 'driftline:shutdown' }
  /** Send your metrics for collect round `id`. */
  | { type: 'driftline:metrics-collect'; id: number }
  /** The other workers' metrics for request `id` (those that answered in time). */
  | { type: 'driftline:metrics-reply'; id: number; parts: MetricsJson[] };

/** Whether an IPC message is one of ours (the channel also carries Node's own cluster messages). */
export function isDriftlineMessage(m: unknown): m is { type: string } {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('driftline:')
  );
}
