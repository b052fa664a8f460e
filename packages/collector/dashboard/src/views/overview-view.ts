import type { Summary, Timeseries } from '../api-types.ts';
import { lineChart } from '../charts.ts';
import { card, h, table } from '../dom.ts';
import { num, pct, time } from '../format.ts';
import { bucketFor, type ViewContext } from '../view-context.ts';

function tile(label: string, value: string, testId: string): HTMLElement {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'tile-value', 'data-testid': testId }, value),
    h('div', {}, label),
  );
}

/** Fleet overview: active devices, inferences per minute, errors, by model and version. */
export async function overviewView(ctx: ViewContext): Promise<HTMLElement> {
  const from = ctx.now - ctx.rangeMs;
  const bucket = bucketFor(ctx.rangeMs);
  const base = `/v1/models/${encodeURIComponent(ctx.model)}`;
  const [summary, inf, err] = await Promise.all([
    ctx.api.get<Summary>(`${base}/summary`, { from, to: ctx.now }),
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'inferences', bucket, from, to: ctx.now }),
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'errors', bucket, from, to: ctx.now }),
  ]);
  const errByT = new Map(err.points.map(([t, v]) => [t, v]));
  const x = inf.points.map(([t]) => t);
  const perMinute = bucket === 'hour' ? 60 : 1;
  const rate = summary.inferences > 0 ? summary.errors / summary.inferences : null;
  const minutes = Math.max(1, ctx.rangeMs / 60_000);
  return h(
    'div',
    { class: 'view', 'data-view': 'overview' },
    h(
      'div',
      { class: 'tiles' },
      tile('active devices', num(summary.devices), 'devices'),
      tile('inferences', num(summary.inferences), 'inferences'),
      tile('inferences / min (avg)', num(summary.inferences / minutes), 'per-minute'),
      tile('errors', `${num(summary.errors)} (${pct(rate)})`, 'errors'),
    ),
    card(
      `Inferences and errors per minute · ${ctx.model}`,
      lineChart({
        x,
        series: [
          { label: 'inferences/min', values: inf.points.map(([, v]) => (v === null ? null : v / perMinute)) },
          { label: 'errors/min', values: x.map((t) => (errByT.get(t) ?? 0) / perMinute), color: '#dc2626' },
        ],
        width: ctx.width,
        testId: 'inferences-chart',
      }),
    ),
    card(
      `By version · ${ctx.model}`,
      table(
        ['version', 'devices', 'inferences', 'errors', 'error rate', 'last seen'],
        summary.versions.map((v) => [
          v.version,
          num(v.devices),
          num(v.inferences),
          num(v.errors),
          pct(v.inferences > 0 ? v.errors / v.inferences : null),
          time(v.lastSeen),
        ]),
        { 'data-testid': 'versions-table' },
      ),
    ),
    card(
      'All models (all time)',
      table(
        ['model', 'versions', 'inferences'],
        ctx.models.map((m) => [m.name, m.versions.join(', '), num(m.inferences)]),
        { 'data-testid': 'models-table' },
      ),
    ),
  );
}
