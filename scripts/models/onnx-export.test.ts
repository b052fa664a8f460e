import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { onnx } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './architectures.ts';
import {
  decodeOnnx,
  encodeOnnx,
  exportOnnx,
  INPUT_NAME,
  ONNX_OPSET,
  OnnxExportError,
  OUTPUT_NAME,
} from './onnx-export.ts';
import { maxAbsDiff, runOnnx } from './ort-node.ts';
import { versionDir } from './paths.ts';
import { createRng } from './rng.ts';
import { MODEL_NAME, MODEL_VERSIONS } from './versions.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomInputs(count: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count * 784 }, () => rng.next());
}

function describeIo(bytes: Uint8Array) {
  const model = decodeOnnx(bytes);
  const graph = model.graph!;
  const io = (v: onnx.IValueInfoProto) => ({
    name: v.name,
    elemType: v.type?.tensorType?.elemType,
    dims: v.type?.tensorType?.shape?.dim?.map((d: onnx.TensorShapeProto.IDimension) =>
      d.dimParam ? d.dimParam : Number(d.dimValue),
    ),
  });
  return {
    opset: model.opsetImport.map((o) => [o.domain, Number(o.version)]),
    inputs: (graph.input ?? []).map(io),
    outputs: (graph.output ?? []).map(io),
    ops: (graph.node ?? []).map((n) => n.opType),
  };
}

const expectedIo = {
  opset: [['', ONNX_OPSET]],
  inputs: [{ name: INPUT_NAME, elemType: 1, dims: ['N', 784] }],
  outputs: [{ name: OUTPUT_NAME, elemType: 1, dims: ['N', 10] }],
};

describe('exportOnnx', () => {
  it.each(['mlp', 'cnn'] as const)(
    'gives the %s graph the shared interface and the same outputs as tfjs',
    async (arch) => {
      const model = buildModel(arch, 7);
      const bytes = encodeOnnx(exportOnnx(model, { version: '0.0.0' }));
      const io = describeIo(bytes);
      expect(io).toMatchObject(expectedIo);
      expect(io.ops.at(-1)).toBe('Softmax');
      if (arch === 'cnn') expect(io.ops.slice(0, 3)).toEqual(['Reshape', 'Transpose', 'Conv']);

      const inputs = randomInputs(5, 1);
      const expected = tf.tidy(
        () => (model.predict(tf.tensor2d(inputs, [5, 784])) as tf.Tensor).dataSync() as Float32Array,
      );
      expect(maxAbsDiff(await runOnnx(bytes, inputs, 5), expected)).toBeLessThanOrEqual(1e-5);
      model.dispose();
    },
  );

  it('translates same-padded convolutions and max-pooling too', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
        tf.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({
          filters: 3,
          kernelSize: 4,
          strides: 2,
          padding: 'same',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
        }),
        tf.layers.flatten(),
        tf.layers.dense({
          units: 10,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
        }),
      ],
    });
    const bytes = encodeOnnx(exportOnnx(model, { version: '0.0.0' }));
    expect(describeIo(bytes).ops).toContain('MaxPool');
    const inputs = randomInputs(3, 2);
    const expected = tf.tidy(
      () => (model.predict(tf.tensor2d(inputs, [3, 784])) as tf.Tensor).dataSync() as Float32Array,
    );
    expect(maxAbsDiff(await runOnnx(bytes, inputs, 3), expected)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it('refuses a layer it cannot translate, with a typed error', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10 }), tf.layers.batchNormalization()],
    });
    expect(() => exportOnnx(model, { version: '0.0.0' })).toThrow(OnnxExportError);
    expect(() => exportOnnx(model, { version: '0.0.0' })).toThrow(
      expect.objectContaining({ code: 'ONNX_EXPORT_UNSUPPORTED' }),
    );
    model.dispose();
  });
});

describe.each(MODEL_VERSIONS)('committed $version model.onnx', (spec) => {
  it('declares input [N, 784] float32 and output probs [N, 10] float32', async () => {
    const bytes = new Uint8Array(await readFile(join(versionDir(MODEL_NAME, spec.version), 'model.onnx')));
    expect(describeIo(bytes)).toMatchObject(expectedIo);
  });
});
