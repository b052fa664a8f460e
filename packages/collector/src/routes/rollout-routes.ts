import type { FastifyInstance } from 'fastify';
import { originNotAllowed, unknownVersion } from '../errors.ts';
import { buildManifest, etagMatches } from '../rollout/build-manifest.ts';
import { type GuardSettings, guardSettingsSchema } from '../rollout/guard-settings.ts';
import { listHistory } from '../rollout/history.ts';
import { getPolicy } from '../rollout/policy.ts';
import {
  listPins,
  pinDevice,
  promote,
  rollback,
  setCandidate,
  setGuard,
  setShadow,
} from '../rollout/rollout-actions.ts';
import { rolloutStatus } from '../rollout/rollout-status.ts';
import { createSigningKey, signingKeyCache } from '../rollout/signing-keys.ts';
import type { CollectorContext } from '../server/context.ts';
import { errorSchema } from './schemas.ts';

const params = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['name'],
} as const;
const deviceParams = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    device: { type: 'string', minLength: 1, maxLength: 128 },
  },
  required: ['name', 'device'],
} as const;
const reason = { type: 'string', maxLength: 1024 } as const;
const percent = { type: 'number', minimum: 0, maximum: 100 } as const;
// Promote and rollback may come without a body; a JSON body may give a reason.
const reasonBody = { type: ['object', 'null'], properties: { reason }, additionalProperties: false } as const;

type Body<T = object> = T & { reason?: string };

/**
 * Rollout policy per model (admin changes, read views, audit history) and the device manifest
 * (ingest key). Every change is audited with the caller's key id and reason.
 */
export async function rolloutRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  const signing = signingKeyCache(ctx.storage);
  const who = (req: { principal: { id: string } | null }, body?: Body | null) => ({
    actor: req.principal?.id ?? null,
    reason: body?.reason ?? null,
  });

  app.get<{ Params: { name: string }; Querystring: { device?: string; pin?: string } }>(
    '/v1/models/:name/manifest',
    {
      config: { roles: ['ingest'] },
      schema: {
        summary: 'The manifest of this device: version, files, shadow; ETag / If-None-Match gives 304',
        tags: ['rollout'],
        params,
        querystring: {
          type: 'object',
          properties: {
            device: { type: 'string', minLength: 1, maxLength: 128 },
            pin: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
        response: { '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const origin = req.headers.origin;
      const p = req.principal!;
      if (!ctx.origins.keyAllows(p, origin)) {
        throw originNotAllowed(`Origin ${origin} is not on this ingest key's origins.`);
      }
      if (origin && (ctx.origins.configured(origin) || p.role === 'ingest')) {
        void reply.header('access-control-allow-origin', origin).header('vary', 'origin');
        void reply.header('access-control-expose-headers', 'etag');
      }
      const manifest = await buildManifest(
        ctx.storage,
        req.params.name,
        { deviceId: req.query.device, pin: req.query.pin },
        await signing.get(),
      );
      void reply.header('etag', manifest.etag).header('cache-control', 'no-cache');
      if (etagMatches(req.headers['if-none-match'], manifest.etag)) return reply.status(304).send();
      return manifest;
    },
  );

  app.post(
    '/v1/signing-key',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Make a new manifest signing key (Ed25519), retire the old one; answers the public key',
        tags: ['rollout'],
      },
    },
    async () => {
      const key = await createSigningKey(ctx.storage);
      signing.clear();
      return key;
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/models/:name/rollout',
    {
      config: { roles: ['read'] },
      schema: { summary: 'Rollout policy and device pins of a model', tags: ['rollout'], params },
    },
    async (req) => {
      const policy = await getPolicy(ctx.storage, req.params.name);
      if (!policy) throw unknownVersion(req.params.name);
      return { policy, pins: await listPins(ctx.storage, req.params.name) };
    },
  );

  app.put<{ Params: { name: string }; Body: Body<{ candidate: string; percent: number }> }>(
    '/v1/models/:name/rollout',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Send a candidate version to a percentage of devices (raising it only adds devices)',
        tags: ['rollout'],
        params,
        body: {
          type: 'object',
          properties: { candidate: { type: 'string', minLength: 1, maxLength: 64 }, percent, reason },
          required: ['candidate', 'percent'],
          additionalProperties: false,
        },
        response: { '4xx': errorSchema },
      },
    },
    async (req) =>
      setCandidate(ctx.storage, req.params.name, req.body.candidate, req.body.percent, who(req, req.body)),
  );

  app.post<{ Params: { name: string }; Body: Body | null }>(
    '/v1/models/:name/promote',
    {
      config: { roles: ['admin'] },
      schema: { summary: 'Make the candidate stable', tags: ['rollout'], params, body: reasonBody },
    },
    async (req) => promote(ctx.storage, req.params.name, who(req, req.body)),
  );

  app.post<{ Params: { name: string }; Body: Body | null }>(
    '/v1/models/:name/rollback',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Return the fleet to stable (drop the candidate), or stable to the previous stable',
        tags: ['rollout'],
        params,
        body: reasonBody,
      },
    },
    async (req) => rollback(ctx.storage, req.params.name, who(req, req.body)),
  );

  app.put<{
    Params: { name: string };
    Body: Body<{ version: string | null; percent?: number; sample?: number }>;
  }>(
    '/v1/models/:name/shadow',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Run a version in the shadow of the primary on percent % of devices, sample % of inferences',
        tags: ['rollout'],
        params,
        body: {
          type: 'object',
          properties: {
            version: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
            percent,
            sample: percent,
            reason,
          },
          required: ['version'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = req.body;
      const shadow =
        b.version === null ? null : { version: b.version, percent: b.percent ?? 100, sample: b.sample };
      return setShadow(ctx.storage, req.params.name, shadow, who(req, b));
    },
  );

  app.put<{ Params: { name: string; device: string }; Body: Body<{ version: string }> }>(
    '/v1/models/:name/pins/:device',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Pin one device to a version',
        tags: ['rollout'],
        params: deviceParams,
        body: {
          type: 'object',
          properties: { version: { type: 'string', minLength: 1, maxLength: 64 }, reason },
          required: ['version'],
          additionalProperties: false,
        },
      },
    },
    async (req) =>
      pinDevice(ctx.storage, req.params.name, req.params.device, req.body.version, who(req, req.body)),
  );

  app.delete<{ Params: { name: string; device: string } }>(
    '/v1/models/:name/pins/:device',
    {
      config: { roles: ['admin'] },
      schema: { summary: "Remove a device's pin", tags: ['rollout'], params: deviceParams },
    },
    async (req) => pinDevice(ctx.storage, req.params.name, req.params.device, null, who(req)),
  );

  app.put<{ Params: { name: string }; Body: Body<Partial<GuardSettings>> }>(
    '/v1/models/:name/guard',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Thresholds of the guarded rollout (partial update)',
        tags: ['rollout'],
        params,
        body: { ...guardSettingsSchema, properties: { ...guardSettingsSchema.properties, reason } },
      },
    },
    async (req) => {
      const { reason: why, ...guard } = req.body;
      return setGuard(ctx.storage, req.params.name, guard, {
        actor: req.principal?.id ?? null,
        reason: why ?? null,
      });
    },
  );

  app.get<{ Params: { name: string }; Querystring: { limit?: number } }>(
    '/v1/models/:name/history',
    {
      config: { roles: ['read'] },
      schema: {
        summary: 'Audit log of the rollout: who, when, from what, to what, why; verdicts with numbers',
        tags: ['rollout'],
        params,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
    },
    async (req) => ({
      model: req.params.name,
      entries: await listHistory(ctx.storage, req.params.name, req.query.limit ?? 100),
    }),
  );

  app.get<{ Params: { name: string } }>(
    '/v1/models/:name/status',
    {
      config: { roles: ['read'] },
      schema: { summary: 'Policy, live counts per version, latest verdict', tags: ['rollout'], params },
    },
    async (req) => rolloutStatus(ctx.storage, req.params.name),
  );
}
