import { join } from 'node:path';
import { PUBLIC_DIR } from './paths.ts';
import type { TabularTrainOptions } from './tabular-model.ts';

/** Name and version under which the demo serves and publishes the weather model. */
export const TABULAR_NAME = 'weather';
export const TABULAR_VERSION = '1.0.0';
/** Rows held out for the demo: enough for a drift verdict (500 values per side) in one pass. */
export const TABULAR_HELDOUT = 500;
/** Seed of the train / held-out split. */
export const SPLIT_SEED = 20260214;
/** `pnpm models:tabular` fails below this held-out accuracy. */
export const MIN_ACCURACY = 0.8;
/** Training settings of the weather model. */
export const TRAIN: TabularTrainOptions = {
  initSeed: 300,
  seed: 301,
  hidden: 16,
  epochs: 120,
  batchSize: 32,
  learningRate: 5e-3,
};
/** Where the demo reads the held-out rows. */
export const TABULAR_HELDOUT_PATH = join(PUBLIC_DIR, 'data', 'weather-heldout.json');
