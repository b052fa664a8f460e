// `pnpm bench rate-limit`: what the per-key limit shared across replicas (ingest/shared-rate-limiter.ts,
// one upsert on PostgreSQL per ingest request) costs, next to anchors measured in the same run on the
// same connection pool: `SELECT 1` (a bare round trip) and the in-process RateLimiter.
//   sequential: one take at a time (the latency a request gains)
//   concurrent: 32 in flight on ONE key (every replica's requests queue on that key's row) and on 32 keys
import { cpus, loadavg } from 'node:os';
import { RateLimiter } from '../packages/collector/src/ingest/rate-limiter.ts';
import { SharedRateLimiter } from '../packages/collector/src/ingest/shared-rate-limiter.ts';
import { openStorage } from '../packages/collector/src/storage/open-storage.ts';
import { startEmbeddedPostgres } from '../packages/collector/test/embedded-postgres.ts';

const N = Number(process.env.BENCH_N ?? 4_000);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.floor(s.length * 0.95)]! };
}

async function sequential(fn: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 200; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) * 1000);
  }
  return stats(times);
}

async function concurrent(fn: (i: number) => Promise<unknown>, inFlight = 32): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      while (next < N) {
        next++;
        await fn(w);
      }
    }),
  );
  return N / ((performance.now() - t) / 1000);
}

async function main() {
  console.log(
    `rate-limit bench: ${cpus().length} cores (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}), Node ${process.version}, ${N} takes per row`,
  );
  const pg = await startEmbeddedPostgres();
  const storage = await openStorage({ databaseUrl: pg.url });
  try {
    const shared = new SharedRateLimiter(storage, 1e9, 1e9);
    const local = new RateLimiter(1e9, 1e9);
    const ping = () => storage.query('SELECT 1', [], { name: 'bench_ping' });
    const rows: [string, { median: number; p95: number }, number, number][] = [
      ['SELECT 1 (anchor)', await sequential(ping), await concurrent(ping), Number.NaN],
      [
        'shared limiter take',
        await sequential(() => shared.take('one')),
        await concurrent(() => shared.take('one')),
        await concurrent((w) => shared.take(`k${w}`)),
      ],
      [
        'in-process take',
        await sequential(async () => local.take('one')),
        await concurrent(async () => local.take('one')),
        Number.NaN,
      ],
    ];
    console.log('\n                       sequential µs      32 in flight takes/s');
    console.log('what                   median     p95     one key   32 keys   vs SELECT 1 (one key)');
    const anchor = rows[0]![2];
    for (const [name, seq, one, many] of rows) {
      console.log(
        `${name.padEnd(22)} ${seq.median.toFixed(0).padStart(6)} ${seq.p95.toFixed(0).padStart(7)} ${one.toFixed(0).padStart(11)} ${Number.isNaN(many) ? '        -' : many.toFixed(0).padStart(9)}   ${(one / anchor).toFixed(2)}`,
      );
    }
  } finally {
    await storage.close();
    await pg.stop();
  }
}

await main();
