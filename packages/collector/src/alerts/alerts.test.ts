import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch, makeProfile } from '../../test/fixtures.ts';
import { createKey } from '../auth/keys.ts';
import { createApp } from '../server/create-app.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { evaluateAlerts } from './evaluate-alerts.ts';
import { deliverWebhooks } from './webhook-deliverer.ts';

describe('alerts and webhooks', () => {
  let storage: Storage;
  let app: FastifyInstance;
  let hook: Server;
  let hookUrl: string;
  const received: { id: number; kind: string }[] = [];
  let failNext = 1;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    storage = await openStorage({});
    ({ app } = await createApp(storage, {
      logLevel: 'silent',
      rateLimit: { perDevicePerS: Number.POSITIVE_INFINITY },
    }));
    for (const role of ['ingest', 'read', 'admin'] as const)
      keys[role] = (await createKey(storage, role)).secret;
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end();
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const addr = hook.address();
    hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  });
  afterAll(async () => {
    await app.close();
    await storage.close();
    await new Promise((r) => hook.close(r));
  });

  const call = (method: 'GET' | 'PUT' | 'POST', url: string, role: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${keys[role]}` },
      ...(payload ? { payload: payload as object } : {}),
    });

  it('records an event once when drift or p95 latency turns to alert, and delivers it with retries', async () => {
    expect((await call('PUT', '/v1/models/alerting/alerts', 'read', { latencyP95Ms: 20 })).statusCode).toBe(
      403,
    );
    const put = await call('PUT', '/v1/models/alerting/alerts', 'admin', {
      latencyP95Ms: 20,
      webhookUrl: hookUrl,
    });
    expect(put.json()).toEqual({ latencyP95Ms: 20, webhookUrl: hookUrl });
    expect(
      (await call('PUT', '/v1/models/alerting/alerts', 'admin', { latencyP95Ms: -1 })).json().error.code,
    ).toBe('bad_request');
    const now = Date.now();
    const batches = [
      makeBatch({
        model: 'alerting',
        start: now - 60 * 60_000,
        profile: makeProfile(300, { seed: 1, latencyMs: 4 }),
      }),
      makeBatch({
        model: 'alerting',
        start: now - 59 * 60_000,
        profile: makeProfile(300, { seed: 2, latencyMs: 4 }),
      }),
      makeBatch({
        model: 'alerting',
        start: now - 5 * 60_000,
        profile: makeProfile(300, { seed: 3, shift: 3, latencyMs: 100 }),
      }),
      makeBatch({
        model: 'alerting',
        start: now - 4 * 60_000,
        profile: makeProfile(300, { seed: 4, shift: 3, latencyMs: 100 }),
      }),
    ];
    for (const b of batches) expect((await call('POST', '/v1/telemetry', 'ingest', b)).statusCode).toBe(200);

    const opts = { windowMs: 15 * 60_000, baselineInferences: 500, webhookUrl: null };
    const events = await evaluateAlerts(storage, opts);
    const kinds = events.map((e) => `${e.kind}:${(e.detail.feature ?? e.detail.backend) as string}`);
    expect(kinds).toContain('drift_alert:f0');
    expect(kinds).toContain('latency_alert:wasm');
    expect(await evaluateAlerts(storage, opts)).toEqual([]);

    const listed = (await call('GET', '/v1/events?model=alerting', 'read')).json().events;
    expect(listed).toHaveLength(events.length);

    let delivered = 0;
    for (let i = 0; i < 5 && delivered < events.length; i++) {
      delivered += await deliverWebhooks(storage, { maxAttempts: 3, baseDelayMs: 0, timeoutMs: 2_000 });
    }
    expect(delivered).toBe(events.length);
    expect(new Set(received.map((r) => r.id)).size).toBe(events.length);
    const retried = await storage.query<{ n: number }>(
      'SELECT count(*)::integer AS n FROM events WHERE attempts = 2',
    );
    expect(retried[0]!.n).toBe(1);
    expect(await deliverWebhooks(storage)).toBe(0);
  });
});
