import type { CategoricalSketch } from '../categorical-sketch.ts';
import { jsDistance, psi } from './divergence.ts';
import { chiSquareSurvival } from './special-functions.ts';
import {
  type DriftOptions,
  type DriftStatus,
  levelOf,
  type QualityDelta,
  qualityDelta,
  rate,
  resolveOptions,
  worst,
} from './thresholds.ts';

/** Result of {@link compareCategorical}. Statistics are NaN when either side is empty. */
export interface CategoricalDrift {
  kind: 'categorical';
  /** Population stability index over the union of labels (with "other" as one label). */
  psi: number;
  /** Jensen–Shannon distance (base 2) over the same labels. */
  js: number;
  /** p-value of the chi-square test of homogeneity (2 × labels contingency table). */
  chi2p: number;
  status: DriftStatus;
  referenceCount: number;
  currentCount: number;
  quality: {
    /** Share counted under `__other__` (OTHER_LABEL) on each side. */
    other: QualityDelta;
  };
}

/**
 * Compares a current categorical sketch with a reference over the union of their labels. Status is
 * the worst of PSI and JS against their thresholds (and the chi-square p-value when `chi2p`
 * thresholds are given), or `insufficient` below `minCount` values on either side.
 *
 * @example
 * compareCategorical(ref.features['probs.argmax'], cur.features['probs.argmax']).status;
 */
export function compareCategorical(
  ref: CategoricalSketch,
  cur: CategoricalSketch,
  opts?: DriftOptions,
): CategoricalDrift {
  const o = resolveOptions(opts);
  const rm = ref.counts();
  const cm = cur.counts();
  const labels = [...new Set([...rm.keys(), ...cm.keys()])];
  const rc = labels.map((l) => rm.get(l) ?? 0);
  const cc = labels.map((l) => cm.get(l) ?? 0);
  const nr = ref.total;
  const nc = cur.total;
  let chi2p = Number.NaN;
  if (nr > 0 && nc > 0) {
    const n = nr + nc;
    let x2 = 0;
    for (let i = 0; i < labels.length; i++) {
      const col = rc[i]! + cc[i]!;
      const er = (nr * col) / n;
      const ec = (nc * col) / n;
      x2 += (rc[i]! - er) ** 2 / er + (cc[i]! - ec) ** 2 / ec;
    }
    chi2p = chiSquareSurvival(x2, labels.length - 1);
  }
  const psiValue = psi(rc, cc, o.epsilon);
  const jsValue = jsDistance(rc, cc);
  const levels = [levelOf(psiValue, o.psi), levelOf(jsValue, o.js)];
  if (o.chi2p && !Number.isNaN(chi2p)) {
    levels.push(chi2p <= o.chi2p.alert ? 'alert' : chi2p <= o.chi2p.warn ? 'warn' : 'ok');
  }
  return {
    kind: 'categorical',
    psi: psiValue,
    js: jsValue,
    chi2p,
    status: nr < o.minCount || nc < o.minCount ? 'insufficient' : worst(levels),
    referenceCount: nr,
    currentCount: nc,
    quality: { other: qualityDelta(rate(ref.otherCount, nr), rate(cur.otherCount, nc)) },
  };
}
