import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createProfile,
  encodeProfile,
  numericFeature,
  parseManifest,
  verifyManifestSignature,
} from '@driftline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, DEV_KEYS, startCollector } from '../src/index.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';
import { cli } from './run-cli.ts';

const models = fileURLToPath(new URL('../../../demo/public/models/digits/', import.meta.url));

describe('driftline CLI: publish, rollout, pin, shadow, status, rollback, promote, keys signing', () => {
  let c: Collector;
  let dataDir: string;
  let signingKey: string;
  const at = () => ['--url', c.url, '--key', DEV_KEYS.admin];

  beforeAll(async () => {
    // PostgreSQL (fast to open) is where `keys signing` and the collector meet; PGlite is covered by the API suite.
    dataDir = await mkdtemp(join(tmpdir(), 'driftline-cli-'));
    const databaseUrl = await freshDatabaseUrl();
    const keys = await cli('keys', 'signing', '--database-url', databaseUrl);
    expect(keys.code, keys.err).toBe(0);
    signingKey = keys.out.trim();
    c = await startCollector({ port: 0, databaseUrl, dev: true, logLevel: 'silent' });
  });
  afterAll(() => c.close());

  it('publishes the real digit models with a progress bar; a re-publish skips stored files', async () => {
    const first = await cli(
      'publish',
      join(models, '1.0.0'),
      '--model',
      'digits',
      '--version',
      '1.0.0',
      ...at(),
    );
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/digits@1.0.0 \(onnx, 1 file\) published; it is the stable version/);
    expect(first.err).toMatch(/model\.onnx\s+\[#{24}\] 100%/);
    const tfjs = await cli(
      'publish',
      join(models, '1.1.0'),
      '--model',
      'digits',
      '--version',
      '1.1.0',
      '--format',
      'tfjs',
      ...at(),
    );
    expect(tfjs.code, tfjs.err).toBe(0);
    expect(tfjs.out).toMatch(/\(tfjs, 2 files\) published\.$/);
    const again = await cli(
      'publish',
      join(models, '1.1.0'),
      '--model',
      'digits',
      '--version',
      '1.1.0',
      '--format',
      'tfjs',
      ...at(),
    );
    expect(again.out).toMatch(/already published/);
    expect(again.err).toMatch(/already stored/);
    const ref = join(dataDir, 'reference.bin');
    const profile = createProfile();
    profile.inferences = 3;
    for (const x of [0.1, 0.5, 0.9]) numericFeature(profile, 'top1').add(x);
    await writeFile(ref, encodeProfile(profile));
    const withRef = await cli(
      'publish',
      join(models, '1.1.0'),
      '--model',
      'digits',
      '--version',
      '1.2.0-rc.1',
      '--reference',
      ref,
      ...at(),
    );
    expect(withRef.code, withRef.err).toBe(0);
    const version = await (
      await fetch(`${c.url}/v1/models/digits/versions/1.2.0-rc.1`, {
        headers: { authorization: `Bearer ${DEV_KEYS.read}` },
      })
    ).json();
    expect(version).toMatchObject({ format: 'onnx', hasReference: true });
    const conflict = await cli(
      'publish',
      join(models, '1.1.0'),
      '--model',
      'digits',
      '--version',
      '1.0.0',
      ...at(),
    );
    expect(conflict.code).toBe(1);
    expect(conflict.err).toMatch(/version_exists/);
  });

  it('rolls out, pins, shadows, shows status, rolls back and promotes; manifests are signed', async () => {
    const r = await cli(
      'rollout',
      'digits',
      '--candidate',
      '1.1.0',
      '--percent',
      '25',
      '--reason',
      'canary',
      '--guard',
      'minSamples=500',
      ...at(),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('digits: stable 1.0.0; candidate 1.1.0 on 25% of devices; shadow none');
    expect((await cli('pin', 'digits', 'dev-1', '1.1.0', ...at())).out).toBe(
      'digits: device dev-1 pinned to 1.1.0',
    );
    expect(
      (await cli('shadow', 'digits', '--version', '1.1.0', '--percent', '10', '--sample', '5', ...at())).out,
    ).toMatch(/shadow 1.1.0 on 10% of devices, 5% of inferences/);
    const status = await cli('status', 'digits', '--url', c.url, '--key', DEV_KEYS.read);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(/pins: dev-1=1.1.0/);

    const res = await fetch(`${c.url}/v1/models/digits/manifest?device=dev-1`, {
      headers: { authorization: `Bearer ${DEV_KEYS.ingest}` },
    });
    const m = parseManifest(await res.json());
    expect(m).toMatchObject({ version: '1.1.0', format: 'tfjs', assignment: 'device' });
    expect(await verifyManifestSignature(m, signingKey)).toBe(true);

    expect((await cli('rollback', 'digits', ...at())).out).toMatch(/stable 1.0.0; candidate none/);
    await cli('rollout', 'digits', '--candidate', '1.1.0', '--percent', '100', ...at());
    expect((await cli('promote', 'digits', ...at())).out).toMatch(
      /stable 1.1.0 \(rollback to 1.0.0\); candidate none/,
    );
    expect((await cli('pin', 'digits', 'dev-1', '--unpin', ...at())).out).toBe(
      'digits: device dev-1 unpinned',
    );
    const rotated = await cli('keys', 'signing', ...at());
    expect(rotated.code, rotated.err).toBe(0);
    const newKey = rotated.out.trim();
    expect(newKey).not.toBe(signingKey);
    const after = parseManifest(
      await (
        await fetch(`${c.url}/v1/models/digits/manifest?device=dev-1`, {
          headers: { authorization: `Bearer ${DEV_KEYS.ingest}` },
        })
      ).json(),
    );
    expect(await verifyManifestSignature(after, newKey)).toBe(true);
    expect(await verifyManifestSignature(after, signingKey)).toBe(false);
    const usage = await cli('rollout', 'digits', ...at());
    expect(usage.code).toBe(2);
  });
});
