import type { TensorInfo } from '@driftline/protocol';

/** ONNX `TensorProto.DataType` numbers, as the runtimes name them. */
const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** A protobuf field: its number and either a varint or the bytes of a length-delimited value. */
type Field = { no: number; varint?: number; bytes?: Uint8Array };

class NotOnnx extends Error {}

/** The top-level fields of one protobuf message (wire types 0, 1, 2 and 5; groups are refused). */
function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new NotOnnx('truncated varint');
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 0x80;
    }
    throw new NotOnnx('varint longer than 10 bytes');
  };
  while (pos < bytes.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ no, varint: varint() });
    else if (wire === 1 || wire === 5) pos += wire === 1 ? 8 : 4;
    else if (wire === 2) {
      const n = varint();
      if (pos + n > bytes.length) throw new NotOnnx('truncated field');
      out.push({ no, bytes: bytes.subarray(pos, pos + n) });
      pos += n;
    } else throw new NotOnnx(`wire type ${wire}`);
    if (pos > bytes.length) throw new NotOnnx('truncated field');
  }
  return out;
}

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : '');
const sub = (fs: Field[], no: number) => fs.filter((f) => f.no === no && f.bytes).map((f) => f.bytes!);

/** `ValueInfoProto` → name, element type and dims (a named dim such as `batch` as its name). */
function valueInfo(bytes: Uint8Array): TensorInfo {
  const fs = fields(bytes);
  const info: TensorInfo = { name: text(sub(fs, 1)[0]) };
  const type = sub(fs, 2)[0];
  const tensor = type ? sub(fields(type), 1)[0] : undefined; // TypeProto.tensor_type
  if (!tensor) return info;
  const tf = fields(tensor);
  const elem = tf.find((f) => f.no === 1)?.varint;
  if (elem !== undefined && ELEMENT_TYPES[elem]) info.dtype = ELEMENT_TYPES[elem];
  const shape = sub(tf, 2)[0];
  if (shape) {
    info.shape = sub(fields(shape), 1).map((d) => {
      const df = fields(d);
      const value = df.find((f) => f.no === 1)?.varint;
      if (value !== undefined) return value;
      const param = text(sub(df, 2)[0]);
      return param === '' ? -1 : param;
    });
  }
  return info;
}

/**
 * The graph inputs and outputs of an ONNX model (`ModelProto.graph`), read straight from its
 * protobuf bytes; inputs that are initializers (weights listed as inputs by older exporters) are
 * left out. Answers null when the bytes are not an ONNX model.
 */
export function onnxTensors(bytes: Uint8Array): { inputs: TensorInfo[]; outputs: TensorInfo[] } | null {
  try {
    const graph = sub(fields(bytes), 7)[0];
    if (!graph) return null;
    const gf = fields(graph);
    const initializers = new Set(sub(gf, 5).map((t) => text(sub(fields(t), 8)[0])));
    const inputs = sub(gf, 11)
      .map(valueInfo)
      .filter((t) => !initializers.has(t.name));
    const outputs = sub(gf, 12).map(valueInfo);
    if (outputs.length === 0 || [...inputs, ...outputs].some((t) => t.name === '')) return null;
    return { inputs, outputs };
  } catch (err) {
    if (err instanceof NotOnnx) return null;
    throw err;
  }
}
