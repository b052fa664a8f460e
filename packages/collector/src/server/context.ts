import type { FastifyBaseLogger } from 'fastify';
import type { KeyCache } from '../auth/key-cache.ts';
import type { OriginPolicy } from '../ingest/origin-policy.ts';
import type { BatchLimits } from '../ingest/prepare-batch.ts';
import type { Limiter } from '../ingest/rate-limiter.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { Storage } from '../storage/storage.ts';

/** What every route handler may use: built once per collector by createApp. */
export interface CollectorContext {
  storage: Storage;
  metrics: CollectorMetrics;
  keys: KeyCache;
  /** Per key: shared by every process on PostgreSQL, in process on PGlite. */
  keyLimiter: Limiter;
  /** Per device, in process (a device's batches mostly ride one connection, that is one process). */
  deviceLimiter: Limiter;
  /** Which browser origins may call the ingest routes. */
  origins: OriginPolicy;
  batchLimits: BatchLimits;
  bodyLimit: number;
  corsOrigins: string[];
  baselineInferences: number;
  /** Rollups finer than an hour are kept this many hours. */
  retentionHours: number;
  log: FastifyBaseLogger;
  /** False once shutdown has begun; /readyz answers 503 then. */
  ready: boolean;
}
