import { isDeepStrictEqual } from 'node:util';
import {
  checkSchemaFits,
  decodeProfile,
  fromBase64,
  type ModelSchema,
  ProtocolError,
  parseModelSchema,
  type TensorInfo,
  type TensorShape,
} from '@driftline/protocol';
import {
  artifactMismatch,
  badRequest,
  invalidModelFiles,
  invalidSchema,
  missingArtifact,
  schemaMismatch,
  versionExists,
} from '../errors.ts';
import { recordHistory } from '../rollout/history.ts';
import { createPolicy, getPolicy, policySnapshot } from '../rollout/policy.ts';
import type { Sql, Storage } from '../storage/storage.ts';
import type { ArtifactStore } from './artifact-store.ts';
import type { ModelVersion, VersionFile } from './model-version.ts';
import { checkModelName, checkVersion, SHA256 } from './names.ts';
import { onnxTensors } from './onnx-tensors.ts';
import { getVersion } from './versions.ts';

/** One file of a publish request: inline bytes (`data`, base64) or the hash of an uploaded artifact. */
export interface PublishFile {
  path: string;
  sha256?: string;
  size?: number;
  data?: string;
}

/** What `POST /v1/models/:name/versions` takes. */
export interface PublishRequest {
  version: string;
  format: 'onnx' | 'tfjs';
  files: PublishFile[];
  inputs?: TensorInfo[];
  outputs?: TensorInfo[];
  /** base64 of an encoded reference profile (`driftline profile` output). */
  reference?: string;
  /** How devices summarize the version's tensors (`ModelSchema`); checked against the model at publish. */
  schema?: unknown;
  notes?: string;
}

const PATH = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._\-/]{1,256}$/;

function decodeBase64(text: string, what: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch (err) {
    throw badRequest(`${what} is not canonical base64.`, err);
  }
}

/**
 * Checks that the files form a model of the format (one .onnx; or a model.json and every shard it
 * names). Answers the ONNX graph's inputs and outputs when its bytes could be read.
 */
async function checkModelFiles(
  format: 'onnx' | 'tfjs',
  files: VersionFile[],
  bytesOf: (f: VersionFile) => Promise<Uint8Array | null>,
): Promise<{ inputs: TensorInfo[]; outputs: TensorInfo[] } | null> {
  const paths = new Set(files.map((f) => f.path));
  if (paths.size !== files.length)
    throw invalidModelFiles('Two files have the same path; give each file once.');
  if (format === 'onnx') {
    const onnx = files.filter((f) => f.path.endsWith('.onnx'));
    if (onnx.length !== 1) {
      throw invalidModelFiles(`An onnx version needs exactly one .onnx file, not ${onnx.length}.`);
    }
    const bytes = await bytesOf(onnx[0]!);
    return bytes ? onnxTensors(bytes) : null;
  }
  const json = files.filter((f) => f.path === 'model.json' || f.path.endsWith('/model.json'));
  if (json.length !== 1) throw invalidModelFiles('A tfjs version needs exactly one model.json file.');
  const modelJson = json[0]!;
  const dir = modelJson.path.slice(0, modelJson.path.length - 'model.json'.length);
  let parsed: { weightsManifest?: { paths?: unknown }[] };
  try {
    parsed = JSON.parse(new TextDecoder().decode((await bytesOf(modelJson)) ?? new Uint8Array()));
  } catch (err) {
    throw invalidModelFiles(`${modelJson.path} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed.weightsManifest)) {
    throw invalidModelFiles(`${modelJson.path} has no weightsManifest; export the model with TF.js.`);
  }
  for (const group of parsed.weightsManifest) {
    for (const p of Array.isArray(group.paths) ? group.paths : []) {
      if (typeof p !== 'string' || !paths.has(dir + p)) {
        throw invalidModelFiles(
          `${modelJson.path} names weight file "${String(p)}", which is not among the files.`,
        );
      }
    }
  }
  return null;
}

const shapeOf = (t: TensorInfo): TensorShape => ({
  name: t.name,
  dims: (t.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)),
  ...(t.dtype ? { type: t.dtype } : {}),
});

/**
 * The request's schema, parsed (defaults filled in, so the manifest carries exactly what devices
 * use) and checked against the model's tensors: the publisher's `inputs`/`outputs` when given,
 * else the ONNX graph's. A TF.js version without `inputs`/`outputs` is checked by the runtime
 * before its first run instead.
 */
function checkSchema(
  json: unknown,
  given: Pick<PublishRequest, 'inputs' | 'outputs'>,
  graph: { inputs: TensorInfo[]; outputs: TensorInfo[] } | null,
): ModelSchema {
  try {
    const schema = parseModelSchema(json);
    const tensors = given.inputs || given.outputs ? given : graph;
    if (tensors)
      checkSchemaFits(schema, [...(tensors.inputs ?? []), ...(tensors.outputs ?? [])].map(shapeOf));
    return schema;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    throw err.code === 'SCHEMA_MISMATCH' ? schemaMismatch(err.message) : invalidSchema(err.message);
  }
}

/**
 * Publishes a version: stores inline files content-addressed, checks the files against the format,
 * and records the version. Versions are immutable: the same files again is a no-op
 * (`created: false`), other files are `version_exists` (409). The first version of a model becomes
 * its stable version.
 */
export async function publishVersion(
  storage: Storage,
  artifacts: ArtifactStore,
  model: string,
  req: PublishRequest,
  actor: string | null,
): Promise<{ version: ModelVersion; created: boolean; stable: boolean }> {
  checkModelName(model);
  checkVersion(req.version);
  if (req.files.length < 1 || req.files.length > 64) throw invalidModelFiles('A version has 1 to 64 files.');
  const inline = new Map<string, Uint8Array>();
  const files: VersionFile[] = [];
  for (const f of req.files) {
    if (!PATH.test(f.path)) {
      throw invalidModelFiles(
        `File path "${f.path.slice(0, 80)}" must be relative, without "." or ".." segments.`,
      );
    }
    if (f.data !== undefined) {
      const bytes = decodeBase64(f.data, `File ${f.path}`);
      const stored = await artifacts.put(bytes);
      if (f.sha256 !== undefined && f.sha256 !== stored.sha256) {
        throw artifactMismatch(`The bytes of ${f.path} hash to ${stored.sha256}, not the ${f.sha256} given.`);
      }
      inline.set(stored.sha256, bytes);
      files.push({ path: f.path, sha256: stored.sha256, size: stored.size });
      continue;
    }
    if (f.sha256 === undefined || !SHA256.test(f.sha256)) {
      throw invalidModelFiles(
        `File ${f.path} needs "data" (base64) or the "sha256" of an uploaded artifact.`,
      );
    }
    const size = await artifacts.size(f.sha256);
    if (size === null) throw missingArtifact(f.sha256);
    if (f.size !== undefined && f.size !== size) {
      throw artifactMismatch(
        `Artifact ${f.sha256} has ${size} bytes, not the ${f.size} given for ${f.path}.`,
      );
    }
    files.push({ path: f.path, sha256: f.sha256, size });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const graph = await checkModelFiles(
    req.format,
    files,
    async (f) => inline.get(f.sha256) ?? artifacts.get(f.sha256),
  );
  const schema = req.schema === undefined ? null : checkSchema(req.schema, req, graph);
  let reference: Uint8Array | null = null;
  if (req.reference !== undefined) {
    reference = decodeBase64(req.reference, 'reference');
    try {
      decodeProfile(reference);
    } catch (err) {
      throw badRequest(
        `reference is not an encoded profile (${(err as Error).message}); make it with \`driftline profile\`.`,
        err,
      );
    }
  }
  return storage.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO model_versions (model, version, format, files, inputs, outputs, reference, notes, created_by, schema)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (model, version) DO NOTHING RETURNING version`,
      [
        model,
        req.version,
        req.format,
        JSON.stringify(files),
        req.inputs ? JSON.stringify(req.inputs) : null,
        req.outputs ? JSON.stringify(req.outputs) : null,
        reference,
        req.notes ?? null,
        actor,
        schema ? JSON.stringify(schema) : null,
      ],
    );
    const version = await getVersion(tx, model, req.version);
    if (inserted.length === 0) {
      const difference = await republished(tx, version, files, req.format, schema, reference);
      if (difference) throw versionExists(model, req.version, difference);
      return { version, created: false, stable: (await getPolicy(tx, model))?.stable === req.version };
    }
    await recordHistory(tx, {
      model,
      action: 'publish',
      actor,
      reason: req.notes ?? null,
      after: { version: req.version, format: req.format, files },
    });
    const first = await createPolicy(tx, model, req.version);
    if (first) {
      await recordHistory(tx, {
        model,
        action: 'stable',
        actor,
        reason: 'first published version becomes stable',
        before: null,
        after: policySnapshot(await getPolicy(tx, model)),
      });
    }
    return { version, created: true, stable: first };
  });
}

/**
 * What a second publish of an existing version changes, or null when it is the same version again
 * (a retry: a no-op). The same files are required; a schema or reference profile, when the request
 * has one, must be the stored one — a version's schema and reference are part of it, so a device
 * that runs it summarizes and is judged the same way for as long as the version exists.
 */
async function republished(
  tx: Sql,
  stored: ModelVersion,
  files: VersionFile[],
  format: ModelVersion['format'],
  schema: ModelSchema | null,
  reference: Uint8Array | null,
): Promise<string | null> {
  const key = (fs: VersionFile[]) => JSON.stringify(fs.map((f) => [f.path, f.sha256]));
  if (stored.format !== format || key(stored.files) !== key(files)) return 'other files';
  // Compared as stored (JSON): members left undefined are not there.
  if (schema && !isDeepStrictEqual(stored.schema, JSON.parse(JSON.stringify(schema)))) {
    return stored.schema ? 'another schema' : 'no schema';
  }
  if (reference) {
    const rows = await tx.query<{ reference: Uint8Array | null }>(
      'SELECT reference FROM model_versions WHERE model = $1 AND version = $2',
      [stored.model, stored.version],
    );
    const had = rows[0]?.reference;
    if (!had) return 'no reference profile';
    if (!Buffer.from(had).equals(Buffer.from(reference))) return 'another reference profile';
  }
  return null;
}
