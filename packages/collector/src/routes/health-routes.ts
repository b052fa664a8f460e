import type { FastifyInstance } from 'fastify';
import type { CollectorContext } from '../server/context.ts';
import type { OpenApiCollector } from '../server/openapi.ts';

/** /healthz (process up), /readyz (storage answers), /metrics (Prometheus), /openapi.json. */
export async function healthRoutes(app: FastifyInstance, ctx: CollectorContext, openapi: OpenApiCollector) {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        tags: ['ops'],
        response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } },
      },
    },
    async () => ({ ok: true }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: storage answers and shutdown has not begun',
        tags: ['ops'],
        response: {
          200: { type: 'object', properties: { ready: { type: 'boolean' }, storage: { type: 'string' } } },
          503: { type: 'object', properties: { ready: { type: 'boolean' }, storage: { type: 'string' } } },
        },
      },
    },
    async (_req, reply) => {
      let ok = ctx.ready;
      if (ok) {
        try {
          await ctx.storage.ping();
        } catch {
          ok = false;
        }
      }
      return reply.status(ok ? 200 : 503).send({ ready: ok, storage: ctx.storage.kind });
    },
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['ops'] } }, async (_req, reply) => {
    try {
      const rows = await ctx.storage.query<{ n: number }>('SELECT count(*)::integer AS n FROM rollup_parts');
      ctx.metrics.pendingParts.set(rows[0]?.n ?? 0);
    } catch {
      // storage down: the other metrics are still worth serving
    }
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  app.get('/openapi.json', { schema: { summary: 'This API as OpenAPI 3.1', tags: ['ops'] } }, async () =>
    openapi.document('0.1.0'),
  );
}
