import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { invalidBatch, originNotAllowed, rateLimited, unsupportedMediaType } from '../errors.ts';
import { BatchWriter } from '../ingest/batch-writer.ts';
import { ingestCorsHeaders, preflightRoute } from '../ingest/cors.ts';
import { prepareBatch } from '../ingest/prepare-batch.ts';
import { partCacheFor } from '../rollups/part-cache.ts';
import { rollupKeyString } from '../rollups/rollup-key.ts';
import type { CollectorContext } from '../server/context.ts';
import { unstorable, unstorableName } from './refuse-unstorable.ts';
import { errorSchema } from './schemas.ts';

/** `POST /v1/telemetry`: validate, store once, count. Also answers every CORS preflight (ingest/cors.ts). */
export async function telemetryRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  const writer = new BatchWriter(ctx.storage);
  // Telemetry is JSON only: a text/plain body is refused with 415, not parsed as a string.
  app.removeContentTypeParser('text/plain');
  preflightRoute(app, ctx.origins, ctx.metrics);

  app.post(
    '/v1/telemetry',
    {
      config: { roles: ['ingest'] },
      onSend: ingestCorsHeaders,
      bodyLimit: ctx.bodyLimit,
      schema: {
        summary: 'Ingest one telemetry batch (JSON, optionally Content-Encoding: gzip)',
        tags: ['ingest'],
        body: { type: 'object', description: 'TelemetryBatch (validated by @driftline/protocol)' },
        response: {
          200: {
            type: 'object',
            properties: { accepted: { type: 'boolean' }, duplicate: { type: 'boolean' } },
            required: ['accepted', 'duplicate'],
          },
          '4xx': errorSchema,
        },
      },
      // The wire schema is enforced by parseTelemetryBatch, not by ajv.
      validatorCompiler: () => () => true,
      preParsing: async (req, _reply, payload) => {
        const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
        if (enc === 'identity') return payload;
        if (enc !== 'gzip') throw unsupportedMediaType('Content-Encoding must be gzip or identity.');
        // Fastify counts the bytes of the stream returned here against bodyLimit (the decompressed
        // size: a zip bomb stops at the limit) and checks Content-Length against receivedEncodedLength.
        const gunzip = Object.assign(createGunzip(), { receivedEncodedLength: 0 });
        payload.on('data', (chunk: Buffer) => {
          gunzip.receivedEncodedLength += chunk.length;
        });
        payload.on('error', (err) => gunzip.destroy(err));
        return payload.pipe(gunzip);
      },
    },
    async (req) => {
      const principal = req.principal!;
      const origin = req.headers.origin;
      if (!ctx.origins.keyAllows(principal, origin)) {
        throw originNotAllowed(
          `Origin ${origin} is not on this ingest key's origins; add it to the key (driftline keys create --origins) or use the page's own key.`,
        );
      }
      const keyWait = await ctx.keyLimiter.take(principal.id);
      if (keyWait > 0) throw rateLimited(keyWait);
      const { prepared } = prepareBatch(req.body, principal.id, Date.now(), ctx.batchLimits);
      // A statement that fails stores none of the batches grouped with it: refuse what would fail.
      let bad = unstorable(req.body);
      for (const part of prepared.parts) bad ??= unstorableName(part.decoded);
      if (bad) throw invalidBatch(`The batch holds ${bad}; remove it.`);
      const deviceWait = await ctx.deviceLimiter.take(prepared.deviceId);
      if (deviceWait > 0) throw rateLimited(deviceWait);
      const end = ctx.metrics.dbSeconds.startTimer({ op: 'store_batch' });
      const { duplicate, partIds } = await writer.store(prepared);
      end();
      for (const part of prepared.parts) {
        const id = partIds.get(rollupKeyString(part));
        if (id !== undefined) partCacheFor(ctx.storage).set(id, part.decoded);
      }
      if (duplicate) ctx.metrics.ingestBatches.inc({ result: 'duplicate' });
      else {
        ctx.metrics.ingestBatches.inc({ result: 'stored' });
        ctx.metrics.ingestWindows.inc(prepared.windows);
        ctx.metrics.ingestInferences.inc(prepared.inferences);
      }
      return { accepted: true, duplicate };
    },
  );
}
