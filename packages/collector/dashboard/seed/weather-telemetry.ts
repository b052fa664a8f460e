import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  categoricalFeature,
  createProfile,
  encodeProfile,
  latencySketch,
  type ModelSchema,
  numericFeature,
  parseModelSchema,
  summarizeWithSchema,
  toBase64,
} from '@driftline/protocol';

/** Version of the demo's tabular model that `pnpm models:tabular` writes. */
export const WEATHER_VERSION = '1.0.0';

/** Held-out days: raw column values and true class indexes (`demo/public/data/weather-heldout.json`). */
export interface WeatherDays {
  labels: string[];
  rows: number[][];
  truth: number[];
}

const modelDir = (root: string) => join(root, 'demo', 'public', 'models', 'weather', WEATHER_VERSION);

/**
 * The registry body publishing weather 1.0.0 with its schema and labelled reference profile, all as
 * `pnpm models:tabular` wrote them under `root`/demo/public/models/weather/1.0.0/ (this seed and
 * `pnpm start`'s demo/seed/publish-demo-models.ts both publish it).
 */
export async function weatherVersionBody(root: string) {
  const dir = modelDir(root);
  const bytes = await readFile(join(dir, 'model.onnx'));
  return {
    version: WEATHER_VERSION,
    format: 'onnx',
    files: [{ path: 'model.onnx', data: bytes.toString('base64') }],
    schema: JSON.parse(await readFile(join(dir, 'schema.json'), 'utf8')) as unknown,
    reference: (await readFile(join(dir, 'reference.profile'), 'utf8')).trim(),
    notes: 'MLP 4-16-5 on Seattle weather (vega-datasets), 85% on the held-out days',
  };
}

/** The schema and held-out days, keeping only days of the classes the model predicts (rain, sun, snow). */
export async function readWeather(root: string): Promise<{ schema: ModelSchema; days: WeatherDays }> {
  const schema = parseModelSchema(JSON.parse(await readFile(join(modelDir(root), 'schema.json'), 'utf8')));
  const all = JSON.parse(
    await readFile(join(root, 'demo', 'public', 'data', 'weather-heldout.json'), 'utf8'),
  ) as WeatherDays;
  const known = new Set(['rain', 'sun', 'snow'].map((l) => all.labels.indexOf(l)));
  const keep = all.truth.map((t, i) => (known.has(t) ? i : -1)).filter((i) => i >= 0);
  return {
    schema,
    days: { labels: all.labels, rows: keep.map((i) => all.rows[i]!), truth: keep.map((i) => all.truth[i]!) },
  };
}

type Rng = { next: () => number; normal: () => number };

/**
 * One device window of `n` runs of weather 1.0.0 on held-out days, summarized as the device does
 * (`summarizeWithSchema` on `x` and `probs`) with `feedback.correct` / `feedback.label` for a
 * `feedbackShare` of them. The model is not run: each run's winning confidence `c` is drawn and
 * the prediction is right with probability `c` (a calibrated model), else another class. `drift`
 * 0 … 1 warms the days (temperatures +4 °C, wind +1 m/s at 1) and lowers the confidences, so the
 * estimate and the realized accuracy fall together.
 */
export function weatherWindowProfile(
  o: { schema: ModelSchema; days: WeatherDays; n: number; drift: number; feedbackShare: number; ms: number },
  r: Rng,
): { profile: string; feedback: number } {
  const { days, drift } = o;
  const k = days.labels.length;
  const sun = days.labels.indexOf('sun');
  const rain = days.labels.indexOf('rain');
  const p = createProfile();
  let feedback = 0;
  for (let i = 0; i < o.n; i++) {
    const d = Math.floor(r.next() * days.rows.length);
    const row = days.rows[d]!;
    const truth = days.truth[d]!;
    const x = Float32Array.from([row[0]!, row[1]! + 4 * drift, row[2]! + 4 * drift, row[3]! + drift]);
    const c = Math.min(0.99, Math.max(0.3, 0.99 - Math.abs(r.normal()) * (0.2 + 0.45 * drift)));
    const correct = r.next() < c;
    const predicted = correct ? truth : truth === sun ? rain : sun;
    const probs = new Float32Array(k);
    const weights = Array.from({ length: k }, (_, j) => (j === predicted ? 0 : 0.1 + r.next()));
    const sum = weights.reduce((a, b) => a + b, 0);
    let rest = weights.map((w) => ((1 - c) * w) / sum);
    if (Math.max(...rest) >= c) rest = weights.map((_, j) => (j === predicted ? 0 : (1 - c) / (k - 1)));
    for (let j = 0; j < k; j++) probs[j] = j === predicted ? c : rest[j]!;
    p.inferences++;
    const t = o.ms * Math.exp(0.3 * r.normal());
    latencySketch(p, 'run').add(t);
    latencySketch(p, 'total').add(t * 1.2);
    summarizeWithSchema(p, o.schema, { x: { data: x, dims: [1, 4] }, probs: { data: probs, dims: [1, k] } });
    if (r.next() < o.feedbackShare) {
      categoricalFeature(p, 'feedback.label').add(days.labels[truth]!);
      numericFeature(p, 'feedback.correct').add(predicted === truth ? 1 : 0);
      feedback++;
    }
  }
  return { profile: toBase64(encodeProfile(p)), feedback };
}
