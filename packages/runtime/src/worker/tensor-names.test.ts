import { describe, expect, it } from 'vitest';
import { TensorNames } from './tensor-names.ts';

const t = { data: new Float32Array(1), dims: [1] };

describe('TensorNames', () => {
  it('maps page names to model names and back, by position', () => {
    const names = new TensorNames(['dense_input'], ['dense_2'], ['input'], ['probs']);
    expect(names.inputs).toEqual(['input']);
    expect(names.outputs).toEqual(['probs']);
    expect(Object.keys(names.inbound({ input: t }))).toEqual(['dense_input']);
    expect(Object.keys(names.outbound({ dense_2: t }))).toEqual(['probs']);
  });

  it('leaves names alone without aliases', () => {
    const names = new TensorNames(['input'], ['probs']);
    const tensors = { input: t };
    expect(names.inbound(tensors)).toBe(tensors);
    expect(names.outputs).toEqual(['probs']);
  });

  it('gives the backend’s tensor shapes under the page’s names, for the schema check', () => {
    const names = new TensorNames(['dense_input'], ['dense_2'], ['x'], ['probs']);
    expect(
      names.shapes({
        inputs: [{ name: 'dense_input', dims: [-1, 30], type: 'float32' }],
        outputs: [{ name: 'dense_2', dims: [-1, 2], type: 'float32' }],
      }),
    ).toEqual([
      { name: 'x', dims: [-1, 30], type: 'float32' },
      { name: 'probs', dims: [-1, 2], type: 'float32' },
    ]);
  });
});
