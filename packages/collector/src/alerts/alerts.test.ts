import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { encodeProfile, type Profile, toBase64 } from '@driftline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch, makeProfile } from '../../test/fixtures.ts';
import { TAB_SCHEMA_JSON, TAB_TENSORS, tabProfile } from '../../test/schema-fixtures.ts';
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
    expect(put.json()).toEqual({ latencyP95Ms: 20, webhookUrl: hookUrl, accuracyDrop: null });
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

  describe('accuracy_alert: the CBPE estimate of a window against the labelled reference', () => {
    const ONNX = new URL('../../../../demo/public/models/digits/1.0.0/model.onnx', import.meta.url);
    const reference = tabProfile(4_000, { seed: 1, truth: true });
    // Like the reference (estimate ≈ its accuracy), and less sure: a true accuracy near 0.65.
    const calm = tabProfile(2_000, { seed: 2 });
    const worse = tabProfile(2_000, { seed: 3, confidence: [0.55, 0.75] });
    const few = tabProfile(150, { seed: 4, confidence: [0.55, 0.75] });
    const now = Date.now();
    const opts = { windowMs: 15 * 60_000, baselineInferences: 500, webhookUrl: null };
    const accuracyEvents = async (at: number) =>
      (await evaluateAlerts(storage, opts, at)).filter((e) => e.kind === 'accuracy_alert');

    const publish = async (model: string) => {
      const onnx = await readFile(ONNX);
      const res = await call('POST', `/v1/models/${model}/versions`, 'admin', {
        version: '1.0.0',
        format: 'onnx',
        files: [{ path: 'model.onnx', data: onnx.toString('base64') }],
        ...TAB_TENSORS,
        schema: TAB_SCHEMA_JSON,
        reference: toBase64(encodeProfile(reference.profile)),
      });
      expect(res.statusCode, res.body).toBe(201);
    };
    const send = async (model: string, start: number, profile: Profile) => {
      const b = makeBatch({ model, version: '1.0.0', start, profile });
      const res = await call('POST', '/v1/telemetry', 'ingest', b);
      expect(res.statusCode, res.body).toBe(200);
    };

    it('is not raised for a window like the reference, raised once when the estimate falls', async () => {
      await publish('acc');
      await send('acc', now - 40 * 60_000, calm.profile);
      await send('acc', now - 5 * 60_000, worse.profile);
      expect(reference.accuracy - worse.accuracy).toBeGreaterThan(0.1);

      expect(await accuracyEvents(now - 30 * 60_000)).toEqual([]);
      const state = () =>
        storage.query<{ subject: string; status: string }>(
          "SELECT subject, status FROM alert_state WHERE model = 'acc' AND subject LIKE 'accuracy:%'",
        );
      expect(await state()).toEqual([{ subject: 'accuracy:probs', status: 'ok' }]);

      const raised = await accuracyEvents(now);
      expect(raised).toHaveLength(1);
      expect(raised[0]).toMatchObject({ model: 'acc', version: '1.0.0', detail: { output: 'probs' } });
      const d = raised[0]!.detail as { drop: number; threshold: number; estimated: number };
      expect(d.threshold).toBe(0.05);
      expect(d.drop).toBeGreaterThan(0.05);
      expect(Math.abs(d.estimated - worse.accuracy)).toBeLessThan(0.03);
      expect(await state()).toEqual([{ subject: 'accuracy:probs', status: 'alert' }]);
      // The same window again: still alert, no second event.
      expect(await accuracyEvents(now)).toEqual([]);

      const listed = (await call('GET', '/v1/events?model=acc', 'read')).json().events;
      expect(listed.filter((e: { kind: string }) => e.kind === 'accuracy_alert')).toEqual([
        expect.objectContaining({ model: 'acc', version: '1.0.0', detail: expect.objectContaining(d) }),
      ]);
    });

    it('is not judged below accuracyMinPredictions', async () => {
      await publish('acc-few');
      await send('acc-few', now - 5 * 60_000, few.profile);
      expect(await accuracyEvents(now)).toEqual([]);
      const rows = await storage.query(
        "SELECT subject FROM alert_state WHERE model = 'acc-few' AND subject LIKE 'accuracy:%'",
      );
      expect(rows).toEqual([]);
      // The same window is judged once the floor is below its predictions.
      const low = await evaluateAlerts(storage, { ...opts, accuracyMinPredictions: 100 }, now);
      expect(low.filter((e) => e.kind === 'accuracy_alert' && e.model === 'acc-few')).toHaveLength(1);
    });

    it("uses the model's own accuracyDrop over the evaluator's", async () => {
      const bad = async (body: object) => {
        const res = await call('PUT', '/v1/models/acc-lenient/alerts', 'admin', body);
        return [res.statusCode, res.json().error?.code];
      };
      for (const accuracyDrop of [0, -0.1, 1.5, 'big'])
        expect(await bad({ accuracyDrop }), String(accuracyDrop)).toEqual([400, 'bad_request']);
      const put = await call('PUT', '/v1/models/acc-lenient/alerts', 'admin', { accuracyDrop: 0.5 });
      expect(put.json()).toEqual({ latencyP95Ms: null, webhookUrl: null, accuracyDrop: 0.5 });
      expect((await call('GET', '/v1/models/acc-lenient/alerts', 'read')).json().accuracyDrop).toBe(0.5);
      await publish('acc-lenient');
      await send('acc-lenient', now - 5 * 60_000, worse.profile);
      expect(await accuracyEvents(now)).toEqual([]);
      // PUT replaces the whole settings object: without accuracyDrop it is cleared (the default again).
      const cleared = await call('PUT', '/v1/models/acc-lenient/alerts', 'admin', { latencyP95Ms: 1_000 });
      expect(cleared.json()).toEqual({ latencyP95Ms: 1_000, webhookUrl: null, accuracyDrop: null });
      // And a strict model setting wins over a lenient evaluator option.
      await call('PUT', '/v1/models/acc-lenient/alerts', 'admin', { accuracyDrop: 0.05 });
      const strict = await evaluateAlerts(storage, { ...opts, accuracyDrop: 0.5 }, now);
      expect(strict.filter((e) => e.kind === 'accuracy_alert').map((e) => e.model)).toEqual(['acc-lenient']);
    });
  });
});
