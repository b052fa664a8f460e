import type { FastifyInstance } from 'fastify';
import { type AlertSettings, getAlertSettings, setAlertSettings } from '../alerts/alert-settings.ts';
import type { CollectorContext } from '../server/context.ts';
import { errorSchema } from './schemas.ts';

const params = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['name'],
} as const;
const settings = {
  type: 'object',
  properties: {
    latencyP95Ms: { type: ['number', 'null'], exclusiveMinimum: 0 },
    webhookUrl: { type: ['string', 'null'], format: 'uri', pattern: '^https?://' },
    accuracyDrop: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1 },
  },
  additionalProperties: false,
} as const;

/** Alert settings per model: read with a read key, set with an admin key. */
export async function alertRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  app.get<{ Params: { name: string } }>(
    '/v1/models/:name/alerts',
    {
      config: { roles: ['read'] },
      schema: {
        summary: "A model's alert settings",
        tags: ['alerts'],
        params,
        response: { 200: settings, '4xx': errorSchema },
      },
    },
    async (req) => getAlertSettings(ctx.storage, req.params.name),
  );
  app.put<{ Params: { name: string }; Body: Partial<AlertSettings> }>(
    '/v1/models/:name/alerts',
    {
      config: { roles: ['admin'] },
      schema: {
        summary:
          "Set a model's p95 latency threshold, webhook and accuracy drop; replaces all three (an absent one is cleared)",
        tags: ['alerts'],
        params,
        body: settings,
        response: { 200: settings, '4xx': errorSchema },
      },
    },
    async (req) => {
      const s: AlertSettings = {
        latencyP95Ms: req.body.latencyP95Ms ?? null,
        webhookUrl: req.body.webhookUrl ?? null,
        accuracyDrop: req.body.accuracyDrop ?? null,
      };
      await setAlertSettings(ctx.storage, req.params.name, s);
      return s;
    },
  );
}
