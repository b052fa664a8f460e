import { readFile, writeFile } from 'node:fs/promises';
import {
  buildProfile,
  encodeProfile,
  type ModelSchema,
  NumericSketch,
  type Profile,
  ProtocolError,
  parseModelSchema,
  type SampleValue,
  toBase64,
} from '@driftline/protocol';
import { type Args, flag, UsageError } from './args.ts';
import { type CsvRow, parseCsv } from './csv-rows.ts';
import { csvSamples } from './csv-samples.ts';
import { jsonlSamples, parseJsonLines } from './jsonl-samples.ts';
import { parseLabelFields } from './profile-samples.ts';
import { schemaReference } from './schema-reference.ts';
import { printTable } from './table.ts';

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`Cannot read the ${what} ${file}: ${err.code ?? err.message}.`);
  }
}

async function readSchema(file: string): Promise<ModelSchema> {
  const text = await readText(file, 'schema file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${file} is not JSON (${(err as Error).message}); give the model schema as a JSON object.`,
    );
  }
  try {
    return parseModelSchema(json);
  } catch (err) {
    if (err instanceof ProtocolError) throw new UsageError(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
}

const isCsv = (file: string) => /\.csv$/i.test(file);

/** Without a schema, each CSV column is a feature: numeric when all its cells are numbers, else categorical. */
function plainCsvSamples(header: readonly string[], rows: readonly CsvRow[]): Record<string, SampleValue>[] {
  const numeric = header.map((_, i) =>
    rows.every((r) => {
      const c = r.cells[i]!.trim();
      return c === '' || !Number.isNaN(Number(c));
    }),
  );
  return rows.map((r) => {
    const sample: Record<string, SampleValue> = {};
    header.forEach((name, i) => {
      const c = r.cells[i]!.trim();
      if (c !== '') sample[name] = numeric[i] ? Number(c) : c;
    });
    return sample;
  });
}

/** The reference profile of a samples file, with `--schema` through the device's code path. */
async function profileOf(file: string, args: Args): Promise<Profile> {
  const schemaFile = flag(args, 'schema');
  const labelsFlag = flag(args, 'labels');
  const text = await readText(file, 'samples file');
  if (!schemaFile) {
    if (labelsFlag !== undefined) {
      throw new UsageError(
        '--labels needs --schema: the true classes belong to a classes output the schema names.',
      );
    }
    if (isCsv(file)) {
      const { header, rows } = parseCsv(text, file);
      if (rows.length === 0) throw new UsageError(`${file} holds no samples.`);
      return buildProfile(plainCsvSamples(header, rows));
    }
    const lines = parseJsonLines(text, file);
    if (lines.length === 0) throw new UsageError(`${file} holds no samples.`);
    return buildProfile(lines.map((l) => l.value as Record<string, SampleValue>));
  }
  const schema = await readSchema(schemaFile);
  const labels = parseLabelFields(labelsFlag, schema);
  let samples: ReturnType<typeof jsonlSamples>;
  if (isCsv(file)) {
    const { header, rows } = parseCsv(text, file);
    const read = csvSamples(header, rows, file, schema, labels);
    if (read.ignored.length > 0)
      console.error(`ignored column${read.ignored.length > 1 ? 's' : ''}: ${read.ignored.join(', ')}`);
    samples = read.samples;
  } else samples = jsonlSamples(text, file, schema, labels);
  if (samples.length === 0) throw new UsageError(`${file} holds no samples.`);
  const { profile, unknownTruth } = schemaReference(samples, schema, file);
  for (const [output, n] of Object.entries(unknownTruth)) {
    const known = schema.outputs[output]?.labels?.join(', ') ?? 'class indexes';
    console.error(
      `warning: ${n} sample(s) have a true class of "${output}" that is none of ${known}; they count as wrong predictions.`,
    );
  }
  return profile;
}

/**
 * `driftline profile <samples.jsonl|samples.csv> --model M [--version V] [--schema FILE]
 * [--labels FIELD] [--out FILE]`: builds a reference profile from sample inputs, writes it
 * base64-encoded (the encoding telemetry uses) and prints what it holds. With `--schema` the
 * samples are summarized as the schema says, by `summarizeWithSchema` as on the device, and the
 * `--labels` field or column gives the true class of the `classes` output (the calibration of
 * label-free accuracy estimation); without it by `buildProfile`.
 */
export async function profileCommand(args: Args): Promise<number> {
  const file = args.positionals[1];
  const model = flag(args, 'model');
  if (!file || !model) throw new UsageError('profile needs a samples file and --model.');
  const version = flag(args, 'version');
  const out = flag(args, 'out') ?? `${model}${version ? `-${version}` : ''}.profile`;
  const profile = await profileOf(file, args);
  await writeFile(out, `${toBase64(encodeProfile(profile))}\n`);
  console.log(`profile of ${model}${version ? `@${version}` : ''}: ${profile.inferences} samples -> ${out}`);
  const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : '-');
  printTable(
    ['feature', 'kind', 'count', 'mean', 'p50', 'min', 'max'],
    Object.entries(profile.features).map(([name, s]) =>
      s instanceof NumericSketch
        ? [name, 'numeric', s.count, fmt(s.mean), fmt(s.quantile(0.5)), fmt(s.min), fmt(s.max)]
        : [name, 'categorical', s.total, '-', '-', '-', '-'],
    ),
  );
  return 0;
}
