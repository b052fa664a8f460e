import type { ModelSchema, TensorLike } from '@driftline/protocol';
import { UsageError } from './args.ts';
import { columnsRow, type LabelFields, type SchemaSample, truthValue } from './profile-samples.ts';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isNumbers = (a: readonly unknown[]) => a.every((x) => typeof x === 'number' || x === null);

/** Values as a float32 tensor holds them (`null` is NaN), so the profile matches the device's. */
const float32 = (a: readonly unknown[]) =>
  Float32Array.from(a, (x) => (x === null ? Number.NaN : (x as number)));

/** One JSON line as parsed objects, with its 1-based line number. */
export function parseJsonLines(
  text: string,
  file: string,
): { line: number; value: Record<string, unknown> }[] {
  const out: { line: number; value: Record<string, unknown> }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new UsageError(`${file}:${i + 1} is not JSON; give one JSON object per line.`);
    }
    if (!isRecord(v)) throw new UsageError(`${file}:${i + 1} is not an object of named inputs.`);
    out.push({ line: i + 1, value: v });
  });
  return out;
}

/**
 * A tensor from a JSON value: `{data, dims}`; a flat array (one row, `[1, n]`); a number
 * (`[1, 1]`); and for a `columns` input also an object of column name → value, or an array
 * whose strings are labels. Column values go through `columnValue` (labels to indexes, unknown
 * labels to `__other__`, `null` to NaN).
 */
function tensorOf(name: string, value: unknown, schema: ModelSchema, where: string): TensorLike {
  const input = Object.hasOwn(schema.inputs, name) ? schema.inputs[name] : undefined;
  const columns = input?.kind === 'columns' ? input : undefined;
  if (typeof value === 'number') return { data: Float32Array.of(value), dims: [1, 1] };
  if (Array.isArray(value)) {
    if (columns) return columnsRow(columns, value, where);
    if (!isNumbers(value))
      throw new UsageError(`${where}: "${name}" holds an array of non-numbers; give numbers.`);
    return { data: float32(value), dims: [1, value.length] };
  }
  if (isRecord(value) && Array.isArray(value.data) && Array.isArray(value.dims)) {
    const { data, dims } = value as { data: unknown[]; dims: unknown[] };
    if (!dims.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new UsageError(`${where}: "${name}".dims must be non-negative integers.`);
    }
    const size = (dims as number[]).reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new UsageError(
        `${where}: "${name}" has ${data.length} values but dims [${dims.join(', ')}] hold ${size}.`,
      );
    }
    if (!isNumbers(data)) throw new UsageError(`${where}: "${name}".data holds non-numbers; give numbers.`);
    return { data: float32(data), dims: dims as number[] };
  }
  if (isRecord(value) && columns) {
    const known = new Set(columns.columns.map((c) => c.name));
    const unknown = Object.keys(value).find((k) => !known.has(k));
    if (unknown !== undefined) {
      throw new UsageError(
        `${where}: "${name}" has no column "${unknown}"; its columns are ${[...known].join(', ')}.`,
      );
    }
    return columnsRow(
      columns,
      columns.columns.map((c) => value[c.name]),
      where,
    );
  }
  throw new UsageError(
    `${where}: "${name}" is ${typeof value === 'string' ? 'a string' : 'not a tensor'}; give {data, dims}, an array of numbers${columns ? ', an object of column values' : ''} or a number${typeof value === 'string' ? ' (a true class goes in the --labels field)' : ''}.`,
  );
}

/**
 * Reads JSONL samples against a schema: one object per line of tensor name → value (see
 * {@link tensorOf}), plus the `--labels` field(s) with the true class. Every line needs every
 * input the schema names and the same tensors as the first line.
 */
export function jsonlSamples(
  text: string,
  file: string,
  schema: ModelSchema,
  labels: LabelFields,
): SchemaSample[] {
  const labelField = new Map([...labels].map(([output, field]) => [field, output]));
  let names: string | undefined;
  return parseJsonLines(text, file).map(({ line, value }) => {
    const where = `${file}:${line}`;
    const tensors: Record<string, TensorLike> = {};
    const truth: Record<string, string | number> = {};
    for (const [key, v] of Object.entries(value)) {
      const output = labelField.get(key);
      if (output !== undefined) truth[output] = truthValue(v, key, where);
      else tensors[key] = tensorOf(key, v, schema, where);
    }
    for (const input of Object.keys(schema.inputs)) {
      if (!Object.hasOwn(tensors, input))
        throw new UsageError(`${where} has no "${input}", an input of the schema.`);
    }
    for (const [output, field] of labels) {
      if (!Object.hasOwn(truth, output))
        throw new UsageError(`${where} has no "${field}" (the --labels field).`);
      if (!Object.hasOwn(tensors, output)) {
        throw new UsageError(
          `${where} has "${field}" but no "${output}": a labelled reference needs the model's output on each sample; add "${output}": {data, dims}.`,
        );
      }
    }
    const these = Object.keys(tensors).sort().join(', ');
    names ??= these;
    if (these !== names) {
      throw new UsageError(
        `${where} has tensors ${these} but the first sample has ${names}; give every sample the same tensors.`,
      );
    }
    return { line, tensors, truth };
  });
}
