import type { Architecture } from './architectures.ts';
import type { TrainOptions } from './train-model.ts';

/** One exported version of the demo's digit classifier. */
export interface ModelVersion {
  version: string;
  architecture: Architecture;
  /** `pnpm models` fails when held-out accuracy falls below this. */
  minAccuracy: number;
  /** Seed of the initial weights. */
  initSeed: number;
  train: Omit<TrainOptions, 'onEpoch'>;
}

/** Name under which the demo serves the models (`demo/public/models/<name>/<version>/`). */
export const MODEL_NAME = 'digits';
/** Seed of the train / held-out split. */
export const SPLIT_SEED = 20260101;
/** Digits held out from training; they are written to `demo/public/data/heldout.bin`. */
export const HELDOUT_COUNT = 2000;

/** The versions `pnpm models` makes, oldest first. */
export const MODEL_VERSIONS: readonly ModelVersion[] = [
  {
    version: '1.0.0',
    architecture: 'mlp',
    minAccuracy: 0.95,
    initSeed: 100,
    train: { seed: 101, epochs: 10, batchSize: 64, learningRate: 1e-3, maxShift: 1 },
  },
  {
    version: '1.1.0',
    architecture: 'cnn',
    minAccuracy: 0.97,
    initSeed: 200,
    train: { seed: 201, epochs: 10, batchSize: 64, learningRate: 2e-3, maxShift: 1 },
  },
];
