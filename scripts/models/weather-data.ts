import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelsError } from './errors.ts';
import { createRng, shuffleInPlace } from './rng.ts';

/** The model's input columns, in tensor order: daily values from Seattle, 2012–2015. */
export const WEATHER_COLUMNS = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const;
/** The classes it predicts, in output order. */
export const WEATHER_LABELS = ['drizzle', 'rain', 'sun', 'snow', 'fog'] as const;

/** Rows of the weather table: `values` is `[count, columns]` row-major, `labels` class indexes. */
export interface WeatherSet {
  count: number;
  values: Float32Array;
  labels: Uint8Array;
}

/** The `seattle-weather.csv` that the `vega-datasets` package ships. */
export function weatherCsvPath(): string {
  // The package exports only its build/index.js; its data/ folder sits beside build/.
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(dirname(entry)), 'data', 'seattle-weather.csv');
}

/**
 * Parses `seattle-weather.csv` (`date,precipitation,temp_max,temp_min,wind,weather`, no quoted
 * cells). Throws `ModelsError` `WEATHER_FORMAT` when a column is missing, a value is not a number
 * or a class is not one of {@link WEATHER_LABELS}.
 */
export function parseWeatherCsv(text: string): WeatherSet {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const header = (head ?? '').split(',');
  const at = [...WEATHER_COLUMNS, 'weather'].map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new ModelsError('WEATHER_FORMAT', `seattle-weather.csv has no column "${c}"`);
    return i;
  });
  const values = new Float32Array(lines.length * WEATHER_COLUMNS.length);
  const labels = new Uint8Array(lines.length);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    WEATHER_COLUMNS.forEach((c, k) => {
      const v = Number(cells[at[k]!]);
      if (!Number.isFinite(v))
        throw new ModelsError('WEATHER_FORMAT', `seattle-weather.csv:${r + 2} ${c} is not a number`);
      values[r * WEATHER_COLUMNS.length + k] = v;
    });
    const label = WEATHER_LABELS.indexOf(
      cells[at[WEATHER_COLUMNS.length]!] as (typeof WEATHER_LABELS)[number],
    );
    if (label < 0)
      throw new ModelsError('WEATHER_FORMAT', `seattle-weather.csv:${r + 2} has an unknown weather class`);
    labels[r] = label;
  });
  return { count: lines.length, values, labels };
}

/** Loads the weather table from the `vega-datasets` package. */
export function loadWeatherPackage(): WeatherSet {
  return parseWeatherCsv(readFileSync(weatherCsvPath(), 'utf8'));
}

function pick(set: WeatherSet, rows: Int32Array): WeatherSet {
  const w = WEATHER_COLUMNS.length;
  const values = new Float32Array(rows.length * w);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    values.set(set.values.subarray(r * w, (r + 1) * w), i * w);
    labels[i] = set.labels[r]!;
  });
  return { count: rows.length, values, labels };
}

/** A seeded random split: `heldout` rows for the demo, the rest for training and the reference. */
export function splitWeather(set: WeatherSet, heldout: number, seed: number) {
  const order = new Int32Array(set.count).map((_, i) => i);
  shuffleInPlace(order, createRng(seed));
  return { train: pick(set, order.subarray(heldout)), heldout: pick(set, order.subarray(0, heldout)) };
}

/** Per-column mean and standard deviation of a set (population σ). */
export function columnStats(set: WeatherSet): { mean: Float32Array; std: Float32Array } {
  const w = WEATHER_COLUMNS.length;
  const mean = new Float32Array(w);
  const std = new Float32Array(w);
  for (let k = 0; k < w; k++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < set.count; r++) {
      const v = set.values[r * w + k]!;
      s += v;
      s2 += v * v;
    }
    const m = s / set.count;
    mean[k] = m;
    std[k] = Math.sqrt(Math.max(s2 / set.count - m * m, 1e-12));
  }
  return { mean, std };
}
