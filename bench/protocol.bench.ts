// Protocol benchmark: cost of adding values, size of the encoding, cost of merge/encode/compare.
// Prints figures beside anchors measured in the same run (Datadog's DDSketch JS at α = 1%, a bare
// Math.log loop). No assertions: tests assert, benchmarks report.
//   npx tsx bench/protocol.bench.ts

import { gzipSync } from 'node:zlib';
import { DDSketch } from '@datadog/sketches-js';
import {
  compareNumeric,
  createProfile,
  decodeProfile,
  encodeProfile,
  latencySketch,
  mergeProfiles,
  NumericSketch,
  numericFeature,
  type Profile,
  summarizeClassifierOutput,
  summarizeTensor,
  toBase64,
} from '@driftline/protocol';
import { normal, rng } from '@driftline/protocol/testing';

const z = normal(rng(42));
const data = Float64Array.from({ length: 1_000_000 }, () => z());

function stats(xs: number[]): { median: number; p95: number } {
  const s = xs.slice().sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)]!, p95: s[Math.ceil(0.95 * (s.length - 1))]! };
}

/** Runs `f` `reps` times after 2 warm-ups; returns per-run ms. */
function time(reps: number, f: () => void): number[] {
  f();
  f();
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    f();
    out.push(performance.now() - t);
  }
  return out;
}

const fmt = (x: number, d = 1) => x.toFixed(d);
let sink = 0;

console.log('## add cost (1,000,000 normal values per run, 9 runs: median / p95 ns per value)');
const perValue = (ms: number[]) => stats(ms.map((m) => (m * 1e6) / data.length));
const ours = perValue(
  time(9, () => {
    const s = new NumericSketch();
    for (let i = 0; i < data.length; i++) s.add(data[i]!);
    sink += s.count;
  }),
);
const many = perValue(
  time(9, () => {
    const s = new NumericSketch();
    s.addMany(data);
    sink += s.count;
  }),
);
const dd = perValue(
  time(9, () => {
    const s = new DDSketch({ relativeAccuracy: 0.01 });
    for (let i = 0; i < data.length; i++) s.accept(data[i]!);
    sink += s.count;
  }),
);
const logLoop = perValue(
  time(9, () => {
    let acc = 0;
    for (let i = 0; i < data.length; i++) acc += Math.ceil(Math.log(Math.abs(data[i]!)) * 50);
    sink += acc;
  }),
);
console.log(`NumericSketch.add          ${fmt(ours.median)} / ${fmt(ours.p95)} ns`);
console.log(`NumericSketch.addMany      ${fmt(many.median)} / ${fmt(many.p95)} ns`);
console.log(
  `anchor DDSketch.accept     ${fmt(dd.median)} / ${fmt(dd.p95)} ns   (ratio ours/DDSketch ${fmt(ours.median / dd.median, 2)})`,
);
console.log(`anchor Math.log+ceil loop  ${fmt(logLoop.median)} / ${fmt(logLoop.p95)} ns`);

console.log(
  '\n## one 784-value Float32Array (an MNIST input), 2000 calls per run, 9 runs: median / p95 µs per call',
);
const pixels = Float32Array.from({ length: 784 }, (_, i) => (i % 5 === 0 ? 0 : Math.abs(z()) / 3));
const perCall = (ms: number[], calls: number) => stats(ms.map((m) => (m * 1000) / calls));
const addManyCall = perCall(
  time(9, () => {
    const s = new NumericSketch();
    for (let k = 0; k < 2000; k++) s.addMany(pixels);
    sink += s.count;
  }),
  2000,
);
const summarizeCall = perCall(
  time(9, () => {
    const p = createProfile();
    for (let k = 0; k < 2000; k++) summarizeTensor(p, 'input', { data: pixels, dims: [1, 784] });
    sink += p.inferences;
  }),
  2000,
);
const ddCall = perCall(
  time(9, () => {
    const s = new DDSketch({ relativeAccuracy: 0.01 });
    for (let k = 0; k < 2000; k++) for (let i = 0; i < pixels.length; i++) s.accept(pixels[i]!);
    sink += s.count;
  }),
  2000,
);
console.log(
  `NumericSketch.addMany(784)     ${fmt(addManyCall.median, 2)} / ${fmt(addManyCall.p95, 2)} µs (${fmt((addManyCall.median * 1000) / 784)} ns/value)`,
);
console.log(
  `summarizeTensor([1,784])       ${fmt(summarizeCall.median, 2)} / ${fmt(summarizeCall.p95, 2)} µs (7 features, one pass)`,
);
console.log(`anchor DDSketch.accept ×784    ${fmt(ddCall.median, 2)} / ${fmt(ddCall.p95, 2)} µs`);

console.log(
  '\n## encoded size of one numeric feature (bytes, name excluded; α = 0.01, maxBins 2048 unless noted)',
);
console.log(
  'n        N(0,1)  N(0,1) maxBins=256  N(5,1)  lognormal  latency-ms | anchor DDSketch protobuf, N(0,1)',
);
const lat = normal(rng(7));
for (const n of [100, 1000, 100_000]) {
  const sizes = (
    [
      [(i: number) => data[i]!, 2048],
      [(i: number) => data[i]!, 256],
      [(i: number) => 5 + data[i]!, 2048],
      [() => Math.exp(z()), 2048],
      [() => Math.exp(2.5 + 0.6 * lat()), 2048],
    ] as const
  ).map(([gen, maxBins]) => {
    const p = createProfile();
    const s = numericFeature(p, 'x', { maxBins });
    for (let i = 0; i < n; i++) s.add(gen(i));
    return encodeProfile(p).length - encodeProfile(createProfile()).length - 3; // minus name and kind
  });
  const d = new DDSketch({ relativeAccuracy: 0.01 });
  for (let i = 0; i < n; i++) d.accept(data[i]!);
  const cols = sizes.map((x, k) => String(x).padEnd([7, 19, 7, 10, 10][k]!));
  console.log(`${String(n).padEnd(8)} ${cols.join(' ')} | ${d.toProto().length}`);
}
// whylogs keeps a KLL sketch with k = 1024 per numeric column; at large n a KLL sketch retains
// about k·(1 + 2/3 + 4/9 + …) ≈ 3k items, i.e. ~12 KB of float32 or ~24 KB of float64.
console.log(
  'anchor (computed, not measured): KLL k=1024 retains ≈ 3·1024 items ≈ 12 KB (float32) at large n',
);

console.log(
  '\n## one window: 16 numeric features (12 zero-crossing normals, 4 lognormals) + run/total latency',
);
function windowProfile(seed: number, inferences: number): Profile {
  const u = normal(rng(seed));
  const p = createProfile();
  for (let i = 0; i < inferences; i++) {
    p.inferences++;
    for (let f = 0; f < 16; f++)
      numericFeature(p, `f${f}.value`).add(f % 4 === 0 ? Math.exp(u()) : f + u() * (f + 1));
    latencySketch(p, 'run').add(Math.exp(1 + 0.3 * u()));
    latencySketch(p, 'total').add(Math.exp(1.2 + 0.3 * u()));
  }
  return p;
}
function sizes(label: string, p: Profile): void {
  const bytes = encodeProfile(p);
  const batch = JSON.stringify({
    v: 1,
    batchId: 'b',
    deviceId: 'd',
    sdkVersion: '0.1.0',
    sentAt: 0,
    windows: [
      {
        model: 'm',
        version: '1',
        role: 'primary',
        backend: 'wasm',
        segment: 's',
        start: 0,
        end: 1,
        profile: toBase64(bytes),
      },
    ],
  });
  console.log(
    `${label}: raw ${bytes.length} B, gzipped ${gzipSync(bytes).length} B; JSON batch ${batch.length} B, gzipped ${gzipSync(batch).length} B`,
  );
}
for (const n of [100, 1000, 10_000]) sizes(`${String(n).padStart(6)} inferences`, windowProfile(1, n));

console.log(
  '\n## one window of the digit classifier with the default summarizers (17 features: input.* 7, probs.* 7 + argmax/top1/entropy)',
);
function digitWindow(seed: number, inferences: number): Profile {
  const u = rng(seed);
  const g = normal(u);
  const p = createProfile();
  const img = new Float32Array(784);
  const logits = new Float32Array(10);
  for (let i = 0; i < inferences; i++) {
    p.inferences++;
    for (let k = 0; k < 784; k++) img[k] = u() < 0.8 ? 0 : Math.min(1, Math.abs(g()));
    const cls = Math.floor(u() * 10);
    let sum = 0;
    for (let k = 0; k < 10; k++) {
      logits[k] = Math.exp(g() + (k === cls ? 5 : 0));
      sum += logits[k]!;
    }
    for (let k = 0; k < 10; k++) logits[k] = logits[k]! / sum;
    summarizeTensor(p, 'input', { data: img, dims: [1, 784] });
    summarizeTensor(p, 'probs', { data: logits, dims: [1, 10] });
    summarizeClassifierOutput(p, 'probs', { data: logits, dims: [1, 10] });
    latencySketch(p, 'run').add(Math.exp(0.5 + 0.3 * g()));
  }
  return p;
}
for (const n of [100, 1000, 10_000]) sizes(`${String(n).padStart(6)} inferences`, digitWindow(3, n));

console.log(
  '\n## merge, encode, decode, compare (1000-inference windows, 200 calls per run, 9 runs: median / p95 µs)',
);
const w1 = windowProfile(1, 1000);
const w2 = windowProfile(2, 1000);
const enc = encodeProfile(w1);
const report = (name: string, f: () => void) => {
  const r = perCall(
    time(9, () => {
      for (let k = 0; k < 200; k++) f();
    }),
    200,
  );
  console.log(`${name.padEnd(36)} ${fmt(r.median, 1)} / ${fmt(r.p95, 1)} µs`);
};
report('mergeProfiles (18 sketches)', () => {
  sink += mergeProfiles(w1, w2).inferences;
});
report('encodeProfile', () => {
  sink += encodeProfile(w1).length;
});
report('decodeProfile', () => {
  sink += decodeProfile(enc).inferences;
});
const a = w1.features['f1.value'] as NumericSketch;
const b = w2.features['f1.value'] as NumericSketch;
report('compareNumeric (one feature)', () => {
  sink += compareNumeric(a, b).ks;
});

console.log(
  '\n## drift detection by simulation (N(0,1) reference vs N(shift,1), n = 5000 per side, 500 trials each)',
);
console.log(
  'shift   warn-or-worse  alert   | share of trials where each statistic reaches warn: psi  js  ks  wasserstein',
);
const sim = normal(rng(99));
for (const shift of [0, 0.1, 0.2, 0.3]) {
  let flagged = 0;
  let alerts = 0;
  const by = { psi: 0, js: 0, ks: 0, wasserstein: 0 };
  for (let t = 0; t < 500; t++) {
    const ref = new NumericSketch();
    const cur = new NumericSketch();
    for (let i = 0; i < 5000; i++) ref.add(sim());
    for (let i = 0; i < 5000; i++) cur.add(sim() + shift);
    const d = compareNumeric(ref, cur);
    if (d.status !== 'ok') flagged++;
    if (d.status === 'alert') alerts++;
    if (d.psi >= 0.1) by.psi++;
    if (d.js >= 0.1) by.js++;
    if (d.ks >= 0.1) by.ks++;
    if (d.wasserstein >= 0.1) by.wasserstein++;
  }
  const pct = (x: number) => `${((100 * x) / 500).toFixed(1)}%`;
  console.log(
    `${`${shift}σ`.padEnd(7)} ${pct(flagged).padEnd(14)} ${pct(alerts).padEnd(7)} | ${pct(by.psi)} ${pct(by.js)} ${pct(by.ks)} ${pct(by.wasserstein)}`,
  );
}

console.log('\n## anchor check: DDSketch JS merge of negative values');
const neg1 = new DDSketch({ relativeAccuracy: 0.01 });
const neg2 = new DDSketch({ relativeAccuracy: 0.01 });
for (let i = 0; i < 1000; i++) {
  neg1.accept(-1 - (i % 10));
  neg2.accept(-5 - (i % 10));
}
neg1.merge(neg2);
const ours1 = new NumericSketch();
const ours2 = new NumericSketch();
for (let i = 0; i < 1000; i++) {
  ours1.add(-1 - (i % 10));
  ours2.add(-5 - (i % 10));
}
ours1.merge(ours2);
console.log(
  `median of merged negatives (exact −7.5..−8): DDSketch ${fmt(neg1.getValueAtQuantile(0.5), 3)}, NumericSketch ${fmt(ours1.quantile(0.5), 3)}`,
);
if (sink === 42) console.log('');
