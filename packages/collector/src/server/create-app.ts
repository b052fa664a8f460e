import Fastify, { type FastifyInstance } from 'fastify';
import { auditHook } from '../auth/audit-log.ts';
import { authenticate } from '../auth/authenticate.ts';
import { KeyCache } from '../auth/key-cache.ts';
import { dashboardRoutes } from '../dashboard/dashboard-routes.ts';
import { notFound } from '../errors.ts';
import { OriginPolicy } from '../ingest/origin-policy.ts';
import { DEFAULT_BATCH_LIMITS } from '../ingest/prepare-batch.ts';
import { RateLimiter } from '../ingest/rate-limiter.ts';
import { SharedRateLimiter } from '../ingest/shared-rate-limiter.ts';
import { type CollectorMetrics, createMetrics } from '../metrics.ts';
import { openArtifactStore } from '../registry/artifact-store.ts';
import { alertRoutes } from '../routes/alert-routes.ts';
import { analystRoutes } from '../routes/analyst-routes.ts';
import { healthRoutes } from '../routes/health-routes.ts';
import { keyRoutes } from '../routes/key-routes.ts';
import { refuseUnstorable } from '../routes/refuse-unstorable.ts';
import { registryRoutes } from '../routes/registry-routes.ts';
import { rolloutRoutes } from '../routes/rollout-routes.ts';
import { telemetryRoutes } from '../routes/telemetry-route.ts';
import type { Storage } from '../storage/storage.ts';
import { ClusterWorkerRegistry } from './cluster-worker.ts';
import type { CollectorContext } from './context.ts';
import { errorHandler } from './error-handler.ts';
import { OpenApiCollector } from './openapi.ts';
import { type CollectorOptions, DEFAULT_RATE_LIMIT } from './options.ts';

/**
 * Builds the collector's Fastify app on an open storage, without listening: tests use
 * `app.inject`, startCollector adds listen, compaction and shutdown.
 */
export async function createApp(
  storage: Storage,
  opts: CollectorOptions = {},
  metrics: CollectorMetrics = createMetrics(
    true,
    opts.clusterWorker ? new ClusterWorkerRegistry() : undefined,
  ),
): Promise<{ app: FastifyInstance; ctx: CollectorContext }> {
  const bodyLimit = opts.bodyLimit ?? 256 * 1024;
  const onError = errorHandler(metrics, bodyLimit);
  const app = Fastify({
    logger: { level: opts.logLevel ?? 'info' },
    bodyLimit,
    forceCloseConnections: false,
    return503OnClosing: true,
    // A URL that does not decode, or a too long path segment: the same coded error body as the rest.
    frameworkErrors: (err, req, reply) => onError(err, req, reply),
  });
  const rate = { ...DEFAULT_RATE_LIMIT, ...opts.rateLimit };
  const ctx: CollectorContext = {
    storage,
    metrics,
    keys: new KeyCache(storage),
    keyLimiter:
      storage.kind === 'postgres'
        ? new SharedRateLimiter(storage, rate.perKeyPerS, rate.perKeyBurst)
        : new RateLimiter(rate.perKeyPerS, rate.perKeyBurst),
    deviceLimiter: new RateLimiter(rate.perDevicePerS, rate.perDeviceBurst),
    origins: new OriginPolicy(storage, opts.corsOrigins ?? []),
    batchLimits: { ...DEFAULT_BATCH_LIMITS, ...opts.batchLimits },
    bodyLimit,
    corsOrigins: opts.corsOrigins ?? [],
    baselineInferences: opts.baselineInferences ?? 1_000,
    retentionHours: opts.retentionHours ?? 168,
    log: app.log,
    ready: true,
  };
  const openapi = new OpenApiCollector();
  app.addHook('onRoute', openapi.onRoute);
  app.decorateRequest('principal', null);
  if (opts.clusterWorker) {
    const pid = String(process.pid);
    app.addHook('onRequest', async (_req, reply) => {
      reply.header('x-driftline-worker', pid);
    });
  }
  app.addHook('onRequest', authenticate(ctx.keys));
  app.addHook('onSend', auditHook(storage));
  refuseUnstorable(app);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status: reply.statusCode });
    metrics.requestSeconds.observe({ route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(onError);
  app.setNotFoundHandler((req, reply) => {
    const e = notFound(req.method, req.url.split('?')[0] ?? '');
    metrics.rejects.inc({ code: e.code });
    void reply.status(404).send(e.toJSON());
  });
  await app.register(async (scope) => telemetryRoutes(scope, ctx));
  await app.register(async (scope) => analystRoutes(scope, ctx));
  await app.register(async (scope) => alertRoutes(scope, ctx));
  const artifacts = openArtifactStore(storage, opts);
  await app.register(async (scope) => registryRoutes(scope, ctx, artifacts));
  await app.register(async (scope) => rolloutRoutes(scope, ctx));
  await app.register(async (scope) => keyRoutes(scope, ctx));
  await app.register(async (scope) => healthRoutes(scope, ctx, openapi));
  await app.register(async (scope) => dashboardRoutes(scope, ctx));
  await app.ready();
  return { app, ctx };
}
