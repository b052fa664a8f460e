import { type Args, flag, UsageError } from './args.ts';
import { request } from './remote.ts';
import { printTable } from './table.ts';

const percentOf = (args: Args, name: string, required: boolean): number | undefined => {
  const v = flag(args, name);
  if (v === undefined) {
    if (required) throw new UsageError(`--${name} is required (0..100).`);
    return undefined;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new UsageError(`--${name} must be a number in 0..100.`);
  return n;
};

/** Parses `--guard minSamples=500,maxP95Increase=0.3,driftStatus=off`. */
export function parseGuard(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of text.split(',')) {
    const [k, v] = pair.split('=');
    if (!k || v === undefined) throw new UsageError(`--guard takes key=value pairs, not "${pair}".`);
    out[k.trim()] =
      v === 'true'
        ? true
        : v === 'false'
          ? false
          : v === 'null'
            ? null
            : /^-?\d+(\.\d+)?$/.test(v)
              ? Number(v)
              : v;
  }
  return out;
}

type Policy = {
  stable: string;
  previousStable: string | null;
  candidate: { version: string; percent: number } | null;
  shadow: { version: string; percent: number; sample: number } | null;
};

function printPolicy(model: string, p: Policy): void {
  const cand = p.candidate ? `${p.candidate.version} on ${p.candidate.percent}% of devices` : 'none';
  const shadow = p.shadow
    ? `${p.shadow.version} on ${p.shadow.percent}% of devices, ${p.shadow.sample}% of inferences`
    : 'none';
  console.log(
    `${model}: stable ${p.stable}${p.previousStable ? ` (rollback to ${p.previousStable})` : ''}; candidate ${cand}; shadow ${shadow}`,
  );
}

const fmt = (x: unknown) =>
  typeof x === 'number'
    ? Number.isInteger(x)
      ? String(x)
      : x.toFixed(4)
    : x === null || x === undefined
      ? '-'
      : String(x);

/**
 * `driftline rollout|promote|rollback|pin|shadow|status`: rollout policy over HTTP (admin key for
 * changes, read key for status). `--reason` goes to the audit log; `--json` prints the raw answer.
 */
export async function rolloutCommand(command: string, args: Args): Promise<number> {
  const [, model, a, b] = args.positionals;
  if (!model) throw new UsageError(`${command} needs a model name.`);
  const m = encodeURIComponent(model);
  const reason = flag(args, 'reason');
  const json = args.flags.get('json') === true;
  let answer: unknown;
  switch (command) {
    case 'rollout': {
      const guard = flag(args, 'guard');
      if (guard)
        answer = await request(args, 'PUT', `/v1/models/${m}/guard`, { ...parseGuard(guard), reason });
      const candidate = flag(args, 'candidate');
      if (candidate) {
        answer = await request(args, 'PUT', `/v1/models/${m}/rollout`, {
          candidate,
          percent: percentOf(args, 'percent', true),
          reason,
        });
      } else if (!guard)
        throw new UsageError('rollout needs --candidate V --percent P (and/or --guard k=v,…).');
      break;
    }
    case 'promote':
    case 'rollback':
      answer = await request(args, 'POST', `/v1/models/${m}/${command}`, { reason });
      break;
    case 'pin': {
      if (!a) throw new UsageError('pin needs <model> <device> <version> (or <model> <device> --unpin).');
      const path = `/v1/models/${m}/pins/${encodeURIComponent(a)}`;
      if (args.flags.get('unpin') === true) answer = await request(args, 'DELETE', path);
      else if (b) answer = await request(args, 'PUT', path, { version: b, reason });
      else throw new UsageError('pin needs a version (or --unpin).');
      if (!json) {
        const r = answer as { deviceId: string; version: string | null };
        console.log(
          r.version
            ? `${model}: device ${r.deviceId} pinned to ${r.version}`
            : `${model}: device ${r.deviceId} unpinned`,
        );
        return 0;
      }
      break;
    }
    case 'shadow': {
      const off = args.flags.get('off') === true;
      const version = flag(args, 'version');
      if (!off && !version)
        throw new UsageError('shadow needs --version V --percent P [--sample S] (or --off).');
      answer = await request(args, 'PUT', `/v1/models/${m}/shadow`, {
        version: off ? null : version,
        percent: percentOf(args, 'percent', !off),
        sample: percentOf(args, 'sample', false),
        reason,
      });
      break;
    }
    case 'status': {
      const s = (await request(args, 'GET', `/v1/models/${m}/status`)) as {
        policy: Policy;
        pins: { deviceId: string; version: string }[];
        verdict: {
          result: string;
          at: number;
          candidate: string;
          stable: string;
          checks: {
            name: string;
            backend?: string;
            candidate: unknown;
            stable: unknown;
            limit: unknown;
            result: string;
          }[];
        } | null;
        live: { version: string; role: string; devicesToday: number; inferences: number; errors: number }[];
      };
      if (json) {
        console.log(JSON.stringify(s, null, 2));
        return 0;
      }
      printPolicy(model, s.policy);
      if (s.pins.length) console.log(`pins: ${s.pins.map((p) => `${p.deviceId}=${p.version}`).join(', ')}`);
      console.log('\nlive (devices today, last hour)');
      printTable(
        ['version', 'role', 'devices', 'inferences', 'errors'],
        s.live.map((l) => [l.version, l.role, l.devicesToday, l.inferences, l.errors]),
      );
      if (s.verdict) {
        console.log(
          `\nverdict ${s.verdict.result} (${s.verdict.candidate} vs ${s.verdict.stable}, ${new Date(s.verdict.at).toISOString()})`,
        );
        printTable(
          ['check', 'candidate', 'stable', 'limit', 'result'],
          s.verdict.checks.map((c) => [
            c.backend ? `${c.name} ${c.backend}` : c.name,
            fmt(c.candidate),
            fmt(c.stable),
            fmt(c.limit),
            c.result,
          ]),
        );
      }
      return s.verdict?.result === 'fail' ? 3 : 0;
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
  if (json) console.log(JSON.stringify(answer, null, 2));
  else printPolicy(model, answer as Policy);
  return 0;
}
