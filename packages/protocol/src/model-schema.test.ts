import { describe, expect, test } from 'vitest';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { checkSchemaFits, parseModelSchema } from './model-schema.ts';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return 'none';
}

const issueExample = {
  inputs: {
    x: { kind: 'columns', columns: [{ name: 'age' }, { name: 'plan', labels: ['free', 'pro'] }] },
    emb: { kind: 'embedding' },
    img: { kind: 'image', layout: 'NHWC' },
  },
  outputs: { probs: { kind: 'classes', labels: ['benign', 'malignant'] } },
};

describe('parseModelSchema', () => {
  test('accepts the issue example and fills in embedding defaults', () => {
    const s = parseModelSchema(issueExample);
    expect(s.inputs.emb).toEqual({ kind: 'embedding', projections: 16, seed: 0, rff: 8, bandwidth: 1 });
    expect(s.outputs.probs?.labels).toEqual(['benign', 'malignant']);
    expect(parseModelSchema({})).toEqual({ inputs: {}, outputs: {} });
  });

  test.each([
    ['an unknown kind', { inputs: { x: { kind: 'pixels' } } }, /inputs\.x/],
    ['an image without layout', { inputs: { x: { kind: 'image' } } }, /layout/],
    [
      'duplicate column names',
      { inputs: { x: { kind: 'columns', columns: [{ name: 'a' }, { name: 'a' }] } } },
      /unique/,
    ],
    ['duplicate labels', { outputs: { y: { kind: 'classes', labels: ['a', 'a'] } } }, /unique/],
    ['zero projections', { inputs: { e: { kind: 'embedding', projections: 0 } } }, /projections/],
    ['not an object', 'columns', /Model schema/],
  ])('refuses %s with INVALID_SCHEMA and says where', (_, json, where) => {
    expect(codeOf(() => parseModelSchema(json))).toBe('INVALID_SCHEMA');
    expect(() => parseModelSchema(json)).toThrow(where);
  });

  test('refuses a schema that would record more than LIMITS.maxFeatures features', () => {
    const columns = Array.from({ length: LIMITS.maxFeatures }, (_, i) => ({ name: `c${i}` }));
    const json = { inputs: { x: { kind: 'columns', columns }, e: { kind: 'embedding' } } };
    expect(codeOf(() => parseModelSchema(json))).toBe('INVALID_SCHEMA');
    expect(() => parseModelSchema(json)).toThrow(/features per window/);
  });

  test('refuses feature names longer than the wire allows', () => {
    const json = { inputs: { x: { kind: 'columns', columns: [{ name: 'é'.repeat(64) }] } } };
    expect(() => parseModelSchema({ inputs: { ['t'.repeat(64)]: json.inputs.x } })).toThrow(/UTF-8 bytes/);
  });
});

describe('checkSchemaFits', () => {
  const schema = parseModelSchema(issueExample);
  const tensors = [
    { name: 'x', dims: [-1, 2], type: 'int32' },
    { name: 'emb', dims: [-1, 512], type: 'float32' },
    { name: 'img', dims: [-1, 224, 224, 3], type: 'uint8' },
    { name: 'probs', dims: [-1, 2], type: 'float32' },
  ];

  test('accepts a schema that fits', () => {
    expect(() => checkSchemaFits(schema, tensors)).not.toThrow();
  });

  test.each([
    ['an unknown tensor', tensors.filter((t) => t.name !== 'emb'), /"emb" is not a tensor of the model/],
    [
      'a wrong column count',
      [{ name: 'x', dims: [1, 3], type: 'int32' }, ...tensors.slice(1)],
      /names 2 columns but the tensor's last dim is 3/,
    ],
    [
      'labels on a float column',
      [{ name: 'x', dims: [1, 2], type: 'float32' }, ...tensors.slice(1)],
      /integer label indexes/,
    ],
    [
      'an image of the wrong layout',
      [...tensors.slice(0, 2), { name: 'img', dims: [1, 3, 224, 224] }, tensors[3]!],
      /NHWC image/,
    ],
    ['a 3-D image', [...tensors.slice(0, 2), { name: 'img', dims: [224, 224, 3] }, tensors[3]!], /4-D/],
    [
      'more projections than values',
      [tensors[0]!, { name: 'emb', dims: [1, 8] }, ...tensors.slice(2)],
      /at most 8/,
    ],
    [
      'labels that do not match the classes',
      [...tensors.slice(0, 3), { name: 'probs', dims: [1, 3] }],
      /2 labels but 3 classes/,
    ],
  ])('refuses %s with SCHEMA_MISMATCH', (_, ts, message) => {
    expect(codeOf(() => checkSchemaFits(schema, ts))).toBe('SCHEMA_MISMATCH');
    expect(() => checkSchemaFits(schema, ts)).toThrow(message);
  });

  test('a binary output of one value per row has two classes', () => {
    expect(() =>
      checkSchemaFits(schema, [...tensors.slice(0, 3), { name: 'probs', dims: [-1, 1] }]),
    ).not.toThrow();
  });

  test('counts the features of unnamed tensors and of unlabelled classes against the cap', () => {
    const s = parseModelSchema({ outputs: { y: { kind: 'classes' } } });
    expect(codeOf(() => checkSchemaFits(s, [{ name: 'y', dims: [1, 600] }]))).toBe('INVALID_SCHEMA');
    const many = Array.from({ length: 146 }, (_, i) => ({ name: `t${i}`, dims: [1, 4] }));
    expect(() => checkSchemaFits(parseModelSchema({}), many)).not.toThrow();
    expect(
      codeOf(() => checkSchemaFits(parseModelSchema({}), [...many, { name: 'one-more', dims: [1] }])),
    ).toBe('INVALID_SCHEMA');
    // An unnamed float tensor may be a probability output: its 3 class features count too.
    const probs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `p${i}`, dims: [1, 10], type: 'float32' }));
    expect(() => checkSchemaFits(parseModelSchema({}), probs(102))).not.toThrow();
    expect(codeOf(() => checkSchemaFits(parseModelSchema({}), probs(103)))).toBe('INVALID_SCHEMA');
  });
});
