import { CategoricalSketch, type Profile } from '@driftline/protocol';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.ts';

/**
 * What in a request's params, query or body the database cannot take: a string (or key) holding
 * U+0000, which PostgreSQL text and jsonb refuse, or a number that is not finite (`1e309` in a
 * query string or a JSON body parses to Infinity, and Ajv's minimum/maximum let it through).
 */
export function unstorable(value: unknown): string | null {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return 'a NUL character (U+0000), which no name, version or text may hold';
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `the number ${v}; send a finite number`;
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      for (const [k, x] of Object.entries(v)) {
        stack.push(k, x);
      }
    }
  }
  return null;
}

/**
 * A feature, label or latency stage name in a decoded profile that holds U+0000: the profile bytes
 * store it, but an alert's detail (jsonb) would not, and every alert evaluation would fail.
 */
export function unstorableName(profile: Profile): string | null {
  const names = [...Object.keys(profile.latency), ...Object.keys(profile.features)];
  for (const f of Object.values(profile.features)) {
    if (f instanceof CategoricalSketch) names.push(...f.counts().keys());
  }
  const bad = names.find((n) => n.includes('\u0000'));
  return bad === undefined
    ? null
    : `the name "${bad.replaceAll('\u0000', '\\0').slice(0, 64)}", which holds a NUL character (U+0000)`;
}

/**
 * Refuses, with 400 `bad_request`, a request holding what the database cannot take, before it
 * reaches a query (where it would fail with a 500). Registered once for every route (create-app.ts).
 */
export function refuseUnstorable(app: FastifyInstance): void {
  app.addHook('preHandler', async (req) => {
    // Ingest checks its own fields and names (invalid_batch), on the hot path.
    if (req.routeOptions.url === '/v1/telemetry') return;
    const what = unstorable(req.params) ?? unstorable(req.query) ?? unstorable(req.body);
    if (what) throw badRequest(`The request holds ${what}.`);
  });
}
