import { readBinStore, writeBins } from './bin-runs.ts';
import { BinStore } from './bin-store.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { CategoricalSketch } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { DEFAULT_ALPHA, DEFAULT_MAX_BINS, NumericSketch } from './numeric-sketch.ts';
import { createProfile, type Profile } from './profile.ts';

/** First byte of every encoded profile. */
export const PROFILE_FORMAT_VERSION = 1;

const KIND_NUMERIC = 0;
const KIND_CATEGORICAL = 1;

// Flags byte of a numeric sketch: what follows, so that common sketches cost few bytes.
const F_DEFAULT_ALPHA = 1;
const F_DEFAULT_MAX_BINS = 2;
const F_SPECIAL_COUNTS = 4;
const F_POSITIVE = 8;
const F_NEGATIVE = 16;
const F_MINMAX_F32 = 32;
const F_ALL = 63;

function writeNumeric(w: ByteWriter, s: NumericSketch): void {
  const st = s.toState();
  const special = st.zeroCount + st.nanCount + st.posInfCount + st.negInfCount > 0;
  const hasBins = st.positive.length > 0 || st.negative.length > 0;
  const f32 = hasBins && Math.fround(st.min) === st.min && Math.fround(st.max) === st.max;
  w.byte(
    (st.alpha === DEFAULT_ALPHA ? F_DEFAULT_ALPHA : 0) |
      (st.maxBins === DEFAULT_MAX_BINS ? F_DEFAULT_MAX_BINS : 0) |
      (special ? F_SPECIAL_COUNTS : 0) |
      (st.positive.length > 0 ? F_POSITIVE : 0) |
      (st.negative.length > 0 ? F_NEGATIVE : 0) |
      (f32 ? F_MINMAX_F32 : 0),
  );
  if (st.alpha !== DEFAULT_ALPHA) {
    // alpha as millionths when exact, else 0 and the float64.
    const micros = Math.round(st.alpha * 1e6);
    if (micros > 0 && micros / 1e6 === st.alpha) w.varint(micros);
    else {
      w.varint(0);
      w.f64(st.alpha);
    }
  }
  if (st.maxBins !== DEFAULT_MAX_BINS) w.varint(st.maxBins);
  if (special) {
    w.varint(st.zeroCount);
    w.varint(st.nanCount);
    w.varint(st.posInfCount);
    w.varint(st.negInfCount);
  }
  if (st.positive.length > 0) writeBins(w, st.positive);
  if (st.negative.length > 0) writeBins(w, st.negative);
  // Moments only when some value is non-zero: for zeros alone they are all 0.
  if (hasBins) {
    w.f64(st.sum);
    if (f32) {
      w.f32(st.min);
      w.f32(st.max);
    } else {
      w.f64(st.min);
      w.f64(st.max);
    }
    w.f64(st.m2);
  }
}

function readNumeric(r: ByteReader): NumericSketch {
  const flags = r.byte('numeric flags');
  if ((flags & ~F_ALL) !== 0)
    throw new ProtocolError('DECODE_INVALID', `Numeric sketch flags ${flags} are unknown.`);
  let alpha = DEFAULT_ALPHA;
  if (!(flags & F_DEFAULT_ALPHA)) {
    const micros = r.varint('alpha');
    alpha = micros === 0 ? r.f64('alpha') : micros / 1e6;
  }
  const maxBins = flags & F_DEFAULT_MAX_BINS ? DEFAULT_MAX_BINS : r.count('maxBins', LIMITS.maxBins);
  const special = (flags & F_SPECIAL_COUNTS) !== 0;
  const zeroCount = special ? r.varint('zero count') : 0;
  const nanCount = special ? r.varint('NaN count') : 0;
  const posInfCount = special ? r.varint('+Infinity count') : 0;
  const negInfCount = special ? r.varint('-Infinity count') : 0;
  const positive = flags & F_POSITIVE ? readBinStore(r, maxBins) : new BinStore(maxBins);
  const negative = flags & F_NEGATIVE ? readBinStore(r, maxBins) : new BinStore(maxBins);
  let sum = 0;
  let min = 0;
  let max = 0;
  let m2 = 0;
  let mean = 0;
  if (positive.total > 0 || negative.total > 0) {
    sum = r.f64('sum');
    min = flags & F_MINMAX_F32 ? r.f32('min') : r.f64('min');
    max = flags & F_MINMAX_F32 ? r.f32('max') : r.f64('max');
    m2 = r.f64('m2');
    mean = sum / (zeroCount + positive.total + negative.total);
  } else if (flags & (F_POSITIVE | F_NEGATIVE | F_MINMAX_F32)) {
    throw new ProtocolError('DECODE_INVALID', 'Numeric sketch flags announce bins that are not there.');
  }
  return NumericSketch.fromParts({
    alpha,
    maxBins,
    zeroCount,
    nanCount,
    posInfCount,
    negInfCount,
    positive,
    negative,
    sum,
    min,
    max,
    mean,
    m2,
  });
}

function writeCategorical(w: ByteWriter, s: CategoricalSketch): void {
  const st = s.toState();
  w.varint(st.maxLabels);
  w.varint(st.maxLabelLength);
  w.varint(st.labels.length);
  for (const [label, c] of st.labels) {
    w.string(label);
    w.varint(c);
  }
  w.varint(st.other);
}

function readCategorical(r: ByteReader): CategoricalSketch {
  const maxLabels = r.count('maxLabels', LIMITS.maxLabels);
  const maxLabelLength = r.count('maxLabelLength', LIMITS.maxLabelLength);
  const n = r.count('label count', maxLabels);
  const labels: Array<[string, number]> = [];
  for (let i = 0; i < n; i++) labels.push([r.string('label', maxLabelLength * 3), r.varint('label count')]);
  return CategoricalSketch.fromState({ maxLabels, maxLabelLength, labels, other: r.varint('other count') });
}

function sortedEntries<T>(record: Record<string, T>): Array<[string, T]> {
  return Object.keys(record)
    .sort()
    .map((k): [string, T] => [k, record[k]!]);
}

/**
 * Encodes a profile as compact, versioned binary: byte 0 is {@link PROFILE_FORMAT_VERSION}, then
 * varint inferences and errors, the latency sketches and the features, names in sorted order so
 * that equal profiles encode to equal bytes. See docs/protocol.md for the layout.
 *
 * @example
 * const text = toBase64(encodeProfile(profile));
 */
export function encodeProfile(p: Profile): Uint8Array {
  const latency = sortedEntries(p.latency);
  const features = sortedEntries(p.features);
  if (latency.length > LIMITS.maxLatencyStages || features.length > LIMITS.maxFeatures) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `A profile holds at most ${LIMITS.maxLatencyStages} latency stages and ${LIMITS.maxFeatures} features; record fewer.`,
    );
  }
  for (const [k, n] of [
    ['inferences', p.inferences],
    ['errors', p.errors],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ProtocolError('INVALID_ARGUMENT', `Profile ${k} must be a non-negative integer, got ${n}.`);
    }
  }
  let span = 0;
  for (const s of [...Object.values(p.latency), ...Object.values(p.features)]) {
    if (s instanceof NumericSketch) span += s.binSpan;
  }
  if (span > LIMITS.maxDecodedBins) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `Profile bins span ${span} indexes in all, above the ${LIMITS.maxDecodedBins} cap; use fewer features or a smaller maxBins.`,
    );
  }
  const w = new ByteWriter();
  w.byte(PROFILE_FORMAT_VERSION);
  w.varint(p.inferences);
  w.varint(p.errors);
  w.varint(latency.length);
  for (const [name, s] of latency) {
    if (!(s instanceof NumericSketch)) throw notASketch(`latency "${name}"`);
    writeName(w, name);
    writeNumeric(w, s);
  }
  w.varint(features.length);
  for (const [name, s] of features) {
    writeName(w, name);
    if (s instanceof NumericSketch) {
      w.byte(KIND_NUMERIC);
      writeNumeric(w, s);
    } else if (s instanceof CategoricalSketch) {
      w.byte(KIND_CATEGORICAL);
      writeCategorical(w, s);
    } else throw notASketch(`feature "${name}"`);
  }
  const bytes = w.finish();
  if (bytes.length > LIMITS.maxProfileBytes) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `Encoded profile is ${bytes.length} bytes, above the ${LIMITS.maxProfileBytes}-byte cap; use fewer features or bins.`,
    );
  }
  return bytes;
}

function notASketch(what: string): ProtocolError {
  return new ProtocolError(
    'INVALID_ARGUMENT',
    `Profile ${what} is not a NumericSketch or CategoricalSketch. Sketches lose their class through structuredClone or postMessage: send encodeProfile(profile) bytes instead and decode them on the other side.`,
  );
}

function writeName(w: ByteWriter, name: string): void {
  if (w.string(name) > LIMITS.maxNameBytes) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `Name "${name.slice(0, 32)}…" is longer than ${LIMITS.maxNameBytes} UTF-8 bytes; use a shorter name.`,
    );
  }
}

/**
 * Decodes bytes written by {@link encodeProfile}. Every length is checked against the remaining
 * bytes and the hard caps in {@link LIMITS}; any problem throws a `ProtocolError` with code
 * `DECODE_VERSION`, `DECODE_TRUNCATED`, `DECODE_TOO_LARGE` or `DECODE_INVALID`, never anything else.
 */
export function decodeProfile(bytes: Uint8Array): Profile {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError('DECODE_INVALID', 'decodeProfile expects a Uint8Array.');
  }
  if (bytes.length > LIMITS.maxProfileBytes) {
    throw new ProtocolError(
      'DECODE_TOO_LARGE',
      `Encoded profile is ${bytes.length} bytes, above the ${LIMITS.maxProfileBytes}-byte cap.`,
    );
  }
  const r = new ByteReader(bytes);
  const version = r.byte('format version');
  if (version !== PROFILE_FORMAT_VERSION) {
    throw new ProtocolError(
      'DECODE_VERSION',
      `Encoded profile has format version ${version}; this build reads version ${PROFILE_FORMAT_VERSION}. Upgrade @driftline/protocol on the reading side.`,
    );
  }
  const p = createProfile();
  p.inferences = r.varint('inference count');
  p.errors = r.varint('error count');
  const stages = r.count('latency stage count', LIMITS.maxLatencyStages);
  for (let i = 0; i < stages; i++) {
    const name = readName(r, p.latency);
    p.latency[name] = readNumeric(r);
  }
  const features = r.count('feature count', LIMITS.maxFeatures);
  for (let i = 0; i < features; i++) {
    const name = readName(r, p.features);
    const kind = r.byte('feature kind');
    if (kind === KIND_NUMERIC) p.features[name] = readNumeric(r);
    else if (kind === KIND_CATEGORICAL) p.features[name] = readCategorical(r);
    else throw new ProtocolError('DECODE_INVALID', `Feature "${name}" has unknown kind ${kind}.`);
  }
  if (r.remaining > 0) {
    throw new ProtocolError(
      'DECODE_INVALID',
      `${r.remaining} unexpected bytes after the end of the profile.`,
    );
  }
  return p;
}

function readName(r: ByteReader, seen: Record<string, unknown>): string {
  const name = r.string('name', LIMITS.maxNameBytes);
  if (name in seen) throw new ProtocolError('DECODE_INVALID', `Name "${name}" appears twice.`);
  return name;
}
