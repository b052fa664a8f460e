/**
 * `pnpm models:tabular` (and the end of `pnpm models`): trains the demo's tabular model, a small
 * weather classifier on the `seattle-weather.csv` that the `vega-datasets` package ships, and
 * writes under `demo/public/models/weather/1.0.0/` its ONNX graph (raw column values in: the
 * standardization is folded into the first layer), `schema.json`, `reference.profile` (the
 * training rows with their true classes, summarized by the schema) and `meta.json`, plus the
 * held-out rows the demo runs, `demo/public/data/weather-heldout.json`. Seeded: a re-run writes
 * the same files.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { checkSchemaFits, compareProfiles, encodeProfile, toBase64 } from '@driftline/protocol';
import * as tf from '@tensorflow/tfjs';
import { ModelsError } from './errors.ts';
import { encodeOnnx, exportOnnx, ONNX_OPSET } from './onnx-export.ts';
import { maxAbsDiff, runOnnx } from './ort-node.ts';
import { REPO_ROOT, versionDir } from './paths.ts';
import {
  argmaxRows,
  buildTabularModel,
  foldStandardization,
  predictTabular,
  standardize,
  trainTabular,
} from './tabular-model.ts';
import {
  schemaProfile,
  shiftColumn,
  TABULAR_INPUT,
  TABULAR_OUTPUT,
  weatherSchema,
} from './tabular-reference.ts';
import {
  MIN_ACCURACY,
  SPLIT_SEED,
  TABULAR_HELDOUT,
  TABULAR_HELDOUT_PATH,
  TABULAR_NAME,
  TABULAR_VERSION,
  TRAIN,
} from './tabular-spec.ts';
import {
  columnStats,
  loadWeatherPackage,
  splitWeather,
  WEATHER_COLUMNS,
  WEATHER_LABELS,
} from './weather-data.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const text = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
const accuracyOf = (probs: Float32Array, labels: Uint8Array) =>
  argmaxRows(probs, WEATHER_LABELS.length).filter((p, i) => p === labels[i]).length / labels.length;

async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const all = loadWeatherPackage();
  const { train, heldout } = splitWeather(all, TABULAR_HELDOUT, SPLIT_SEED);
  const { mean, std } = columnStats(train);
  console.log(`seattle-weather.csv: ${all.count} days → ${train.count} train, ${heldout.count} held out`);

  const model = buildTabularModel(WEATHER_COLUMNS.length, WEATHER_LABELS.length, TRAIN);
  const loss = await trainTabular(
    model,
    standardize(train.values, mean, std),
    train.labels,
    WEATHER_LABELS.length,
    TRAIN,
  );
  const tfjsHeldout = predictTabular(model, standardize(heldout.values, mean, std), heldout.count);
  foldStandardization(model, mean, std);
  const onnxBytes = encodeOnnx(
    exportOnnx(model, {
      version: TABULAR_VERSION,
      docString: `${TABULAR_NAME} ${TABULAR_VERSION}: MLP ${WEATHER_COLUMNS.length}-${TRAIN.hidden}-${WEATHER_LABELS.length} on raw column values`,
      inputName: TABULAR_INPUT,
      outputName: TABULAR_OUTPUT,
    }),
  );
  const names = { input: TABULAR_INPUT, output: TABULAR_OUTPUT };
  const run = (values: Float32Array) =>
    runOnnx(onnxBytes, values, values.length / WEATHER_COLUMNS.length, names);
  const heldoutProbs = await run(heldout.values);
  const trainProbs = await run(train.values);
  const parity = maxAbsDiff(heldoutProbs, tfjsHeldout);
  const acc = accuracyOf(heldoutProbs, heldout.labels);
  console.log(
    `${TABULAR_NAME} ${TABULAR_VERSION}: loss ${loss.toFixed(4)}, held-out accuracy ${(acc * 100).toFixed(1)}% on ${heldout.count} days, ONNX vs tfjs max |Δ| ${parity.toExponential(1)}`,
  );
  if (parity > 1e-4) throw new ModelsError('TABULAR_QUALITY', `ONNX and tfjs disagree by ${parity}`);
  if (acc < MIN_ACCURACY)
    throw new ModelsError('TABULAR_QUALITY', `held-out accuracy ${acc} is below ${MIN_ACCURACY}`);

  const schema = weatherSchema();
  const w = WEATHER_COLUMNS.length;
  checkSchemaFits(schema, [
    { name: TABULAR_INPUT, dims: [-1, w], type: 'float32' },
    { name: TABULAR_OUTPUT, dims: [-1, WEATHER_LABELS.length], type: 'float32' },
  ]);
  const reference = schemaProfile(schema, train.values, trainProbs, train.labels);
  // The demo's promise: clean held-out rows drift in no column, one shifted column drifts alone.
  const clean = compareProfiles(reference, schemaProfile(schema, heldout.values, heldoutProbs));
  const shifted = shiftColumn(heldout.values, 1, std[1]!);
  const moved = compareProfiles(reference, schemaProfile(schema, shifted, await run(shifted)));
  for (const [k, c] of WEATHER_COLUMNS.entries()) {
    const feature = `${TABULAR_INPUT}.${c}`;
    const want = k === 1 ? 'alert' : 'ok';
    console.log(`  ${feature}: clean ${clean[feature]?.status}, temp_max +1σ ${moved[feature]?.status}`);
    if (clean[feature]?.status !== 'ok' || moved[feature]?.status !== want) {
      throw new ModelsError(
        'TABULAR_QUALITY',
        `${feature} does not drift as the demo shows it; change SPLIT_SEED`,
      );
    }
  }

  const dir = versionDir(TABULAR_NAME, TABULAR_VERSION);
  await rm(dir, { recursive: true, force: true });
  const files = new Map<string, Uint8Array>([
    ['model.onnx', onnxBytes],
    ['schema.json', text(schema)],
    ['reference.profile', new TextEncoder().encode(`${toBase64(encodeProfile(reference))}\n`)],
  ]);
  for (const [name, bytes] of files) await writeBytes(join(dir, name), bytes);
  const meta = {
    name: TABULAR_NAME,
    version: TABULAR_VERSION,
    architecture: `mlp ${w}-${TRAIN.hidden}-${WEATHER_LABELS.length}`,
    params: model.countParams(),
    data: 'vega-datasets data/seattle-weather.csv (Seattle, 2012-2015, one row per day)',
    input: { name: TABULAR_INPUT, dtype: 'float32', shape: ['N', w], columns: WEATHER_COLUMNS },
    output: {
      name: TABULAR_OUTPUT,
      dtype: 'float32',
      shape: ['N', WEATHER_LABELS.length],
      labels: WEATHER_LABELS,
    },
    preprocessing:
      'none: the training standardization (train mean / σ per column) is folded into the first layer',
    onnxOpset: ONNX_OPSET,
    heldout: { count: heldout.count, accuracy: Number(acc.toFixed(4)) },
    reference: { count: train.count, labelled: true },
    training: { trainCount: train.count, splitSeed: SPLIT_SEED, ...TRAIN },
    files: Object.fromEntries(
      [...files].map(([name, bytes]) => [name, { bytes: bytes.length, sha256: sha256(bytes) }]),
    ),
  };
  await writeBytes(join(dir, 'meta.json'), text(meta));
  const round = (v: number) => Number(v.toPrecision(6));
  await writeBytes(
    TABULAR_HELDOUT_PATH,
    new TextEncoder().encode(
      `${JSON.stringify({
        columns: WEATHER_COLUMNS,
        labels: WEATHER_LABELS,
        mean: [...mean].map(round),
        std: [...std].map(round),
        rows: Array.from({ length: heldout.count }, (_, r) =>
          [...heldout.values.subarray(r * w, (r + 1) * w)].map(round),
        ),
        truth: [...heldout.labels],
      })}\n`,
    ),
  );
  model.dispose();
  console.log(
    `wrote ${relative(REPO_ROOT, dir)} and ${relative(REPO_ROOT, TABULAR_HELDOUT_PATH)} (reference: ${train.count} labelled rows)`,
  );
}

await main();
