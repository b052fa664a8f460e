import { type CategoricalSketch, OTHER_LABEL } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import type { ColumnsSpec } from './model-schema.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { categoricalFeature, numericFeature, type Profile } from './profile.ts';
import { NAN_CLASS_LABEL } from './summarize-classifier.ts';
import { readNumber, rowsOf, type TensorLike } from './tensor.ts';

/** Categorical sketch caps for a column with `n` labels: every label, `NaN` and "other" fit. */
export function labelSketchOptions(n: number): { maxLabels: number } {
  return { maxLabels: Math.max(64, n + 1) };
}

/**
 * Records one feature per column of a `[rows, columns]` tensor, named `<t>.<column>`, one value
 * per row. A column without labels is a numeric sketch; NaN and ±Infinity are counted apart by the
 * sketch (`nanCount`), so a column's missing rate shows as `quality.nan` in its drift. A column
 * with `labels` holds label indexes and is a categorical sketch of `labels[value]`; NaN is counted
 * as `NaN`, and a value that is not an integer index into `labels` as `__other__` (never an error).
 *
 * @example
 * summarizeColumns(profile, 'x', { data: row, dims: [1, 2] }, { kind: 'columns', columns: [{ name: 'age' }, { name: 'plan', labels: ['free', 'pro'] }] });
 */
export function summarizeColumns(
  profile: Profile,
  name: string,
  tensor: TensorLike,
  spec: Pick<ColumnsSpec, 'columns'>,
): void {
  const { rows, width } = rowsOf(tensor);
  const cols = spec.columns;
  if (rows > 0 && width !== cols.length) {
    throw new ProtocolError(
      'SCHEMA_MISMATCH',
      `Tensor "${name}" has ${width} values per row but its schema names ${cols.length} columns; list one column per value.`,
    );
  }
  const sketches: Array<NumericSketch | CategoricalSketch> = cols.map((c) =>
    c.labels
      ? categoricalFeature(profile, `${name}.${c.name}`, labelSketchOptions(c.labels.length))
      : numericFeature(profile, `${name}.${c.name}`),
  );
  const plain = typeof tensor.data[0] !== 'bigint';
  const arr = tensor.data as ArrayLike<number>;
  for (let c = 0; c < cols.length; c++) {
    const labels = cols[c]!.labels;
    const s = sketches[c]!;
    if (labels === undefined) {
      const num = s as NumericSketch;
      for (let r = 0; r < rows; r++)
        num.add(plain ? arr[r * width + c]! : readNumber(tensor.data, r * width + c));
      continue;
    }
    const cat = s as CategoricalSketch;
    for (let r = 0; r < rows; r++) {
      const v = readNumber(tensor.data, r * width + c);
      const label = Number.isNaN(v) ? NAN_CLASS_LABEL : Number.isInteger(v) ? labels[v] : undefined;
      cat.add(label ?? OTHER_LABEL);
    }
  }
}
