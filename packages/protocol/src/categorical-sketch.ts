import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';

/** Options of a {@link CategoricalSketch}. */
export interface CategoricalSketchOptions {
  /** Most distinct labels kept; the rest are counted under {@link OTHER_LABEL}. Default 64. */
  maxLabels?: number;
  /** Labels are cut to this many UTF-16 code units (never inside a surrogate pair). Default 64. */
  maxLabelLength?: number;
}

/** The plain data of a categorical sketch, as encoded on the wire. */
export interface CategoricalSketchState {
  maxLabels: number;
  maxLabelLength: number;
  /** Kept labels and their counts, labels in ascending code-unit order. */
  labels: Array<[string, number]>;
  other: number;
}

/** The label under which overflowed (and literally `"__other__"`) values are counted. */
export const OTHER_LABEL = '__other__';
export const DEFAULT_MAX_LABELS = 64;
export const DEFAULT_MAX_LABEL_LENGTH = 64;

function cut(label: string, max: number): string {
  if (label.length <= max) return label;
  const code = label.charCodeAt(max - 1);
  return label.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * Counts per label with hard caps on distinct labels and label length, so no input can grow it
 * without bound or carry raw text off the device.
 *
 * Which labels are kept depends only on the set of labels seen, never on arrival order: the
 * `maxLabels` labels that sort first (by UTF-16 code units) are kept and every other value is
 * counted under {@link OTHER_LABEL}. That makes merge exact (equal to the sketch of the
 * concatenated data), associative and commutative, which a frequency-based top-K cannot be.
 * Below the cap (the usual case: class labels, device segments) every count is exact.
 *
 * @example
 * const c = new CategoricalSketch();
 * c.add('cat'); c.add('dog', 3);
 * c.counts(); // Map { 'cat' => 1, 'dog' => 3 }
 */
export class CategoricalSketch {
  readonly maxLabels: number;
  readonly maxLabelLength: number;
  private readonly map = new Map<string, number>();
  private other = 0;
  private sum = 0;
  /** Largest kept label, cached while the sketch is full. */
  private largest: string | undefined;

  constructor(opts: CategoricalSketchOptions = {}) {
    const maxLabels = opts.maxLabels ?? DEFAULT_MAX_LABELS;
    const maxLabelLength = opts.maxLabelLength ?? DEFAULT_MAX_LABEL_LENGTH;
    if (!Number.isInteger(maxLabels) || maxLabels < 1 || maxLabels > LIMITS.maxLabels) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `CategoricalSketch maxLabels must be an integer from 1 to ${LIMITS.maxLabels}, got ${maxLabels}.`,
      );
    }
    if (!Number.isInteger(maxLabelLength) || maxLabelLength < 2 || maxLabelLength > LIMITS.maxLabelLength) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `CategoricalSketch maxLabelLength must be an integer from 2 to ${LIMITS.maxLabelLength}, got ${maxLabelLength}.`,
      );
    }
    this.maxLabels = maxLabels;
    this.maxLabelLength = maxLabelLength;
  }

  /** Everything counted, kept labels and "other" together. */
  get total(): number {
    return this.sum;
  }

  /** Count under {@link OTHER_LABEL}. */
  get otherCount(): number {
    return this.other;
  }

  /** Counts `label` `n` times (n a non-negative integer, default 1). */
  add(label: string, n = 1): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `CategoricalSketch.add needs a non-negative integer count, got ${n}.`,
      );
    }
    if (n === 0) return;
    this.sum += n;
    const text = String(label);
    const key = cut(text, this.maxLabelLength);
    if (text === OTHER_LABEL || key === OTHER_LABEL) {
      this.other += n;
      return;
    }
    const had = this.map.get(key);
    if (had !== undefined) {
      this.map.set(key, had + n);
      return;
    }
    if (this.map.size < this.maxLabels) {
      this.map.set(key, n);
      this.largest = undefined;
      return;
    }
    const largest = this.largestKept();
    if (key < largest) {
      this.other += this.map.get(largest)!;
      this.map.delete(largest);
      this.map.set(key, n);
      this.largest = undefined;
    } else {
      this.other += n;
    }
  }

  private largestKept(): string {
    if (this.largest === undefined) {
      let max = '';
      for (const k of this.map.keys()) if (k > max) max = k;
      this.largest = max;
    }
    return this.largest;
  }

  /** Adds everything `other` counted into this sketch; exact. Returns `this`. */
  merge(other: CategoricalSketch): this {
    if (other.maxLabels !== this.maxLabels || other.maxLabelLength !== this.maxLabelLength) {
      throw new ProtocolError(
        'SKETCH_MISMATCH',
        `Cannot merge categorical sketches with different caps (maxLabels ${this.maxLabels} vs ${other.maxLabels}, maxLabelLength ${this.maxLabelLength} vs ${other.maxLabelLength}); build both with the same options.`,
      );
    }
    for (const [k, c] of other.map) this.add(k, c);
    this.other += other.other;
    this.sum += other.other;
    return this;
  }

  /** Counts per kept label, in ascending label order, then {@link OTHER_LABEL} when non-zero. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const k of [...this.map.keys()].sort(compareLabels)) out.set(k, this.map.get(k)!);
    if (this.other > 0) out.set(OTHER_LABEL, this.other);
    return out;
  }

  clone(): CategoricalSketch {
    const copy = new CategoricalSketch({ maxLabels: this.maxLabels, maxLabelLength: this.maxLabelLength });
    for (const [k, c] of this.map) copy.map.set(k, c);
    copy.other = this.other;
    copy.sum = this.sum;
    return copy;
  }

  /** The sketch as plain data (what the encoding writes). */
  toState(): CategoricalSketchState {
    const labels = [...this.map.keys()]
      .sort(compareLabels)
      .map((k): [string, number] => [k, this.map.get(k)!]);
    return { maxLabels: this.maxLabels, maxLabelLength: this.maxLabelLength, labels, other: this.other };
  }

  /**
   * Rebuilds a sketch from plain data, checking caps, order and counts. Throws `DECODE_INVALID` or
   * `DECODE_TOO_LARGE`.
   */
  static fromState(state: CategoricalSketchState): CategoricalSketch {
    const invalid = (why: string): never => {
      throw new ProtocolError('DECODE_INVALID', `Categorical sketch is inconsistent: ${why}.`);
    };
    let sketch: CategoricalSketch;
    try {
      sketch = new CategoricalSketch({ maxLabels: state.maxLabels, maxLabelLength: state.maxLabelLength });
    } catch (cause) {
      throw new ProtocolError('DECODE_INVALID', 'Categorical sketch caps are out of range.', { cause });
    }
    if (state.labels.length > state.maxLabels) {
      throw new ProtocolError('DECODE_TOO_LARGE', 'A categorical sketch has more labels than its maxLabels.');
    }
    let prev: string | undefined;
    let sum = state.other;
    if (!Number.isSafeInteger(state.other) || state.other < 0)
      invalid('"other" count is not a non-negative integer');
    for (const [label, c] of state.labels) {
      if (prev !== undefined && !(prev < label)) invalid('labels are not strictly ascending');
      if (label.length > state.maxLabelLength) invalid('a label is longer than maxLabelLength');
      if (label === OTHER_LABEL) invalid(`"${OTHER_LABEL}" appears as a kept label`);
      if (!Number.isSafeInteger(c) || c <= 0) invalid('a label count is not a positive integer');
      sketch.map.set(label, c);
      sum += c;
      prev = label;
    }
    if (!Number.isSafeInteger(sum)) invalid('total count overflows');
    sketch.other = state.other;
    sketch.sum = sum;
    return sketch;
  }
}

function compareLabels(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
