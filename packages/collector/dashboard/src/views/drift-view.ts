import { ApiError } from '../api-client.ts';
import type { Distributions, Drift, FeatureDistribution, Summary } from '../api-types.ts';
import { barChart } from '../charts.ts';
import { badge, card, h, table } from '../dom.ts';
import { num, pct, time } from '../format.ts';
import { halfWidth, type ViewContext } from '../view-context.ts';
import { versionChoice } from './version-choice.ts';

const short = (x: number) => num(x, 2);
const SEVERITY = { alert: 3, warn: 2, ok: 1, insufficient: 0 } as const;
/** Pictures drawn by default (each is a uPlot chart redrawn on every refresh). */
const MAX_PICTURES = 12;

/** Bin labels of the reference deciles: "≤a", "a–b", …, ">z" (legend), and the short axis form "≤b". */
function binLabels(edges: number[]): { full: string[]; axis: string[] } {
  if (edges.length === 0) return { full: ['all'], axis: ['all'] };
  const full = [`≤${short(edges[0]!)}`];
  for (let i = 1; i < edges.length; i++) full.push(`${short(edges[i - 1]!)}–${short(edges[i]!)}`);
  full.push(`>${short(edges[edges.length - 1]!)}`);
  const axis = edges.map((e) => `≤${short(e)}`).concat(`>${short(edges[edges.length - 1]!)}`);
  return { full, axis };
}

function picture(name: string, d: FeatureDistribution | undefined, width: number): HTMLElement {
  if (!d) return h('p', { class: 'empty' }, 'No distribution.');
  const labels = d.kind === 'numeric' ? binLabels(d.edges) : { full: d.labels, axis: d.labels };
  return barChart({
    labels: labels.full,
    axisLabels: labels.axis,
    xLabel: d.kind === 'numeric' ? 'bin' : 'label',
    series: [
      { label: 'reference', values: d.reference, color: '#64748b' },
      { label: 'current', values: d.current, color: '#2563eb' },
    ],
    width,
    height: 170,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    testId: `dist-${name}`,
  });
}

/**
 * Drift: per feature its status and statistics against the chosen reference, and a picture of
 * reference vs current (shares over the reference's deciles, or per label).
 */
export async function driftView(ctx: ViewContext): Promise<HTMLElement> {
  const base = `/v1/models/${encodeURIComponent(ctx.model)}`;
  const from = ctx.now - ctx.rangeMs;
  const summary = await ctx.api.get<Summary>(`${base}/summary`, { from, to: ctx.now });
  const { versions, version, select: versionSelect } = versionChoice(ctx, summary, 'drift');
  const reference = ctx.state.get(`drift.reference.${ctx.model}`) ?? 'auto';
  const refSelect = h(
    'select',
    {
      'data-testid': 'drift-reference',
      onchange: (e: Event) => {
        ctx.state.set(`drift.reference.${ctx.model}`, (e.target as HTMLSelectElement).value);
        ctx.refresh();
      },
    },
    h(
      'option',
      { value: 'auto', selected: reference === 'auto' },
      'default (uploaded reference, else baseline)',
    ),
    h('option', { value: 'registry', selected: reference === 'registry' }, 'uploaded reference profile'),
    h(
      'option',
      { value: 'baseline', selected: reference === 'baseline' },
      'baseline (first inferences of this version)',
    ),
    ...versions
      .filter((v) => v !== version)
      .map((v) =>
        h('option', { value: `version:${v}`, selected: reference === `version:${v}` }, `version ${v}`),
      ),
  );
  const controls = h(
    'div',
    { class: 'controls' },
    h('label', {}, 'version ', versionSelect),
    h('label', {}, 'reference ', refSelect),
  );
  let drift: Drift;
  let dist: Distributions | null = null;
  try {
    const q = { version, from, to: ctx.now, ...(reference === 'auto' ? {} : { reference }) };
    [drift, dist] = await Promise.all([
      ctx.api.get<Drift>(`${base}/drift`, q),
      ctx.api.get<Distributions>(`${base}/drift/distributions`, q).catch(() => null),
    ]);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no_reference') {
      return h(
        'div',
        { class: 'view', 'data-view': 'drift' },
        card('Drift', controls, h('p', { class: 'error' }, err.message)),
      );
    }
    throw err;
  }
  // Worst first, so the pictures that matter are on top; beyond MAX_PICTURES only on request.
  const names = Object.keys(drift.features).sort(
    (a, b) => SEVERITY[drift.features[b]!.status] - SEVERITY[drift.features[a]!.status] || a.localeCompare(b),
  );
  const showAll = ctx.state.get('drift.all') === '1';
  const pictured = showAll ? names : names.slice(0, MAX_PICTURES);
  const ref = drift.reference;
  const refText =
    ref.kind === 'registry'
      ? `the reference profile uploaded with ${drift.version} (${num(ref.inferences ?? 0)} inferences)`
      : ref.kind === 'baseline'
        ? `baseline of ${drift.version}: its first ${num(ref.inferences ?? 0)} inferences (up to ${time(ref.to ?? null)})`
        : `version ${ref.version}: its telemetry in the same range (${num(ref.inferences ?? 0)} inferences)`;
  const half = halfWidth(ctx.width);
  return h(
    'div',
    { class: 'view', 'data-view': 'drift' },
    card(
      `Drift · ${ctx.model}@${drift.version}`,
      controls,
      h(
        'p',
        { class: 'summary-line' },
        'Overall ',
        badge(drift.status, 'drift-overall'),
        ` · current window ${time(drift.window.from)}–${time(drift.window.to)}, ${num(drift.window.inferences)} inferences`,
      ),
      h('p', { class: 'muted', 'data-testid': 'drift-reference-text' }, `Reference in use: ${refText}.`),
      h(
        'p',
        { class: 'muted' },
        'Change it with the selector above, or in the API: ',
        h('code', {}, `GET ${base}/drift?reference=registry|baseline|version:<v>`),
        '. The baseline is the first inferences of the version (collector option baselineInferences).',
      ),
      table(
        ['feature', 'status', 'PSI', 'JS', 'KS / χ² p', 'Wasserstein', 'missing Δ', 'ref n', 'cur n'],
        names.map((n) => {
          const f = drift.features[n]!;
          return [
            h('code', {}, n),
            badge(f.status, `status-${n}`),
            num(f.psi),
            num(f.js),
            f.kind === 'numeric' ? num(f.ks ?? null) : num(f.chi2p ?? null),
            f.kind === 'numeric' ? num(f.wasserstein ?? null) : '–',
            pct(f.missing?.delta ?? null),
            num(f.referenceCount),
            num(f.currentCount),
          ];
        }),
        { 'data-testid': 'drift-table' },
      ),
    ),
    h(
      'div',
      { class: 'grid2' },
      ...pictured.map((n) =>
        h(
          'section',
          { class: 'card feature', 'data-feature': n },
          h('h3', {}, h('code', {}, n), ' ', badge(drift.features[n]!.status)),
          picture(n, dist?.features[n], half - 24),
        ),
      ),
    ),
    names.length > MAX_PICTURES
      ? h(
          'button',
          {
            class: 'secondary',
            'data-testid': 'drift-show-all',
            onclick: () => {
              ctx.state.set('drift.all', showAll ? '0' : '1');
              ctx.refresh();
            },
          },
          showAll ? `Show the worst ${MAX_PICTURES} only` : `Show all ${names.length} pictures`,
        )
      : null,
  );
}
