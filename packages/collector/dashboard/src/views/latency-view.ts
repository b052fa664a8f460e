import type { Latency, LatencyOverTime, Timeseries } from '../api-types.ts';
import { barChart, lineChart } from '../charts.ts';
import { card, h, table } from '../dom.ts';
import { ms, num } from '../format.ts';
import { bucketFor, halfWidth, type ViewContext } from '../view-context.ts';

/** One line per group (backend or segment) of a quantile over time, on the union of their buckets. */
function groupLines(t: LatencyOverTime, width: number, testId: string): HTMLElement {
  const x = [...new Set(t.series.flatMap((s) => s.points.map(([b]) => b)))].sort((a, b) => a - b);
  return lineChart({
    x,
    series: t.series.map((s) => {
      const m = new Map(s.points);
      return {
        label: s.key.length > 24 ? `${s.key.slice(0, 23)}…` : s.key,
        values: x.map((b) => m.get(b) ?? null),
      };
    }),
    width,
    height: 180,
    yLabel: `p${Math.round(t.quantile * 100)} ms`,
    testId,
  });
}

function groupCard(
  title: string,
  l: Latency,
  t: LatencyOverTime,
  width: number,
  testId: string,
): HTMLElement {
  const groups = l.groups;
  return card(
    title,
    groupLines(t, width, `${testId}-lines`),
    barChart({
      labels: groups.map((g) => (g.key.length > 18 ? `${g.key.slice(0, 17)}…` : g.key)),
      series: [
        { label: 'p50', values: groups.map((g) => g.p50 ?? 0) },
        { label: 'p90', values: groups.map((g) => g.p90 ?? 0), color: '#ea580c' },
        { label: 'p99', values: groups.map((g) => g.p99 ?? 0), color: '#dc2626' },
      ],
      width,
      yLabel: 'ms',
      xLabel: l.by,
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
  const quantile = Number(ctx.state.get('latency.quantile') ?? '0.9');
  const [p50, p90, p99, byBackend, bySegment, backendLines, segmentLines] = await Promise.all([
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'latency_p50', bucket, ...range }),
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'latency_p90', bucket, ...range }),
    ctx.api.get<Timeseries>(`${base}/timeseries`, { metric: 'latency_p99', bucket, ...range }),
    ctx.api.get<Latency>(`${base}/latency`, { by: 'backend', ...range }),
    ctx.api.get<Latency>(`${base}/latency`, { by: 'segment', ...range }),
    ctx.api.get<LatencyOverTime>(`${base}/latency/timeseries`, { by: 'backend', quantile, bucket, ...range }),
    ctx.api.get<LatencyOverTime>(`${base}/latency/timeseries`, { by: 'segment', quantile, bucket, ...range }),
  ]);
  const pick = h(
    'select',
    {
      'data-testid': 'latency-quantile',
      onchange: (e: Event) => {
        ctx.state.set('latency.quantile', (e.target as HTMLSelectElement).value);
        ctx.refresh();
      },
    },
    ...[0.5, 0.9, 0.99].map((q) =>
      h('option', { value: q, selected: q === quantile }, `p${Math.round(q * 100)}`),
    ),
  );
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
    h('div', { class: 'controls' }, h('label', {}, 'over time by backend and segment: ', pick)),
    h(
      'div',
      { class: 'grid2' },
      groupCard(
        `By backend · p${Math.round(quantile * 100)} over time`,
        byBackend,
        backendLines,
        half - 34,
        'by-backend',
      ),
      groupCard(
        `By device segment · p${Math.round(quantile * 100)} over time`,
        bySegment,
        segmentLines,
        half - 34,
        'by-segment',
      ),
    ),
  );
}
