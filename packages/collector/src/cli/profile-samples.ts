import type { ColumnSpec, ColumnsSpec, ModelSchema, TensorLike } from '@driftline/protocol';
import { UsageError } from './args.ts';

/** One sample of a samples file read against a schema: its tensors and, with labels, its true classes. */
export interface SchemaSample {
  /** 1-based line of the file it was read from, for error messages. */
  line: number;
  tensors: Record<string, TensorLike>;
  /** Per `classes` output, the true class: a label or a class index. */
  truth: Record<string, string | number>;
}

/** Which field (JSONL) or column (CSV) holds the true class of which `classes` output. */
export type LabelFields = ReadonlyMap<string, string>;

/**
 * Parses `--labels`: `FIELD` for a schema with one `classes` output, or `OUTPUT=FIELD,…` naming
 * each output. Throws a UsageError when the schema has no such output.
 */
export function parseLabelFields(value: string | undefined, schema: ModelSchema): LabelFields {
  const fields = new Map<string, string>();
  if (value === undefined) return fields;
  const outputs = Object.keys(schema.outputs);
  if (outputs.length === 0) {
    throw new UsageError(
      '--labels gives the true class of a classes output, but the schema has none; add one under "outputs" or drop --labels.',
    );
  }
  if (!value.includes('=')) {
    if (outputs.length > 1) {
      throw new UsageError(
        `The schema has ${outputs.length} classes outputs (${outputs.join(', ')}); say which field labels which: --labels ${outputs[0]}=FIELD,…`,
      );
    }
    fields.set(outputs[0]!, value);
    return fields;
  }
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const output = part.slice(0, eq);
    const field = part.slice(eq + 1);
    if (eq <= 0 || field === '') throw new UsageError(`--labels part "${part}" is not OUTPUT=FIELD.`);
    if (!Object.hasOwn(schema.outputs, output)) {
      throw new UsageError(
        `--labels names "${output}", not a classes output of the schema (${outputs.join(', ')}).`,
      );
    }
    fields.set(output, field);
  }
  return fields;
}

/** Strings a cell may hold for a missing value (NaN). */
const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);

/**
 * A column's value from a file as the model's tensor holds it. Numeric columns: a number, or a
 * missing value (empty, `NaN`, `NA`, `null`) as NaN; anything else throws a UsageError. Labelled
 * columns: the label's index, an integer index, a missing value as NaN, and any other label as -1,
 * which the summary counts as `__other__` (never an error).
 */
export function columnValue(column: ColumnSpec, raw: unknown, where: string): number {
  if (raw === null || raw === undefined) return Number.NaN;
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') {
    throw new UsageError(
      `${where}: column "${column.name}" holds ${typeof raw}; give a number${column.labels ? ' or a label' : ''}.`,
    );
  }
  const text = raw.trim();
  if (MISSING.has(text.toLowerCase())) return Number.NaN;
  if (column.labels) {
    const k = column.labels.indexOf(text);
    if (k >= 0) return k;
    return /^\d+$/.test(text) ? Number(text) : -1;
  }
  const n = Number(text);
  if (Number.isNaN(n)) {
    throw new UsageError(
      `${where}: column "${column.name}" holds "${text.slice(0, 40)}", not a number; give a number or leave the cell empty for a missing value.`,
    );
  }
  return n;
}

/** One row `[1, columns]` of a `columns` input from values in column order. */
export function columnsRow(
  spec: Pick<ColumnsSpec, 'columns'>,
  values: readonly unknown[],
  where: string,
): TensorLike {
  if (values.length !== spec.columns.length) {
    throw new UsageError(
      `${where}: ${values.length} values for ${spec.columns.length} columns (${spec.columns.map((c) => c.name).join(', ')}); give one value per column.`,
    );
  }
  const data = new Float32Array(spec.columns.length);
  spec.columns.forEach((c, i) => {
    data[i] = columnValue(c, values[i], where);
  });
  return { data, dims: [1, data.length] };
}

/** The true class from a labels field: a label or a class index; anything else is a UsageError. */
export function truthValue(raw: unknown, field: string, where: string): string | number {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
  throw new UsageError(
    `${where}: the labels field "${field}" is ${raw === '' ? 'empty' : JSON.stringify(raw)}; give every sample its true class (a label or a class index), or drop --labels.`,
  );
}
