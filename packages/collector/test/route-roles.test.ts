import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, KEY_ROLES, type KeyRole, revokeKey } from '../src/auth/keys.ts';
import { createApp } from '../src/server/create-app.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import type { Storage } from '../src/storage/storage.ts';
import { makeBatch, makeProfile } from './fixtures.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';

// Every operation of /openapi.json, called with no key, an unknown key and a key of each role. The
// table is built from the document the app serves, so a route added later is in it the day it lands.

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema?: { type?: string | string[]; enum?: unknown[]; minimum?: number };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: unknown;
  security?: Record<string, string[]>[];
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}
interface Route {
  method: string;
  path: string;
  url: string;
  /** Declared roles; null for a public route. Admin is allowed everywhere. */
  roles: string[] | null;
  body: boolean;
}

const MODEL = 'roles-model';
const VERSION = '1.0.0';
const DEVICE = 'device-1';
const PLAUSIBLE: Record<string, string> = {
  name: MODEL,
  model: MODEL,
  version: VERSION,
  device: DEVICE,
  sha256: '0'.repeat(64),
  id: 'key_000000000000',
};
// An unknown key, and admin keys that were revoked or have expired, besides a live key of each role.
type Caller = 'none' | 'unknown' | 'revoked' | 'expired' | KeyRole;
const CALLERS: Caller[] = ['none', 'unknown', 'revoked', 'expired', ...KEY_ROLES];
const REFUSED: Partial<Record<Caller, string>> = {
  none: 'unauthorized',
  unknown: 'unauthorized',
  revoked: 'key_revoked',
  expired: 'key_expired',
};

function valueFor(p: Parameter): string {
  if (p.schema?.enum?.length) return String(p.schema.enum[0]);
  if (p.schema?.type === 'integer' || p.schema?.type === 'number') return String(p.schema.minimum ?? 1);
  return PLAUSIBLE[p.name] ?? 'x';
}

/** Every documented operation with its path parameters and required query filled in. */
function routesOf(doc: OpenApi): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      let url = path;
      const query = new URLSearchParams();
      for (const p of params) {
        if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(valueFor(p)));
        else if (p.required) query.set(p.name, valueFor(p));
      }
      expect(url, `${method} ${path}: a path parameter is not documented`).not.toMatch(/[{}]/);
      const roles = op.security?.flatMap((s) => s.bearer ?? []) ?? null;
      routes.push({
        method: method.toUpperCase(),
        path,
        url: query.size ? `${url}?${query}` : url,
        roles: roles?.length ? roles : null,
        body: op.requestBody !== undefined,
      });
    }
  }
  return routes;
}

function describeRouteRoles(name: string, open: () => Promise<Storage>): void {
  describe(`route roles (${name}): every OpenAPI operation with every kind of key`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let routes: Route[];
    const secrets = new Map<Caller, string>();

    beforeAll(async () => {
      storage = await open();
      ({ app } = await createApp(storage, { logLevel: 'silent' }));
      for (const role of KEY_ROLES) secrets.set(role, (await createKey(storage, role)).secret);
      secrets.set('unknown', 'dl_read_not-a-key-this-collector-made');
      const revoked = await createKey(storage, 'admin');
      await revokeKey(storage, revoked.id);
      secrets.set('revoked', revoked.secret);
      const expired = await createKey(storage, 'admin');
      await storage.query("UPDATE api_keys SET expires_at = now() - interval '1 hour' WHERE id = $1", [
        expired.id,
      ]);
      secrets.set('expired', expired.secret);
      const ingest = await app.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: { authorization: `Bearer ${secrets.get('ingest')}` },
        payload: makeBatch({ model: MODEL, version: VERSION, deviceId: DEVICE, profile: makeProfile(5) }),
      });
      expect(ingest.statusCode).toBe(200);
      const doc = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(doc.statusCode).toBe(200);
      routes = routesOf(doc.json() as OpenApi);
    });
    afterAll(async () => {
      await app?.close();
      await storage?.close();
    });

    const call = (r: Route, caller: Caller) => {
      const key = secrets.get(caller);
      return app.inject({
        method: r.method as 'GET',
        url: r.url,
        headers: key ? { authorization: `Bearer ${key}` } : {},
        ...(r.body ? { payload: {} } : {}),
      });
    };

    it('the document lists the collector routes, each protected one with its roles', () => {
      expect(routes.length).toBeGreaterThanOrEqual(30);
      const listed = new Set(routes.map((r) => `${r.method} ${r.path}`));
      for (const known of ['POST /v1/telemetry', 'GET /v1/models', 'PUT /v1/models/{name}/rollout']) {
        expect(listed).toContain(known);
      }
      for (const r of routes) {
        for (const role of r.roles ?? []) expect(KEY_ROLES, `${r.method} ${r.path}`).toContain(role);
      }
      expect(routes.filter((r) => r.roles).length).toBeGreaterThan(routes.length / 2);
    });

    it('no, unknown, revoked or expired key: 401 on protected routes; a role not allowed: 403; an allowed one passes', async () => {
      const table: string[] = [];
      for (const r of routes) {
        const statuses = new Map<Caller, number>();
        for (const caller of CALLERS) {
          const res = await call(r, caller);
          const where = `${r.method} ${r.url} with ${caller} key → ${res.statusCode} ${res.body.slice(0, 200)}`;
          statuses.set(caller, res.statusCode);
          table.push(where);
          if (!r.roles) {
            expect([401, 403], where).not.toContain(res.statusCode);
            continue;
          }
          const refused = REFUSED[caller];
          if (refused) {
            expect(res.statusCode, where).toBe(401);
            expect(res.json(), where).toMatchObject({ error: { code: refused } });
          } else if (caller !== 'admin' && !r.roles.includes(caller)) {
            expect(res.statusCode, where).toBe(403);
            expect(res.json(), where).toMatchObject({ error: { code: 'forbidden' } });
            expect(res.json().error.message, where).toContain(r.roles.join(' or '));
          } else {
            expect([401, 403], where).not.toContain(res.statusCode);
            expect(res.statusCode, where).toBeLessThan(500);
          }
        }
        // A public route answers the same whoever calls it.
        if (!r.roles) expect(new Set(statuses.values()).size, `${r.method} ${r.path}`).toBe(1);
      }
      expect(table).toHaveLength(routes.length * CALLERS.length);
    });
  });
}

describeRouteRoles('pglite', () => openStorage({}));
describeRouteRoles('postgres', async () => openStorage({ databaseUrl: await freshDatabaseUrl() }));
