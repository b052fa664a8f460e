import { ProtocolError } from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { InvalidSchemaError, SchemaMismatchError } from '../errors.ts';
import { checkOptions } from '../options.ts';
import { workerInitFrom } from '../worker/worker-init.ts';
import { checkSchemaFitsModel, parseSchema } from './runtime-schema.ts';

const model = { url: 'http://h/models/tabular/1.0.0/model.onnx', format: 'onnx' as const };
const columns = (n: number) => ({
  inputs: {
    x: { kind: 'columns' as const, columns: Array.from({ length: n }, (_, k) => ({ name: `c${k}` })) },
  },
  outputs: { probs: { kind: 'classes' as const, labels: ['no', 'yes'] } },
});
const tensors = [
  { name: 'x', dims: [-1, 3], type: 'float32' },
  { name: 'probs', dims: [-1, 2], type: 'float32' },
];

describe('the schema option', () => {
  it('is checked up front: a malformed schema is INVALID_SCHEMA naming the path to fix', () => {
    const bad = { model, schema: { inputs: { x: { kind: 'columns', columns: [{ name: '' }] } } } };
    expect(() => checkOptions(bad as never)).toThrow(InvalidSchemaError);
    expect(() => checkOptions(bad as never)).toThrow(/inputs\.x\.columns\.0\.name/);
    try {
      checkOptions(bad as never);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_SCHEMA', name: 'InvalidSchemaError' });
      expect((error as Error).cause).toBeInstanceOf(ProtocolError);
    }
  });

  it('goes to the worker with its defaults filled in', () => {
    const init = workerInitFrom({ model, schema: { inputs: { emb: { kind: 'embedding' } } } });
    expect(init.model.schema).toEqual({
      inputs: { emb: { kind: 'embedding', projections: 16, seed: 0, rff: 8, bandwidth: 1 } },
      outputs: {},
    });
    expect(workerInitFrom({ model }).model).not.toHaveProperty('schema');
  });

  it('is refused for a model given by name, whose versions carry their own schema', () => {
    const named = { model: 'tabular', collector: 'http://c', appKey: 'k', schema: columns(3) };
    expect(() => checkOptions(named)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/comes from its manifest/),
      }),
    );
    expect(() => checkOptions({ ...named, schema: undefined })).not.toThrow();
  });
});

describe('checkSchemaFitsModel', () => {
  it('accepts a schema that fits and refuses one that does not with SCHEMA_MISMATCH', () => {
    expect(() => checkSchemaFitsModel(parseSchema(columns(3)), tensors)).not.toThrow();
    expect(() => checkSchemaFitsModel(parseSchema(columns(2)), tensors)).toThrow(SchemaMismatchError);
    expect(() => checkSchemaFitsModel(parseSchema(columns(2)), tensors)).toThrow(
      /names 2 columns but the tensor's last dim is 3/,
    );
    const renamed = [{ ...tensors[0]!, name: 'input' }, tensors[1]!];
    expect(() => checkSchemaFitsModel(parseSchema(columns(3)), renamed)).toThrow(
      expect.objectContaining({
        code: 'SCHEMA_MISMATCH',
        message: expect.stringMatching(/tensors: input, probs/),
      }),
    );
  });

  it('refuses a schema that with the model’s other tensors exceeds the feature cap with INVALID_SCHEMA', () => {
    const many = Array.from({ length: 150 }, (_, k) => ({ name: `t${k}`, dims: [1, 4], type: 'float32' }));
    expect(() => checkSchemaFitsModel(parseSchema(columns(3)), [...tensors, ...many])).toThrow(
      InvalidSchemaError,
    );
  });
});
