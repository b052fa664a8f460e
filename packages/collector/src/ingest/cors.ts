import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originNotAllowed } from '../errors.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { OriginPolicy } from './origin-policy.ts';

const ALLOW_HEADERS = 'authorization, content-type, content-encoding';

/**
 * Answers every CORS preflight (`OPTIONS *`): 204 with the CORS headers for an origin some ingest
 * key accepts, else 403 `origin_not_allowed` with a JSON body. A browser hides that body from the
 * page (the runtime only sees a network error) but shows it in the network panel, and the refusal
 * is counted in `driftline_refused_requests_total{reason="origin"}`.
 */
export function preflightRoute(app: FastifyInstance, policy: OriginPolicy, metrics: CollectorMetrics): void {
  app.options('*', { schema: { hide: true } }, async (req, reply) => {
    const origin = req.headers.origin;
    void reply.header('vary', 'origin');
    if (!origin) return reply.status(204).header('allow', 'GET, POST, OPTIONS').send();
    if (!(await policy.preflight(origin))) {
      const e = originNotAllowed(
        `Origin ${origin} is not allowed by any ingest key. Create the page's key with --origins ${origin}, ` +
          'or create it without --origins (any origin), or start the collector with --cors-origins.',
      );
      metrics.refused.inc({ reason: 'origin' });
      metrics.rejects.inc({ code: e.code });
      return reply.status(e.status).header('x-driftline-error', e.code).send(e.toJSON());
    }
    return reply
      .status(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', '600')
      .send();
  });
}

/**
 * onSend hook of the ingest route: every answer to a browser carries `Access-Control-Allow-Origin`,
 * refusals included, so that the page reads the error code (and `Retry-After`) instead of a
 * network error. Only requests whose preflight passed get this far from a browser.
 */
export async function ingestCorsHeaders<T>(req: FastifyRequest, reply: FastifyReply, payload: T): Promise<T> {
  const origin = req.headers.origin;
  if (!origin) return payload;
  void reply
    .header('access-control-allow-origin', origin)
    .header('vary', 'origin')
    .header('access-control-expose-headers', 'retry-after');
  return payload;
}
