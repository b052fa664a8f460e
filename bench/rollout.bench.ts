// Rollout benchmark: a real collector (PGlite in memory), the two real digit versions, N simulated
// devices polling the manifest with If-None-Match. Prints: time from rollback to every device on
// the old version (beside the poll interval that bounds it), bytes of an idle poll (304) beside a
// full manifest (200), and manifest latency 200 / 304 beside GET /healthz in the same run.
// No assertions: tests assert, benchmarks report.
//   npx tsx bench/rollout.bench.ts     (DEVICES=50, POLL_MS=1000, ROUNDS=5)
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createKey, startCollector } from '@driftline/collector';

const DEVICES = Number(process.env.DEVICES ?? 50);
const POLL_MS = Number(process.env.POLL_MS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const models = new URL('../demo/public/models/digits/', import.meta.url);

const c = await startCollector({ port: 0, logLevel: 'silent', rolloutIntervalMs: 3_600_000 });
const admin = (await createKey(c.storage, 'admin')).secret;
const ingest = (await createKey(c.storage, 'ingest')).secret;
const host = new URL(c.url);

/** One HTTP/1.1 request; answers status, body, ETag, bytes on the wire (status line + headers + body) and ms. */
function http(
  method: string,
  path: string,
  key: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  return new Promise<{ status: number; body: string; etag?: string; bytes: number; ms: number }>(
    (resolve, reject) => {
      const t0 = performance.now();
      const req = request(
        {
          host: host.hostname,
          port: host.port,
          method,
          path,
          agent: false,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (b: Buffer) => chunks.push(b));
          res.on('end', () => {
            const text = Buffer.concat(chunks);
            let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
            for (let i = 0; i < res.rawHeaders.length; i += 2)
              head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
            resolve({
              status: res.statusCode ?? 0,
              body: text.toString(),
              etag: res.headers.etag,
              bytes: Buffer.byteLength(`${head}\r\n`) + text.length,
              ms: performance.now() - t0,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

const publish = async (version: string) => {
  const data = readFileSync(new URL(`${version}/model.onnx`, models)).toString('base64');
  const body = JSON.stringify({ version, format: 'onnx', files: [{ path: 'model.onnx', data }] });
  const r = await http('POST', '/v1/models/digits/versions', admin, {}, body);
  if (r.status !== 201) throw new Error(r.body);
};
await publish('1.0.0');
await publish('1.1.0');

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const f = (x: number) => x.toFixed(1);

// Latency and bytes of one device's polls, beside /healthz.
const full: number[] = [];
const idle: number[] = [];
const health: number[] = [];
let fullBytes = 0;
let idleBytes = 0;
const first = await http('GET', '/v1/models/digits/manifest?device=device-0', ingest);
for (let i = 0; i < 300; i++) {
  const a = await http('GET', '/v1/models/digits/manifest?device=device-0', ingest);
  const b = await http('GET', '/v1/models/digits/manifest?device=device-0', ingest, {
    'if-none-match': first.etag!,
  });
  const h = await http('GET', '/healthz', ingest);
  full.push(a.ms);
  idle.push(b.ms);
  health.push(h.ms);
  fullBytes = a.bytes;
  idleBytes = b.bytes;
}
console.log(`manifest poll, one device, 300 sequential requests each (new connection per request):`);
console.log(
  `  200 full manifest   median ${f(q(full, 0.5))} ms  p95 ${f(q(full, 0.95))} ms  ${fullBytes} bytes`,
);
console.log(
  `  304 idle poll       median ${f(q(idle, 0.5))} ms  p95 ${f(q(idle, 0.95))} ms  ${idleBytes} bytes`,
);
console.log(`  anchor GET /healthz median ${f(q(health, 0.5))} ms  p95 ${f(q(health, 0.95))} ms`);

// N devices polling every POLL_MS (staggered), rollout at 100 %, then rollback: time until all run 1.0.0.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const times: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  await http(
    'PUT',
    '/v1/models/digits/rollout',
    admin,
    {},
    JSON.stringify({ candidate: '1.1.0', percent: 100 }),
  );
  const running = new Map<number, string>();
  let stop = false;
  let rollbackAt = 0;
  const switched = new Map<number, number>();
  const device = async (i: number) => {
    await sleep((i / DEVICES) * POLL_MS);
    let etag: string | undefined;
    while (!stop) {
      const r = await http(
        'GET',
        `/v1/models/digits/manifest?device=d-${round}-${i}`,
        ingest,
        etag ? { 'if-none-match': etag } : {},
      );
      if (r.status === 200) {
        etag = r.etag;
        const v = (JSON.parse(r.body) as { version: string }).version;
        running.set(i, v);
        if (rollbackAt && v === '1.0.0' && !switched.has(i)) switched.set(i, performance.now() - rollbackAt);
      }
      await sleep(POLL_MS);
    }
  };
  const loops = Array.from({ length: DEVICES }, (_, i) => device(i));
  while ([...running.values()].filter((v) => v === '1.1.0').length < DEVICES) await sleep(50);
  await sleep(Math.random() * POLL_MS);
  rollbackAt = performance.now();
  await http('POST', '/v1/models/digits/rollback', admin, {}, '{}');
  while (switched.size < DEVICES) await sleep(10);
  times.push(Math.max(...switched.values()));
  stop = true;
  await Promise.all(loops);
}
console.log(`\nrollback -> all ${DEVICES} devices on 1.0.0 (poll every ${POLL_MS} ms, ${ROUNDS} rounds):`);
console.log(
  `  median ${f(q(times, 0.5))} ms  max ${f(Math.max(...times))} ms  (bound: poll interval ${POLL_MS} ms + one request)`,
);
console.log(
  `  ratio to the poll interval: median ${(q(times, 0.5) / POLL_MS).toFixed(2)}, max ${(Math.max(...times) / POLL_MS).toFixed(2)}`,
);
await c.close();
