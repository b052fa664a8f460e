import { makeBatch, makeProfile, rng } from '../../packages/collector/test/fixtures.ts';
import { postBatch } from '../../packages/collector/test/spawn-collector.ts';

/** How a simulated fleet behaves. */
export interface FleetOptions {
  devices: number;
  model: string;
  /** Ingest key secret. */
  key: string;
  /**
   * Collector addresses. Device `d` starts on `targets[d % n]` and, after a failed attempt, tries
   * the next one (a client-side failover list, as a device given several ingest URLs would do).
   */
  targets: readonly string[];
  seed: number;
  /** Mean pause between two windows of one device, ms (±50 %, seeded). */
  intervalMs: number;
  /** Prefix of every batch id, so that runs never share ids. */
  idPrefix: string;
  /** First retry delay, doubled per failure up to maxBackoffMs (full jitter). Default 50. */
  baseBackoffMs?: number;
  /** Default 2000. */
  maxBackoffMs?: number;
  /** An attempt without an answer after this long counts as failed. Default 10000. */
  requestTimeoutMs?: number;
}

/** What a fleet made and how delivering it went. */
export interface FleetReport {
  /** Batches made, each acknowledged (stopping waits for that). */
  batches: number;
  inferences: number;
  /** Inferences and batches made per device id. */
  perDevice: Map<string, { batches: number; inferences: number }>;
  attempts: number;
  /** Attempts beyond the first of a batch. */
  retries: number;
  /** Acknowledgements that said `duplicate: true`: a retry of a batch stored before its answer was lost. */
  duplicates: number;
  /** Failed attempts by reason (`network`, `timeout`, `503 storage_unavailable`, `429 rate_limited`, …). */
  failures: Record<string, number>;
  /** Answers that are neither success nor retryable (4xx other than 429): each one a lost batch. */
  rejected: { status: number; error?: string }[];
  /** Longest time of any device from its first failed attempt to its next acknowledgement, ms. */
  longestRecoveryMs: number;
  /** From start to the moment every device had delivered its last batch, ms. */
  durationMs: number;
}

/** A running fleet; see {@link startFleet}. */
export interface Fleet {
  /** Devices whose current batch has failed at least once and is not yet acknowledged. */
  readonly failing: number;
  /** The figures so far (final once drain() resolved). */
  readonly report: FleetReport;
  /** Stops making windows, waits until every device's last batch is acknowledged, and reports. */
  drain(timeoutMs?: number): Promise<FleetReport>;
}

// Inference counts of a window, 1..8; one encoded profile each, reused (encoding is not under test).
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * Starts `devices` simulated devices in this process. Each one makes a window of telemetry (a
 * real batch built with @driftline/protocol), delivers it (retrying the same batch id with
 * exponential backoff on network errors, timeouts, 5xx and 429 until it is acknowledged), pauses,
 * and makes the next, as the runtime's outbox does. A device holds one batch at a time, so what it
 * made and what was acknowledged differ by at most its batch in flight.
 */
export function startFleet(o: FleetOptions): Fleet {
  const templates = SIZES.map((n) => makeBatch({ model: o.model, profile: makeProfile(n, { seed: n }) }));
  const report: FleetReport = {
    batches: 0,
    inferences: 0,
    perDevice: new Map(),
    attempts: 0,
    retries: 0,
    duplicates: 0,
    failures: {},
    rejected: [],
    longestRecoveryMs: 0,
    durationMs: 0,
  };
  let failing = 0;
  let stopping = false;
  let wake: (() => void)[] = [];
  const began = performance.now();

  // Sleeps `ms`, cut short by drain() (a device that was pausing has nothing left to deliver).
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = wake.filter((w) => w !== done);
        resolve();
      }
      wake.push(done);
    });

  const device = async (d: number) => {
    const random = rng(o.seed * 100_003 + d);
    const deviceId = `device-${d}`;
    const made = { batches: 0, inferences: 0 };
    report.perDevice.set(deviceId, made);
    let target = d % o.targets.length;
    await pause(random() * o.intervalMs);
    for (let w = 0; w === 0 || !stopping; w++) {
      const size = SIZES[Math.floor(random() * SIZES.length)]!;
      const template = templates[size - 1]!;
      const start = Date.now() - 60_000;
      const batch = {
        ...template,
        batchId: `${o.idPrefix}-${d}-${w}`,
        deviceId,
        sentAt: Date.now(),
        windows: template.windows.map((x) => ({ ...x, start, end: start + 10_000 })),
      };
      made.batches++;
      made.inferences += size;
      report.batches++;
      report.inferences += size;

      let failingSince: number | undefined;
      for (let attempt = 0; ; attempt++) {
        report.attempts++;
        if (attempt > 0) report.retries++;
        const r = await postBatch(o.targets[target]!, o.key, batch, {
          timeoutMs: o.requestTimeoutMs ?? 10_000,
        });
        if (r.status === 200) {
          if (r.duplicate) report.duplicates++;
          if (failingSince !== undefined) {
            failing--;
            report.longestRecoveryMs = Math.max(report.longestRecoveryMs, performance.now() - failingSince);
          }
          break;
        }
        if (r.status !== null && r.status < 500 && r.status !== 429) {
          report.rejected.push({ status: r.status, error: r.error });
          if (failingSince !== undefined) failing--;
          break;
        }
        const reason = r.status !== null ? `${r.status} ${r.error ?? ''}`.trim() : networkReason(r.error);
        report.failures[reason] = (report.failures[reason] ?? 0) + 1;
        if (failingSince === undefined) {
          failingSince = performance.now();
          failing++;
        }
        target = (target + 1) % o.targets.length;
        const cap = Math.min(o.maxBackoffMs ?? 2_000, (o.baseBackoffMs ?? 50) * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, random() * cap));
      }
      if (!stopping) await pause(o.intervalMs * (0.5 + random()));
    }
  };

  const devices = Array.from({ length: o.devices }, (_, d) => device(d));
  const all = Promise.all(devices).then(() => {
    report.durationMs = performance.now() - began;
  });

  return {
    get failing() {
      return failing;
    },
    report,
    async drain(timeoutMs = 60_000) {
      stopping = true;
      for (const w of [...wake]) w();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`devices still hold unacknowledged batches after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([all, late]);
      } finally {
        clearTimeout(timer);
      }
      return report;
    },
  };
}

// `fetch failed` says little; its cause's code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET) tells a
// dead port from a cut connection.
function networkReason(error = ''): string {
  if (/timeout/i.test(error)) return 'timeout';
  const code = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(error);
  return code ? `network ${code[1]}` : 'network';
}
