import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CategoricalSketch,
  createProfile,
  encodeProfile,
  NumericSketch,
  toBase64,
} from '@driftline/protocol';
import {
  readWeather,
  WEATHER_VERSION,
  weatherVersionBody,
  weatherWindowProfile,
} from './weather-telemetry.ts';

export { WEATHER_VERSION, weatherVersionBody } from './weather-telemetry.ts';

/**
 * Fills a running collector with what the dashboard shows best: the two real digit models published
 * through the registry API (1.0.0 becomes stable), a clean baseline hour of 1.0.0 three hours ago,
 * and the last 20 minutes of drifted input (thicker strokes: brighter, wider mean pixel), on two
 * backends and three device segments; 1.1.0 telemetry too; and weather 1.0.0 with its schema and
 * labelled reference, 20 minutes of its telemetry with feedback (for the Accuracy view). Used by the dashboard's e2e test and by
 * scripts/screenshots.ts. Deterministic except for the wall clock.
 */
export interface SeedKeys {
  ingest: string;
  admin: string;
}

const SEGMENTS = [
  { backend: 'wasm', segment: 'chrome/linux/wasm/cores-8/gpu-none', ms: 1.1 },
  { backend: 'wasm', segment: 'safari/ios/wasm/cores-6/gpu-apple', ms: 2.4 },
  { backend: 'webgpu', segment: 'chrome/windows/webgpu/cores-12/gpu-nvidia', ms: 3.2 },
];

/** A small seeded generator (mulberry32) with a normal draw. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

/** One window's profile of `n` digit classifications; `drift` 0 (clean) … 1 (thick, noisy strokes). */
function digitsProfile(n: number, drift: number, ms: number, r: ReturnType<typeof rng>, errors = 0) {
  const p = createProfile();
  const mean = new NumericSketch();
  const std = new NumericSketch();
  const top1 = new NumericSketch();
  const entropy = new NumericSketch();
  const argmax = new CategoricalSketch();
  const total = new NumericSketch();
  const run = new NumericSketch();
  for (let i = 0; i < n; i++) {
    mean.add(0.13 + 0.09 * drift + 0.025 * r.normal());
    std.add(0.31 + 0.004 * drift + 0.02 * r.normal());
    const conf = Math.min(1, Math.max(0.1, 0.97 - 0.003 * drift - Math.abs(0.06 * r.normal())));
    top1.add(conf);
    entropy.add(Math.max(0, (1 - conf) * 2.2 + 0.05 * r.normal()));
    const d = drift > 0 && r.next() < 0.3 * drift ? 8 : Math.floor(r.next() * 10);
    argmax.add(String(d));
    const t = ms * Math.exp(0.35 * r.normal());
    run.add(t * 0.9);
    total.add(t);
  }
  p.inferences = n;
  p.errors = errors;
  p.latency.total = total;
  p.latency.run = run;
  p.features['input.mean'] = mean;
  p.features['input.std'] = std;
  p.features['probs.top1'] = top1;
  p.features['probs.entropy'] = entropy;
  p.features['probs.argmax'] = argmax;
  return toBase64(encodeProfile(p));
}

async function call(url: string, key: string, method: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Publishes demo/public/models/digits/<version>/model.onnx through the registry API. */
export async function publishDigits(collectorUrl: string, adminKey: string, root: string, version: string) {
  const bytes = await readFile(join(root, 'demo', 'public', 'models', 'digits', version, 'model.onnx'));
  return call(`${collectorUrl}/v1/models/digits/versions`, adminKey, 'POST', {
    version,
    format: 'onnx',
    files: [{ path: 'model.onnx', data: bytes.toString('base64') }],
    notes: version === '1.0.0' ? 'MLP' : 'CNN',
  });
}

/**
 * Seeds `collectorUrl`; `root` is the repository root. Answers the digits inferences sent: per
 * version, and in the last 20 minutes (`recent`, what a 1-hour range shows; the Fleet view counts
 * per model); and the weather runs and feedback calls sent (`weather`).
 */
export async function seedDemoData(
  collectorUrl: string,
  keys: SeedKeys,
  root: string,
  now = Date.now(),
): Promise<{
  byVersion: Record<string, number>;
  recent: number;
  recentErrors: number;
  devicesToday: number;
  weather: { inferences: number; feedback: number };
}> {
  await publishDigits(collectorUrl, keys.admin, root, '1.0.0');
  await publishDigits(collectorUrl, keys.admin, root, '1.1.0');
  const r = rng(7);
  const sent: Record<string, number> = { '1.0.0': 0, '1.1.0': 0 };
  let recent = 0;
  let recentErrors = 0;
  let batchNo = 0;
  const post = async (deviceId: string, windows: object[]) => {
    batchNo++;
    await call(`${collectorUrl}/v1/telemetry`, keys.ingest, 'POST', {
      v: 1,
      batchId: `seed-${now}-${batchNo}`,
      deviceId,
      sdkVersion: 'seed',
      sentAt: now,
      windows,
    });
  };
  const window = (
    version: string,
    seg: (typeof SEGMENTS)[number],
    start: number,
    n: number,
    drift: number,
    errors = 0,
  ) => {
    sent[version] = (sent[version] ?? 0) + n;
    if (start > now - 3_600_000) {
      recent += n;
      recentErrors += errors;
    }
    return {
      model: 'digits',
      version,
      role: 'primary',
      backend: seg.backend,
      segment: seg.segment,
      start,
      end: start + 55_000,
      profile: digitsProfile(n, drift, seg.ms * (version === '1.1.0' ? 1.4 : 1), r, errors),
    };
  };
  // The baseline: an hour three hours ago, clean input.
  const hourAgo3 = Math.floor((now - 3 * 3_600_000) / 3_600_000) * 3_600_000;
  for (let d = 0; d < 6; d++) {
    const seg = SEGMENTS[d % SEGMENTS.length]!;
    await post(
      `device-${d}`,
      [0, 1, 2].map((m) => window('1.0.0', seg, hourAgo3 + (d * 3 + m) * 60_000, 120, 0)),
    );
  }
  // The last 20 minutes: drifted input on 1.0.0, a few errors; 1.1.0 on two devices.
  const minute = Math.floor(now / 60_000) * 60_000;
  for (let d = 0; d < 9; d++) {
    const seg = SEGMENTS[d % SEGMENTS.length]!;
    const version = d < 7 ? '1.0.0' : '1.1.0';
    const windows = [];
    for (let m = 20; m >= 1; m--) {
      const start = minute - m * 60_000 + d * 1000;
      const drift = version === '1.0.0' ? Math.min(1, (20 - m) / 10) : 0.2;
      windows.push(window(version, seg, start, 20 + ((d * 7 + m * 3) % 25), drift, m % 7 === d % 7 ? 1 : 0));
    }
    await post(`device-${10 + d}`, windows);
  }
  // The fleet tile counts distinct devices of the current UTC day: the baseline's 6 devices only
  // when three hours ago was still today.
  const day = (t: number) => Math.floor(t / 86_400_000);
  const devicesToday = 9 + (day(hourAgo3) === day(now) ? 6 : 0);
  const weather = await seedWeather(collectorUrl, keys, root, minute, post);
  return { byVersion: sent, recent, recentErrors, devicesToday, weather };
}

/**
 * weather 1.0.0 (published with its schema and labelled reference) on three devices of its own over
 * the last 20 minutes: clean for the first ten, then warmer days and lower confidences; feedback on
 * 40% of the runs, none at all in the minutes 17, 10 and 3 before now (gaps in realized accuracy).
 */
async function seedWeather(
  collectorUrl: string,
  keys: SeedKeys,
  root: string,
  minute: number,
  post: (deviceId: string, windows: object[]) => Promise<void>,
): Promise<{ inferences: number; feedback: number }> {
  await call(
    `${collectorUrl}/v1/models/weather/versions`,
    keys.admin,
    'POST',
    await weatherVersionBody(root),
  );
  const { schema, days } = await readWeather(root);
  const r = rng(13);
  let inferences = 0;
  let feedback = 0;
  for (let d = 0; d < 3; d++) {
    const seg = SEGMENTS[d]!;
    const windows = [];
    for (let m = 20; m >= 1; m--) {
      const start = minute - m * 60_000 + d * 1000;
      const n = 30 + ((d * 5 + m * 3) % 15);
      const w = weatherWindowProfile(
        {
          schema,
          days,
          n,
          drift: Math.min(1, Math.max(0, (11 - m) / 7)),
          feedbackShare: m % 7 === 3 ? 0 : 0.4,
          ms: seg.ms / 8,
        },
        r,
      );
      inferences += n;
      feedback += w.feedback;
      windows.push({
        model: 'weather',
        version: WEATHER_VERSION,
        role: 'primary',
        backend: seg.backend,
        segment: seg.segment,
        start,
        end: start + 55_000,
        profile: w.profile,
      });
    }
    await post(`weather-device-${d}`, windows);
  }
  return { inferences, feedback };
}

/**
 * Traffic of stable and candidate after a ramp (windows starting now, clean input, equal latency and
 * no errors), so that the guarded rollout has `perVersion` inferences a side to judge.
 */
export async function seedRolloutTraffic(
  collectorUrl: string,
  ingestKey: string,
  versions: { stable: string; candidate: string },
  perVersion = 600,
): Promise<void> {
  const r = rng(11);
  const start = Date.now();
  let i = 0;
  for (const version of [versions.stable, versions.candidate]) {
    const windows = SEGMENTS.map((seg) => ({
      model: 'digits',
      version,
      role: 'primary',
      backend: seg.backend,
      segment: seg.segment,
      start,
      end: start + 1_000,
      profile: digitsProfile(Math.ceil(perVersion / SEGMENTS.length), 0, seg.ms, r),
    }));
    const res = await fetch(`${collectorUrl}/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        v: 1,
        batchId: `rollout-${start}-${i}`,
        deviceId: `rollout-device-${i++}`,
        sdkVersion: 'seed',
        sentAt: start,
        windows,
      }),
    });
    if (!res.ok) throw new Error(`telemetry answered ${res.status}: ${await res.text()}`);
  }
}
