import {
  createProfile,
  type ModelSchema,
  type Profile,
  ProtocolError,
  summarizeWithSchema,
} from '@driftline/protocol';
import { UsageError } from './args.ts';
import type { SchemaSample } from './profile-samples.ts';

/** A reference profile built against a schema, and how many true classes no class matched. */
export interface SchemaReference {
  profile: Profile;
  /** Per labelled output, samples whose true class is neither one of its labels nor a class index. */
  unknownTruth: Record<string, number>;
}

function isKnownTruth(t: string | number, labels: readonly string[] | undefined): boolean {
  if (typeof t === 'number') return labels === undefined || t < labels.length;
  if (labels?.includes(t)) return true;
  return /^\d+$/.test(t) && (labels === undefined || Number(t) < labels.length);
}

/**
 * Builds a reference profile from samples with `summarizeWithSchema`, the code path of the device:
 * one inference per sample, the true classes (when given) adding the `<t>.hit.<label>`
 * calibration that label-free accuracy estimation reads. A sample that does not fit the schema is
 * a UsageError naming its line.
 *
 * @example
 * const { profile } = schemaReference(samples, parseModelSchema(json), 'samples.jsonl');
 */
export function schemaReference(
  samples: readonly SchemaSample[],
  schema: ModelSchema,
  file: string,
): SchemaReference {
  const profile = createProfile();
  const unknownTruth: Record<string, number> = {};
  const truth: Record<string, ArrayLike<string | number>> = {};
  for (const s of samples) {
    for (const key of Object.keys(truth)) delete truth[key];
    for (const [output, t] of Object.entries(s.truth)) {
      if (!isKnownTruth(t, schema.outputs[output]?.labels))
        unknownTruth[output] = (unknownTruth[output] ?? 0) + 1;
      truth[output] = [t];
    }
    profile.inferences++;
    try {
      summarizeWithSchema(profile, schema, s.tensors, Object.keys(truth).length > 0 ? truth : undefined);
    } catch (err) {
      if (err instanceof ProtocolError)
        throw new UsageError(`${file}:${s.line}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return { profile, unknownTruth };
}
