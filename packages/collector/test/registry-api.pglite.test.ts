import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../src/storage/open-storage.ts';
import { describeRegistryApi } from './registry-api.cases.ts';

// Artifacts on disk next to the PGlite data directory (the embedded default).
const dir = mkdtemp(join(tmpdir(), 'driftline-registry-'));
describeRegistryApi(
  'pglite, artifacts on disk',
  async () => openStorage({ dataDir: join(await dir, 'db') }),
  async () => join(await dir, 'db'),
);
