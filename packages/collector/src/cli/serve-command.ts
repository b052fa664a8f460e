import cluster from 'node:cluster';
import { checkDevHost, syncDevKeys } from '../auth/dev-keys.ts';
import { startClusterPrimary } from '../server/cluster-primary.ts';
import { announceReady, shutdownRequested } from '../server/cluster-worker.ts';
import { type CollectorOptions, DEV_KEYS } from '../server/options.ts';
import { startCollector } from '../server/start-collector.ts';
import { openStorage } from '../storage/open-storage.ts';
import { type Args, flag, intFlag, UsageError } from './args.ts';

/** Most workers `serve --workers` starts. */
export const MAX_WORKERS = 64;

/**
 * `driftline serve`: runs until SIGINT/SIGTERM, then shuts down gracefully. With `--workers N`
 * (N > 1, PostgreSQL only) this process becomes a cluster primary and N workers, each a collector,
 * share its port; a worker runs this same command and takes the worker branch.
 */
export async function serveCommand(args: Args): Promise<number> {
  const dev = args.flags.get('dev') === true || Boolean(process.env.DRIFTLINE_DEV_INGEST_KEY);
  const databaseUrl = flag(args, 'database-url') ?? process.env.DATABASE_URL;
  const cors = flag(args, 'cors-origins') ?? process.env.DRIFTLINE_CORS_ORIGINS;
  const workers = workersFlag(args);
  const opts: CollectorOptions = {
    port: intFlag(args, 'port', Number(process.env.PORT ?? 8787)),
    host: flag(args, 'host') ?? process.env.HOST ?? '127.0.0.1',
    dataDir: flag(args, 'data-dir') ?? process.env.DRIFTLINE_DATA_DIR ?? '.driftline/data',
    databaseUrl,
    logLevel: flag(args, 'log-level') ?? process.env.LOG_LEVEL ?? 'info',
    webhookUrl: flag(args, 'webhook-url') ?? process.env.DRIFTLINE_WEBHOOK_URL,
    corsOrigins: cors ? cors.split(',') : dev ? ['*'] : [],
    dev,
  };
  if (cluster.isWorker) return serveWorker(opts);
  if (workers > 1) {
    if (!databaseUrl) {
      throw new UsageError('--workers needs --database-url: the embedded database belongs to one process.');
    }
    return servePrimary(opts, workers);
  }
  const collector = await startCollector(opts);
  if (dev) printDevKeys();
  console.error(`driftline: collector listening on ${collector.url} (storage: ${collector.storage.kind})`);
  await signalled();
  await collector.close();
  return 0;
}

/** `--workers` or DRIFTLINE_WORKERS, an integer in 1..MAX_WORKERS; default 1 (no cluster). */
function workersFlag(args: Args): number {
  const raw = flag(args, 'workers') ?? process.env.DRIFTLINE_WORKERS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(`--workers must be an integer in 1..${MAX_WORKERS} (got "${raw}").`);
  }
  return n;
}

/** The primary: migrates and makes the dev keys once, then forks the workers and waits for a signal. */
async function servePrimary(opts: CollectorOptions, workers: number): Promise<number> {
  if (opts.dev) checkDevHost(opts.host ?? '127.0.0.1');
  const storage = await openStorage(opts);
  try {
    await syncDevKeys(storage, opts.dev ?? false);
  } finally {
    await storage.close();
  }
  const primary = startClusterPrimary({ workers, log: (line) => console.error(`driftline: ${line}`) });
  const stop = () => void primary.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const listening = await primary.listening;
    if (listening) {
      if (opts.dev) printDevKeys();
      console.error(
        `driftline: collector listening on ${listening.url} (storage: ${listening.storage}, ${workers} workers)`,
      );
    }
    return await primary.exited;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** A worker: one collector on the shared port, until the primary (or a signal) says stop. */
async function serveWorker(opts: CollectorOptions): Promise<number> {
  const shutdown = shutdownRequested();
  try {
    const collector = await startCollector({
      ...opts,
      dev: false, // the primary made the keys
      clusterWorker: true,
    });
    announceReady(collector.url, collector.port, collector.storage.kind);
    await shutdown;
    await collector.close();
    return 0;
  } finally {
    cluster.worker?.disconnect();
  }
}

function printDevKeys(): void {
  console.error(`driftline: DEV MODE - well-known keys, never expose this collector:
  ingest key: ${DEV_KEYS.ingest}
  read key:   ${DEV_KEYS.read}
  admin key:  ${DEV_KEYS.admin}`);
}

function signalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
