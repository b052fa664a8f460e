import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CategoricalSketch,
  createProfile,
  decodeProfile,
  encodeProfile,
  fromBase64,
  type NumericSketch,
  type Profile,
  parseModelSchema,
  summarizeWithSchema,
} from '@driftline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../test/run-cli.ts';

const SCHEMA = {
  inputs: { x: { kind: 'columns', columns: [{ name: 'age' }, { name: 'plan', labels: ['free', 'pro'] }] } },
  outputs: { probs: { kind: 'classes', labels: ['stay', 'churn'] } },
};
const PLANS = ['free', 'pro', 'enterprise'] as const;

/** Row i of the fixture: an age (one missing), a plan (every 7th unknown), probabilities and a true class. */
function row(i: number) {
  const age = i === 5 ? Number.NaN : 20 + ((i * 7) % 50);
  const plan = PLANS[i % 7 === 0 ? 2 : i % 2]!;
  const churn = (i % 10) / 10 + 0.05;
  const label = i % 3 === 0 ? 'churn' : 'stay';
  return { age, plan, probs: [1 - churn, churn], label };
}
const N = 60;

describe('driftline profile --schema', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftline-profile-'));
    await writeFile(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const path = (name: string) => join(dir, name);
  const readProfile = async (file: string) =>
    decodeProfile(fromBase64((await readFile(file, 'utf8')).trim()));
  async function profile(samples: string, ...extra: string[]) {
    const out = path(`${samples}.profile`);
    const r = await cli(
      'profile',
      path(samples),
      '--model',
      'churn',
      '--schema',
      path('schema.json'),
      '--out',
      out,
      ...extra,
    );
    return { ...r, profile: r.code === 0 ? await readProfile(out) : undefined };
  }

  /** The same rows through the device's code path, with the model's float32 input tensor. */
  function deviceProfile(): Profile {
    const schema = parseModelSchema(SCHEMA);
    const p = createProfile();
    for (let i = 0; i < N; i++) {
      const r = row(i);
      const plan = r.plan === 'enterprise' ? -1 : r.plan === 'free' ? 0 : 1;
      p.inferences++;
      summarizeWithSchema(
        p,
        schema,
        {
          x: { data: Float32Array.of(r.age, plan), dims: [1, 2] },
          probs: { data: Float32Array.from(r.probs), dims: [1, 2] },
        },
        { probs: [r.label] },
      );
    }
    return p;
  }

  it('reads JSONL and CSV into the profile the device path builds, with hit calibration from --labels', async () => {
    const jsonl = Array.from({ length: N }, (_, i) => {
      const r = row(i);
      const age = Number.isNaN(r.age) ? null : r.age;
      // Both ways a JSONL line may give a columns input: an object of columns, or an array.
      const x = i % 2 ? { age, plan: r.plan } : [age, r.plan];
      return JSON.stringify({ x, probs: { data: r.probs, dims: [1, 2] }, label: r.label });
    });
    await writeFile(path('s.jsonl'), `${jsonl.join('\n')}\n`);
    const csv = ['id,plan,age,probs.stay,probs.churn,label'];
    for (let i = 0; i < N; i++) {
      const r = row(i);
      csv.push(`${i},"${r.plan}",${Number.isNaN(r.age) ? '' : r.age},${r.probs.join(',')},${r.label}`);
    }
    await writeFile(path('s.csv'), `${csv.join('\r\n')}\r\n`);

    const fromJsonl = await profile('s.jsonl', '--labels', 'label');
    const fromCsv = await profile('s.csv', '--labels', 'probs=label');
    expect(fromJsonl.err).toBe('');
    expect(fromCsv.err).toBe('ignored column: id\n');
    expect([fromJsonl.code, fromCsv.code]).toEqual([0, 0]);
    // Through the wire on both sides: decoding normalizes the sketches' internal layout.
    const expected = encodeProfile(decodeProfile(encodeProfile(deviceProfile())));
    expect(encodeProfile(fromJsonl.profile!)).toEqual(expected);
    expect(encodeProfile(fromCsv.profile!)).toEqual(expected);

    const p = fromCsv.profile!;
    expect(p.inferences).toBe(N);
    const plan = p.features['x.plan'] as CategoricalSketch;
    expect(plan).toBeInstanceOf(CategoricalSketch);
    const unknown = Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === 0).length;
    expect(plan.otherCount).toBe(unknown);
    const age = p.features['x.age'] as NumericSketch;
    expect(age.count).toBe(N - 1);
    expect(age.nanCount).toBe(1);
    let right = 0;
    for (let i = 0; i < N; i++) {
      const r = row(i);
      if ((r.probs[1]! > r.probs[0]! ? 'churn' : 'stay') === r.label) right++;
    }
    const hits =
      (p.features['probs.hit.stay'] as NumericSketch).count +
      (p.features['probs.hit.churn'] as NumericSketch).count;
    expect(hits).toBe(right);
    expect(fromCsv.out).toMatch(/x\.plan\s+categorical\s+60/);
    expect(fromCsv.out).toContain('60 samples');
  });

  it('records inputs only without --labels, and no hit calibration', async () => {
    await writeFile(path('inputs.csv'), 'age,plan\n31,pro\n45,free\n');
    const r = await profile('inputs.csv');
    expect(r.code).toBe(0);
    expect(Object.keys(r.profile!.features).sort()).toEqual(['x.age', 'x.plan']);
  });

  it('answers bad files with a usage error naming the line and what to do', async () => {
    const cases: [name: string, text: string, message: string, extra?: string[]][] = [
      ['nan.csv', 'age,plan\n31,pro\nold,free\n', 'nan.csv:3: column "age" holds "old", not a number'],
      ['cells.csv', 'age,plan\n31,pro\n45\n', 'cells.csv:3 has 1 cells but the header has 2'],
      ['missing.csv', 'age,tier\n31,pro\n', 'has no column plan of input "x"'],
      ['quote.csv', 'age,plan\n31,"pro\n', 'quote.csv:2 opens a quoted cell that never closes'],
      [
        'nolabel.csv',
        'age,plan,probs.stay,probs.churn\n31,pro,0.5,0.5\n',
        'has no column "label" (the --labels column)',
        ['--labels', 'label'],
      ],
      [
        'noprobs.csv',
        'age,plan,label\n31,pro,stay\n',
        'add the columns probs.stay, probs.churn',
        ['--labels', 'label'],
      ],
      [
        'empty-label.csv',
        'age,plan,probs.stay,probs.churn,label\n31,pro,0.5,0.5,\n',
        'empty-label.csv:2: the labels field "label" is empty',
        ['--labels', 'label'],
      ],
      ['wide.jsonl', '{"x": [1, 0, 2]}\n', 'wide.jsonl:1: 3 values for 2 columns (age, plan)'],
      ['noinput.jsonl', '{"x": [1, 0]}\n{"y": [1]}\n', 'noinput.jsonl:2 has no "x", an input of the schema'],
      ['string.jsonl', '{"x": [1, 0], "label": "stay"}\n', '"label" is a string'],
      ['col.jsonl', '{"x": {"age": 3, "tier": "pro"}}\n', '"x" has no column "tier"'],
      ['bad.jsonl', '{"x": [1, 0]}\nnot json\n', 'bad.jsonl:2 is not JSON'],
      ['blank.jsonl', '\n\n', 'holds no samples'],
    ];
    for (const [name, text, message, extra = []] of cases) {
      await writeFile(path(name), text);
      const r = await profile(name, ...extra);
      expect(r.code, name).toBe(2);
      expect(r.err, name).toContain(message);
    }
  });

  it('refuses a bad schema or --labels with a usage error', async () => {
    await writeFile(path('ok.csv'), 'age,plan\n31,pro\n');
    await writeFile(
      path('bad-schema.json'),
      JSON.stringify({ inputs: { x: { kind: 'columns', columns: [] } } }),
    );
    const bad = await cli('profile', path('ok.csv'), '--model', 'm', '--schema', path('bad-schema.json'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Model schema does not match its shape');
    const noSchema = await cli('profile', path('ok.csv'), '--model', 'm', '--labels', 'label');
    expect(noSchema.code).toBe(2);
    expect(noSchema.err).toContain('--labels needs --schema');
    const unknownOutput = await profile('ok.csv', '--labels', 'scores=label');
    expect(unknownOutput.code).toBe(2);
    expect(unknownOutput.err).toContain('"scores", not a classes output of the schema');
    const absent = await cli('profile', path('ok.csv'), '--model', 'm', '--schema', path('none.json'));
    expect(absent.err).toContain('Cannot read the schema file');
  });

  it('without --schema makes one feature per CSV column: numeric, or categorical when a cell is not a number', async () => {
    await writeFile(path('plain.csv'), 'temp,weather\n12.5,rain\n,sun\n3,rain\n');
    const out = path('plain.profile');
    const r = await cli('profile', path('plain.csv'), '--model', 'w', '--out', out);
    expect(r.code).toBe(0);
    const p = await readProfile(out);
    expect(p.inferences).toBe(3);
    expect((p.features.temp as NumericSketch).count).toBe(2);
    expect((p.features.weather as CategoricalSketch).total).toBe(3);
  });
});
