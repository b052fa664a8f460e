import type { ClassesSpec, ModelSchema, TensorLike } from '@driftline/protocol';
import { UsageError } from './args.ts';
import type { CsvRow } from './csv-rows.ts';
import { columnValue, type LabelFields, type SchemaSample, truthValue } from './profile-samples.ts';

/** How the header's columns map onto a schema's tensors. */
interface CsvLayout {
  /** Per `columns` input, the header index of each of its columns. */
  inputs: [name: string, indexes: number[]][];
  /** Per `classes` output given in the file, the header index of each class's probability. */
  outputs: [name: string, indexes: number[]][];
  /** Per labelled output, the header index of its true-class column. */
  truth: [output: string, index: number][];
  /** Header columns no tensor uses. */
  ignored: string[];
}

/** Header names of a `classes` output's probabilities: `<output>.<label>` (or `<output>.<k>`). */
function classColumns(output: string, spec: ClassesSpec, header: readonly string[]): number[] {
  if (spec.labels) return spec.labels.map((l) => header.indexOf(`${output}.${l}`));
  const out: number[] = [];
  for (let k = 0; header.includes(`${output}.${k}`); k++) out.push(header.indexOf(`${output}.${k}`));
  return out;
}

function layoutOf(
  header: readonly string[],
  file: string,
  schema: ModelSchema,
  labels: LabelFields,
): CsvLayout {
  const used = new Set<number>();
  const columnInputs = Object.entries(schema.inputs);
  const inputs: CsvLayout['inputs'] = [];
  for (const [name, spec] of columnInputs) {
    if (spec.kind !== 'columns') {
      throw new UsageError(
        `Schema input "${name}" is ${spec.kind === 'image' ? 'an image' : 'an embedding'}; a CSV file holds only columns inputs, so give these samples as JSONL.`,
      );
    }
    const indexes = spec.columns.map((c) => {
      const qualified = header.indexOf(`${name}.${c.name}`);
      return qualified >= 0 || columnInputs.length > 1 ? qualified : header.indexOf(c.name);
    });
    const missing = spec.columns.filter((_, i) => indexes[i]! < 0).map((c) => c.name);
    if (missing.length > 0) {
      throw new UsageError(
        `${file} has no column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of input "${name}"; name the header's columns as the schema does${columnInputs.length > 1 ? ` (as ${name}.<column>, since the schema has several inputs)` : ''}.`,
      );
    }
    for (const i of indexes) used.add(i);
    inputs.push([name, indexes]);
  }
  const outputs: CsvLayout['outputs'] = [];
  for (const [name, spec] of Object.entries(schema.outputs)) {
    const indexes = classColumns(name, spec, header);
    if (indexes.length === 0 || indexes.every((i) => i < 0)) continue;
    if (indexes.some((i) => i < 0)) {
      const want = spec.labels!.map((l) => `${name}.${l}`);
      throw new UsageError(
        `${file} has some but not all probability columns of output "${name}"; give all of ${want.join(', ')}.`,
      );
    }
    for (const i of indexes) used.add(i);
    outputs.push([name, indexes]);
  }
  const truth: CsvLayout['truth'] = [];
  for (const [output, field] of labels) {
    const index = header.indexOf(field);
    if (index < 0) throw new UsageError(`${file} has no column "${field}" (the --labels column).`);
    if (!outputs.some(([o]) => o === output)) {
      const spec = schema.outputs[output]!;
      const names = spec.labels
        ? spec.labels.map((l) => `${output}.${l}`).join(', ')
        : `${output}.0, ${output}.1, …`;
      throw new UsageError(
        `--labels needs the model's output on each row, to learn how often it is right: add the columns ${names} (its probabilities).`,
      );
    }
    used.add(index);
    truth.push([output, index]);
  }
  return { inputs, outputs, truth, ignored: header.filter((_, i) => !used.has(i)) };
}

/**
 * Reads CSV rows against a schema: each `columns` input is a `[1, n]` tensor of the header's
 * columns of the same names (`<input>.<column>` also matches, and is required when the schema has
 * several inputs); a `classes` output is read from columns `<output>.<label>` when the file has
 * them; the `--labels` column holds the true class. Other columns are ignored (and reported).
 */
export function csvSamples(
  header: readonly string[],
  rows: readonly CsvRow[],
  file: string,
  schema: ModelSchema,
  labels: LabelFields,
): { samples: SchemaSample[]; ignored: string[] } {
  const layout = layoutOf(header, file, schema, labels);
  const samples = rows.map(({ line, cells }): SchemaSample => {
    const where = `${file}:${line}`;
    const tensors: Record<string, TensorLike> = {};
    for (const [name, indexes] of layout.inputs) {
      const spec = schema.inputs[name]!;
      if (spec.kind !== 'columns') continue;
      const data = new Float32Array(indexes.length);
      indexes.forEach((h, i) => {
        data[i] = columnValue(spec.columns[i]!, cells[h], where);
      });
      tensors[name] = { data, dims: [1, data.length] };
    }
    for (const [name, indexes] of layout.outputs) {
      const data = new Float32Array(indexes.length);
      indexes.forEach((h, i) => {
        data[i] = columnValue({ name: header[h]! }, cells[h], where);
      });
      tensors[name] = { data, dims: [1, data.length] };
    }
    const truth: Record<string, string | number> = {};
    for (const [output, index] of layout.truth)
      truth[output] = truthValue(cells[index], header[index]!, where);
    return { line, tensors, truth };
  });
  return { samples, ignored: layout.ignored };
}
