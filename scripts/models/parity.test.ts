import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DigitSet, decodeDigitRecords, toInputs } from './digits-data.ts';
import { maxAbsDiff, runOnnx } from './ort-node.ts';
import { HELDOUT_PATH, versionDir } from './paths.ts';
import { fileModelHandler } from './tfjs-export.ts';
import { accuracy } from './train-model.ts';
import { HELDOUT_COUNT, MODEL_NAME, MODEL_VERSIONS } from './versions.ts';

// The committed exports, run as the browser runs them: ONNX through onnxruntime-web (WASM) and
// the TF.js layers model through @tensorflow/tfjs, on every held-out digit.
let heldout: DigitSet;
let inputs: Float32Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  heldout = decodeDigitRecords(new Uint8Array(await readFile(HELDOUT_PATH)));
  inputs = toInputs(heldout);
});

it('heldout.bin holds the held-out split with every class present', () => {
  expect(heldout.count).toBe(HELDOUT_COUNT);
  expect(new Set(heldout.labels).size).toBe(10);
});

describe.each(MODEL_VERSIONS)('$version ($architecture)', (spec) => {
  const dir = versionDir(MODEL_NAME, spec.version);

  it(`ONNX and TF.js exports agree to 1e-4 and reach ${spec.minAccuracy * 100}% held-out accuracy`, async () => {
    const onnxProbs = await runOnnx(
      new Uint8Array(await readFile(join(dir, 'model.onnx'))),
      inputs,
      heldout.count,
    );
    const model = await tf.loadLayersModel(fileModelHandler(join(dir, 'tfjs', 'model.json')));
    const tfjsProbs = tf.tidy(
      () =>
        (model.predict(tf.tensor2d(inputs, [heldout.count, 784])) as tf.Tensor).dataSync() as Float32Array,
    );
    model.dispose();

    expect(maxAbsDiff(onnxProbs, tfjsProbs)).toBeLessThanOrEqual(1e-4);
    const onnxAccuracy = accuracy(onnxProbs, heldout.labels);
    expect(onnxAccuracy).toBeGreaterThanOrEqual(spec.minAccuracy);
    expect(accuracy(tfjsProbs, heldout.labels)).toBe(onnxAccuracy);
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as {
      heldout: { accuracy: number };
    };
    expect(onnxAccuracy).toBeCloseTo(meta.heldout.accuracy, 4);
  });

  it('meta.json names every file with its size and SHA-256', async () => {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as {
      version: string;
      files: Record<string, { bytes: number; sha256: string }>;
    };
    expect(meta.version).toBe(spec.version);
    expect(Object.keys(meta.files).sort()).toEqual([
      'model.onnx',
      'tfjs/group1-shard1of1.bin',
      'tfjs/model.json',
    ]);
    for (const [name, { bytes, sha256 }] of Object.entries(meta.files)) {
      const file = await readFile(join(dir, name));
      expect(file.length).toBe(bytes);
      expect(createHash('sha256').update(file).digest('hex')).toBe(sha256);
    }
  });
});
