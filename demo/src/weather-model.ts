import { createRuntime, type Runtime, type SchemaOption } from '@driftline/runtime';
import type { TelemetryTarget } from './telemetry-target.ts';

/** The held-out days `pnpm models:tabular` writes: raw column values, true classes, training μ / σ. */
export interface WeatherHeldout {
  columns: string[];
  labels: string[];
  mean: number[];
  std: number[];
  rows: number[][];
  truth: number[];
}

/** Version of the tabular model the demo serves under `models/weather/`. */
export const WEATHER_VERSION = '1.0.0';
const folder = () => `${import.meta.env.BASE_URL}models/weather/${WEATHER_VERSION}/`;

/** Loads the held-out days from `data/weather-heldout.json`. */
export async function loadWeatherHeldout(): Promise<WeatherHeldout> {
  const res = await fetch(`${import.meta.env.BASE_URL}data/weather-heldout.json`);
  if (!res.ok)
    throw new Error(`weather-heldout.json answered HTTP ${res.status}: run \`pnpm models:tabular\``);
  return (await res.json()) as WeatherHeldout;
}

/**
 * Starts @driftline/runtime on the weather model. With a collector: the model by name, as the
 * registry publishes it (`weather`, published by `pnpm start` with its schema and labelled
 * reference), so the manifest delivers the schema with the verified file. Without one
 * (`?collector=off`), or offline before this device ever loaded it by name: the precached file
 * under `models/weather/1.0.0/` with its `schema.json`. Either way every
 * column of the input `x` is summarized as its own feature (`x.temp_max`, …) and the `probs` output
 * by class, which the collector's drift view compares with the published reference. The page's
 * `data-weather-source` says which (`registry` or `file`).
 */
export async function startWeatherRuntime(target: TelemetryTarget): Promise<Runtime> {
  const common = {
    window: { seconds: 5, maxInferences: 5000 },
    retry: { baseMs: 1000, maxMs: 15_000 },
  };
  const telemetry = target.collector ? { collector: target.collector, appKey: target.appKey } : {};
  if (target.collector && target.appKey) {
    try {
      const rt = await createRuntime({ model: 'weather', ...telemetry, ...common });
      document.body.dataset.weatherSource = 'registry';
      return rt;
    } catch (error) {
      // Offline before this device ever ran it by name: the precached file instead; its windows
      // wait in IndexedDB until the collector answers.
      if ((error as { code?: string }).code !== 'MODEL_FETCH') throw error;
    }
  }
  const res = await fetch(`${folder()}schema.json`);
  if (!res.ok) throw new Error(`schema.json answered HTTP ${res.status}: run \`pnpm models:tabular\``);
  const schema = (await res.json()) as SchemaOption;
  document.body.dataset.weatherSource = 'file';
  return createRuntime({
    model: { url: `${folder()}model.onnx`, format: 'onnx', name: 'weather', version: WEATHER_VERSION },
    schema,
    ...(target.collector ? telemetry : { telemetry: false }),
    ...common,
  });
}

/** The held-out rows with column `column` moved by `sigmas` training standard deviations. */
export function shiftedRows(h: WeatherHeldout, column: number, sigmas: number): Float32Array {
  const w = h.columns.length;
  const out = Float32Array.from(h.rows.flat());
  const delta = sigmas * h.std[column]!;
  for (let r = 0; r < h.rows.length; r++) out[r * w + column]! += delta;
  return out;
}
