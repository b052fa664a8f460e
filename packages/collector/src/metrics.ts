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
  refused: Counter<'reason'>;
  dbSeconds: Histogram<'op'>;
  pendingParts: Gauge;
  events: Counter<'kind'>;
}

/**
 * Why a request was refused, the label of `driftline_refused_requests_total`: a fixed set, so
 * that the series stay few. `missing_key` and `unknown_key` (unknown or revoked) are both 401
 * `unauthorized`; `role` is 403 `forbidden`; `origin` is 403 `origin_not_allowed`, preflights included.
 */
export const REFUSAL_REASONS = [
  'missing_key',
  'unknown_key',
  'revoked_key',
  'expired_key',
  'role',
  'origin',
  'rate_limited',
  'invalid_batch',
  'payload_too_large',
  'unsupported_media_type',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const REASON_OF_CODE: Record<string, RefusalReason> = {
  key_revoked: 'revoked_key',
  key_expired: 'expired_key',
  forbidden: 'role',
  origin_not_allowed: 'origin',
  rate_limited: 'rate_limited',
  invalid_batch: 'invalid_batch',
  payload_too_large: 'payload_too_large',
  unsupported_media_type: 'unsupported_media_type',
};

/** The refusal reason of an error code, or null for an error that is not a refusal (404, 500, …). */
export function refusalReason(code: string, sentKey: boolean): RefusalReason | null {
  if (code === 'unauthorized') return sentKey ? 'unknown_key' : 'missing_key';
  return REASON_OF_CODE[code] ?? null;
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
    refused: refusedCounter(registers),
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

function refusedCounter(registers: Registry[]): Counter<'reason'> {
  const counter = new Counter({
    name: 'driftline_refused_requests_total',
    help: 'Requests refused, by reason (key, role, origin, rate limit, invalid batch, …).',
    labelNames: ['reason'],
    registers,
  });
  // Every reason is exported from the start (at 0), so a dashboard sees the series before the first refusal.
  for (const reason of REFUSAL_REASONS) counter.inc({ reason }, 0);
  return counter;
}
