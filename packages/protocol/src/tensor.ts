/** Numeric element storage of a tensor: any typed array, 64-bit integer arrays included. */
export type TensorData = ArrayLike<number> | BigInt64Array | BigUint64Array;

/**
 * The tensor shape the summarizers read: ONNX Runtime's and TF.js's `{ data, dims }` (TF.js calls
 * them `dataSync()` and `shape`). A tensor with two or more dims is read as `dims[0]` rows, one per
 * sample of the batch; one with fewer dims as a single row.
 */
export interface TensorLike {
  data: TensorData;
  dims: readonly number[];
}

/** Rows of a tensor: how many, and elements per row. Throws nothing; a shape that does not divide is one row. */
export function rowsOf(t: TensorLike): { rows: number; width: number } {
  const n = t.data.length;
  const first = t.dims[0] ?? 1;
  if (t.dims.length >= 2 && first >= 1 && n % first === 0) return { rows: first, width: n / first };
  return { rows: n === 0 ? 0 : 1, width: n };
}

/** Reads element `i` as a number (64-bit integers are converted, losing precision above 2^53). */
export function readNumber(data: TensorData, i: number): number {
  return Number(data[i]!);
}
