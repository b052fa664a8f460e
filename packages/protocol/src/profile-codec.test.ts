import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fromBase64 } from './base64.ts';
import { CategoricalSketch } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import { NumericSketch } from './numeric-sketch.ts';
import {
  categoricalFeature,
  cloneProfile,
  createProfile,
  latencySketch,
  mergeProfileInto,
  mergeProfiles,
  numericFeature,
  type Profile,
} from './profile.ts';
import { decodeProfile, encodeProfile, PROFILE_FORMAT_VERSION } from './profile-codec.ts';
import { GOLDEN_PROFILE_V1 } from './testing/golden-profile-v1.ts';

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6 }),
  fc.constantFrom(0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e-20),
);
const sample = fc.record({
  x: fc.array(value, { maxLength: 8 }),
  label: fc.constantFrom('0', '1', '2', 'cat', 'ünï'),
  ms: fc.double({ min: 0, max: 5000, noNaN: true }),
  ok: fc.boolean(),
});
const window = fc.array(sample, { maxLength: 20 });

/** A profile the way the runtime builds one, from generated inferences. */
function profileOf(samples: Array<{ x: number[]; label: string; ms: number; ok: boolean }>): Profile {
  const p = createProfile();
  for (const s of samples) {
    p.inferences++;
    if (!s.ok) p.errors++;
    latencySketch(p, 'run').add(s.ms);
    numericFeature(p, 'input.x').addMany(s.x);
    categoricalFeature(p, 'probs.argmax').add(s.label);
  }
  return p;
}

const bytesOf = (p: Profile) => encodeProfile(p);

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe(code);
    return;
  }
  throw new Error(`expected ProtocolError ${code}`);
}

describe('profile encoding', () => {
  test('an empty profile is a few bytes and starts with the format version', () => {
    const bytes = encodeProfile(createProfile());
    expect(bytes[0]).toBe(PROFILE_FORMAT_VERSION);
    expect([...bytes]).toEqual([1, 0, 0, 0, 0]);
    expect(decodeProfile(bytes)).toEqual(createProfile());
  });

  test('golden bytes of a small profile stay stable', () => {
    const p = createProfile();
    p.inferences = 2;
    const s = new NumericSketch();
    s.addMany([1, -1, 0]);
    p.features.f = s;
    const c = new CategoricalSketch({ maxLabels: 4, maxLabelLength: 8 });
    c.add('a', 2);
    p.features.g = c;
    const hex = Array.from(encodeProfile(p), (b) => b.toString(16).padStart(2, '0')).join('');
    expect(hex).toBe(
      [
        '01 02 00 00 02', // version, inferences 2, errors 0, no latency, 2 features
        '01 66 00', // "f", numeric
        '3f', // flags: default alpha and maxBins, special counts, both stores, min/max as float32
        '01 00 00 00', // zeros 1, NaN 0, +Inf 0, -Inf 0
        '01 00 01 02', // positive bins: 1 run from index 0, length 1, count +1
        '01 00 01 02', // negative bins: the same
        '00 00 00 00 00 00 00 00', // sum 0
        '00 00 80 bf', // min -1 (float32)
        '00 00 80 3f', // max 1 (float32)
        '00 00 00 00 00 00 00 40', // m2 2
        '01 67 01', // "g", categorical
        '04 08 01', // maxLabels 4, maxLabelLength 8, 1 label
        '01 61 02 00', // "a" × 2, other 0
      ]
        .join('')
        .replaceAll(' ', ''),
    );
  });

  test('property: encode then decode is the identity (bytes re-encode equal)', () => {
    fc.assert(
      fc.property(window, (samples) => {
        const p = profileOf(samples);
        const bytes = bytesOf(p);
        const back = decodeProfile(bytes);
        expect(encodeProfile(back)).toEqual(bytes);
        expect(back.inferences).toBe(p.inferences);
        expect(Object.keys(back.features).sort()).toEqual(Object.keys(p.features).sort());
      }),
      { numRuns: 200 },
    );
  });

  test('property: profiles merge associatively, commutatively, and like the concatenated windows', () => {
    fc.assert(
      fc.property(window, window, window, (a, b, c) => {
        const [pa, pb, pc] = [profileOf(a), profileOf(b), profileOf(c)];
        const left = mergeProfiles(mergeProfiles(pa, pb), pc);
        const right = mergeProfiles(pa, mergeProfiles(pb, pc));
        const whole = profileOf([...a, ...b, ...c]);
        // Bins and counts are exact; float moments may differ in the last bits, so compare
        // through a profile whose moments are normalized away.
        const shape = (p: Profile) => {
          const q = decodeProfile(encodeProfile(p));
          return Object.fromEntries(
            Object.entries({ ...q.features, ...q.latency }).map(([k, s]) => {
              if (s instanceof NumericSketch) {
                const { sum, mean, m2, ...exact } = s.toState();
                return [k, exact];
              }
              return [k, s.toState()];
            }),
          );
        };
        expect(shape(left)).toEqual(shape(right));
        expect(shape(left)).toEqual(shape(whole));
        expect(shape(mergeProfiles(pa, pb))).toEqual(shape(mergeProfiles(pb, pa)));
        expect(left.inferences).toBe(whole.inferences);
        expect(left.errors).toBe(whole.errors);
      }),
      { numRuns: 100 },
    );
  });

  test('mergeProfiles leaves its inputs untouched and rejects kind mismatches', () => {
    const a = profileOf([{ x: [1], label: '0', ms: 1, ok: true }]);
    const before = encodeProfile(a);
    mergeProfiles(a, a);
    expect(encodeProfile(a)).toEqual(before);
    const b = createProfile();
    b.features['input.x'] = new CategoricalSketch();
    expectCode(() => mergeProfiles(a, b), 'FEATURE_KIND_MISMATCH');
    const target = cloneProfile(a);
    expectCode(() => mergeProfileInto(target, b), 'FEATURE_KIND_MISMATCH');
    expect(encodeProfile(target)).toEqual(before);
  });

  test('mergeProfileInto folds windows in place, equal to mergeProfiles', () => {
    const w = [1, 2, 3].map((i) => profileOf([{ x: [i, -i], label: String(i), ms: i, ok: i !== 2 }]));
    const folded = w.reduce((acc, p) => mergeProfileInto(acc, p), createProfile());
    const pairwise = mergeProfiles(mergeProfiles(w[0]!, w[1]!), w[2]!);
    expect(encodeProfile(folded)).toEqual(encodeProfile(pairwise));
  });

  test('says what to do when a profile lost its sketch classes (structuredClone, postMessage)', () => {
    const p = createProfile();
    p.features.x = { ...new NumericSketch() } as unknown as NumericSketch; // what a structured clone leaves
    expect(() => encodeProfile(p)).toThrow(/send encodeProfile\(profile\) bytes/);
  });

  test('refuses to encode counts that are not non-negative integers', () => {
    const p = createProfile();
    p.inferences = 1.5;
    expectCode(() => encodeProfile(p), 'INVALID_ARGUMENT');
  });

  test('rejects wrong version, truncation, trailing bytes and oversize input with typed errors', () => {
    const bytes = encodeProfile(profileOf([{ x: [1, 2, 3], label: 'a', ms: 3, ok: true }]));
    expectCode(() => decodeProfile(new Uint8Array([2, 0, 0, 0, 0])), 'DECODE_VERSION');
    expectCode(() => decodeProfile(new Uint8Array(0)), 'DECODE_TRUNCATED');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => decodeProfile(bytes.subarray(0, cut))).toThrow(ProtocolError);
    }
    expectCode(() => decodeProfile(new Uint8Array([...bytes, 0])), 'DECODE_INVALID');
    expectCode(() => decodeProfile(new Uint8Array((1 << 20) + 1)), 'DECODE_TOO_LARGE');
    // Stores are dense: 1100 sketches whose two bins sit 4095 indexes apart would claim 36 MB.
    const wide = createProfile();
    for (let f = 0; f < 1024; f++) {
      const s = new NumericSketch({ maxBins: 4096 });
      s.addMany([1, 2 ** (4095 / 35), -1, -(2 ** (4095 / 35))]);
      wide.features[`f${f}`] = s;
    }
    expectCode(() => encodeProfile(wide), 'INVALID_ARGUMENT');
    // The decoder holds the same line against bytes made elsewhere: 512 such features are the
    // most that fit; splice in a 513th and decoding refuses before allocating it.
    const most = createProfile();
    for (let f = 0; f < 512; f++) most.features[`f${f}`] = wide.features[`f${f}`]!;
    const one = createProfile();
    one.features.z = wide.features.f0!;
    const a = encodeProfile(most);
    const b = encodeProfile(one);
    expect([...a.subarray(0, 6)]).toEqual([1, 0, 0, 0, 0x80, 0x04]);
    const spliced = new Uint8Array([1, 0, 0, 0, 0x81, 0x04, ...a.subarray(6), ...b.subarray(5)]);
    expect(decodeProfile(a).features.f511).toBeDefined();
    expectCode(() => decodeProfile(spliced), 'DECODE_TOO_LARGE');
    // A feature count far above the cap is refused before anything is allocated.
    expectCode(() => decodeProfile(new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0x03])), 'DECODE_TOO_LARGE');
  });

  test('property: random bytes and mutated profiles never throw anything but ProtocolError', () => {
    const valid = encodeProfile(profileOf([{ x: [1, -2, 0, Number.NaN], label: 'a', ms: 3, ok: false }]));
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((edits) => {
        const copy = valid.slice();
        for (const [i, b] of edits) copy[i] = b;
        return copy;
      });
    const golden = fromBase64(GOLDEN_PROFILE_V1);
    const mutatedGolden = fc
      .array(fc.tuple(fc.nat(golden.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 3,
      })
      .map((edits) => {
        const copy = golden.slice();
        for (const [i, b] of edits) copy[i] = b;
        return copy;
      });
    const truncatedGolden = fc.nat(golden.length - 1).map((n) => golden.subarray(0, n));
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated, mutatedGolden, truncatedGolden),
        (bytes) => {
          try {
            const p = decodeProfile(bytes);
            encodeProfile(p);
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
