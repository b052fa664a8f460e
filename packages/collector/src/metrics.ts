import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The collector's Prometheus metrics, one registry per collector instance. */
export interface CollectorMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'route'>;
  ingestBatches: Counter<'result'>;
  ingestWindows: Counter;
  ingestInferences: Counter;
  rejects: Counter<'code'>;
  dbSeconds: Histogram<'op'>;
  pendingParts: Gauge;
  events: Counter<'kind'>;
}

/**
 * Creates the metrics; `defaults` adds the process metrics (CPU, memory, event loop). `registry`
 * is where they register: a `serve --workers` worker passes one that aggregates across workers.
 */
export function createMetrics(defaults = true, registry: Registry = new Registry()): CollectorMetrics {
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'driftline_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'driftline_http_requests_total',
      help: 'HTTP requests by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'driftline_http_request_duration_seconds',
      help: 'HTTP request duration.',
      labelNames: ['route'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    ingestBatches: new Counter({
      name: 'driftline_ingest_batches_total',
      help: 'Telemetry batches by result (stored, duplicate).',
      labelNames: ['result'],
      registers,
    }),
    ingestWindows: new Counter({
      name: 'driftline_ingest_windows_total',
      help: 'Windows stored.',
      registers,
    }),
    ingestInferences: new Counter({
      name: 'driftline_ingest_inferences_total',
      help: 'Inferences counted in stored windows.',
      registers,
    }),
    rejects: new Counter({
      name: 'driftline_rejects_total',
      help: 'Requests answered with an error, by error code.',
      labelNames: ['code'],
      registers,
    }),
    dbSeconds: new Histogram({
      name: 'driftline_db_duration_seconds',
      help: 'Storage operation duration by operation.',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    }),
    pendingParts: new Gauge({
      name: 'driftline_rollup_parts_pending',
      help: 'Stored windows not yet compacted into rollups (the compaction queue).',
      // one shared table: with several workers, the value of the worker answering the scrape (fresh)
      aggregator: 'first',
      registers,
    }),
    events: new Counter({
      name: 'driftline_events_total',
      help: 'Alert events recorded, by kind.',
      labelNames: ['kind'],
      registers,
    }),
  };
}
