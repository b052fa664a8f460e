import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkSchemaFits,
  compareProfiles,
  decodeProfile,
  fromBase64,
  NumericSketch,
  parseModelSchema,
} from '@driftline/protocol';
import type { onnx } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx } from './onnx-export.ts';
import { runOnnx } from './ort-node.ts';
import { versionDir } from './paths.ts';
import { argmaxRows } from './tabular-model.ts';
import { schemaProfile, shiftColumn, TABULAR_INPUT, TABULAR_OUTPUT } from './tabular-reference.ts';
import {
  MIN_ACCURACY,
  TABULAR_HELDOUT,
  TABULAR_HELDOUT_PATH,
  TABULAR_NAME,
  TABULAR_VERSION,
} from './tabular-spec.ts';
import { loadWeatherPackage, parseWeatherCsv, WEATHER_COLUMNS, WEATHER_LABELS } from './weather-data.ts';

// The committed weather model and its files, checked as the demo and the registry use them.
const dir = versionDir(TABULAR_NAME, TABULAR_VERSION);
const names = { input: TABULAR_INPUT, output: TABULAR_OUTPUT };
let onnxBytes: Uint8Array;
let heldout: { rows: number[][]; truth: number[]; std: number[] };
let values: Float32Array;

beforeAll(async () => {
  onnxBytes = new Uint8Array(await readFile(join(dir, 'model.onnx')));
  heldout = JSON.parse(await readFile(TABULAR_HELDOUT_PATH, 'utf8'));
  values = Float32Array.from(heldout.rows.flat());
});

const run = (x: Float32Array) => runOnnx(onnxBytes, x, x.length / WEATHER_COLUMNS.length, names);
const schemaFile = async () => parseModelSchema(JSON.parse(await readFile(join(dir, 'schema.json'), 'utf8')));

it('reads the vega-datasets weather table, and refuses a malformed one with WEATHER_FORMAT', () => {
  const all = loadWeatherPackage();
  expect(all.count).toBe(1461);
  expect(new Set(all.labels).size).toBe(WEATHER_LABELS.length);
  expect(() =>
    parseWeatherCsv('date,precipitation,temp_max,temp_min,wind,weather\nx,1,2,3,4,hail\n'),
  ).toThrow(expect.objectContaining({ code: 'WEATHER_FORMAT' }));
  expect(() => parseWeatherCsv('date,rain\n')).toThrow(/no column "precipitation"/);
});

it(`classifies the held-out days from raw column values at ≥ ${MIN_ACCURACY * 100}%`, async () => {
  expect(heldout.rows).toHaveLength(TABULAR_HELDOUT);
  const predicted = argmaxRows(await run(values), WEATHER_LABELS.length);
  const acc = predicted.filter((p, i) => p === heldout.truth[i]).length / TABULAR_HELDOUT;
  expect(acc).toBeGreaterThanOrEqual(MIN_ACCURACY);
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
  expect(acc).toBeCloseTo(meta.heldout.accuracy, 3);
});

it("has a schema that fits the ONNX graph's tensors", async () => {
  const graph = decodeOnnx(onnxBytes).graph!;
  const shape = (v: onnx.IValueInfoProto) => ({
    name: v.name!,
    dims: v.type!.tensorType!.shape!.dim!.map((d: onnx.TensorShapeProto.IDimension) =>
      d.dimParam ? -1 : Number(d.dimValue),
    ),
    type: 'float32',
  });
  const schema = await schemaFile();
  expect(() => checkSchemaFits(schema, [...graph.input!, ...graph.output!].map(shape))).not.toThrow();
  expect(Object.keys(schema.inputs)).toEqual(graph.input!.map((v) => v.name));
});

describe('the reference profile', () => {
  it('is labelled: one hit sketch per class, the hits the right predictions of the training rows', async () => {
    const ref = decodeProfile(fromBase64((await readFile(join(dir, 'reference.profile'), 'utf8')).trim()));
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
    expect(ref.inferences).toBe(meta.reference.count);
    for (const c of WEATHER_COLUMNS) expect(ref.features[`x.${c}`]).toBeInstanceOf(NumericSketch);
    let hits = 0;
    let conf = 0;
    for (const l of WEATHER_LABELS) {
      hits += (ref.features[`probs.hit.${l}`] as NumericSketch).count;
      conf += (ref.features[`probs.conf.${l}`] as NumericSketch).count;
    }
    expect(conf).toBe(ref.inferences);
    expect(hits / conf).toBeGreaterThan(MIN_ACCURACY);
    expect(hits).toBeLessThan(conf);
  });

  it.each(WEATHER_COLUMNS.map((c, k) => [c, k] as const))(
    'sees the clean held-out days drift in no column, and %s shifted by 1σ drift alone',
    async (column, k) => {
      const ref = decodeProfile(fromBase64((await readFile(join(dir, 'reference.profile'), 'utf8')).trim()));
      const schema = await schemaFile();
      const clean = compareProfiles(ref, schemaProfile(schema, values, await run(values)));
      const shifted = shiftColumn(values, k, heldout.std[k]!);
      const moved = compareProfiles(ref, schemaProfile(schema, shifted, await run(shifted)));
      for (const c of WEATHER_COLUMNS) {
        expect(clean[`x.${c}`]?.status, `clean ${c}`).toBe('ok');
        expect(moved[`x.${c}`]?.status, `${c} after shifting ${column}`).toBe(c === column ? 'alert' : 'ok');
      }
    },
  );
});
