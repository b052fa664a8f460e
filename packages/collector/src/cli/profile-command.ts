import { readFile, writeFile } from 'node:fs/promises';
import { buildProfile, encodeProfile, NumericSketch, type SampleValue, toBase64 } from '@driftline/protocol';
import { type Args, flag, UsageError } from './args.ts';
import { printTable } from './table.ts';

/**
 * `driftline profile <samples.jsonl> --model M [--version V] [--out FILE]`: builds a reference
 * profile from sample inputs (one JSON object per line: name → tensor `{data, dims}`, array, number
 * or string) with the runtime's default summarizers, writes it base64-encoded (the encoding
 * telemetry uses) and prints what it holds.
 */
export async function profileCommand(args: Args): Promise<number> {
  const file = args.positionals[1];
  const model = flag(args, 'model');
  if (!file || !model) throw new UsageError('profile needs a samples file and --model.');
  const version = flag(args, 'version');
  const out = flag(args, 'out') ?? `${model}${version ? `-${version}` : ''}.profile`;
  const text = await readFile(file, 'utf8');
  const samples: Record<string, SampleValue>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${i + 1} is not JSON; give one JSON object per line.`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new UsageError(`${file}:${i + 1} is not an object of named inputs.`);
    }
    samples.push(v as Record<string, SampleValue>);
  });
  if (samples.length === 0) throw new UsageError(`${file} holds no samples.`);
  const profile = buildProfile(samples);
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
