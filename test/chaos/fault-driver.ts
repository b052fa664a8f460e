import { rng } from '../../packages/collector/test/fixtures.ts';
import type { CollectorReplica } from './collector-replica.ts';
import type { KillablePostgres } from './killable-postgres.ts';

/** Something that goes wrong, then is repaired (a restart), while the devices keep sending. */
export interface Fault {
  name: string;
  /** Breaks something and repairs it; resolves when it serves again. `pause(ms)` waits seeded time. */
  run(pause: (maxMs: number) => Promise<void>): Promise<void>;
}

/** When a fault struck (from the start of the faults), when it was repaired, when the fleet had recovered. */
export interface FaultRecord {
  name: string;
  atMs: number;
  /** From the fault to the restarted process serving again. */
  repairMs: number;
  /** From the fault to no device failing any more (every device that failed has been acknowledged since). */
  recoveredMs: number;
}

/** SIGKILL one collector replica, leave it dead up to `maxDownMs`, start it again on its port. */
export const killCollector = (replica: CollectorReplica, maxDownMs = 500): Fault => ({
  name: `SIGKILL collector ${replica.url}`,
  async run(pause) {
    await replica.kill9();
    await pause(maxDownMs);
    await replica.restart();
  },
});

/** SIGKILL the PostgreSQL postmaster, leave it dead up to `maxDownMs`, start it again in place. */
export const killPostgres = (server: KillablePostgres, maxDownMs = 500): Fault => ({
  name: 'SIGKILL postgres',
  async run(pause) {
    await server.kill9();
    await pause(maxDownMs);
    await server.restart();
  },
});

/**
 * Runs `faults` one after another. Each strikes after a seeded random stretch of healthy load in
 * [minGapMs, maxGapMs] (the stretch starts once `failing()` is 0, so every fault hits a fleet that
 * recovered from the one before); `settleMs` of load follows the last. The same seed gives the
 * same stretches, so a schedule can be replayed (CHAOS_SEED).
 */
export async function runFaults(faults: Fault[], o: FaultOptions): Promise<FaultRecord[]> {
  const random = rng(o.seed);
  const began = performance.now();
  const records: FaultRecord[] = [];
  const since = (t: number) => Math.round(performance.now() - t);
  // Waits while watching: a crash of anything under test ends the run at once, with its log.
  const watch = async (ms: number) => {
    for (const end = performance.now() + ms; performance.now() < end; ) {
      o.check();
      await sleep(Math.min(50, end - performance.now()));
    }
  };
  for (const fault of faults) {
    await watch(o.minGapMs + random() * (o.maxGapMs - o.minGapMs));
    const at = performance.now();
    await fault.run((maxMs) => watch(random() * maxMs));
    const repairMs = since(at);
    // Requests cut by the fault may still be waiting out a backoff: give them a moment to fail.
    await watch(100);
    while (o.failing() > 0) {
      if (since(at) > o.recoveryLimitMs) {
        throw new Error(`${o.failing()} devices still failing ${since(at)} ms after: ${fault.name}`);
      }
      await watch(50);
    }
    records.push({ name: fault.name, atMs: Math.round(at - began), repairMs, recoveredMs: since(at) });
  }
  await watch(o.settleMs);
  return records;
}

/** Schedule of {@link runFaults}, and what it watches. */
export interface FaultOptions {
  seed: number;
  minGapMs: number;
  maxGapMs: number;
  settleMs: number;
  /** Devices currently failing (the fleet's `failing`). */
  failing: () => number;
  /** Throws when something under test died by itself. */
  check: () => void;
  /** A fault after which devices still fail this long fails the run. */
  recoveryLimitMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
