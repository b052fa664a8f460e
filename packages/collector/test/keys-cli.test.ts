import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEYS } from '../src/server/options.ts';
import { type Collector, startCollector } from '../src/server/start-collector.ts';
import { cli } from './run-cli.ts';
import { spawnCollector } from './spawn-collector.ts';

const models = (url: string, key: string) =>
  fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });

describe('dev keys exist only while --dev is on', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftline-devkeys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a later serve without --dev on the same data directory refuses the well-known keys (key_revoked)', async () => {
    const dev = await spawnCollector(['--data-dir', dir, '--dev']);
    expect((await models(dev.url, DEV_KEYS.admin)).status).toBe(200);
    expect(await dev.stop()).toBe(0);

    const prod = await spawnCollector(['--data-dir', dir]);
    try {
      for (const secret of Object.values(DEV_KEYS)) {
        const res = await models(prod.url, secret);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('key_revoked');
      }
    } finally {
      expect(await prod.stop()).toBe(0);
    }

    const again = await spawnCollector(['--data-dir', dir, '--dev']);
    try {
      expect((await models(again.url, DEV_KEYS.read)).status).toBe(200);
    } finally {
      await again.stop();
    }
  });

  it('refuses --dev with a host other than loopback, and says what to do', async () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
      const res = await cli('serve', '--dev', '--host', host, '--port', '0', '--data-dir', join(dir, 'x'));
      expect(res.code).toBe(1);
      expect(res.err).toContain('dev_not_loopback');
      expect(res.err).toContain('drop --host');
    }
    await expect(startCollector({ dev: true, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      code: 'dev_not_loopback',
    });
  });
});

describe('driftline keys on the storage directly', () => {
  it('audits offline key changes as actor cli, readable with keys audit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftline-keys-offline-'));
    try {
      const created = await cli('keys', 'create', '--role', 'admin', '--data-dir', dir);
      expect(created.code).toBe(0);
      expect((await cli('keys', 'signing', '--data-dir', dir)).code).toBe(0);
      const audit = await cli('keys', 'audit', '--data-dir', dir);
      const rows = audit.out
        .split('\n')
        .slice(2)
        .map((l) => l.split(/\s+/));
      expect(rows.map((r) => [r[2], r[3]])).toEqual([
        ['cli', 'keys.signing'],
        ['cli', 'keys.create'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('driftline keys against a running collector (--url/--key)', () => {
  let dir: string;
  let c: Collector;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftline-keys-remote-'));
    // The collector holds its PGlite data directory: keys can only be changed through it.
    c = await startCollector({ port: 0, dataDir: dir, dev: true, logLevel: 'silent' });
  });
  afterAll(async () => {
    await c.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists, rotates and revokes keys, audited under the admin key', async () => {
    const remote = ['--url', c.url, '--key', DEV_KEYS.admin];
    const created = await cli(
      'keys',
      'create',
      '--role',
      'read',
      '--label',
      'analyst',
      '--expires',
      '30d',
      ...remote,
    );
    expect(created.code).toBe(0);
    const secret = created.out.trim();
    expect(secret).toMatch(/^dl_read_\S+$/);
    const id = /Created read key (key_\w+), valid until (\S+)\./.exec(created.err)!;
    expect(Date.parse(id[2]!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await models(c.url, secret)).status).toBe(200);

    const listed = await cli('keys', 'list', ...remote);
    expect(listed.out).toContain(id[1]);
    expect(listed.out).not.toContain(secret);

    const rotated = await cli('keys', 'rotate', id[1]!, '--grace', '1h', ...remote);
    expect(rotated.code).toBe(0);
    const next = rotated.out.trim();
    expect(rotated.err).toMatch(/to replace key_\w+, which keeps working until/);
    expect((await models(c.url, secret)).status).toBe(200);
    expect((await models(c.url, next)).status).toBe(200);

    const newId = /Created read key (key_\w+) to replace/.exec(rotated.err)![1]!;
    expect((await cli('keys', 'revoke', newId, ...remote)).code).toBe(0);
    expect((await models(c.url, next)).status).toBe(401);
    const twice = await cli('keys', 'revoke', newId, ...remote);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('unknown_key');

    const audit = await cli('keys', 'audit', ...remote);
    const lines = audit.out.split('\n').slice(2);
    expect(lines.map((l) => l.split(/\s+/)[3])).toEqual(
      expect.arrayContaining(['keys.create', 'keys.rotate', 'keys.revoke']),
    );
    expect(lines[0]).toContain('keys.revoke');
  });

  it('takes DRIFTLINE_URL and DRIFTLINE_KEY from the environment', async () => {
    process.env.DRIFTLINE_URL = c.url;
    process.env.DRIFTLINE_KEY = DEV_KEYS.admin;
    try {
      const listed = await cli('keys', 'list');
      expect(listed.code).toBe(0);
      expect(listed.out).toContain('dev (well-known, local only)');
    } finally {
      delete process.env.DRIFTLINE_URL;
      delete process.env.DRIFTLINE_KEY;
    }
  });

  it('refuses bad flags as usage errors (exit 2) before any request', async () => {
    const remote = ['--url', c.url, '--key', DEV_KEYS.admin];
    for (const argv of [
      ['keys', 'create', '--role', 'root', ...remote],
      ['keys', 'create', '--role', 'read', '--expires', 'soon', ...remote],
      ['keys', 'create', '--role', 'read', '--origins', 'https://a.example', ...remote],
      ['keys', 'rotate', 'key_x', '--grace', 'a while', ...remote],
      ['keys', 'rotate', ...remote],
    ]) {
      const res = await cli(...argv);
      expect(res.code, argv.join(' ')).toBe(2);
    }
  });
});
