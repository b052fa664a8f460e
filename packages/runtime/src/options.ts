import type { Device, ModelFormat, WasmPaths } from './backends/backend.ts';
import { InvalidOptionsError } from './errors.ts';
import { parseSchema, type SchemaOption } from './schema/runtime-schema.ts';
import type { NamedTensors } from './tensor.ts';
import type { ManifestKeys } from './updater/manifest-client.ts';

/** Where the model comes from. */
export interface ModelOptions {
  /** URL of the `.onnx` file or of the TF.js `model.json`. */
  url: string;
  format: ModelFormat;
  /** Hex SHA-256 the bytes must have; a mismatch is refused with `MODEL_INTEGRITY`. */
  sha256?: string;
  /** Model name for telemetry; default: the folder before the version in the URL (`digits`). */
  name?: string;
  /** Model version for telemetry; default: a semver folder in the URL, else the SHA-256 prefix. */
  version?: string;
  /** Names the page uses for the model's inputs, in model order (default: the model's own). */
  inputNames?: string[];
  /** Names the page gets for the model's outputs, in model order; e.g. `['probs']` for a TF.js layers model. */
  outputNames?: string[];
}

/** App-defined summaries of one run: numbers become numeric sketches, strings categorical ones. */
export type FeaturesFn = (inputs: NamedTensors, outputs: NamedTensors) => Record<string, number | string>;

/** How a runtime started from a model name follows the collector's manifest. */
export interface UpdateOptions {
  /** Poll interval in ms (default 60 000); 0 polls only on start and on `visibilitychange`. */
  intervalMs?: number;
  /** Poll when the page becomes visible again (default true). */
  onVisible?: boolean;
  /** Share of inputs a shadow version also runs on is the manifest's; set false to never run shadows. */
  shadow?: boolean;
  /** A new version's first runs that must succeed without NaN before it counts as good (default 3). */
  probationRuns?: number;
}

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /**
   * The model file, or a model name (`'digits'`) whose version the collector's manifest assigns:
   * then `collector` and `appKey` are required and updates are followed (docs/runtime.md).
   */
  model: ModelOptions | string;
  /**
   * How each named tensor is summarized (docs/protocol.md, "Schema summaries"): e.g. a `columns`
   * input records one feature per column, a `classes` output its labels. Checked up front
   * (`INVALID_SCHEMA`) and against the loaded model before the first run (`SCHEMA_MISMATCH`).
   * Only for a model given by file: a model given by name takes its version's schema from the
   * manifest (publish it with the version), and passing one here is `INVALID_OPTIONS`.
   *
   * @example
   * schema: { inputs: { x: { kind: 'columns', columns: [{ name: 'age' }, { name: 'income' }] } },
   *           outputs: { probs: { kind: 'classes', labels: ['no', 'yes'] } } }
   */
  schema?: SchemaOption;
  /** With a model name: run exactly this version (app pin), e.g. `'1.0.0'`. */
  pin?: string;
  /**
   * With a model name: the base64 Ed25519 key from `driftline keys signing`, or several during a
   * rotation (an array, or an object by key id); unsigned and wrongly signed manifests are refused.
   */
  publicKey?: ManifestKeys;
  /** With a model name: manifest polling (default every 60 s and when the page becomes visible). */
  updates?: UpdateOptions;
  /** With a model name: download progress of the first version (later versions: `update` events). */
  onProgress?: (progress: { version: string; loaded: number; total: number }) => void;
  /** Collector base URL, e.g. `http://localhost:8787`. Without it (and `appKey`) nothing is sent. */
  collector?: string;
  /** Ingest key sent as `Authorization: Bearer …`. */
  appKey?: string;
  /** Devices in preference order, e.g. `['webgpu', 'wasm']`. Default: the best available. */
  backends?: Device[];
  /** App-defined summaries, computed on the page after `run` resolved. */
  features?: FeaturesFn;
  /** When a window closes: after `seconds` (default 60) or `maxInferences` runs (default 5000). */
  window?: { seconds?: number; maxInferences?: number };
  /** Keep summaries at all. Default: true when `collector` is set. */
  telemetry?: boolean;
  /** WASM threads when the page is cross-origin isolated. Default: half the cores, at most 4. */
  threads?: number;
  /**
   * Where `npx driftline-runtime copy-assets <dir>` put the worker and the ORT / TF.js wasm files,
   * as served, e.g. `'/driftline/'`: for esbuild and pages without a bundler (docs/install/). Default:
   * none; the bundler emits them (webpack 5, Vite, Rollup, Parcel, Next.js).
   */
  assetBase?: string;
  /** Exact wasm locations, overriding `assetBase` and the bundler's; see {@link WasmPaths}. */
  wasmPaths?: WasmPaths;
  /** Keep model bytes in Cache Storage (default true). */
  cache?: boolean;
  /** Outbox bounds: bytes (default 1 MiB) and age of a window (default 7 days). */
  outbox?: { maxBytes?: number; maxAgeMs?: number };
  /** Retry backoff after network errors, 5xx and 429: first delay and cap, in ms. */
  retry?: { baseMs?: number; maxMs?: number };
  /** Recent tagged runs kept for `feedback` (default 1000). */
  maxTrackedRuns?: number;
  /** A run's summary reaches IndexedDB at most this long after it resolved (default 200 ms). */
  checkpointMs?: number;
  /**
   * Builds the worker yourself (overrides `assetBase`). Default: the runtime's own module worker,
   * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, which bundlers follow.
   */
  createWorker?: () => Worker;
}

/** Name and version of a model from its URL: `/models/digits/1.0.0/model.onnx` gives `digits`, `1.0.0`. */
export function nameAndVersion(url: string): { name: string; version?: string } {
  const parts = new URL(url, 'http://x/').pathname.split('/').filter(Boolean);
  const at = parts.findIndex((p) => /^v?\d+\.\d+(\.\d+)?([-+].*)?$/.test(p));
  if (at > 0) return { name: parts[at - 1]!, version: parts[at]! };
  const file = parts.at(-1) ?? 'model';
  return { name: file === 'model.json' ? (parts.at(-2) ?? 'model') : file.replace(/\.[^.]+$/, '') };
}

/** Checks the options a user can get wrong, with messages that say what to do. */
export function checkOptions(options: RuntimeOptions): void {
  if (!options || typeof options !== 'object')
    throw new InvalidOptionsError('createRuntime needs an options object.');
  const { model } = options;
  if (typeof model === 'string') {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(model))
      throw new InvalidOptionsError(
        `model name "${model}" must match [a-z0-9][a-z0-9-]{0,63}, e.g. 'digits'.`,
      );
    if (!options.collector || !options.appKey)
      throw new InvalidOptionsError(
        'A model given by name needs collector and appKey to fetch its manifest.',
      );
    if (options.schema !== undefined)
      throw new InvalidOptionsError(
        `The schema of model "${model}" comes from its manifest, one per version: publish it with the version (driftline publish --schema) and drop the schema option.`,
      );
    return;
  }
  if (!model || typeof model.url !== 'string' || !model.url) {
    throw new InvalidOptionsError(
      "model.url is required, e.g. { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' }.",
    );
  }
  if (model.format !== 'onnx' && model.format !== 'tfjs') {
    throw new InvalidOptionsError(
      `model.format must be 'onnx' or 'tfjs', not ${JSON.stringify(model.format)}.`,
    );
  }
  if (model.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(model.sha256)) {
    throw new InvalidOptionsError('model.sha256 must be 64 hex characters (the SHA-256 of the model file).');
  }
  if (options.schema !== undefined) parseSchema(options.schema);
  if (options.assetBase !== undefined) assetBaseUrl(options.assetBase);
  const devices = ['webgpu', 'webgl', 'wasm', 'cpu'];
  for (const b of options.backends ?? []) {
    if (!devices.includes(b))
      throw new InvalidOptionsError(`Unknown backend "${b}"; use one of ${devices.join(', ')}.`);
  }
  if (Boolean(options.collector) !== Boolean(options.appKey)) {
    throw new InvalidOptionsError('Give both collector and appKey to send telemetry, or neither.');
  }
  const w = options.window;
  if (w?.seconds !== undefined && !(w.seconds > 0))
    throw new InvalidOptionsError('window.seconds must be > 0.');
  if (w?.maxInferences !== undefined && !(w.maxInferences >= 1)) {
    throw new InvalidOptionsError('window.maxInferences must be >= 1.');
  }
}

/**
 * `assetBase` as an absolute URL ending in `/`, resolved against the page.
 * @throws InvalidOptionsError when it is not a URL.
 */
export function assetBaseUrl(assetBase: string): string {
  let url: URL;
  try {
    url = new URL(assetBase, globalThis.location?.href);
  } catch {
    throw new InvalidOptionsError(
      `assetBase ${JSON.stringify(assetBase)} is not a URL; give the folder copy-assets wrote to, as served, e.g. '/driftline/'.`,
    );
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
