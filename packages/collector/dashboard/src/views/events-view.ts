import { ApiError } from '../api-client.ts';
import type { EventEntry, HistoryEntry } from '../api-types.ts';
import { card, h, table } from '../dom.ts';
import { brief, ms, num, time } from '../format.ts';
import type { ViewContext } from '../view-context.ts';

/** Rollout actions that belong in the alerts list: what the guard did, and manual ramps and rollbacks. */
const ROLLOUT_ACTIONS = new Set(['auto_rollback', 'auto_promote', 'rollback', 'promote', 'rollout']);

interface Row {
  at: number;
  model: string;
  version: string;
  kind: string;
  detail: string;
}

/** One line for an alert's detail: the feature and its statistics, or the backend and its p95. */
function describe(e: EventEntry): string {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  if (typeof d.feature === 'string') {
    return `${d.feature}: ${String(d.status)} (PSI ${num(d.psi as number)}, JS ${num(d.js as number)}, ${num(
      d.currentCount as number,
    )} vs ${num(d.referenceCount as number)} values)`;
  }
  if (typeof d.backend === 'string') {
    return `${d.backend}: p95 ${ms(d.p95 as number)} over ${ms(d.thresholdMs as number)} (${num(d.samples as number)} samples)`;
  }
  return brief(e.detail);
}

function fromHistory(model: string, e: HistoryEntry): Row {
  const after = (e.after ?? {}) as {
    stable?: string;
    candidate?: { version: string; percent: number } | null;
  };
  const v = e.verdict;
  const what = after.candidate
    ? `candidate ${after.candidate.version} at ${num(after.candidate.percent)}%`
    : `stable ${after.stable ?? '?'}`;
  const verdict = v
    ? `; verdict ${v.result}: ${
        v.checks
          .filter((c) => c.result === 'fail')
          .map((c) => c.name)
          .join(', ') || 'all checks pass'
      }`
    : '';
  return {
    at: Date.parse(e.at),
    model,
    version: after.candidate?.version ?? after.stable ?? '–',
    kind: `rollout ${e.action === 'rollout' ? 'ramp' : e.action}`,
    detail: `${what}${e.reason ? ` — ${e.reason}` : ''}${verdict}`,
  };
}

/** Events and alerts, newest first: drift and latency alerts, and the rollout's ramps and rollbacks. */
export async function eventsView(ctx: ViewContext): Promise<HTMLElement> {
  const all = ctx.state.get('events.all') === '1';
  const [{ events }, history] = await Promise.all([
    ctx.api.get<{ events: EventEntry[] }>('/v1/events', { model: all ? undefined : ctx.model, limit: 200 }),
    all
      ? Promise.resolve([] as HistoryEntry[])
      : ctx.api
          .get<{ entries: HistoryEntry[] }>(`/v1/models/${encodeURIComponent(ctx.model)}/history`, {
            limit: 100,
          })
          .then((r) => r.entries)
          .catch((err: unknown) => {
            if (err instanceof ApiError && err.status === 404) return [] as HistoryEntry[];
            throw err;
          }),
  ]);
  const rows: Row[] = [
    ...events.map((e) => ({
      at: Date.parse(e.createdAt),
      model: e.model,
      version: e.version ?? '–',
      kind: e.kind,
      detail: describe(e),
    })),
    ...history.filter((e) => ROLLOUT_ACTIONS.has(e.action)).map((e) => fromHistory(ctx.model, e)),
  ].sort((a, b) => b.at - a.at);
  const toggle = h('input', {
    type: 'checkbox',
    checked: all,
    onchange: (e: Event) => {
      ctx.state.set('events.all', (e.target as HTMLInputElement).checked ? '1' : '0');
      ctx.refresh();
    },
  });
  return h(
    'div',
    { class: 'view', 'data-view': 'events' },
    card(
      all ? 'Events and alerts · all models (alerts only)' : `Events and alerts · ${ctx.model}`,
      h('label', { class: 'inline' }, toggle, ' all models'),
      rows.length === 0
        ? h(
            'p',
            { class: 'empty', 'data-testid': 'no-events' },
            'No events yet: alerts and rollout actions show here.',
          )
        : table(
            ['time', 'model', 'version', 'kind', 'detail'],
            rows.map((r) => [
              time(r.at),
              r.model,
              r.version,
              h('span', { class: `kind kind-${r.kind.replace(/[^a-z_]/gi, '-')}` }, r.kind),
              r.detail,
            ]),
            { 'data-testid': 'events-table' },
          ),
    ),
  );
}
