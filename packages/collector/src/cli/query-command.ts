import { type Args, flag, UsageError } from './args.ts';
import { request } from './remote.ts';
import { printTable } from './table.ts';

const get = (args: Args, path: string) => request(args, 'GET', path);

const ms = (x: number | null) => (x === null ? '-' : x.toFixed(2));

/** `driftline latency|drift <model>`: prints the collector's answer as a table. */
export async function queryCommand(command: 'latency' | 'drift', args: Args): Promise<number> {
  const model = args.positionals[1];
  if (!model) throw new UsageError(`${command} needs a model name.`);
  const qs = new URLSearchParams();
  for (const name of ['version', 'from', 'to', command === 'latency' ? 'by' : 'reference']) {
    const v = flag(args, name);
    if (v !== undefined) qs.set(name, v);
  }
  const path = `/v1/models/${encodeURIComponent(model)}/${command}?${qs}`;
  const body = await get(args, path);
  if (args.flags.get('json') === true) {
    console.log(JSON.stringify(body, null, 2));
    return 0;
  }
  if (command === 'latency') {
    const r = body as {
      by: string;
      stage: string;
      groups: {
        key: string;
        inferences: number;
        p50: number | null;
        p90: number | null;
        p99: number | null;
      }[];
    };
    console.log(`latency of ${model} (stage ${r.stage}, ms) by ${r.by}`);
    printTable(
      [r.by, 'inferences', 'p50', 'p90', 'p99'],
      r.groups.map((g) => [g.key, g.inferences, ms(g.p50), ms(g.p90), ms(g.p99)]),
    );
    return 0;
  }
  const r = body as {
    version: string;
    reference: { kind: string; version?: string; inferences?: number };
    window: { inferences: number };
    features: Record<string, { status: string; psi?: number; js?: number; ks?: number; chi2p?: number }>;
  };
  console.log(
    `drift of ${model}@${r.version} (${r.window.inferences} inferences) vs ${r.reference.kind}` +
      `${r.reference.version ? ` ${r.reference.version}` : ''} (${r.reference.inferences ?? '?'} inferences)`,
  );
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4));
  printTable(
    ['feature', 'status', 'psi', 'js', 'ks', 'chi2p'],
    Object.entries(r.features).map(([name, s]) => [name, s.status, f(s.psi), f(s.js), f(s.ks), f(s.chi2p)]),
  );
  return Object.values(r.features).some((s) => s.status === 'alert') ? 3 : 0;
}
