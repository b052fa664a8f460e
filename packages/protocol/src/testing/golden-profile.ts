import { createProfile, latencySketch, type Profile } from '../profile.ts';
import { summarizeClassifierOutput } from '../summarize-classifier.ts';
import { summarizeTensor } from '../summarize-tensor.ts';
import { normal, rng } from './random.ts';

/**
 * A deterministic 50-inference window of a digit-like model, through the real summarizers. The
 * bytes of its encoding are kept in golden-profile-v1.ts: if they change, the wire format (or
 * the bin mapping) changed, which old readers and stored rollups would not survive.
 */
export function goldenProfile(): Profile {
  const u = rng(20261122);
  const z = normal(u);
  const p = createProfile();
  const img = new Float32Array(64);
  const probs = new Float32Array(4);
  for (let i = 0; i < 50; i++) {
    p.inferences++;
    if (i % 17 === 0) p.errors++;
    for (let k = 0; k < img.length; k++) img[k] = u() < 0.7 ? 0 : z() - 0.5;
    if (i === 3) img[5] = Number.NaN;
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      probs[k] = Math.exp(z() + (k === i % 4 ? 3 : 0));
      sum += probs[k]!;
    }
    for (let k = 0; k < 4; k++) probs[k] = probs[k]! / sum;
    summarizeTensor(p, 'input', { data: img, dims: [1, 64] });
    summarizeClassifierOutput(p, 'probs', { data: probs, dims: [1, 4] }, { labels: ['a', 'b', 'c', 'd'] });
    latencySketch(p, 'run').add(Math.exp(1 + 0.4 * z()));
  }
  return p;
}
