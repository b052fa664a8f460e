import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { conv2dFilterGrad, installFastConvGrad } from './fast-conv-grad.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  size: fc.integer({ min: 5, max: 9 }),
  inC: fc.integer({ min: 1, max: 3 }),
  outC: fc.integer({ min: 1, max: 4 }),
  k: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  pad: fc.constantFrom('valid' as const, 'same' as const),
  seed: fc.integer({ min: 0, max: 1000 }),
});

/** The filter gradient through tf.grad, i.e. whatever Conv2DBackpropFilter kernel is registered. */
function tfFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: number,
  pad: 'valid' | 'same',
) {
  return tf.grad((f: tf.Tensor) =>
    tf
      .conv2d(x, f as tf.Tensor4D, stride, pad)
      .mul(dy)
      .sum(),
  )(filter);
}

it("equals tfjs's own Conv2DBackpropFilter kernel, and replaces it once installed", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      tf.tidy(() => {
        const x = tf.randomNormal([c.batch, c.size, c.size, c.inC], 0, 1, 'float32', c.seed) as tf.Tensor4D;
        const filter = tf.randomNormal([c.k, c.k, c.inC, c.outC], 0, 1, 'float32', c.seed + 1) as tf.Tensor4D;
        const outShape = tf.conv2d(x, filter, c.stride, c.pad).shape;
        const dy = tf.randomNormal(outShape, 0, 1, 'float32', c.seed + 2) as tf.Tensor4D;
        const reference = tfFilterGrad(x, dy, filter, c.stride, c.pad).dataSync() as Float32Array;
        const padInfo = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, c.stride, 1, c.pad).padInfo;
        const ours = conv2dFilterGrad(
          x.dataSync() as Float32Array,
          x.shape,
          dy.dataSync() as Float32Array,
          dy.shape,
          {
            filterHeight: c.k,
            filterWidth: c.k,
            strideHeight: c.stride,
            strideWidth: c.stride,
            top: padInfo.top,
            left: padInfo.left,
          },
        );
        for (let i = 0; i < reference.length; i++) expect(ours[i]).toBeCloseTo(reference[i]!, 4);
      });
    }),
    { numRuns: 40, seed: 4 },
  );

  const x = tf.randomNormal([2, 7, 7, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const before = tfFilterGrad(x, dy, filter, 2, 'valid').dataSync();
  installFastConvGrad();
  installFastConvGrad();
  const after = tfFilterGrad(x, dy, filter, 2, 'valid').dataSync();
  expect(Array.from(after)).toEqual(Array.from(before));
});
