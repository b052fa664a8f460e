import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { onnxTensors } from './onnx-tensors.ts';

// A tiny protobuf writer for hand-made graphs: field keys, varints and length-delimited values.
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
};
const len = (no: number, body: number[] | string): number[] => {
  const bytes = typeof body === 'string' ? [...new TextEncoder().encode(body)] : body;
  return [...varint(no * 8 + 2), ...varint(bytes.length), ...bytes];
};
const num = (no: number, n: number): number[] => [...varint(no * 8), ...varint(n)];
const valueInfo = (name: string, elem: number, dims: (number | string)[]) =>
  len(1, name).concat(
    len(
      2,
      len(
        1,
        num(1, elem).concat(
          len(
            2,
            dims.flatMap((d) => len(1, typeof d === 'number' ? num(1, d) : len(2, d))),
          ),
        ),
      ),
    ),
  );

describe('onnxTensors', () => {
  it('reads the real digit model: one float input [N, 784] and the probs output', async () => {
    const bytes = await readFile(
      new URL('../../../../demo/public/models/digits/1.0.0/model.onnx', import.meta.url),
    );
    expect(onnxTensors(bytes)).toEqual({
      inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 784] }],
      outputs: [{ name: 'probs', dtype: 'float32', shape: ['N', 10] }],
    });
  });

  it('leaves out inputs that are initializers, keeps named, fixed and unknown dims', () => {
    const weight = len(5, len(8, 'w')); // GraphProto.initializer { name: "w" }
    const graph = [
      ...weight,
      ...len(11, valueInfo('x', 7, ['batch', 30])),
      ...len(11, valueInfo('w', 1, [30, 2])),
      ...len(12, valueInfo('y', 1, [''])), // a dim with neither value nor name
    ];
    const model = new Uint8Array([...num(1, 8), ...len(7, graph)]); // ir_version 8, graph
    expect(onnxTensors(model)).toEqual({
      inputs: [{ name: 'x', dtype: 'int64', shape: ['batch', 30] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [-1] }],
    });
  });

  it('answers null for bytes that are not an ONNX model', () => {
    expect(onnxTensors(new TextEncoder().encode('{"format":"layers-model"}'))).toBeNull();
    expect(onnxTensors(new Uint8Array([0x3a, 0x05, 0x01]))).toBeNull(); // truncated graph field
    expect(onnxTensors(new Uint8Array())).toBeNull();
  });
});
