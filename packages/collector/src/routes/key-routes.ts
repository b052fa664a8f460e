import type { FastifyInstance } from 'fastify';
import { listAudit } from '../auth/audit-log.ts';
import {
  createKey,
  DEFAULT_ROTATE_GRACE_S,
  getKey,
  isActiveKey,
  KEY_ROLES,
  type KeyRole,
  listKeys,
  revokeKey,
  rotateKey,
} from '../auth/keys.ts';
import { keyConflict, unknownKey } from '../errors.ts';
import type { CollectorContext } from '../server/context.ts';
import { errorSchema } from './schemas.ts';

const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    role: { type: 'string', enum: KEY_ROLES },
    app: { type: ['string', 'null'] },
    origins: { type: 'array', items: { type: 'string' } },
    label: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    expiresAt: { type: ['string', 'null'] },
    rotatedTo: { type: ['string', 'null'] },
  },
  required: ['id', 'role', 'createdAt'],
} as const;
const createdSchema = {
  type: 'object',
  properties: {
    key: keySchema,
    secret: { type: 'string', description: 'Shown once; only its hash is stored' },
    previous: keySchema,
  },
  required: ['key', 'secret'],
} as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
} as const;

interface CreateBody {
  role: KeyRole;
  app?: string;
  origins?: string[];
  label?: string;
  expiresAt?: string;
}

/**
 * Keys on a running collector (admin only): create, list, rotate, revoke; and the audit log of
 * admin actions. Every change is recorded (auth/audit-log.ts) with the acting key's id.
 */
export async function keyRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  app.get(
    '/v1/keys',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Every key (never its secret), revoked and expired ones included',
        tags: ['keys'],
        response: {
          200: { type: 'object', properties: { keys: { type: 'array', items: keySchema } } },
          '4xx': errorSchema,
        },
      },
    },
    async () => ({ keys: await listKeys(ctx.storage) }),
  );

  app.post<{ Body: CreateBody }>(
    '/v1/keys',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Create a key; the answer holds its secret, shown once',
        tags: ['keys'],
        body: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: KEY_ROLES },
            app: { type: 'string', minLength: 1, maxLength: 256 },
            origins: { type: 'array', items: { type: 'string', maxLength: 512 }, maxItems: 100 },
            label: { type: 'string', maxLength: 512 },
            expiresAt: { type: 'string', format: 'date-time', description: 'When the key stops working' },
          },
          required: ['role'],
          additionalProperties: false,
        },
        response: { 201: createdSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { role, app: appName, origins, label, expiresAt } = req.body;
      const created = await createKey(ctx.storage, role, {
        app: appName,
        origins,
        label,
        expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
      });
      req.audit = { action: 'keys.create', target: created.id, detail: { role } };
      void reply.status(201);
      return { key: (await getKey(ctx.storage, created.id))!, secret: created.secret };
    },
  );

  app.post<{ Params: { id: string }; Body: { graceSeconds?: number } | undefined }>(
    '/v1/keys/:id/rotate',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Replace a key: a new secret now, the old one valid for a grace period (default one day)',
        tags: ['keys'],
        params: idParams,
        body: {
          type: ['object', 'null'],
          properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: 315_360_000 } },
          additionalProperties: false,
        },
        response: { 201: createdSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const graceS = req.body?.graceSeconds ?? DEFAULT_ROTATE_GRACE_S;
      const rotated = await rotateKey(ctx.storage, req.params.id, graceS * 1000);
      if (!rotated) throw unknownKey(req.params.id);
      ctx.keys.clear();
      req.audit = {
        action: 'keys.rotate',
        target: req.params.id,
        detail: { replacedBy: rotated.id, graceSeconds: graceS },
      };
      void reply.status(201);
      return {
        key: (await getKey(ctx.storage, rotated.id))!,
        secret: rotated.secret,
        previous: rotated.previous,
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/keys/:id/revoke',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Revoke a key: it stops working at once here, within seconds on other replicas',
        tags: ['keys'],
        params: idParams,
        response: { 200: { type: 'object', properties: { key: keySchema } }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const { id } = req.params;
      const key = await getKey(ctx.storage, id);
      if (!key || key.revokedAt) throw unknownKey(id);
      if (key.role === 'admin' && id === req.principal?.id) {
        const admins = (await listKeys(ctx.storage)).filter((k) => k.role === 'admin' && isActiveKey(k));
        if (admins.length <= 1) {
          throw keyConflict(
            'This is the last active admin key; create another admin key before revoking it.',
          );
        }
      }
      if (!(await revokeKey(ctx.storage, id))) throw unknownKey(id);
      ctx.keys.clear();
      req.audit = { action: 'keys.revoke', target: id };
      return { key: (await getKey(ctx.storage, id))! };
    },
  );

  app.get<{ Querystring: { limit?: number; before?: number } }>(
    '/v1/audit',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Admin actions, newest first: who (key id), what, when',
        tags: ['keys'],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: {
              type: 'integer',
              minimum: 1,
              maximum: Number.MAX_SAFE_INTEGER,
              description: 'Only entries older than this id (paging)',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              entries: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    at: { type: 'string' },
                    actor: { type: 'string' },
                    action: { type: 'string' },
                    target: { type: ['string', 'null'] },
                    detail: { type: 'object', additionalProperties: true },
                  },
                },
              },
              next: { type: ['integer', 'null'], description: 'Pass as `before` for the next page' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const entries = await listAudit(ctx.storage, limit, req.query.before);
      return { entries, next: entries.length === limit ? entries[entries.length - 1]!.id : null };
    },
  );
}
