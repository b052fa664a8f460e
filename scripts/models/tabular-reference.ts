import {
  createProfile,
  type ModelSchema,
  type Profile,
  parseModelSchema,
  summarizeWithSchema,
} from '@driftline/protocol';
import { WEATHER_COLUMNS, WEATHER_LABELS } from './weather-data.ts';

/** Input and output tensor names of the weather model. */
export const TABULAR_INPUT = 'x';
export const TABULAR_OUTPUT = 'probs';

/** The weather model's schema: one `columns` input naming every column, one `classes` output. */
export function weatherSchema(): ModelSchema {
  return parseModelSchema({
    inputs: { [TABULAR_INPUT]: { kind: 'columns', columns: WEATHER_COLUMNS.map((name) => ({ name })) } },
    outputs: { [TABULAR_OUTPUT]: { kind: 'classes', labels: [...WEATHER_LABELS] } },
  });
}

/**
 * A profile of rows as the device records them, through `summarizeWithSchema` (the code path of
 * the runtime and of `driftline profile --schema`), one inference per row. With `truth` (class
 * indexes) it is a labelled reference: `probs.hit.<label>` carries the calibration for
 * label-free accuracy estimation.
 */
export function schemaProfile(
  schema: ModelSchema,
  values: Float32Array,
  probs: Float32Array,
  truth?: Uint8Array,
): Profile {
  const w = WEATHER_COLUMNS.length;
  const k = WEATHER_LABELS.length;
  const count = values.length / w;
  const profile = createProfile();
  for (let r = 0; r < count; r++) {
    profile.inferences++;
    summarizeWithSchema(
      profile,
      schema,
      {
        [TABULAR_INPUT]: { data: values.subarray(r * w, (r + 1) * w), dims: [1, w] },
        [TABULAR_OUTPUT]: { data: probs.subarray(r * k, (r + 1) * k), dims: [1, k] },
      },
      truth ? { [TABULAR_OUTPUT]: [truth[r]!] } : undefined,
    );
  }
  return profile;
}

/** A copy of `[count, columns]` values with column `column` moved by `delta`. */
export function shiftColumn(values: Float32Array, column: number, delta: number): Float32Array {
  const w = WEATHER_COLUMNS.length;
  return values.map((v, i) => (i % w === column ? v + delta : v));
}
