// Collector benchmark: POST /v1/telemetry throughput and p99 for PGlite and PostgreSQL, beside a
// bare Fastify route that only parses the same JSON (the ceiling), all measured in one run; then
// the drift query over a day of 1-minute rollups, beside the in-memory decode+merge it must do.
// No assertions: tests assert, benchmarks report.
//   npx tsx bench/collector.bench.ts            (BENCH_SECONDS=10 per target by default)
//   BENCH_WORKERS=2 …                           (the PostgreSQL collector as `serve --workers 2`)

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKey, openStorage, prepareBatch, startCollector } from '@driftline/collector';
// The collector's own validation step, timed as an anchor for the per-batch CPU figures.
import {
  categoricalFeature,
  createProfile,
  decodeProfile,
  encodeProfile,
  fromBase64,
  latencySketch,
  mergeProfiles,
  numericFeature,
  type Profile,
  toBase64,
} from '@driftline/protocol';
import { rng } from '@driftline/protocol/testing';
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../packages/collector/test/embedded-postgres.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Which parts to run (comma-separated): bare, pglite, postgres, drift. Default: all. */
const TARGETS = new Set((process.env.BENCH_TARGETS ?? 'bare,pglite,postgres,drift').split(','));
/** `serve --workers` for the PostgreSQL target (cluster workers share its port). Default 1. */
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const BIN = fileURLToPath(new URL('../packages/collector/bin/driftline.mjs', import.meta.url));

/** A realistic window: `n` inferences, 16 numeric features, an argmax label, latency stages. */
function windowProfile(n: number, seed: number, shift = 0): Profile {
  const r = rng(seed);
  const p = createProfile();
  p.inferences = n;
  for (let i = 0; i < n; i++) {
    latencySketch(p, 'total').add(2 + 10 * r() * r());
    latencySketch(p, 'run').add(1.5 + 8 * r() * r());
    for (let f = 0; f < 16; f++) numericFeature(p, `f${f}`).add(shift + f * 0.1 + r() - 0.5);
    categoricalFeature(p, 'argmax').add(String(Math.floor(r() * 10)));
  }
  return p;
}

const profileB64 = toBase64(encodeProfile(windowProfile(200, 1)));

/** The JSON text of a 1-window, 16-feature batch, with a fresh batch id and one of 10,000 devices. */
function batchBody(i: number, start: number): string {
  return JSON.stringify({
    v: 1,
    batchId: randomUUID(),
    deviceId: `device-${i % 10_000}`,
    sdkVersion: '0.1.0',
    sentAt: start + 30_000,
    windows: [
      {
        model: 'bench',
        version: '1.0.0',
        role: 'primary',
        backend: i % 3 ? 'wasm' : 'webgpu',
        segment: `chrome/linux/${i % 3 ? 'wasm' : 'webgpu'}/cores-8/gpu-${i % 2 ? 'none' : 'intel'}`,
        start,
        end: start + 10_000,
        profile: profileB64,
      },
    ],
  });
}

async function spawnServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used so far by a process and its children (a `serve --workers` primary and its workers). */
function treeCpuSeconds(pid: number | undefined): number {
  let total = cpuSeconds(pid);
  for (const child of readdirSync('/proc')) {
    if (!/^\d+$/.test(child)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === pid) total += cpuSeconds(Number(child));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU seconds used so far by every PostgreSQL server process on this machine (Linux). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

interface Load {
  /** Server CPU per request, ms. */
  cpuMs: number;
  /** PostgreSQL server CPU per request, ms (0 for the targets that do not use it). */
  pgCpuMs: number;
  /** This process's CPU per request (autocannon and the request bodies), ms. */
  clientCpuMs: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, key: string, pid?: number): Promise<Load> {
  let i = 0;
  const start = Date.now() - 60_000;
  const run = (seconds: number) =>
    autocannon({
      url: `${url}/v1/telemetry`,
      method: 'POST',
      connections: CONNECTIONS,
      duration: seconds,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      requests: [
        {
          setupRequest: (req) => ({ ...req, body: batchBody(i++, start) }),
        },
      ],
    });
  await run(2); // warm-up: JIT, connection pools, first rollup rows
  const cpu0 = treeCpuSeconds(pid);
  const pg0 = postgresCpuSeconds();
  const client0 = process.cpuUsage();
  const r = await run(SECONDS);
  const cpu = treeCpuSeconds(pid) - cpu0;
  const client = process.cpuUsage(client0);
  const n = Math.max(1, r.requests.total);
  return {
    cpuMs: (1000 * cpu) / n,
    pgCpuMs: (1000 * (postgresCpuSeconds() - pg0)) / n,
    clientCpuMs: (client.user + client.system) / 1000 / n,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, stop: async () => {} };
  return startEmbeddedPostgres();
}

function stats(xs: number[]): { median: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)]!,
    p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!,
  };
}

/** Fills a day of 1-minute rollups for one version, then times the drift query and its anchor. */
async function driftDay(label: string, opts: { dataDir?: string; databaseUrl?: string }) {
  const c = await startCollector({ port: 0, logLevel: 'silent', compactIntervalMs: 3_600_000, ...opts });
  try {
    const ingest = (await createKey(c.storage, 'ingest')).secret;
    const read = (await createKey(c.storage, 'read')).secret;
    const dayStart = Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000;
    const profiles = [0, 1, 2, 3].map((s) =>
      toBase64(encodeProfile(windowProfile(100, 10 + s, s === 3 ? 0.5 : 0))),
    );
    for (let m = 0; m < 1440; m += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) => {
          const minute = m + k;
          const body = JSON.parse(batchBody(minute, dayStart + minute * 60_000));
          body.deviceId = `drift-${minute}`;
          body.windows[0].model = 'drift-day';
          body.windows[0].backend = 'wasm';
          body.windows[0].segment = 'chrome/linux/wasm';
          body.windows[0].profile = profiles[minute % 4];
          return fetch(`${c.url}/v1/telemetry`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}` },
            body: JSON.stringify(body),
          }).then((r) => r.arrayBuffer());
        }),
      );
    }
    await c.compact();
    const rows = await c.storage.query<{ n: number }>(
      "SELECT count(*)::integer AS n FROM rollups WHERE model = 'drift-day' AND resolution = 1",
    );
    const q = `${c.url}/v1/models/drift-day/drift?version=1.0.0&from=${dayStart}&to=${dayStart + 86_400_000}`;
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const t = performance.now();
      const res = await fetch(q, { headers: { authorization: `Bearer ${read}` } });
      await res.json();
      if (i >= 5) times.push(performance.now() - t);
    }
    // Anchor: decoding and merging the day's 1,440 minute profiles in memory (no database, no
    // HTTP): what the query would cost without the 10-minute, hour and day rollup levels.
    const raw = await c.storage.query<{ profile: Uint8Array }>(
      "SELECT profile FROM rollups WHERE model = 'drift-day' AND resolution = 1",
    );
    const anchor: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      raw.map((r) => decodeProfile(r.profile)).reduce((a, b) => mergeProfiles(a, b));
      anchor.push(performance.now() - t);
    }
    const d = stats(times);
    const a = stats(anchor);
    console.log(
      `${label.padEnd(10)} minute rows ${rows[0]!.n}  drift query median ${d.median.toFixed(1)} ms  p95 ${d.p95.toFixed(1)} ms` +
        `  | anchor: decode+merge of the minute rows median ${a.median.toFixed(1)} ms  ratio ${(d.median / a.median).toFixed(2)}`,
    );
    return d;
  } finally {
    await c.close();
  }
}

/** Median µs of `fn` over `n` calls after a warm-up. */
function micro(n: number, fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) * 1000);
  }
  return stats(times).median;
}

async function main() {
  const loadAvg = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `collector bench: ${cpus().length} cores (load average ${loadAvg}), Node ${process.version}, ${SECONDS} s x ${CONNECTIONS} connections per target`,
  );
  console.log(
    `batch: 1 window, 16 numeric features + argmax, profile ${profileB64.length} base64 chars, body ${batchBody(0, 0).length} bytes`,
  );
  const body = JSON.parse(batchBody(0, Date.now() - 60_000));
  const bytes = fromBase64(profileB64);
  console.log(
    `per-batch anchors (median, this process): JSON.parse ${micro(2_000, () => JSON.parse(batchBody(1, 0))).toFixed(0)} µs,` +
      ` decodeProfile ${micro(2_000, () => decodeProfile(bytes)).toFixed(0)} µs,` +
      ` prepareBatch (schema + base64 + decode) ${micro(2_000, () => prepareBatch(body, null)).toFixed(0)} µs`,
  );
  const pgServer = await startPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'driftline-bench-'));
  const results: Record<string, Load> = {};
  try {
    if (TARGETS.has('bare')) {
      const bare = await spawnServer([
        '--import',
        'tsx',
        fileURLToPath(new URL('./collector-bare-server.ts', import.meta.url)),
      ]);
      results['bare Fastify (ceiling)'] = await load(bare.url, 'none', bare.child.pid);
      await stop(bare.child);
    }

    // A real collector (`driftline serve`) on one storage, with an ingest key made beforehand.
    const collector = async (
      storage: { dataDir: string } | { databaseUrl: string },
      nodeArgs: string[] = [],
      serveArgs: string[] = [],
    ) => {
      const s = await openStorage(storage);
      const key = (await createKey(s, 'ingest')).secret;
      await s.close();
      const where =
        'dataDir' in storage ? ['--data-dir', storage.dataDir] : ['--database-url', storage.databaseUrl];
      const server = await spawnServer([
        ...nodeArgs,
        BIN,
        'serve',
        '--port',
        '0',
        '--log-level',
        'warn',
        ...where,
        ...serveArgs,
      ]);
      const result = await load(server.url, key, server.child.pid);
      await stop(server.child);
      return result;
    };
    if (TARGETS.has('pglite')) results.PGlite = await collector({ dataDir: join(dir, 'pglite') });
    if (TARGETS.has('postgres')) {
      const prof = process.env.BENCH_CPU_PROF;
      results[WORKERS > 1 ? `PostgreSQL, ${WORKERS} workers` : 'PostgreSQL'] = await collector(
        { databaseUrl: pgServer.url },
        prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [],
        WORKERS > 1 ? ['--workers', String(WORKERS)] : [],
      );
    }

    const ceiling = results['bare Fastify (ceiling)']?.rps ?? Number.NaN;
    if (Object.keys(results).length > 0) {
      console.log('\nPOST /v1/telemetry');
      console.log(
        'target                   batches/s   p50 ms   p99 ms   vs ceiling   server CPU ms/batch  PostgreSQL CPU  client CPU  non-2xx  errors',
      );
    }
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${name.padEnd(24)} ${r.rps.toFixed(0).padStart(9)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)}` +
          `   ${((100 * r.rps) / ceiling).toFixed(0).padStart(8)}%  ${r.cpuMs.toFixed(3).padStart(19)}  ${r.pgCpuMs.toFixed(3).padStart(14)}  ${r.clientCpuMs.toFixed(3).padStart(10)}  ${String(r.non2xx).padStart(7)} ${String(r.errors).padStart(7)}`,
      );
    }
    if (TARGETS.has('drift')) {
      console.log('\ndrift query over a day of 1-minute rollups (1,440 rows, 100 inferences each)');
      await driftDay('PGlite', { dataDir: join(dir, 'drift-pglite') });
      await driftDay('PostgreSQL', { databaseUrl: pgServer.url });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await pgServer.stop();
  }
}

await main();
