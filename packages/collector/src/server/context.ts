import type { FastifyBaseLogger } from 'fastify';
import type { KeyCache } from '../auth/key-cache.ts';
import type { BatchLimits } from '../ingest/prepare-batch.ts';
import type { RateLimiter } from '../ingest/rate-limiter.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { Storage } from '../storage/storage.ts';

/** What every route handler may use: built once per collector by createApp. */
export interface CollectorContext {
  storage: Storage;
  metrics: CollectorMetrics;
  keys: KeyCache;
  keyLimiter: RateLimiter;
  deviceLimiter: RateLimiter;
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
