import { ProtocolError } from './errors.ts';
import { numericFeature, type Profile } from './profile.ts';
import { readNumber, rowsOf, type TensorLike } from './tensor.ts';

/** Suffixes of the features {@link summarizeTensor} records, one value per row each. */
export const TENSOR_FEATURES = ['mean', 'std', 'min', 'max', 'nan', 'inf', 'zeros'] as const;

/**
 * Records the default features of a tensor into `profile`, one value per row (per sample of the
 * batch), in one pass over the data:
 *
 * | feature | value per row |
 * | --- | --- |
 * | `<name>.mean`, `<name>.std` | mean and population standard deviation of the finite elements (NaN when none) |
 * | `<name>.min`, `<name>.max` | smallest and largest finite element (NaN when none) |
 * | `<name>.nan` | number of NaN elements |
 * | `<name>.inf` | number of ±Infinity elements |
 * | `<name>.zeros` | fraction of elements that are exactly zero |
 *
 * @example
 * summarizeTensor(profile, 'input', { data: pixels, dims: [1, 784] });
 */
export function summarizeTensor(profile: Profile, name: string, tensor: TensorLike): void {
  const { data } = tensor;
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    throw new ProtocolError('INVALID_ARGUMENT', `summarizeTensor("${name}") needs a tensor { data, dims }.`);
  }
  const { rows, width } = rowsOf(tensor);
  const mean = numericFeature(profile, `${name}.mean`);
  const std = numericFeature(profile, `${name}.std`);
  const min = numericFeature(profile, `${name}.min`);
  const max = numericFeature(profile, `${name}.max`);
  const nan = numericFeature(profile, `${name}.nan`);
  const inf = numericFeature(profile, `${name}.inf`);
  const zeros = numericFeature(profile, `${name}.zeros`);
  const plain = typeof data[0] !== 'bigint';
  const arr = data as ArrayLike<number>;
  for (let r = 0; r < rows; r++) {
    let finite = 0;
    let nans = 0;
    let infs = 0;
    let zeroCount = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    // Sums shifted by the first finite element keep the variance accurate in one pass.
    let shift = Number.NaN;
    let s1 = 0;
    let s2 = 0;
    const end = (r + 1) * width;
    for (let i = r * width; i < end; i++) {
      const x = plain ? arr[i]! : readNumber(data, i);
      if (x - x !== 0) {
        if (Number.isNaN(x)) nans++;
        else infs++;
        continue;
      }
      if (finite === 0) shift = x;
      finite++;
      if (x === 0) zeroCount++;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      const d = x - shift;
      s1 += d;
      s2 += d * d;
    }
    if (finite > 0) {
      const m = s1 / finite;
      mean.add(shift + m);
      std.add(Math.sqrt(Math.max(0, s2 / finite - m * m)));
      min.add(lo);
      max.add(hi);
    } else {
      mean.add(Number.NaN);
      std.add(Number.NaN);
      min.add(Number.NaN);
      max.add(Number.NaN);
    }
    nan.add(nans);
    inf.add(infs);
    zeros.add(width === 0 ? 0 : zeroCount / width);
  }
}
