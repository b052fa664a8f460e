import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, fromBase64 } from '@driftline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch, makeProfile } from '../../test/fixtures.ts';
import { cli } from '../../test/run-cli.ts';
import { createKey } from '../auth/keys.ts';
import { type Collector, startCollector } from '../server/start-collector.ts';
import { COMMANDS } from './commands.ts';

describe('driftline CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftline-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists and revokes keys on the storage directly, printing the secret once', async () => {
    const dataDir = join(dir, 'data');
    const created = await cli(
      'keys',
      'create',
      '--role',
      'read',
      '--label',
      'analyst',
      '--data-dir',
      dataDir,
    );
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^dl_read_\S+$/);
    const id = /Created read key (key_\w+)/.exec(created.err)![1]!;
    const listed = await cli('keys', 'list', '--data-dir', dataDir);
    expect(listed.out).toContain(id);
    expect(listed.out).not.toContain(created.out);
    expect((await cli('keys', 'revoke', id, '--data-dir', dataDir)).code).toBe(0);
    expect((await cli('keys', 'revoke', id, '--data-dir', dataDir)).code).toBe(1);
  }, 120_000);

  it('answers usage errors with exit code 2 and the usage', async () => {
    for (const argv of [
      ['nope'],
      ['keys'],
      ['keys', 'create', '--role', 'root'],
      ['serve', '--port'],
      ['drift'],
    ]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain('usage: driftline');
    }
    expect((await cli('--help')).code).toBe(0);
  });

  describe.each(COMMANDS.map((c) => [c.name, c] as const))('driftline %s', (name, spec) => {
    const words = name.split(' ');

    it('prints its usage, every option and every environment variable for --help and -h', async () => {
      for (const help of ['--help', '-h']) {
        const r = await cli(...words, help);
        expect(r.code).toBe(0);
        expect(r.out).toContain(`usage: driftline ${name}`);
        for (const option of spec.options) {
          expect(r.out).toContain(`--${option.name}${option.value ? ` ${option.value}` : ''}`);
          if (option.env) expect(r.out).toMatch(new RegExp(`^  ${option.env}\\s`, 'm'));
        }
        for (const env of spec.env ?? []) expect(r.out).toMatch(new RegExp(`^  ${env.name}\\s`, 'm'));
      }
    });

    it('rejects an option it does not know with exit code 2, naming it', async () => {
      const r = await cli(...words, '--no-such-option', 'x');
      expect(r.code).toBe(2);
      expect(r.err).toContain('Unknown option --no-such-option.');
      expect(r.err).toContain(`driftline ${name} --help`);
    });

    it('is listed by driftline --help', async () => {
      const r = await cli('--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    });
  });

  it('shows the keys commands for keys --help, and rejects an unknown action or a switch given a value', async () => {
    const group = await cli('keys', '--help');
    expect(group.code).toBe(0);
    for (const c of COMMANDS.filter((c) => c.name.startsWith('keys '))) expect(group.out).toContain(c.name);
    const unknown = await cli('keys', 'renew');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown action "keys renew"');
    const valued = await cli('serve', '--dev=yes');
    expect(valued.code).toBe(2);
    expect(valued.err).toContain('--dev takes no value.');
    expect((await cli('serve', '-x')).err).toContain('Unknown option -x.');
  });

  it('documents every environment variable the CLI reads in the help of some command', async () => {
    const cliDir = new URL('.', import.meta.url);
    const read = new Set<string>();
    for (const file of await readdir(cliDir)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const text = await readFile(new URL(file, cliDir), 'utf8');
      for (const m of text.matchAll(/process\.env\.([A-Z_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(5);
    let helps = '';
    for (const c of COMMANDS) helps += (await cli(...c.name.split(' '), '--help')).out;
    for (const name of read) expect(helps, name).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
  });

  it('builds a reference profile from samples', async () => {
    const samples = join(dir, 'samples.jsonl');
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ input: { data: [i / 50, 1 - i / 50, 0.5], dims: [1, 3] }, label: String(i % 3) }),
    );
    await writeFile(samples, `${lines.join('\n')}\n`);
    const out = join(dir, 'ref.profile');
    const r = await cli('profile', samples, '--model', 'digits', '--version', '1.0.0', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toContain('50 samples');
    const profile = decodeProfile(fromBase64((await readFile(out, 'utf8')).trim()));
    expect(profile.inferences).toBe(50);
    expect(Object.keys(profile.features)).toContain('label');
    await writeFile(samples, 'not json\n');
    expect((await cli('profile', samples, '--model', 'digits')).code).toBe(2);
  });

  describe('against a running collector', () => {
    let c: Collector;
    let read: string;
    beforeAll(async () => {
      c = await startCollector({ port: 0, logLevel: 'silent' });
      read = (await createKey(c.storage, 'read')).secret;
      const ingest = (await createKey(c.storage, 'ingest')).secret;
      for (const backend of ['wasm', 'webgpu']) {
        const res = await fetch(`${c.url}/v1/telemetry`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}` },
          body: JSON.stringify(
            makeBatch({ model: 'cli', backend, deviceId: backend, profile: makeProfile(20) }),
          ),
        });
        expect(res.status).toBe(200);
      }
    });
    afterAll(async () => {
      await c.close();
    });

    it('prints latency and drift tables, and a clear error for a wrong key', async () => {
      const lat = await cli('latency', 'cli', '--url', c.url, '--key', read);
      expect(lat.code).toBe(0);
      expect(lat.out).toMatch(/backend\s+inferences\s+p50\s+p90\s+p99/);
      expect(lat.out).toMatch(/webgpu\s+20/);
      const drift = await cli('drift', 'cli', '--url', c.url, '--key', read, '--reference', 'baseline');
      expect(drift.code).toBe(0);
      expect(drift.out).toMatch(/feature\s+status/);
      const denied = await cli('latency', 'cli', '--url', c.url, '--key', 'wrong');
      expect(denied.code).toBe(1);
      expect(denied.err).toContain('unauthorized');
    });
  });
});
