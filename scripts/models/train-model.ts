import * as tf from '@tensorflow/tfjs';
import { randomShift, shiftInto } from './augment.ts';
import { type DigitSet, PIXELS } from './digits-data.ts';
import { createRng, shuffleInPlace } from './rng.ts';

/** Settings of one training run; every random choice derives from `seed`. */
export interface TrainOptions {
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Largest random shift (pixels) applied to training digits; 0 turns augmentation off. */
  maxShift: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

/**
 * Trains `model` on `train` with Adam and categorical cross-entropy, batch by batch in a seeded
 * order (no `fit` shuffle, which draws from Math.random), so the same seed gives the same weights.
 */
export async function trainModel(model: tf.LayersModel, train: DigitSet, opts: TrainOptions): Promise<void> {
  model.compile({ optimizer: tf.train.adam(opts.learningRate), loss: 'categoricalCrossentropy' });
  const rng = createRng(opts.seed);
  const order = new Int32Array(train.count).map((_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < train.count; start += opts.batchSize) {
      const size = Math.min(opts.batchSize, train.count - start);
      const xs = new Float32Array(size * PIXELS);
      const ys = new Float32Array(size * 10);
      for (let i = 0; i < size; i++) {
        const index = order[start + i]!;
        const { dx, dy } = opts.maxShift > 0 ? randomShift(rng, opts.maxShift) : { dx: 0, dy: 0 };
        shiftInto(train.pixels.subarray(index * PIXELS, (index + 1) * PIXELS), xs, i * PIXELS, dx, dy);
        ys[i * 10 + train.labels[index]!] = 1;
      }
      const x = tf.tensor2d(xs, [size, PIXELS]);
      const y = tf.tensor2d(ys, [size, 10]);
      const loss = (await model.trainOnBatch(x, y)) as number;
      x.dispose();
      y.dispose();
      lossSum += loss;
      batches++;
    }
    opts.onEpoch?.(epoch, lossSum / batches);
  }
}

/** Runs `model` on float inputs `[count, 784]` and returns the `[count, 10]` probabilities. */
export function predict(model: tf.LayersModel, inputs: Float32Array, count: number): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(inputs, [count, PIXELS])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** Fraction of rows of `probs` ([count, 10]) whose argmax equals the label. */
export function accuracy(probs: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probs[i * 10 + c]! > probs[i * 10 + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}
