import { describe, expect, it } from 'vitest';
import { DEV_INGEST_KEY, telemetryTarget } from './telemetry-target.ts';

describe('telemetryTarget', () => {
  it('sends nowhere without a collector, or with ?collector=off', () => {
    expect(telemetryTarget('', {})).toEqual({});
    expect(telemetryTarget('?collector=off', { VITE_DRIFTLINE_COLLECTOR_URL: 'http://c' })).toEqual({});
  });

  it('takes the URL pnpm start passes, with the dev ingest key', () => {
    expect(telemetryTarget('', { VITE_DRIFTLINE_COLLECTOR_URL: 'http://127.0.0.1:8787' })).toEqual({
      collector: 'http://127.0.0.1:8787',
      appKey: DEV_INGEST_KEY,
    });
  });

  it('lets the query override both', () => {
    const env = { VITE_DRIFTLINE_COLLECTOR_URL: 'http://a', VITE_DRIFTLINE_APP_KEY: 'dl_ingest_env' };
    expect(telemetryTarget('?collector=http%3A%2F%2Fb&key=dl_ingest_q', env)).toEqual({
      collector: 'http://b',
      appKey: 'dl_ingest_q',
    });
    expect(telemetryTarget('', env)).toEqual({ collector: 'http://a', appKey: 'dl_ingest_env' });
  });
});
