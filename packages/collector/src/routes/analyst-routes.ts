import type { FastifyInstance } from 'fastify';
import { modelDrift } from '../queries/drift.ts';
import { type LatencyGroupBy, modelLatency } from '../queries/latency.ts';
import { modelPerformance } from '../queries/performance.ts';
import { listModels, modelSummary } from '../queries/summary.ts';
import { modelTimeseries, TIMESERIES_METRICS } from '../queries/timeseries.ts';
import type { CollectorContext } from '../server/context.ts';
import { errorSchema, modelNameParams, NO_NUL, rangeQuery, referenceQuery } from './schemas.ts';

const errors = { '4xx': errorSchema };
const read = { roles: ['read' as const] };

type Range = { from?: number; to?: number; version?: string };

/** The analyst API (read key): models, summary, latency, drift, performance, timeseries, events. */
export async function analystRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  const timed = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    const end = ctx.metrics.dbSeconds.startTimer({ op });
    try {
      return await fn();
    } finally {
      end();
    }
  };

  app.get(
    '/v1/models',
    { config: read, schema: { summary: 'Models with telemetry', tags: ['analyst'], response: errors } },
    async () => ({ models: await timed('list_models', () => listModels(ctx.storage)) }),
  );

  app.get<{ Params: { name: string }; Querystring: Range }>(
    '/v1/models/:name/summary',
    {
      config: read,
      schema: {
        summary: 'Inferences, errors, devices and versions of a model in a range',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: { type: 'object', properties: rangeQuery, additionalProperties: false },
        response: errors,
      },
    },
    async (req) =>
      timed('summary', () =>
        modelSummary(ctx.storage, req.params.name, req.query.from, req.query.to, ctx.retentionHours),
      ),
  );

  app.get<{ Params: { name: string }; Querystring: Range & { by?: LatencyGroupBy; stage?: string } }>(
    '/v1/models/:name/latency',
    {
      config: read,
      schema: {
        summary: 'Latency percentiles (ms) from merged sketches, by backend, segment or version',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: {
          type: 'object',
          properties: {
            ...rangeQuery,
            version: { type: 'string' },
            by: { type: 'string', enum: ['backend', 'segment', 'version'] },
            stage: { type: 'string', description: "Latency stage: 'total' (default), 'run' or 'load'" },
          },
          additionalProperties: false,
        },
        response: errors,
      },
    },
    async (req) =>
      timed('latency', () =>
        modelLatency(ctx.storage, req.params.name, { ...req.query, retentionHours: ctx.retentionHours }),
      ),
  );

  app.get<{ Params: { name: string }; Querystring: Range & { reference?: string } }>(
    '/v1/models/:name/drift',
    {
      config: read,
      schema: {
        summary: 'Per-feature drift of a version against a reference (baseline, version:X, registry)',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: {
          type: 'object',
          properties: {
            ...rangeQuery,
            version: { type: 'string' },
            ...referenceQuery,
          },
          additionalProperties: false,
        },
        response: errors,
      },
    },
    async (req) =>
      timed('drift', () =>
        modelDrift(
          ctx.storage,
          req.params.name,
          { ...req.query, retentionHours: ctx.retentionHours },
          ctx.baselineInferences,
        ),
      ),
  );

  app.get<{ Params: { name: string }; Querystring: Range & { bucket?: string; output?: string } }>(
    '/v1/models/:name/performance',
    {
      config: read,
      schema: {
        summary:
          'Estimated (CBPE, from the labelled reference) and realized (feedback) accuracy of a version per bucket',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: {
          type: 'object',
          properties: {
            ...rangeQuery,
            version: { type: 'string' },
            bucket: { type: 'string', enum: ['minute', 'hour', 'day'] },
            output: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              pattern: NO_NUL,
              description: "Output tensor (default: the schema's first classes output)",
            },
          },
          additionalProperties: false,
        },
        response: errors,
      },
    },
    async (req) =>
      timed('performance', () =>
        modelPerformance(ctx.storage, req.params.name, { ...req.query, retentionHours: ctx.retentionHours }),
      ),
  );

  app.get<{ Params: { name: string }; Querystring: Range & { metric?: string; bucket?: string } }>(
    '/v1/models/:name/timeseries',
    {
      config: read,
      schema: {
        summary: 'A metric per minute, hour or day, for plots',
        tags: ['analyst'],
        params: modelNameParams,
        querystring: {
          type: 'object',
          properties: {
            ...rangeQuery,
            version: { type: 'string' },
            metric: { type: 'string', enum: [...TIMESERIES_METRICS] },
            bucket: { type: 'string', enum: ['minute', 'hour', 'day'] },
          },
          additionalProperties: false,
        },
        response: errors,
      },
    },
    async (req) =>
      timed('timeseries', () =>
        modelTimeseries(ctx.storage, req.params.name, { ...req.query, retentionHours: ctx.retentionHours }),
      ),
  );

  app.get<{ Querystring: { model?: string; limit?: number } }>(
    '/v1/events',
    {
      config: read,
      schema: {
        summary: 'Alert events, newest first',
        tags: ['analyst'],
        querystring: {
          type: 'object',
          properties: { model: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          additionalProperties: false,
        },
        response: errors,
      },
    },
    async (req) => {
      const params: unknown[] = [req.query.limit ?? 100];
      let where = '';
      if (req.query.model) {
        params.push(req.query.model);
        where = 'WHERE model = $2';
      }
      const rows = await ctx.storage.query<{
        id: number;
        model: string;
        version: string | null;
        kind: string;
        detail: unknown;
        created_at: Date;
      }>(
        `SELECT id, model, version, kind, detail, created_at FROM events ${where} ORDER BY id DESC LIMIT $1`,
        params,
      );
      return {
        events: rows.map((r) => ({
          id: Number(r.id),
          model: r.model,
          version: r.version,
          kind: r.kind,
          detail: r.detail,
          createdAt: new Date(r.created_at).toISOString(),
        })),
      };
    },
  );
}
