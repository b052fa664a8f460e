import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NamedTensors, TensorData, TensorType } from '../tensor.ts';
import {
  fits,
  packRequest,
  readAnswer,
  readRequest,
  SHARED_RUN_BYTES,
  write,
  writeAnswer,
  writePortAnswer,
} from './shared-run-buffer.ts';

const arrays: Record<TensorType, fc.Arbitrary<TensorData>> = {
  float32: fc.float32Array({ maxLength: 64 }),
  int32: fc.int32Array({ maxLength: 64 }),
  int64: fc.bigInt64Array({ maxLength: 64 }),
  uint8: fc.uint8Array({ maxLength: 64 }),
  bool: fc.uint8Array({ maxLength: 64, max: 1 }),
};

/** Tensors of every type, odd lengths included (so that alignment matters), with or without `type`. */
const tensor = fc.constantFrom(...(Object.keys(arrays) as TensorType[])).chain((type) =>
  fc
    .record({
      data: arrays[type],
      explicit: fc.boolean(),
    })
    .map(({ data, explicit }) => ({
      data,
      dims: [1, data.length],
      ...(explicit || type === 'bool' ? { type } : {}),
    })),
);
const tensors = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), tensor, { maxKeys: 4 });
const meta = fc.record(
  {
    id: fc.string(),
    records: fc.array(fc.record({ totalMs: fc.double({ min: 0, max: 1e4, noNaN: true }) }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const buffer = () => new SharedArrayBuffer(SHARED_RUN_BYTES);

function expectSame(actual: NamedTensors, expected: NamedTensors): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [name, t] of Object.entries(expected)) {
    const a = actual[name]!;
    expect(a.data.constructor).toBe(t.data.constructor);
    expect(Array.from(a.data as ArrayLike<number | bigint>)).toEqual(
      Array.from(t.data as ArrayLike<number | bigint>),
    );
    expect(a.dims).toEqual(t.dims);
    expect(a.type).toBe(t.type);
    // What comes out owns its memory: not a view into the shared buffer.
    expect(a.data.buffer).toBeInstanceOf(ArrayBuffer);
  }
}

describe('shared run buffer', () => {
  it('reads back every request exactly as written (all types, odd lengths, meta)', () => {
    const sab = buffer();
    fc.assert(
      fc.property(fc.nat(), tensors, meta, (id, inputs, m) => {
        const packed = packRequest(id, inputs, m)!;
        expect(fits(sab, packed)).toBe(true);
        write(sab, packed);
        const read = readRequest(sab);
        expect(read.id).toBe(id);
        expect(read.meta).toEqual(m);
        expectSame(read.inputs, inputs);
      }),
    );
  });

  it('reads back every answer: outputs, errors, and the mark for an answer sent on the port', () => {
    const sab = buffer();
    fc.assert(
      fc.property(tensors, (outputs) => {
        expect(writeAnswer(sab, { ok: true, value: outputs })).toBe(true);
        const answer = readAnswer(sab);
        expect(answer !== 'port' && answer.ok).toBe(true);
        if (answer !== 'port' && answer.ok) expectSame(answer.value, outputs);
      }),
    );
    const error = { name: 'InvalidTensorError', code: 'INVALID_TENSOR', message: 'dims do not fit' };
    expect(writeAnswer(sab, { ok: false, error })).toBe(true);
    expect(readAnswer(sab)).toEqual({ ok: false, error });
    writePortAnswer(sab);
    expect(readAnswer(sab)).toBe('port');
  });

  it('keeps a view into a larger buffer to its own elements', () => {
    const sab = buffer();
    const whole = new Float32Array([1, 2, 3, 4, 5, 6]);
    write(sab, packRequest(0, { x: { data: whole.subarray(2, 5), dims: [3] } }, {})!);
    expect(Array.from(readRequest(sab).inputs.x!.data as Float32Array)).toEqual([3, 4, 5]);
  });

  it('says when a call does not fit, or is not made of tensors it carries', () => {
    const sab = buffer();
    const big = { x: { data: new Float32Array(SHARED_RUN_BYTES / 4), dims: [SHARED_RUN_BYTES / 4] } };
    expect(fits(sab, packRequest(0, big, {})!)).toBe(false);
    expect(writeAnswer(sab, { ok: true, value: big })).toBe(false);
    const f64 = { x: { data: new Float64Array(2), dims: [2] } } as unknown as NamedTensors;
    expect(packRequest(0, f64, {})).toBeUndefined();
    expect(packRequest(0, { x: null } as unknown as NamedTensors, {})).toBeUndefined();
  });
});
