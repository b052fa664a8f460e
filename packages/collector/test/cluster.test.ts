import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import { makeBatch, makeProfile } from './fixtures.ts';
import { freshDatabaseUrl, freshDatabaseWithKeys } from './postgres-helpers.ts';
import { type CollectorProcess, pool, spawnCollector } from './spawn-collector.ts';

/** POSTs a batch; answers the status, whether it was a duplicate and which worker (pid) answered. */
async function post(url: string, key: string, batch: unknown) {
  try {
    const res = await fetch(`${url}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(batch),
    });
    const body = (await res.json()) as { duplicate?: boolean };
    return { status: res.status, duplicate: body.duplicate, worker: res.headers.get('x-driftline-worker') };
  } catch {
    return { status: null, duplicate: undefined, worker: null };
  }
}

/** The value of one sample line of a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('serve --workers 2 on one PostgreSQL', () => {
  let databaseUrl: string;
  let collector: CollectorProcess;
  let ingest: string;
  let read: string;
  let stopped = false;

  beforeAll(async () => {
    ({ databaseUrl, ingest, read } = await freshDatabaseWithKeys());
    collector = await spawnCollector(['--database-url', databaseUrl, '--workers', '2']);
  });
  afterAll(async () => {
    if (!stopped) await collector.stop();
  });

  it('answers on one real port, counts exactly, sums /metrics over both workers and stops cleanly', async () => {
    expect(collector.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const start = Date.now() - 3 * 60_000;
    const batches = Array.from({ length: 300 }, (_, d) =>
      makeBatch({
        model: 'fleet',
        deviceId: `device-${d}`,
        start,
        profile: makeProfile(1 + (d % 3), { seed: d }),
      }),
    );
    const expected = batches.reduce((s, _b, d) => s + 1 + (d % 3), 0);
    // every third batch is retried, concurrently with its first send
    const sends = batches.flatMap((b, i) => (i % 3 === 0 ? [b, b] : [b]));
    const results = await pool(
      24,
      sends.map((b) => () => post(collector.url, ingest, b)),
    );
    expect(results.filter((r) => r.status !== 200).slice(0, 3)).toEqual([]);
    expect(results.filter((r) => r.duplicate === false)).toHaveLength(batches.length);
    expect(results.filter((r) => r.duplicate === true)).toHaveLength(100);
    expect(new Set(results.map((r) => r.worker)).size).toBe(2);

    const summary = await fetch(`${collector.url}/v1/models/fleet/summary`, {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(await summary.json()).toMatchObject({ inferences: expected, devices: 300 });

    // whichever worker answers the scrape, the counters are the whole collector's
    for (let i = 0; i < 4; i++) {
      const text = await (await fetch(`${collector.url}/metrics`)).text();
      expect(sample(text, 'driftline_ingest_batches_total{result="stored"}')).toBe(300);
      expect(sample(text, 'driftline_ingest_batches_total{result="duplicate"}')).toBe(100);
      expect(sample(text, 'driftline_ingest_inferences_total')).toBe(expected);
    }

    // SIGTERM while 60 more batches are in flight: exit 0, and every batch answered 200 is stored
    const late = Array.from({ length: 60 }, (_, d) =>
      makeBatch({ model: 'fleet', deviceId: `late-${d}`, start }),
    );
    const inFlight = pool(
      12,
      late.map((b) => () => post(collector.url, ingest, b)),
    );
    await new Promise((r) => setTimeout(r, 30));
    stopped = true;
    expect(await collector.stop()).toBe(0);
    const lateResults = await inFlight;
    const acknowledged = late.filter((_b, i) => lateResults[i]!.status === 200).map((b) => b.batchId);
    const storage = await openStorage({ databaseUrl });
    try {
      const rows = await storage.query<{ batch_id: string }>('SELECT batch_id FROM batches');
      const stored = new Set(rows.map((r) => r.batch_id));
      expect(stored.size).toBe(300 + acknowledged.length);
      for (const id of [...batches.map((b) => b.batchId), ...acknowledged]) expect(stored.has(id)).toBe(true);
    } finally {
      await storage.close();
    }
  });
});

/** The pid of the worker that answers /healthz on a new connection. */
function workerOnNewConnection(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    // a connection the primary hands to a worker as it dies is lost (a Node cluster limit): time out
    const req = request(`${url}/healthz`, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.headers['x-driftline-worker'] as string | undefined);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

describe('serve --workers: workers that die', () => {
  it('replaces a worker killed with SIGKILL and keeps serving on the same port', async () => {
    const collector = await spawnCollector(['--database-url', await freshDatabaseUrl(), '--workers', '2']);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 20 && seen.size < 2; i++) seen.add((await workerOnNewConnection(collector.url))!);
      expect(seen.size).toBe(2);
      const [victim, survivor] = [...seen].map(Number) as [number, number];
      process.kill(victim, 'SIGKILL');
      let replacement: string | undefined;
      const deadline = Date.now() + 30_000; // bounded below the test timeout, so that stop() runs
      while (replacement === undefined && Date.now() < deadline) {
        const pid = await workerOnNewConnection(collector.url);
        if (pid !== undefined && Number(pid) !== victim && Number(pid) !== survivor) replacement = pid;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(replacement).toBeDefined();
    } finally {
      expect(await collector.stop()).toBe(0);
    }
  });

  it('exits 0 on Ctrl-C, which signals the primary and every worker at once', async () => {
    const bin = fileURLToPath(new URL('../bin/driftline.mjs', import.meta.url));
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--log-level', 'warn', '--workers', '2'],
      {
        detached: true, // its own process group, as a terminal gives it
        env: { ...process.env, DATABASE_URL: await freshDatabaseUrl() },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise((r) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000); // never outlive the test
      child.once('close', (c) => {
        clearTimeout(timer);
        r(c);
      });
    });
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('listening on')) resolve();
      }),
    );
    expect(stderr).toMatch(/listening on http:\/\/127\.0\.0\.1:[1-9]\d* \(storage: postgres, 2 workers\)/);
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('starting a new one');
  });

  it('gives up with exit code 1 when workers keep dying at start (port taken)', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const bin = fileURLToPath(new URL('../bin/driftline.mjs', import.meta.url));
      const child = spawn(
        process.execPath,
        [bin, 'serve', '--port', String(port), '--log-level', 'warn', '--workers', '2'],
        {
          env: { ...process.env, DATABASE_URL: await freshDatabaseUrl() },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise((r) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 40_000); // never outlive the test
        child.once('close', (c) => {
          clearTimeout(timer);
          r(c);
        });
      });
      expect(code).toBe(1);
      expect(stderr).toContain('giving up');
      expect(stderr).not.toContain('listening on');
    } finally {
      blocker.close();
    }
  });
});

describe('serve --workers usage errors', () => {
  it('refuses --workers with PGlite and out-of-range counts', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    try {
      expect(await main(['serve', '--workers', '2', '--data-dir', '/nonexistent/driftline'])).toBe(2);
      expect(errors[0]).toContain(
        '--workers needs --database-url: the embedded database belongs to one process',
      );
      for (const bad of ['0', '65', '1.5', 'two']) {
        expect(await main(['serve', '--workers', bad, '--database-url', 'postgres://unused/db'])).toBe(2);
      }
      expect(errors.at(-1)).toContain('--workers must be an integer in 1..64 (got "two")');
      vi.stubEnv('DRIFTLINE_WORKERS', '3');
      vi.stubEnv('DATABASE_URL', '');
      expect(await main(['serve', '--data-dir', '/nonexistent/driftline'])).toBe(2);
      expect(errors.at(-1)).toContain('--workers needs --database-url');
    } finally {
      vi.unstubAllEnvs();
      spy.mockRestore();
    }
  });
});
