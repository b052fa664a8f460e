import type { FastifyInstance } from 'fastify';
import { modelNameParams, rangeQuery, referenceQuery } from '../routes/schemas.ts';
import type { CollectorContext } from '../server/context.ts';
import { modelDistributions } from './feature-distributions.ts';
import { latencyOverTime } from './latency-over-time.ts';
import { DASHBOARD_DIST, serveDashboard } from './serve-dashboard.ts';

/**
 * The analysts' dashboard: the built static page at `/` and the read routes only it needs:
 * `GET /v1/whoami` (the key's role), `GET /v1/models/:name/drift/distributions` (reference-vs-current
 * shares per feature) and `GET /v1/models/:name/latency/timeseries` (a quantile over time per backend
 * or segment).
 */
export async function dashboardRoutes(
  app: FastifyInstance,
  ctx: CollectorContext,
  dist: string = DASHBOARD_DIST,
): Promise<void> {
  await serveDashboard(app, dist);
  app.get(
    '/v1/whoami',
    {
      config: { roles: ['read'] },
      schema: {
        summary: "The calling key's id and role (the dashboard shows admin buttons for admin)",
        tags: ['analyst'],
      },
    },
    async (req) => ({ id: req.principal?.id ?? null, role: req.principal?.role ?? null }),
  );
  app.get<{
    Params: { name: string };
    Querystring: { version: string; reference?: string; from?: number; to?: number };
  }>(
    '/v1/models/:name/drift/distributions',
    {
      config: { roles: ['read'] },
      schema: {
        summary:
          'Per feature, reference vs current shares over the reference deciles (labels for categorical)',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: {
          type: 'object',
          properties: {
            ...rangeQuery,
            version: { type: 'string', minLength: 1, maxLength: 64 },
            ...referenceQuery,
          },
          required: ['version'],
          additionalProperties: false,
        },
      },
    },
    async (req) =>
      modelDistributions(
        ctx.storage,
        req.params.name,
        { ...req.query, retentionHours: ctx.retentionHours },
        ctx.baselineInferences,
      ),
  );

  app.get<{
    Params: { name: string };
    Querystring: {
      by?: 'backend' | 'segment';
      quantile?: number;
      bucket?: 'minute' | 'hour';
      version?: string;
      from?: number;
      to?: number;
    };
  }>(
    '/v1/models/:name/latency/timeseries',
    {
      config: { roles: ['read'] },
      schema: {
        summary: 'A latency quantile (ms, stage total) per minute or hour, one series per backend or segment',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: {
          type: 'object',
          properties: {
            ...rangeQuery,
            version: { type: 'string', minLength: 1, maxLength: 64 },
            by: { type: 'string', enum: ['backend', 'segment'] },
            quantile: { type: 'number', minimum: 0, maximum: 1 },
            bucket: { type: 'string', enum: ['minute', 'hour'] },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) =>
      latencyOverTime(ctx.storage, req.params.name, { ...req.query, retentionHours: ctx.retentionHours }),
  );
}
