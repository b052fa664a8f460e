import type { BatchLimits } from '../ingest/prepare-batch.ts';

/** Everything a collector can be configured with; every field has a default. */
export interface CollectorOptions {
  /** TCP port; 0 picks a free one. Default 8787. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** PGlite data directory (the default storage). In memory when neither this nor databaseUrl is set. */
  dataDir?: string;
  /** PostgreSQL URL; wins over dataDir. */
  databaseUrl?: string;
  /** pino level: fatal, error, warn, info, debug, trace, silent. Default info. */
  logLevel?: string;
  /** Largest request body in bytes, also after gzip decompression. Default 262144 (256 KB). */
  bodyLimit?: number;
  /** Origins allowed to call the ingest routes from a browser, besides those of the ingest keys. `*` allows any. */
  corsOrigins?: string[];
  /** Token-bucket limits; Infinity switches one off. */
  rateLimit?: Partial<RateLimitOptions>;
  /** Batch timestamp limits. */
  batchLimits?: Partial<BatchLimits>;
  /** How often the compactor merges stored windows into rollups, in ms. Default 1000. */
  compactIntervalMs?: number;
  /** Minute rollups older than this many hours are coarsened to 1-hour rollups. Default 168 (7 days). */
  retentionHours?: number;
  /** Inferences of a version that form its production baseline for drift. Default 1000. */
  baselineInferences?: number;
  /** How often alerts are evaluated, in ms. Default 30000. */
  alertIntervalMs?: number;
  /** The recent window that alerts look at, in ms. Default 15 minutes. */
  alertWindowMs?: number;
  /** How often the guarded rollout compares candidates with stable, in ms. Default 30000. */
  rolloutIntervalMs?: number;
  /** URL that alert events are POSTed to (with retries). */
  webhookUrl?: string;
  /**
   * Serve the well-known development keys (loopback hosts only). Without it, dev keys an earlier
   * `--dev` run made on this storage are revoked at start.
   */
  dev?: boolean;
  /**
   * Set by `serve --workers` in each cluster worker: responses carry `x-driftline-worker: <pid>` and
   * /metrics aggregates every worker's metrics through the primary.
   */
  clusterWorker?: boolean;
}

export interface RateLimitOptions {
  perKeyPerS: number;
  perKeyBurst: number;
  perDevicePerS: number;
  perDeviceBurst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  perKeyPerS: 20_000,
  perKeyBurst: 40_000,
  perDevicePerS: 5,
  perDeviceBurst: 30,
};

/** The secrets of the `--dev` keys. Anyone can read them here: never use `--dev` on a reachable host. */
export const DEV_KEYS = {
  ingest: 'dl_ingest_dev_local_only',
  read: 'dl_read_dev_local_only',
  admin: 'dl_admin_dev_local_only',
} as const;
