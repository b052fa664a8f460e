import { type CategoricalSketch, OTHER_LABEL } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import type { ColumnsSpec } from './model-schema.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { categoricalFeature, numericFeature, type Profile } from './profile.ts';
import { NAN_CLASS_LABEL } from './summarize-classifier.ts';
import { readNumber, rowsOf, type TensorLike } from './tensor.ts';

/**
 * Sketch settings of a numeric column: 5 % relative accuracy keeps a 30-column window near 3 KB
 * gzipped at 1,000 inferences (about 7 KB at the default 1 %), and still resolves drift (see
 * schema-simulation.test.ts). Reference and current windows come from the same summarizer, so
 * their settings always match.
 */
export const COLUMN_SKETCH = { alpha: 0.05 } as const;

const namesCache = new WeakMap<object, Map<string, string[]>>();

/** Feature names of `spec`'s columns under tensor `name`, built once per spec object. */
function columnNames(name: string, spec: Pick<ColumnsSpec, 'columns'>): string[] {
  let byTensor = namesCache.get(spec);
  if (!byTensor) {
    byTensor = new Map();
    namesCache.set(spec, byTensor);
  }
  let names = byTensor.get(name);
  if (!names) {
    names = spec.columns.map((c) => `${name}.${c.name}`);
    byTensor.set(name, names);
  }
  return names;
}

/** Categorical sketch caps for a column with `n` labels: every label, `NaN` and "other" fit. */
export function labelSketchOptions(n: number): { maxLabels: number } {
  return { maxLabels: Math.max(64, n + 1) };
}

/**
 * Records one feature per column of a `[rows, columns]` tensor, named `<t>.<column>`, one value
 * per row. A column without labels is a numeric sketch ({@link COLUMN_SKETCH}); NaN and ±Infinity are counted apart by the
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
  const names = columnNames(name, spec);
  const sketches: Array<NumericSketch | CategoricalSketch> = cols.map((c, i) =>
    c.labels
      ? categoricalFeature(profile, names[i]!, labelSketchOptions(c.labels.length))
      : numericFeature(profile, names[i]!, COLUMN_SKETCH),
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
