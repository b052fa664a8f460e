import type { ModelSchema, TensorInfo } from '@driftline/protocol';

/** One stored file of a version: its path inside the version, hash and size. */
export interface VersionFile {
  path: string;
  sha256: string;
  size: number;
}

/** A published, immutable model version. */
export interface ModelVersion {
  model: string;
  version: string;
  format: 'onnx' | 'tfjs';
  files: VersionFile[];
  inputs: TensorInfo[] | null;
  outputs: TensorInfo[] | null;
  hasReference: boolean;
  /** How devices summarize its tensors, as published (defaults filled in); null without one. */
  schema: ModelSchema | null;
  notes: string | null;
  createdBy: string | null;
  createdAt: string;
}

interface VersionRow {
  model: string;
  version: string;
  format: 'onnx' | 'tfjs';
  files: VersionFile[] | string;
  inputs: TensorInfo[] | string | null;
  outputs: TensorInfo[] | string | null;
  has_reference: boolean;
  schema: ModelSchema | string | null;
  notes: string | null;
  created_by: string | null;
  created_at: Date | string;
}

// node-postgres parses jsonb; keep a string fallback for drivers that do not.
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** Columns of `model_versions` that {@link toModelVersion} reads. */
export const VERSION_COLUMNS =
  'model, version, format, files, inputs, outputs, reference IS NOT NULL AS has_reference, schema, notes, created_by, created_at';

/** Maps a `model_versions` row (selected with {@link VERSION_COLUMNS}) to a ModelVersion. */
export function toModelVersion(r: VersionRow): ModelVersion {
  return {
    model: r.model,
    version: r.version,
    format: r.format,
    files: json(r.files),
    inputs: r.inputs === null ? null : json(r.inputs),
    outputs: r.outputs === null ? null : json(r.outputs),
    hasReference: r.has_reference,
    schema: r.schema === null ? null : json(r.schema),
    notes: r.notes,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export type { VersionRow };
