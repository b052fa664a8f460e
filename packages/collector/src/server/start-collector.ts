import { evaluateAlerts } from '../alerts/evaluate-alerts.ts';
import { deliverWebhooks } from '../alerts/webhook-deliverer.ts';
import { checkDevHost, syncDevKeys } from '../auth/dev-keys.ts';
import { evaluateRollouts } from '../rollout/evaluate-rollouts.ts';
import { compactAll, dropFineRollups } from '../rollups/compactor.ts';
import { partCacheFor } from '../rollups/part-cache.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { createApp } from './create-app.ts';
import type { CollectorOptions } from './options.ts';
import { every } from './periodic.ts';

/** A running collector. */
export interface Collector {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  port: number;
  storage: Storage;
  /** Merges stored windows into rollups now (queries are exact without it; this is for tests and benches). */
  compact(): Promise<number>;
  /** Evaluates alerts now (they also run every alertIntervalMs); answers the events recorded. */
  evaluateAlerts(): Promise<number>;
  /** Runs the guarded rollout now (it also runs every rolloutIntervalMs); answers the models it judged. */
  evaluateRollouts(): Promise<number>;
  /** Graceful shutdown: stop accepting, finish in-flight requests, stop compaction, close storage. */
  close(): Promise<void>;
}

/**
 * Opens storage (PostgreSQL when `databaseUrl`, else PGlite on `dataDir`, else in memory), migrates
 * it, and serves the collector API.
 * @example
 * const c = await startCollector({ port: 0, dataDir: '.driftline/data' });
 * const { secret } = await createKey(c.storage, 'ingest');
 * await c.close();
 */
export async function startCollector(opts: CollectorOptions = {}): Promise<Collector> {
  if (opts.dev) checkDevHost(opts.host ?? '127.0.0.1');
  const storage = await openStorage(opts);
  try {
    // A `serve --workers` worker leaves the keys to its primary, which syncs them once.
    if (!opts.clusterWorker) await syncDevKeys(storage, opts.dev ?? false);
    const { app, ctx } = await createApp(storage, opts);
    const onError = (job: string) => (err: unknown) =>
      app.log.error({ err }, `${job} failed; retrying next tick`);
    const compactor = every(
      opts.compactIntervalMs ?? 1_000,
      () => compactAll(storage, partCacheFor(storage)),
      onError('compaction'),
    );
    const alertOpts = {
      windowMs: opts.alertWindowMs ?? 15 * 60_000,
      baselineInferences: ctx.baselineInferences,
      webhookUrl: opts.webhookUrl ?? null,
    };
    const alerts = every(
      opts.alertIntervalMs ?? 30_000,
      async () => {
        const events = await evaluateAlerts(storage, alertOpts);
        for (const e of events) ctx.metrics.events.inc({ kind: e.kind });
        return events.length;
      },
      onError('alert evaluation'),
    );
    const rollouts = every(
      opts.rolloutIntervalMs ?? 30_000,
      async () => (await evaluateRollouts(storage)).length,
      onError('guarded rollout'),
    );
    const webhooks = every(1_000, () => deliverWebhooks(storage), onError('webhook delivery'));
    const coarsen = every(
      10 * 60_000,
      () => dropFineRollups(storage, Math.floor((Date.now() - ctx.retentionHours * 3_600_000) / 60_000)),
      onError('coarsening'),
    );
    await app.listen({ port: opts.port ?? 8787, host: opts.host ?? '127.0.0.1' });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8787);
    let closing: Promise<void> | null = null;
    return {
      url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
      port,
      storage,
      compact: () => compactor.runNow(),
      evaluateAlerts: () => alerts.runNow(),
      evaluateRollouts: () => rollouts.runNow(),
      close: () => {
        closing ??= (async () => {
          ctx.ready = false;
          // Node closes the idle keep-alive connections once, when close starts; one that finishes an
          // in-flight request afterwards would hold close open until its keep-alive timeout (72 s).
          const idle = setInterval(() => app.server.closeIdleConnections(), 50);
          try {
            await app.close();
          } finally {
            clearInterval(idle);
          }
          await Promise.all([
            compactor.stop(),
            alerts.stop(),
            rollouts.stop(),
            webhooks.stop(),
            coarsen.stop(),
          ]);
          await storage.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}
