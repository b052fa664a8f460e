import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey, openStorage, type StorageOptions } from '@driftline/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEVELS } from '../../packages/collector/src/rollups/levels.ts';
import { CollectorReplica } from './collector-replica.ts';
import { storedCounts, summaryOf } from './counts.ts';
import { type FleetOptions, type FleetReport, startFleet } from './device-simulator.ts';
import { type Fault, killCollector, killPostgres, runFaults } from './fault-driver.ts';
import { type KillablePostgres, startKillablePostgres } from './killable-postgres.ts';
import { formatReport } from './report.ts';

// Seeded: the same seed kills at the same moments. CHAOS_SEED replays another schedule.
const SEED = Number(process.env.CHAOS_SEED ?? 13);
const DEVICES = 300;
const MODEL = 'chaos';
const GAPS = { minGapMs: 500, maxGapMs: 2_000, settleMs: 500, recoveryLimitMs: 45_000 };

interface Scenario {
  name: string;
  storage: StorageOptions;
  replicas: CollectorReplica[];
  faults: Fault[];
  keys: { ingest: string; read: string };
}

/** Runs the fleet through the scenario's faults, checks every count exactly, prints the figures. */
async function run(s: Scenario, seed: number): Promise<void> {
  const options: FleetOptions = {
    devices: DEVICES,
    model: MODEL,
    key: s.keys.ingest,
    targets: s.replicas.map((r) => r.url),
    seed,
    intervalMs: 500,
    idPrefix: `s${seed}`,
  };
  const fleet = startFleet(options);
  let report: FleetReport;
  try {
    const faults = await runFaults(s.faults, {
      seed,
      ...GAPS,
      failing: () => fleet.failing,
      check: () => {
        for (const r of s.replicas) r.check();
      },
    });
    report = await fleet.drain();
    console.log(formatReport(s.name, DEVICES, report, faults));
  } catch (error) {
    await fleet.drain(5_000).catch(() => {});
    console.log(formatReport(`${s.name} (FAILED)`, DEVICES, fleet.report, []));
    throw error;
  }
  expect(report.rejected).toEqual([]);
  expect(report.retries).toBeGreaterThan(0);

  // Every replica answers the same, exact figures (PostgreSQL: the others share its database).
  for (const r of s.replicas) {
    expect(await summaryOf(r.url, s.keys.read, MODEL)).toEqual({
      inferences: report.inferences,
      devices: DEVICES,
    });
  }
  // PGlite's data directory is locked while its collector runs: read the tables after a clean stop.
  expect(await Promise.all(s.replicas.map((r) => r.stop()))).toEqual(s.replicas.map(() => 0));
  const storage = await openStorage(s.storage);
  try {
    const stored = await storedCounts(storage, MODEL);
    expect({ batches: stored.batches, batchIds: stored.batchIds }).toEqual({
      batches: report.batches,
      batchIds: report.batches,
    });
    expect(stored.perDevice).toEqual(report.perDevice);
    expect(stored.levels).toEqual(Object.fromEntries(LEVELS.map((level) => [level, report.inferences])));
  } finally {
    await storage.close();
  }
}

async function withKeys(storage: StorageOptions): Promise<{ ingest: string; read: string }> {
  const s = await openStorage(storage);
  try {
    return { ingest: (await createKey(s, 'ingest')).secret, read: (await createKey(s, 'read')).secret };
  } finally {
    await s.close();
  }
}

describe('chaos: devices keep sending while things are killed; counts stay exact', () => {
  let postgres: KillablePostgres;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'driftline-chaos-'));
    postgres = await startKillablePostgres(['-c', 'max_connections=200']);
  });
  afterAll(async () => {
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('PGlite: collector SIGKILLed 3 times and restarted on its data directory', async () => {
    const storage = { dataDir };
    const keys = await withKeys(storage);
    const replica = await CollectorReplica.start(['--data-dir', dataDir]);
    const faults = [1, 2, 3].map(() => killCollector(replica));
    await run({ name: 'PGlite, 3 collector kills', storage, replicas: [replica], faults, keys }, SEED);
  });

  it('PostgreSQL: collector SIGKILLed twice, the database server SIGKILLed once', async () => {
    const storage = { databaseUrl: await postgres.createDatabase('chaos_one') };
    const keys = await withKeys(storage);
    const replica = await CollectorReplica.start(['--database-url', storage.databaseUrl]);
    const faults = [killCollector(replica), killPostgres(postgres), killCollector(replica)];
    await run(
      { name: 'PostgreSQL, 2 collector kills + 1 postgres kill', storage, replicas: [replica], faults, keys },
      SEED + 1,
    );
  });

  it('PostgreSQL: two replicas, one SIGKILLed mid-load; devices fail over to the other', async () => {
    const storage = { databaseUrl: await postgres.createDatabase('chaos_two') };
    const keys = await withKeys(storage);
    const args = ['--database-url', storage.databaseUrl];
    const replicas = await Promise.all([CollectorReplica.start(args), CollectorReplica.start(args)]);
    const faults = [killCollector(replicas[0]!, 2_000)];
    await run({ name: 'PostgreSQL, 2 replicas, 1 killed', storage, replicas, faults, keys }, SEED + 2);
  });
});
