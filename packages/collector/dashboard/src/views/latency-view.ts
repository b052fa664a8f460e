import type { Latency, Timeseries } from '../api-types.ts';
import { barChart, lineChart } from '../charts.ts';
import { card, h, table } from '../dom.ts';
import { ms, num } from '../format.ts';
import { bucketFor, halfWidth, type ViewContext } from '../view-context.ts';

function groupCard(title: string, l: Latency, width: number, testId: string): HTMLElement {
  const groups = l.groups;
  return card(
    title,
    barChart({
      labels: groups.map((g) => (g.key.length > 18 ? `${g.key.slice(0, 17)}…` : g.key)),
      series: [
        { label: 'p50', values: groups.map((g) => g.p50 ?? 0) },
        { label: 'p90', values: groups.map((g) => g.p90 ?? 0), color: '#ea580c' },
        { label: 'p99', values: groups.map((g) => g.p99 ?? 0), color: '#dc2626' },
      ],
      width,
      yLabel: 'ms',
      testId: `${testId}-chart`,
    }),
    table(
      [l.by, 'inferences', 'p50', 'p90', 'p95', 'p99', 'mean'],
      groups.map((g) => [g.key, num(g.inferences), ms(g.p50), ms(g.p90), ms(g.p95), ms(g.p99), ms(g.mean)]),
      { 'data-testid': `${testId}-table` },
    ),
  );
}

/** Latency: p50/p90/p99 over time, and split by backend and by device segment. */
export async function latencyView(ctx: ViewContext): Promise<HTMLElement> {
  const from = ctx.now - ctx.rangeMs;
  const bucket = bucketFor(ctx.rangeMs);
  const base = `/v1/models/${encodeURIComponent(ctx.model)}`;
  const range = { from, to: ctx.now };
  const [p50, p90, p99, byBackend, bySegment] = await Promise.all([
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'latency_p50', bucket, ...range }),
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'latency_p90', bucket, ...range }),
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'latency_p99', bucket, ...range }),
    ctx.api.get<Latency>(`${base}/latency`, { by: 'backend', ...range }),
    ctx.api.get<Latency>(`${base}/latency`, { by: 'segment', ...range }),
  ]);
  const x = p50.points.map(([t]) => t);
  const at = (ts: Timeseries) => {
    const m = new Map(ts.points);
    return x.map((t) => m.get(t) ?? null);
  };
  const half = halfWidth(ctx.width);
  return h(
    'div',
    { class: 'view', 'data-view': 'latency' },
    card(
      `Total latency over time (per ${bucket}) · ${ctx.model}`,
      lineChart({
        x,
        series: [
          { label: 'p50', values: at(p50) },
          { label: 'p90', values: at(p90), color: '#ea580c' },
          { label: 'p99', values: at(p99), color: '#dc2626' },
        ],
        width: ctx.width,
        yLabel: 'ms',
        testId: 'latency-chart',
      }),
    ),
    h(
      'div',
      { class: 'grid2' },
      groupCard('By backend', byBackend, half, 'by-backend'),
      groupCard('By device segment', bySegment, half, 'by-segment'),
    ),
  );
}
