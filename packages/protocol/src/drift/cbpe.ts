import { ProtocolError } from '../errors.ts';
import { NumericSketch } from '../numeric-sketch.ts';
import type { Profile } from '../profile.ts';

/** Options of {@link estimateAccuracy}. */
export interface AccuracyEstimateOptions {
  /** Confidence groups per class, cut at the reference's confidence quantiles. Default 10. */
  bins?: number;
}

/** Result of {@link estimateAccuracy}. */
export interface AccuracyEstimate {
  /** Estimated accuracy of the current window (CBPE); NaN when it has no predictions. */
  estimated: number;
  /** Realized accuracy of the reference (its `hit` over its `conf` counts). */
  referenceAccuracy: number;
  /** Realized accuracy of the current window when it also recorded `hit` features, else NaN. */
  currentAccuracy: number;
  /** Predictions in the current window that the estimate covers. */
  currentCount: number;
  /** Of those, share whose class had no reference calibration and were taken at face value (their confidence). */
  uncalibrated: number;
}

function classesOf(p: Profile, name: string): Map<string, { conf: NumericSketch; hit?: NumericSketch }> {
  const out = new Map<string, { conf: NumericSketch; hit?: NumericSketch }>();
  const prefix = `${name}.conf.`;
  for (const [k, s] of Object.entries(p.features)) {
    if (!k.startsWith(prefix) || !(s instanceof NumericSketch)) continue;
    const label = k.slice(prefix.length);
    const hit = p.features[`${name}.hit.${label}`];
    out.set(label, hit instanceof NumericSketch ? { conf: s, hit } : { conf: s });
  }
  return out;
}

function countsByIndex(s: NumericSketch): Map<number, number> {
  return new Map(s.positiveBins());
}

function realized(classes: Map<string, { conf: NumericSketch; hit?: NumericSketch }>): number {
  let hits = 0;
  let total = 0;
  let any = false;
  for (const { conf, hit } of classes.values()) {
    total += conf.count;
    if (hit) {
      any = true;
      hits += hit.count;
    }
  }
  return any && total > 0 ? hits / total : Number.NaN;
}

/**
 * Confidence-based performance estimation (CBPE, as in NannyML) from profiles alone. The
 * reference was recorded by `summarizeClasses` with `truth`, so for every predicted class its
 * `conf.<label>` and `hit.<label>` sketches share bin edges: cut into `bins` groups at the
 * reference's confidence quantiles, each group's observed accuracy (hits ÷ predictions) is the
 * calibration. The current window's predictions in each group are weighted by it. A class the
 * reference never predicted is taken at face value (its mean confidence).
 *
 * It estimates what accuracy would be if P(correct | class, confidence) stayed as in the
 * reference: it follows covariate shift (inputs that make the model more or less sure), not a
 * change of the labels' meaning (concept drift), which only realized labels show.
 *
 * @example
 * estimateAccuracy(reference, window, 'probs').estimated; // e.g. 0.91
 */
export function estimateAccuracy(
  ref: Profile,
  cur: Profile,
  name: string,
  opts: AccuracyEstimateOptions = {},
): AccuracyEstimate {
  const bins = opts.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1 || bins > 100) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `estimateAccuracy bins must be an integer from 1 to 100, got ${bins}.`,
    );
  }
  const rc = classesOf(ref, name);
  const cc = classesOf(cur, name);
  let expected = 0;
  let total = 0;
  let faceValue = 0;
  for (const [label, { conf }] of cc) {
    const r = rc.get(label);
    total += conf.count;
    if (!r?.hit || r.conf.count === 0 || r.conf.alpha !== conf.alpha) {
      expected += conf.sum;
      faceValue += conf.count;
      continue;
    }
    // Group upper indexes at the reference quantiles, and each group's observed accuracy.
    const refBins = r.conf.positiveBins();
    const hits = countsByIndex(r.hit);
    const uppers: number[] = [];
    const acc: number[] = [];
    let seen = 0;
    let gConf = 0;
    let gHit = 0;
    for (let i = 0; i < refBins.length; i++) {
      const [index, c] = refBins[i]!;
      seen += c;
      gConf += c;
      gHit += hits.get(index) ?? 0;
      if (seen >= ((uppers.length + 1) * r.conf.count) / bins || i === refBins.length - 1) {
        uppers.push(index);
        acc.push(gHit / gConf);
        gConf = 0;
        gHit = 0;
      }
    }
    let g = 0;
    for (const [index, c] of conf.positiveBins()) {
      while (g < uppers.length - 1 && index > uppers[g]!) g++;
      expected += c * acc[g]!;
    }
  }
  return {
    estimated: total > 0 ? expected / total : Number.NaN,
    referenceAccuracy: realized(rc),
    currentAccuracy: realized(cc),
    currentCount: total,
    uncalibrated: total > 0 ? faceValue / total : 0,
  };
}
