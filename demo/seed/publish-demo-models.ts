import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { weatherVersionBody } from '@driftline/collector/seed';
import { buildProfile, encodeProfile, type SampleValue, toBase64 } from '@driftline/protocol';
import { digitFeatures } from '../src/digit-features.ts';
import { parseHeldout } from '../src/heldout.ts';

const demo = join(import.meta.dirname, '..');

/**
 * The drift reference of the digit models: a profile of the clean held-out digits with the
 * runtime's input summaries (`input.mean`, `input.std`, …) and the demo's own features (`ink`,
 * `thickness`), base64 as the registry takes it. What the drift lab's distortions drift from.
 */
export async function digitsReferenceProfile(): Promise<string> {
  const digits = parseHeldout(await readFile(join(demo, 'public', 'data', 'heldout.bin')));
  const samples = digits.map(
    (d): Record<string, SampleValue> => ({
      input: { data: d.pixels, dims: [1, 784] },
      ...digitFeatures(d.pixels),
    }),
  );
  return toBase64(encodeProfile(buildProfile(samples)));
}

async function call(url: string, key: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
  });
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${url} answered HTTP ${res.status}: ${await res.text()}`);
  return res;
}

/** Whether the registry already holds a version of `model`. */
async function hasVersions(collectorUrl: string, adminKey: string, model: string): Promise<boolean> {
  const listing = await fetch(`${collectorUrl}/v1/models/${model}/versions`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  if (listing.ok) {
    const body = (await listing.json()) as { versions?: unknown[] };
    return (body.versions?.length ?? 0) > 0;
  }
  if (listing.status !== 404) {
    throw new Error(
      `GET /v1/models/${model}/versions answered HTTP ${listing.status}: ${await listing.text()}`,
    );
  }
  return false;
}

/**
 * Publishes the demo's tabular model, `weather` 1.0.0, when the registry has none: the ONNX file,
 * its schema (the registry checks it against the graph and the manifest delivers it) and its
 * labelled reference profile, all as `pnpm models:tabular` wrote them (the body is the dashboard
 * seed's, `weatherVersionBody`). Answers whether it published.
 */
export async function publishWeatherModel(collectorUrl: string, adminKey: string): Promise<boolean> {
  if (await hasVersions(collectorUrl, adminKey, 'weather')) return false;
  await call(`${collectorUrl}/v1/models/weather/versions`, adminKey, {
    method: 'POST',
    body: JSON.stringify(await weatherVersionBody(join(demo, '..'))),
  });
  return true;
}

/**
 * Publishes the demo's models to a collector's registry, each when it has none yet: digits 1.0.0
 * (the first, so stable) and 1.1.0 (ready to roll out), each with the reference profile, and the
 * tabular weather model with its schema ({@link publishWeatherModel}). Answers the digits
 * versions published (empty when the registry already had digits).
 */
export async function publishDemoModels(collectorUrl: string, adminKey: string): Promise<string[]> {
  await publishWeatherModel(collectorUrl, adminKey);
  if (await hasVersions(collectorUrl, adminKey, 'digits')) return [];
  const reference = await digitsReferenceProfile();
  const published: string[] = [];
  for (const [version, notes] of [
    ['1.0.0', 'MLP 784-128-10, 96.1% on the held-out digits'],
    ['1.1.0', 'CNN, 97.4% on the held-out digits'],
  ] as const) {
    const bytes = await readFile(join(demo, 'public', 'models', 'digits', version, 'model.onnx'));
    await call(`${collectorUrl}/v1/models/digits/versions`, adminKey, {
      method: 'POST',
      body: JSON.stringify({
        version,
        format: 'onnx',
        files: [{ path: 'model.onnx', data: bytes.toString('base64') }],
        reference,
        notes,
      }),
    });
    published.push(version);
  }
  return published;
}
