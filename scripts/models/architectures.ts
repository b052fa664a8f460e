import * as tf from '@tensorflow/tfjs';
import { PIXELS, SIDE } from './digits-data.ts';

/** The two demo model versions: a small MLP and a small CNN, same interface. */
export type Architecture = 'mlp' | 'cnn';

const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

/**
 * Builds an untrained model with seeded initial weights. Both take `[N, 784]` pixels / 255 and
 * give `[N, 10]` softmax probabilities; the CNN reshapes to `[N, 28, 28, 1]` inside its graph.
 * The CNN downsamples with strided convolutions, not max-pooling: tfjs's CPU MaxPoolGrad kernel
 * would triple the training time. No dropout: tfjs's seeded dropout draws the same mask on every
 * call, so regularisation comes from seeded shift augmentation instead (see train-model.ts).
 */
export function buildModel(architecture: Architecture, seed: number): tf.Sequential {
  const model = tf.sequential({ name: `digits_${architecture}` });
  if (architecture === 'mlp') {
    model.add(
      tf.layers.dense({
        inputShape: [PIXELS],
        units: 128,
        activation: 'relu',
        kernelInitializer: glorot(seed + 1),
      }),
    );
    model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed + 2) }));
    return model;
  }
  model.add(tf.layers.reshape({ inputShape: [PIXELS], targetShape: [SIDE, SIDE, 1] }));
  model.add(
    tf.layers.conv2d({
      filters: 12,
      kernelSize: 5,
      strides: 2,
      activation: 'relu',
      kernelInitializer: glorot(seed + 1),
    }),
  );
  model.add(
    tf.layers.conv2d({
      filters: 24,
      kernelSize: 3,
      strides: 2,
      activation: 'relu',
      kernelInitializer: glorot(seed + 2),
    }),
  );
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: glorot(seed + 3) }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed + 4) }));
  return model;
}
