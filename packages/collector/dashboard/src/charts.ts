import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.ts';

export const COLORS = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#be185d',
  '#4d7c0f',
];

export interface LineSeries {
  label: string;
  values: (number | null)[];
  color?: string;
  /** Dash pattern in px (`[6, 4]`) for a reference line; solid without. */
  dash?: number[];
}

/** A time-series line chart (x in ms since epoch) drawn by uPlot. */
export function lineChart(o: {
  x: number[];
  series: LineSeries[];
  width: number;
  height?: number;
  yLabel?: string;
  /** A fixed y range (e.g. `[0, 1]` for a share) instead of one fitted to the values. */
  yRange?: [number, number];
  yFormat?: (v: number) => string;
  testId?: string;
}): HTMLElement {
  const el = h('div', { class: 'chart', 'data-testid': o.testId, 'data-points': o.x.length });
  if (o.x.length === 0) {
    el.append(h('p', { class: 'empty' }, 'No data in this range yet.'));
    return el;
  }
  const opts: uPlot.Options = {
    width: o.width,
    height: o.height ?? 200,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, ...(o.yRange ? { y: { range: o.yRange } } : {}) },
    axes: [
      {},
      {
        label: o.yLabel,
        size: 56,
        values: o.yFormat ? (_u, splits) => splits.map((v) => o.yFormat!(v)) : undefined,
      },
    ],
    series: [
      {},
      ...o.series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? COLORS[i % COLORS.length],
        width: 2,
        dash: s.dash,
        value: o.yFormat ? (_u: uPlot, v: number | null) => (v === null ? '–' : o.yFormat!(v)) : undefined,
        spanGaps: false,
        points: { show: o.x.length < 3 },
      })),
    ],
  };
  new uPlot(opts, [o.x.map((t) => t / 1000), ...o.series.map((s) => s.values)] as uPlot.AlignedData, el);
  return el;
}

const PIXEL_PERCENT = 2 as uPlot.Series.BarsPathBuilderFacetUnit;

/**
 * Places bar `s` of `n` side by side inside each of `k` categories: left edge and width as
 * fractions of the plotting area (uPlot's `align` only knows left, centre and right).
 */
function groupedBar(s: number, n: number, k: number): uPlot.Series.BarsPathBuilderDisplay {
  const group = 0.8 / k;
  const width = group / n;
  return {
    x0: {
      unit: PIXEL_PERCENT,
      values: (_u, _si, i0, i1) => {
        const out: number[] = [];
        for (let i = i0; i <= i1; i++) out.push((i + 0.1) / k + s * width);
        return out;
      },
    },
    size: {
      unit: PIXEL_PERCENT,
      values: (_u, _si, i0, i1) => Array.from({ length: i1 - i0 + 1 }, () => width * 0.92),
    },
  };
}

/** Grouped bars over categories (bins or labels), drawn by uPlot's bars path builder. */
export function barChart(o: {
  labels: string[];
  /** Name of the categories in the legend. */
  xLabel?: string;
  /** Shorter labels under the bars (every other one is left out when they would overlap). */
  axisLabels?: string[];
  series: LineSeries[];
  width: number;
  height?: number;
  yLabel?: string;
  yFormat?: (v: number) => string;
  testId?: string;
}): HTMLElement {
  const el = h('div', { class: 'chart', 'data-testid': o.testId, 'data-bars': o.labels.length });
  if (o.labels.length === 0) {
    el.append(h('p', { class: 'empty' }, 'Nothing to draw.'));
    return el;
  }
  const bars = uPlot.paths.bars!;
  const opts: uPlot.Options = {
    width: o.width,
    height: o.height ?? 180,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: [-0.5, o.labels.length - 0.5] },
      y: { range: (_u, _min, max) => [0, max || 1] },
    },
    axes: [
      {
        splits: () => o.labels.map((_, i) => i),
        values: (_u, splits) => {
          const axis = o.axisLabels ?? o.labels;
          const longest = Math.max(...axis.map((l) => l.length));
          const step = (o.width - 70) / axis.length < longest * 7 ? 2 : 1;
          return splits.map((i) => (i % step === 0 ? (axis[i] ?? '') : ''));
        },
        size: 34,
        gap: 4,
      },
      {
        label: o.yLabel,
        size: 56,
        values: o.yFormat ? (_u, splits) => splits.map((v) => o.yFormat!(v)) : undefined,
      },
    ],
    series: [
      { label: o.xLabel ?? '', value: (_u, i) => (i === null ? '' : (o.labels[i] ?? '')) },
      ...o.series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? COLORS[i % COLORS.length],
        fill: `${s.color ?? COLORS[i % COLORS.length]}99`,
        width: 1,
        points: { show: false },
        paths: bars({ disp: groupedBar(i, o.series.length, o.labels.length) }),
      })),
    ],
  };
  new uPlot(opts, [o.labels.map((_, i) => i), ...o.series.map((s) => s.values)] as uPlot.AlignedData, el);
  return el;
}
