import { InvalidTensorError } from './errors.ts';

/** Element types a {@link Tensor} may hold. `bool` is stored one byte per element (0 or 1). */
export type TensorType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

/** The typed arrays a {@link Tensor} may carry. `int64` uses `BigInt64Array`. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * A backend-neutral tensor: the same plain object for ONNX and TF.js, so a page never touches ORT
 * or TF.js types. `type` is inferred from `data` when left out (`Uint8Array` means `uint8`; pass
 * `type: 'bool'` for booleans).
 *
 * @example
 * const input: Tensor = { data: new Float32Array(784), dims: [1, 784] };
 */
export interface Tensor {
  data: TensorData;
  dims: readonly number[];
  type?: TensorType;
}

/** Named tensors, as models take and give them. */
export type NamedTensors = Record<string, Tensor>;

/** The element type of `tensor`, from its `type` or else its array class. */
export function tensorType(tensor: Tensor): TensorType {
  if (tensor.type) return tensor.type;
  const { data } = tensor;
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  throw new InvalidTensorError(
    'Tensor data must be a Float32Array, Int32Array, BigInt64Array or Uint8Array.',
  );
}

const arrayFor: Record<TensorType, new (...args: never[]) => TensorData> = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * Checks one named tensor and returns it with an explicit `type`.
 * @throws InvalidTensorError when the array class, dims or element count do not fit together.
 */
export function checkTensor(name: string, tensor: Tensor): Tensor & { type: TensorType } {
  if (!tensor || typeof tensor !== 'object' || !ArrayBuffer.isView(tensor.data)) {
    throw new InvalidTensorError(`Input "${name}" must be { data: TypedArray, dims: number[] }.`);
  }
  const type = tensorType(tensor);
  if (!(tensor.data instanceof arrayFor[type])) {
    throw new InvalidTensorError(
      `Input "${name}" says type "${type}" but holds a ${tensor.data.constructor.name}; use a ${arrayFor[type].name}.`,
    );
  }
  if (!Array.isArray(tensor.dims) || tensor.dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidTensorError(`Input "${name}" needs dims as an array of non-negative integers.`);
  }
  const size = tensor.dims.reduce((a, b) => a * b, 1);
  if (size !== tensor.data.length) {
    throw new InvalidTensorError(
      `Input "${name}" has ${tensor.data.length} elements but dims [${tensor.dims.join(', ')}] need ${size}.`,
    );
  }
  return { data: tensor.data, dims: [...tensor.dims], type };
}

/**
 * The buffers of `tensors` that can be transferred without surprising the caller: each one only
 * once, never a SharedArrayBuffer, and only when the array views its whole buffer (a view into a
 * larger buffer is copied instead, so the rest of that buffer stays usable).
 */
export function transferables(tensors: NamedTensors): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  const out: ArrayBuffer[] = [];
  for (const { data } of Object.values(tensors)) {
    const buffer = data.buffer;
    if (seen.has(buffer)) continue;
    seen.add(buffer);
    if (!(buffer instanceof ArrayBuffer)) continue;
    if (data.byteOffset !== 0 || data.byteLength !== buffer.byteLength) continue;
    out.push(buffer);
  }
  return out;
}

/** A deep copy of `tensors`, for callers that keep using their inputs after `run`. */
export function copyTensors(tensors: NamedTensors): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, t] of Object.entries(tensors)) {
    out[name] = { ...t, data: t.data.slice() as TensorData, dims: [...t.dims] };
  }
  return out;
}
