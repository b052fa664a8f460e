import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.ts';
import { createApp } from '../src/server/create-app.ts';
import type { Storage } from '../src/storage/storage.ts';
import { makeBatch } from './fixtures.ts';

/** Keys on a running collector (admin routes), their expiry, rotation, revocation and audit log. */
export function describeKeyAdmin(name: string, open: () => Promise<Storage>): void {
  describe(`key administration: ${name}`, () => {
    let storage: Storage;
    let app: FastifyInstance;
    let admin: { id: string; secret: string };

    beforeAll(async () => {
      storage = await open();
      ({ app } = await createApp(storage, { logLevel: 'silent' }));
      admin = await createKey(storage, 'admin', { label: 'first admin' });
    });
    afterAll(async () => {
      await app.close();
      await storage.close();
    });

    const call = (method: 'GET' | 'POST' | 'PUT', url: string, key: string | null, body?: unknown) =>
      app.inject({
        method,
        url,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
    const ingest = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: JSON.stringify(makeBatch({ model: 'keys' })),
      });
    const errorCode = (res: { json(): { error?: { code: string } } }) => res.json().error?.code;
    const refusals = async () => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const count = (reason: string) =>
        Number(new RegExp(`driftline_refused_requests_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1]);
      return { revoked: count('revoked_key'), expired: count('expired_key') };
    };

    it('creates a key over HTTP whose secret works for its role only, and lists keys without secrets', async () => {
      const res = await call('POST', '/v1/keys', admin.secret, { role: 'ingest', app: 'shop', label: 'web' });
      expect(res.statusCode).toBe(201);
      const { key, secret } = res.json();
      expect(key).toMatchObject({
        role: 'ingest',
        app: 'shop',
        label: 'web',
        revokedAt: null,
        expiresAt: null,
      });
      expect(secret).toMatch(/^dl_ingest_/);
      expect((await ingest(secret)).statusCode).toBe(200);
      expect((await call('GET', '/v1/models', secret)).statusCode).toBe(403);
      const listed = await call('GET', '/v1/keys', admin.secret);
      expect(listed.json().keys.map((k: { id: string }) => k.id)).toContain(key.id);
      expect(listed.body).not.toContain(secret);
    });

    it('refuses key routes to non-admin keys and to no key', async () => {
      const read = (await createKey(storage, 'read')).secret;
      expect((await call('GET', '/v1/keys', null)).statusCode).toBe(401);
      const denied = await call('POST', '/v1/keys', read, { role: 'admin' });
      expect(denied.statusCode).toBe(403);
      expect(errorCode(denied)).toBe('forbidden');
      expect((await call('GET', '/v1/audit', read)).statusCode).toBe(403);
    });

    it('refuses bad key options with a code and a fix', async () => {
      const cases: [unknown, string][] = [
        [{ role: 'root' }, 'bad_request'],
        [{ role: 'read', expiresAt: '2001-01-01T00:00:00Z' }, 'bad_request'],
        [{ role: 'read', origins: ['https://a.example'] }, 'bad_request'],
        [{ role: 'ingest', origins: ['https://a.example/path'] }, 'bad_request'],
      ];
      for (const [body, code] of cases) {
        const res = await call('POST', '/v1/keys', admin.secret, body);
        expect([res.statusCode, errorCode(res)], JSON.stringify(body)).toEqual([400, code]);
        expect(res.json().error.message.length).toBeGreaterThan(10);
      }
    });

    it('rotates a key: old and new both work during the grace period, then the old one is key_expired', async () => {
      const old = (await createKey(storage, 'ingest', { app: 'rot', origins: ['https://rot.example'] }))
        .secret;
      const oldId = (await call('GET', '/v1/keys', admin.secret))
        .json()
        .keys.find((k: { app: string | null }) => k.app === 'rot').id;
      const res = await call('POST', `/v1/keys/${oldId}/rotate`, admin.secret, { graceSeconds: 3600 });
      expect(res.statusCode).toBe(201);
      const { key, secret, previous } = res.json();
      expect(key).toMatchObject({ role: 'ingest', app: 'rot', origins: ['https://rot.example'] });
      expect(previous).toMatchObject({ id: oldId, rotatedTo: key.id });
      const graceEnd = Date.parse(previous.expiresAt) - Date.now();
      expect(graceEnd).toBeGreaterThan(3500_000);
      expect(graceEnd).toBeLessThanOrEqual(3600_000);
      expect((await ingest(old)).statusCode).toBe(200);
      expect((await ingest(secret)).statusCode).toBe(200);
      // A key has one successor: rotating it again during its grace period is refused.
      const twice = await call('POST', `/v1/keys/${oldId}/rotate`, admin.secret);
      expect([twice.statusCode, errorCode(twice)]).toEqual([409, 'key_conflict']);
      expect(twice.json().error.message).toContain(`rotate ${key.id} instead`);

      // A grace period of 0 ends the old key at once.
      const before = await refusals();
      const now = await call('POST', `/v1/keys/${key.id}/rotate`, admin.secret, { graceSeconds: 0 });
      expect(now.statusCode).toBe(201);
      const ended = await ingest(secret);
      expect([ended.statusCode, errorCode(ended)]).toEqual([401, 'key_expired']);
      expect((await ingest(now.json().secret)).statusCode).toBe(200);
      expect((await refusals()).expired).toBe(before.expired + 1);
      // An expired key cannot be rotated again.
      const again = await call('POST', `/v1/keys/${key.id}/rotate`, admin.secret);
      expect([again.statusCode, errorCode(again)]).toEqual([404, 'unknown_key']);
    });

    it('two rotations of one key at once: one succeeds, the other is key_conflict, and one successor exists', async () => {
      await createKey(storage, 'read', { label: 'rotated twice at once' });
      const keyId = (await call('GET', '/v1/keys', admin.secret))
        .json()
        .keys.find((k: { label: string | null }) => k.label === 'rotated twice at once').id;
      const answers = await Promise.all(
        [0, 1, 2].map(() => call('POST', `/v1/keys/${keyId}/rotate`, admin.secret, { graceSeconds: 60 })),
      );
      expect(answers.map((r) => [r.statusCode, r.statusCode === 201 ? null : errorCode(r)]).sort()).toEqual([
        [201, null],
        [409, 'key_conflict'],
        [409, 'key_conflict'],
      ]);
      const winner = answers.find((r) => r.statusCode === 201)!.json().key.id;
      const keys = (await call('GET', '/v1/keys', admin.secret)).json().keys as {
        id: string;
        label: string | null;
        rotatedTo: string | null;
      }[];
      const family = keys.filter((k) => k.label === 'rotated twice at once');
      expect(family.map((k) => k.id).sort()).toEqual([keyId, winner].sort());
      expect(family.find((k) => k.id === keyId)!.rotatedTo).toBe(winner);
    });

    it('stops an expiring key at its expiry with key_expired, distinct from an unknown key', async () => {
      const created = await call('POST', '/v1/keys', admin.secret, {
        role: 'read',
        expiresAt: new Date(Date.now() + 1_500).toISOString(),
      });
      const { secret } = created.json();
      expect((await call('GET', '/v1/models', secret)).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 1_600));
      const expired = await call('GET', '/v1/models', secret); // cached lookup, past its expiry
      expect([expired.statusCode, errorCode(expired)]).toEqual([401, 'key_expired']);
      const unknown = await call('GET', '/v1/models', 'dl_read_never_issued');
      expect([unknown.statusCode, errorCode(unknown)]).toEqual([401, 'unauthorized']);
    });

    it('revokes a key at once (key_revoked), refuses to revoke the last admin key, counts refusals by reason', async () => {
      const res = await call('POST', '/v1/keys', admin.secret, { role: 'ingest' });
      const { key, secret } = res.json();
      expect((await ingest(secret)).statusCode).toBe(200); // now cached
      const before = await refusals();
      const revoked = await call('POST', `/v1/keys/${key.id}/revoke`, admin.secret);
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().key.revokedAt).not.toBeNull();
      const refused = await ingest(secret);
      expect([refused.statusCode, errorCode(refused)]).toEqual([401, 'key_revoked']);
      expect((await refusals()).revoked).toBe(before.revoked + 1);
      const twice = await call('POST', `/v1/keys/${key.id}/revoke`, admin.secret);
      expect([twice.statusCode, errorCode(twice)]).toEqual([404, 'unknown_key']);

      const self = await call('POST', `/v1/keys/${admin.id}/revoke`, admin.secret);
      expect([self.statusCode, errorCode(self)]).toEqual([409, 'key_conflict']);
      const second = (await call('POST', '/v1/keys', admin.secret, { role: 'admin' })).json();
      expect((await call('POST', `/v1/keys/${admin.id}/revoke`, second.secret)).statusCode).toBe(200);
      admin = { id: second.key.id, secret: second.secret };
    });

    it('records every admin change in the audit log: who, what, when; reads and refusals are not recorded', async () => {
      const started = Date.now() - 1_000;
      await call('PUT', '/v1/models/audited/alerts', admin.secret, { latencyP95Ms: 50 });
      const created = (await call('POST', '/v1/keys', admin.secret, { role: 'read' })).json();
      await call('POST', '/v1/keys', admin.secret, { role: 'nope' }); // refused: not recorded
      await call('GET', '/v1/keys', admin.secret); // a read: not recorded
      const page = await call('GET', '/v1/audit?limit=2', admin.secret);
      expect(page.statusCode).toBe(200);
      const { entries, next } = page.json();
      expect(entries).toHaveLength(2);
      expect(entries[0]).toMatchObject({
        actor: admin.id,
        action: 'keys.create',
        target: created.key.id,
        detail: { role: 'read' },
      });
      expect(entries[1]).toMatchObject({
        actor: admin.id,
        action: 'PUT /v1/models/:name/alerts',
        target: 'audited',
      });
      expect(Date.parse(entries[0].at)).toBeGreaterThanOrEqual(started);
      const older = (await call('GET', `/v1/audit?limit=100&before=${next}`, admin.secret)).json().entries;
      expect(older.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['keys.revoke', 'keys.rotate', 'keys.create']),
      );
      expect(older.every((e: { id: number }) => e.id < next)).toBe(true);
    });
  });
}
