import * as tf from '@tensorflow/tfjs';
import { createRng, shuffleInPlace } from './rng.ts';

/** Settings of the tabular classifier's training; every random choice derives from the seeds. */
export interface TabularTrainOptions {
  initSeed: number;
  seed: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** An untrained MLP `[N, inputs]` → ReLU hidden layer → `[N, classes]` softmax, seeded weights. */
export function buildTabularModel(inputs: number, classes: number, opts: TabularTrainOptions): tf.Sequential {
  const model = tf.sequential({ name: 'weather_mlp' });
  const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
  model.add(
    tf.layers.dense({
      inputShape: [inputs],
      units: opts.hidden,
      activation: 'relu',
      kernelInitializer: glorot(opts.initSeed + 1),
    }),
  );
  model.add(
    tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: glorot(opts.initSeed + 2) }),
  );
  return model;
}

/**
 * Trains on standardized inputs `x` (`[count, width]`) and class indexes with Adam and
 * cross-entropy, batch by batch in a seeded order. Answers the last epoch's mean loss.
 */
export async function trainTabular(
  model: tf.LayersModel,
  x: Float32Array,
  labels: Uint8Array,
  classes: number,
  opts: TabularTrainOptions,
): Promise<number> {
  model.compile({ optimizer: tf.train.adam(opts.learningRate), loss: 'categoricalCrossentropy' });
  const count = labels.length;
  const width = x.length / count;
  const rng = createRng(opts.seed);
  const order = new Int32Array(count).map((_, i) => i);
  let loss = Number.NaN;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let sum = 0;
    let batches = 0;
    for (let start = 0; start < count; start += opts.batchSize) {
      const size = Math.min(opts.batchSize, count - start);
      const xs = new Float32Array(size * width);
      const ys = new Float32Array(size * classes);
      for (let i = 0; i < size; i++) {
        const r = order[start + i]!;
        xs.set(x.subarray(r * width, (r + 1) * width), i * width);
        ys[i * classes + labels[r]!] = 1;
      }
      const xt = tf.tensor2d(xs, [size, width]);
      const yt = tf.tensor2d(ys, [size, classes]);
      sum += (await model.trainOnBatch(xt, yt)) as number;
      xt.dispose();
      yt.dispose();
      batches++;
    }
    loss = sum / batches;
  }
  return loss;
}

/** `(x − mean) / std` per column of a `[count, width]` matrix. */
export function standardize(x: Float32Array, mean: Float32Array, std: Float32Array): Float32Array {
  const w = mean.length;
  return x.map((v, i) => (v - mean[i % w]!) / std[i % w]!);
}

/**
 * Folds the standardization into the first Dense layer, so the exported model takes raw column
 * values: `((x − μ)/σ)·W + b = x·(W/σ) + (b − (μ/σ)·W)`.
 */
export function foldStandardization(model: tf.LayersModel, mean: Float32Array, std: Float32Array): void {
  const first = model.layers[0]!;
  const [kernel, bias] = first.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  tf.tidy(() => {
    const sigma = tf.tensor2d(std, [std.length, 1]);
    const mu = tf.tensor2d(mean, [1, mean.length]);
    const w = kernel.div(sigma);
    const b = bias.sub(tf.matMul(mu, w).reshape([-1]));
    first.setWeights([w, b]);
  });
}

/** Runs `model` on `[count, width]` inputs and answers the `[count, classes]` probabilities. */
export function predictTabular(model: tf.LayersModel, x: Float32Array, count: number): Float32Array {
  return tf.tidy(
    () => (model.predict(tf.tensor2d(x, [count, x.length / count])) as tf.Tensor).dataSync() as Float32Array,
  );
}

/** Argmax of each row of `[count, classes]` probabilities. */
export function argmaxRows(probs: Float32Array, classes: number): Uint8Array {
  const out = new Uint8Array(probs.length / classes);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c]! > probs[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}
