import { start, stop, tail, waitForLine } from './processes.ts';

/** The `--dev` keys of `driftline serve` (docs/collector.md). */
export const DEV_KEYS = { ingest: 'dl_ingest_dev_local_only', read: 'dl_read_dev_local_only' } as const;

export interface ServedCollector {
  url: string;
  /** Inferences the collector holds for `model` over every version (0 when it has none). */
  inferences(model: string): Promise<number>;
  /** The latency route's groups by backend: `{ key: backend, inferences }`. */
  latencyByBackend(model: string): Promise<Array<{ key: string; inferences: number }>>;
  output(): string;
  stop(): Promise<void>;
}

/** `npx driftline serve --dev --port 0` from the installed tarball; the URL comes from its stderr line. */
export async function serveCollector(
  cwd: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<ServedCollector> {
  const child = start(
    'npx',
    ['driftline', 'serve', '--dev', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    {
      cwd,
      env,
    },
  );
  const { match, output } = await waitForLine(child, /listening on (http:\/\/\S+)/, 60_000);
  const url = match[1]!.replace(/\/$/, '');
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${DEV_KEYS.read}` } });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return {
    url,
    output,
    async inferences(model) {
      const { status, body } = await get(`/v1/models/${encodeURIComponent(model)}/summary`);
      if (status === 404) return 0;
      if (status !== 200) throw new Error(`summary of ${model}: HTTP ${status} ${JSON.stringify(body)}`);
      return (body as { versions: { inferences: number }[] }).versions.reduce((n, v) => n + v.inferences, 0);
    },
    async latencyByBackend(model) {
      const { status, body } = await get(`/v1/models/${encodeURIComponent(model)}/latency?by=backend`);
      if (status !== 200) throw new Error(`latency of ${model}: HTTP ${status} ${JSON.stringify(body)}`);
      return (body as { groups: Array<{ key: string; inferences: number }> }).groups;
    },
    async stop() {
      await stop(child, 10_000);
      if (child.exitCode !== 0 && child.signalCode === null)
        throw new Error(`driftline serve exited with ${child.exitCode}:\n${tail(output())}`);
    },
  };
}
