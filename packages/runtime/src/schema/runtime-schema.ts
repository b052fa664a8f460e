import {
  type ClassesSpec,
  type ColumnsSpec,
  checkSchemaFits,
  type EmbeddingSpec,
  type ImageSpec,
  type ModelSchema,
  ProtocolError,
  parseModelSchema,
  type TensorShape,
} from '@driftline/protocol';
import { InvalidSchemaError, SchemaMismatchError } from '../errors.ts';

/**
 * A model schema as written by hand (the `schema` option): a {@link ModelSchema} whose defaults
 * (`inputs`, `outputs`, an embedding's `projections`, `seed`, `rff`, `bandwidth`) may be left out.
 */
export interface SchemaOption {
  inputs?: Record<string, ColumnsSpec | ImageSpec | (Partial<EmbeddingSpec> & { kind: 'embedding' })>;
  outputs?: Record<string, ClassesSpec>;
}

/** The protocol's schema errors as the runtime's, the original kept as `cause`. */
function translate(error: unknown): never {
  if (!(error instanceof ProtocolError)) throw error;
  if (error.code === 'SCHEMA_MISMATCH') throw new SchemaMismatchError(error.message, { cause: error });
  if (error.code === 'INVALID_SCHEMA') throw new InvalidSchemaError(error.message, { cause: error });
  throw error;
}

/**
 * Validates a model schema (the `schema` option, or a manifest's) and returns it with its defaults
 * filled in. Throws `InvalidSchemaError` (`INVALID_SCHEMA`) with the protocol's message, which names
 * the first problem by path.
 */
export function parseSchema(json: unknown): ModelSchema {
  try {
    return parseModelSchema(json);
  } catch (error) {
    translate(error);
  }
}

/**
 * Checks `schema` against the loaded model's tensors, under the names the page uses. Throws
 * `SchemaMismatchError` (`SCHEMA_MISMATCH`) when it does not fit, `InvalidSchemaError` when all
 * tensors together would record more features than a window holds.
 */
export function checkSchemaFitsModel(schema: ModelSchema, tensors: readonly TensorShape[]): void {
  try {
    checkSchemaFits(schema, tensors);
  } catch (error) {
    translate(error);
  }
}
