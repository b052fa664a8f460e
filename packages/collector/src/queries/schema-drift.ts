import {
  compareEmbedding,
  compareProfiles,
  type DriftStatus,
  type EmbeddingDrift,
  type FeatureDrift,
  type ModelSchema,
  overallStatus,
  type Profile,
  summaryOnlyFeature,
} from '@driftline/protocol';

/** Drift of a window against a reference, as far as the version's schema says what its features are. */
export interface SchemaDrift {
  /** Per feature (`<tensor>.<column>` for columns); summary-only features of the schema left out. */
  features: Record<string, FeatureDrift>;
  /** Per `embedding` input of the schema: drifted projections, mean distance, MMD. */
  embeddings: Record<string, EmbeddingDrift>;
  /** Worst status of both. */
  status: DriftStatus;
}

/**
 * The features of a schema that have no verdict of their own (the `hit.<label>` calibration sums and
 * `rff` Fourier sums); undefined without a schema (every feature counts). Drift and the distributions
 * route both leave these out.
 */
export function skipSummaryOnly(schema: ModelSchema | null): ((name: string) => boolean) | undefined {
  return schema ? summaryOnlyFeature(schema) : undefined;
}

/**
 * Compares two profiles the way the version's schema summarized them: every feature that has a
 * verdict of its own (not the `hit.<label>` calibration sums or `rff` Fourier sums), and each
 * embedding input as a whole. Without a schema, every feature, as before schemas existed.
 */
export function driftWithSchema(ref: Profile, cur: Profile, schema: ModelSchema | null): SchemaDrift {
  const skip = skipSummaryOnly(schema);
  const features = compareProfiles(ref, cur, skip ? { skip } : undefined);
  const embeddings: Record<string, EmbeddingDrift> = {};
  for (const [tensor, spec] of Object.entries(schema?.inputs ?? {})) {
    if (spec.kind === 'embedding') embeddings[tensor] = compareEmbedding(ref, cur, tensor);
  }
  const all: Record<string, { status: DriftStatus }> = { ...features };
  for (const [t, e] of Object.entries(embeddings)) all[`embedding:${t}`] = e;
  return { features, embeddings, status: overallStatus(all) };
}
