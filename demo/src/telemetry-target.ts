/** The collector's well-known local ingest key (`driftline serve --dev`, docs/collector.md). */
export const DEV_INGEST_KEY = 'dl_ingest_dev_local_only';

/** Where telemetry goes; no collector means the model runs and nothing is sent. */
export interface TelemetryTarget {
  collector?: string;
  appKey?: string;
}

/**
 * The collector and key from the page's query (`?collector=URL&key=…`, `?collector=off`), else
 * from `VITE_DRIFTLINE_COLLECTOR_URL` / `VITE_DRIFTLINE_APP_KEY` (`pnpm start` sets the URL), the
 * key defaulting to the dev ingest key.
 */
export function telemetryTarget(search: string, env: Record<string, unknown>): TelemetryTarget {
  const q = new URLSearchParams(search);
  const fromEnv = (name: string) =>
    typeof env[name] === 'string' && env[name] !== '' ? (env[name] as string) : undefined;
  const collector = q.get('collector') ?? fromEnv('VITE_DRIFTLINE_COLLECTOR_URL');
  if (!collector || collector === 'off') return {};
  return { collector, appKey: q.get('key') ?? fromEnv('VITE_DRIFTLINE_APP_KEY') ?? DEV_INGEST_KEY };
}
