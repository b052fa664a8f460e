// Schema summaries benchmark (issue #14): cost per input value of each summary kind beside today's
// whole-tensor pass (summarizeTensor, measured in the same run), bytes per window on the wire, and
// the detection rates of the seeded simulations with more trials than the tests run. No
// assertions: tests assert, benchmarks report.
//   npx tsx bench/schema-summaries.bench.ts

import { gzipSync } from 'node:zlib';
import {
  compareEmbedding,
  compareProfiles,
  createProfile,
  embeddingBasis,
  encodeProfile,
  estimateAccuracy,
  numericFeature,
  type Profile,
  parseModelSchema,
  summarizeClasses,
  summarizeClassifierOutput,
  summarizeColumns,
  summarizeEmbedding,
  summarizeImage,
  summarizeTensor,
  type TensorLike,
} from '@driftline/protocol';
import { normal, rng } from '@driftline/protocol/testing';

const u = rng(42);
const z = normal(u);
let sink = 0;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Median ns per value over 7 runs (after 2 warm-ups) of `calls` calls of `f` on `values` values each. */
function nsPerValue(calls: number, values: number, f: (p: Profile) => void): number {
  const run = () => {
    const p = createProfile();
    const t = performance.now();
    for (let k = 0; k < calls; k++) f(p);
    const ms = performance.now() - t;
    sink += p.inferences;
    return (ms * 1e6) / (calls * values);
  };
  run();
  run();
  return median(Array.from({ length: 7 }, run));
}

const schema = parseModelSchema({
  inputs: {
    x: { kind: 'columns', columns: Array.from({ length: 30 }, (_, c) => ({ name: `c${c}` })) },
    emb: { kind: 'embedding' },
    img: { kind: 'image', layout: 'NHWC' },
  },
  outputs: { probs: { kind: 'classes', labels: Array.from({ length: 10 }, (_, k) => `k${k}`) } },
});
const s = schema.inputs;
if (s.x?.kind !== 'columns' || s.emb?.kind !== 'embedding' || s.img?.kind !== 'image')
  throw new Error('schema');
const cols = s.x;
const emb = s.emb;
const img = s.img;
const classes = schema.outputs.probs!;

const row30: TensorLike = { data: Float32Array.from({ length: 30 }, () => z()), dims: [1, 30] };
const vec512: TensorLike = { data: Float32Array.from({ length: 512 }, () => z()), dims: [1, 512] };
const image: TensorLike = {
  data: Uint8Array.from({ length: 64 * 64 * 3 }, () => Math.floor(u() * 256)),
  dims: [1, 64, 64, 3],
};
const probs10 = Float32Array.from({ length: 10 }, () => u());
const total10 = probs10.reduce((a, b) => a + b, 0);
for (let k = 0; k < 10; k++) probs10[k] = probs10[k]! / total10;
const probs: TensorLike = { data: probs10, dims: [1, 10] };

console.log('## ns per input value (median of 7 runs), each kind beside summarizeTensor on the same tensor');
console.log('kind                       values/call   kind ns/value   summarizeTensor ns/value (anchor)');
const rows: Array<[string, TensorLike, number, (p: Profile) => void]> = [
  ['columns (30 numeric)', row30, 20_000, (p) => summarizeColumns(p, 'x', row30, cols)],
  ['embedding 512-d (16p+8f)', vec512, 2_000, (p) => summarizeEmbedding(p, 'emb', vec512, emb)],
  [
    'embedding 512-d (64p+8f)',
    vec512,
    2_000,
    (p) => summarizeEmbedding(p, 'emb', vec512, { ...emb, projections: 64 }),
  ],
  ['image 64×64 RGB uint8', image, 200, (p) => summarizeImage(p, 'img', image, img)],
  ['classes (10)', probs, 20_000, (p) => summarizeClasses(p, 'probs', probs, classes)],
  [
    'anchor: classifier output (10)',
    probs,
    20_000,
    (p) => summarizeClassifierOutput(p, 'probs', probs, { labels: classes.labels! }),
  ],
];
for (const [label, t, calls, f] of rows) {
  const n = t.data.length;
  const kind = nsPerValue(calls, n, f);
  const anchor = nsPerValue(calls, n, (p) => summarizeTensor(p, 'x', t));
  console.log(
    `${label.padEnd(26)} ${String(n).padEnd(13)} ${kind.toFixed(1).padEnd(15)} ${anchor.toFixed(1)}`,
  );
}

console.log('\n## bytes per window (encodeProfile, raw / gzipped)');
function bytes(p: Profile): string {
  const b = encodeProfile(p);
  return `${b.length} / ${gzipSync(b).length}`;
}
function tabular(n: number): Profile {
  const p = createProfile();
  const r = new Float32Array(30);
  const out = new Float32Array(2);
  for (let i = 0; i < n; i++) {
    p.inferences++;
    for (let c = 0; c < 30; c++) r[c] = c % 3 === 0 ? Math.exp(z()) : c + (1 + c) * z();
    summarizeColumns(p, 'x', { data: r, dims: [1, 30] }, cols);
    out[0] = 1 / (1 + Math.exp(-z() * 2));
    out[1] = 1 - out[0]!;
    summarizeClasses(p, 'probs', { data: out, dims: [1, 2] }, { labels: ['no', 'yes'] });
  }
  return p;
}
function embeddingOnly(n: number, projections: number): Profile {
  const p = createProfile();
  const v = new Float32Array(512);
  for (let i = 0; i < n; i++) {
    p.inferences++;
    for (let k = 0; k < 512; k++) v[k] = z() * (1 + (k % 7));
    summarizeEmbedding(p, 'emb', { data: v, dims: [1, 512] }, { ...emb, projections });
  }
  return p;
}
console.log(
  'inferences   30 columns + binary classes (37 features)   512-d embedding 16 proj + norm + 16 rff (33)   64 proj (81)',
);
// 5,000 is the runtime's default window cap (`window.maxInferences`).
for (const n of [100, 1000, 5000, 10_000]) {
  console.log(
    `${String(n).padEnd(12)} ${bytes(tabular(n)).padEnd(43)} ${bytes(embeddingOnly(n, 16)).padEnd(46)} ${bytes(embeddingOnly(n, 64))}`,
  );
}

console.log('\n## detection by seeded simulation (default thresholds)');
{
  const N = 5000;
  const spec = cols;
  const colsWindow = (shifted: number) => {
    const data = new Float64Array(N * 30);
    for (let i = 0; i < data.length; i++) data[i] = z() + (i % 30 === shifted ? 0.3 : 0);
    const p = createProfile();
    p.inferences = N;
    summarizeColumns(p, 'x', { data, dims: [N, 30] }, spec);
    return p;
  };
  let flagged = 0;
  let ok = 0;
  let warnOrWorse = 0;
  const T = 200;
  for (let t = 0; t < T; t++) {
    const d = compareProfiles(colsWindow(-1), colsWindow(t % 30));
    if (d[`x.c${t % 30}`]!.status !== 'ok') flagged++;
    for (let c = 0; c < 30; c++) {
      if (c === t % 30) continue;
      if (d[`x.c${c}`]!.status === 'ok') ok++;
      else warnOrWorse++;
    }
  }
  console.log(
    `30 columns, one shifted 0.3σ, n = ${N}, ${T} trials: shifted flagged ${((100 * flagged) / T).toFixed(1)}%, others ok ${((100 * ok) / (T * 29)).toFixed(2)}% (${warnOrWorse} of ${T * 29} column-trials not ok)`,
  );
}
{
  const D = 64;
  const noiseWindow = (n: number) => {
    const data = new Float32Array(n * D);
    for (let i = 0; i < data.length; i++) data[i] = z();
    const p = createProfile();
    p.inferences = n;
    summarizeEmbedding(p, 'e', { data, dims: [n, D] }, { projections: 16, seed: 5, rff: 8, bandwidth: 1 });
    return p;
  };
  const T = 200;
  let flagged = 0;
  let evidently = 0;
  let maxZ = 0;
  for (let t = 0; t < T; t++) {
    const d = compareEmbedding(noiseWindow(1500), noiseWindow(1500), 'e');
    if (d.status !== 'ok') flagged++;
    if (d.rawMeanDistance > 0.2) evidently++;
    maxZ = Math.max(maxZ, d.mmdZ);
  }
  console.log(
    `d = 64 pure noise, n = 1500, ${T} trials: compareEmbedding flagged ${((100 * flagged) / T).toFixed(1)}%; uncorrected mean distance > 0.2 (Evidently's default) ${((100 * evidently) / T).toFixed(1)}%; largest MMD z ${maxZ.toFixed(1)}`,
  );
  const R = embeddingBasis(D, D, 0, 5, 1).projections;
  const projected = (n: number, shift: number) => {
    const p = createProfile();
    p.inferences = n;
    for (let k = 0; k < D; k++) {
      const s = numericFeature(p, `e.proj${k}`);
      const m = shift * R[k * D]!;
      for (let i = 0; i < n; i++) s.add(m + z());
    }
    return p;
  };
  for (const n of [5000, 20_000]) {
    const trials = 100;
    const ref = projected(n, 0);
    let hit = 0;
    let fp = 0;
    for (let t = 0; t < trials; t++) {
      if (compareEmbedding(ref, projected(n, 0.1), 'e').status !== 'ok') hit++;
      if (compareEmbedding(ref, projected(n, 0), 'e').status !== 'ok') fp++;
    }
    console.log(
      `d = 64, 0.1σ shift along one axis, projections = 64, n = ${n}, ${trials} trials: flagged ${hit}%, pure noise flagged ${fp}%`,
    );
  }
}
{
  const N = 5000;
  const window = (conf: () => number, acc: (c: number) => number, truth: boolean) => {
    const data = new Float32Array(N * 3);
    const labels: number[] = [];
    let expected = 0;
    for (let i = 0; i < N; i++) {
      const c = conf();
      const k = Math.floor(u() * 3);
      for (let j = 0; j < 3; j++) data[i * 3 + j] = j === k ? c : (1 - c) / 2;
      const ok = u() < acc(c);
      expected += acc(c);
      labels.push(ok ? k : (k + 1 + Math.floor(u() * 2)) % 3);
    }
    const p = createProfile();
    p.inferences = N;
    summarizeClasses(p, 'y', { data, dims: [N, 3] }, {}, truth ? { truth: labels } : {});
    return { p, expected: expected / N };
  };
  const wide = () => 0.4 + 0.6 * u();
  const unsure = () => 0.4 + 0.4 * u();
  for (const [label, acc] of [
    ['calibrated', (c: number) => c],
    ['overconfident (P = c²)', (c: number) => c * c],
  ] as const) {
    const errs: number[] = [];
    for (let t = 0; t < 100; t++) {
      const ref = window(wide, acc, true);
      const cur = window(unsure, acc, false);
      errs.push(Math.abs(estimateAccuracy(ref.p, cur.p, 'y').estimated - cur.expected));
    }
    errs.sort((a, b) => a - b);
    console.log(
      `CBPE, ${label}, n = ${N}, confidence shifted U(0.4,1) → U(0.4,0.8), 100 trials: |error| median ${(100 * errs[49]!).toFixed(2)} pts, p95 ${(100 * errs[94]!).toFixed(2)} pts, max ${(100 * errs[99]!).toFixed(2)} pts`,
    );
  }
}
if (sink === 42) console.log('');
