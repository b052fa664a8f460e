import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../../test/fixtures.ts';
import { createKey, revokeKey } from '../auth/keys.ts';
import { createApp } from '../server/create-app.ts';
import { startCollector } from '../server/start-collector.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';

const preflightHeaders = (origin: string) => ({
  origin,
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization, content-type',
});

const refused = async (metricsText: string, reason: string) =>
  Number(
    new RegExp(`driftline_refused_requests_total\\{reason="${reason}"\\} (\\d+)`).exec(metricsText)?.[1],
  );

describe('origins on the ingest route', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await openStorage({});
  });
  afterAll(async () => {
    await storage.close();
  });

  it('refuses a preflight no key allows with a visible 403; a key without origins allows any origin', async () => {
    const { app } = await createApp(storage, { logLevel: 'silent' });
    const restricted = await createKey(storage, 'ingest', { origins: ['https://app.example'] });
    const denied = await app.inject({
      method: 'OPTIONS',
      url: '/v1/telemetry',
      headers: preflightHeaders('https://other.example'),
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(denied.json().error.code).toBe('origin_not_allowed');
    expect(denied.json().error.message).toContain('https://other.example');
    const ok = await app.inject({
      method: 'OPTIONS',
      url: '/v1/telemetry',
      headers: preflightHeaders('https://app.example'),
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(ok.headers['access-control-allow-headers'])).toMatch(/authorization/);

    // A key without origins: any origin's preflight passes (once the 5 s cache has the key).
    const open = await createKey(storage, 'ingest');
    const { app: fresh } = await createApp(storage, { logLevel: 'silent' });
    const any = await fresh.inject({
      method: 'OPTIONS',
      url: '/v1/telemetry',
      headers: preflightHeaders('https://other.example'),
    });
    expect(any.statusCode).toBe(204);
    const post = (key: string, origin: string) =>
      fresh.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, origin },
        payload: makeBatch({ model: 'origins' }),
      });
    const accepted = await post(open.secret, 'https://other.example');
    expect(accepted.statusCode).toBe(200);
    expect(accepted.headers['access-control-allow-origin']).toBe('https://other.example');
    // The restricted key still refuses other origins, readable by the page (CORS headers on the 403).
    const wrong = await post(restricted.secret, 'https://other.example');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('origin_not_allowed');
    expect(wrong.headers['access-control-allow-origin']).toBe('https://other.example');
    await revokeKey(storage, open.id);
    await app.close();
    await fresh.close();
  });

  it('an expired ingest key without origins no longer opens preflights to any origin', async () => {
    const expiring = await createKey(storage, 'ingest', { expiresAt: new Date(Date.now() + 300) });
    await new Promise((r) => setTimeout(r, 400));
    const { app } = await createApp(storage, { logLevel: 'silent' });
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/v1/telemetry',
      headers: preflightHeaders('https://elsewhere.example'),
    });
    expect([res.statusCode, res.json().error.code]).toEqual([403, 'origin_not_allowed']);
    await revokeKey(storage, expiring.id);
    await app.close();
  });

  it('counts refusals by reason in /metrics', async () => {
    const { app } = await createApp(storage, {
      logLevel: 'silent',
      rateLimit: { perDevicePerS: 0.001, perDeviceBurst: 1 },
    });
    const ingest = (await createKey(storage, 'ingest', { origins: ['https://app.example'] })).secret;
    const read = (await createKey(storage, 'read')).secret;
    const post = (
      key: string | null,
      headers: Record<string, string> = {},
      payload: unknown = makeBatch({ model: 'm', deviceId: 'd1' }),
    ) =>
      app.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...headers,
        },
        payload: payload as object,
      });
    const before = (await app.inject('/metrics')).body;
    for (const reason of ['origin', 'missing_key', 'unknown_key', 'role', 'rate_limited', 'invalid_batch']) {
      expect(await refused(before, reason)).toBe(0);
    }
    expect((await post(null)).statusCode).toBe(401);
    expect((await post('dl_ingest_nope')).statusCode).toBe(401);
    expect((await post(read)).statusCode).toBe(403);
    expect((await post(ingest, { origin: 'https://evil.example' })).statusCode).toBe(403);
    await app.inject({
      method: 'OPTIONS',
      url: '/v1/telemetry',
      headers: preflightHeaders('https://evil.example'),
    });
    expect((await post(ingest, {}, { nope: true })).statusCode).toBe(400);
    expect((await post(ingest)).statusCode).toBe(200);
    const limited = await post(ingest, {}, makeBatch({ model: 'm', deviceId: 'd1' }));
    expect(limited.statusCode).toBe(429);
    const after = (await app.inject('/metrics')).body;
    expect(await refused(after, 'missing_key')).toBe(1);
    expect(await refused(after, 'unknown_key')).toBe(1);
    expect(await refused(after, 'role')).toBe(1);
    expect(await refused(after, 'origin')).toBe(2);
    expect(await refused(after, 'invalid_batch')).toBe(1);
    expect(await refused(after, 'rate_limited')).toBe(1);
    await app.close();
  });

  it('answers a real browser-style preflight over HTTP', async () => {
    const c = await startCollector({ port: 0, logLevel: 'silent' });
    try {
      await createKey(c.storage, 'ingest', { origins: ['https://app.example'] });
      const res = await fetch(`${c.url}/v1/telemetry`, {
        method: 'OPTIONS',
        headers: preflightHeaders('https://evil.example'),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
      const ok = await fetch(`${c.url}/v1/telemetry`, {
        method: 'OPTIONS',
        headers: preflightHeaders('https://app.example'),
      });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    } finally {
      await c.close();
    }
  });
});
