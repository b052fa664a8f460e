import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage } from './open-storage.ts';
import { describeStorageConformance } from './storage.conformance.ts';

describeStorageConformance('pglite (in memory)', () => openStorage({}));

describe('pglite data directory', () => {
  it('refuses a second opener while the first runs, and takes over a dead process lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftline-lock-'));
    try {
      const first = await openStorage({ dataDir: dir });
      await expect(openStorage({ dataDir: dir })).rejects.toMatchObject({ code: 'data_dir_locked' });
      await first.close();
      await writeFile(join(dir, 'driftline.lock'), '999999');
      const again = await openStorage({ dataDir: dir });
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
