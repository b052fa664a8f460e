import { ApiError } from '../api-client.ts';
import type { Performance, Summary } from '../api-types.ts';
import { lineChart } from '../charts.ts';
import { card, h, table } from '../dom.ts';
import { num, pct, time } from '../format.ts';
import { bucketFor, type ViewContext } from '../view-context.ts';
import { versionChoice } from './version-choice.ts';

/** The answers that mean "this version cannot be estimated": the fix is the same publish step. */
const UNCALIBRATED = new Set(['no_calibration', 'no_reference']);

/** What to do when the version has no labelled reference (or no schema naming a classes output). */
function calibrationHelp(model: string, version: string | undefined, err: ApiError): HTMLElement {
  const v = version ?? '<version>';
  return h(
    'div',
    { class: 'accuracy-empty', 'data-testid': 'accuracy-empty', 'data-code': err.code },
    h('p', { class: 'error' }, `${err.code}: ${err.message}`),
    h(
      'p',
      {},
      'The estimate needs a reference profile built with labels, published with a schema that names a ',
      h('code', {}, 'classes'),
      ' output. Build it from labelled samples, then publish the version with both:',
    ),
    h(
      'pre',
      {},
      h(
        'code',
        {},
        `driftline profile samples.csv --model ${model} --version ${v} --schema schema.json --labels COL\n` +
          `driftline publish model.onnx --model ${model} --version ${v} --schema schema.json --reference ${model}-${v}.profile`,
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      'COL is the column (or JSONL field) with each sample’s true class (docs/collector.md, "driftline profile"). Realized accuracy comes from devices: ',
      h('code', {}, 'rt.feedback(id, { label })'),
      ' on runs tagged with an id.',
    ),
  );
}

/**
 * Accuracy: per bucket, the label-free estimate (CBPE, from the confidences the version's labelled
 * reference calibrates) against the accuracy realized by devices' feedback, and the reference's own.
 */
export async function accuracyView(ctx: ViewContext): Promise<HTMLElement> {
  const base = `/v1/models/${encodeURIComponent(ctx.model)}`;
  const from = ctx.now - ctx.rangeMs;
  const bucket = bucketFor(ctx.rangeMs);
  const summary = await ctx.api.get<Summary>(`${base}/summary`, { from, to: ctx.now });
  const { version, select: versionSelect } = versionChoice(ctx, summary, 'accuracy');
  const controls = h('div', { class: 'controls' }, h('label', {}, 'version ', versionSelect));
  let perf: Performance;
  try {
    perf = await ctx.api.get<Performance>(`${base}/performance`, { version, from, to: ctx.now, bucket });
  } catch (err) {
    if (err instanceof ApiError && UNCALIBRATED.has(err.code)) {
      return h(
        'div',
        { class: 'view', 'data-view': 'accuracy' },
        card(
          `Accuracy · ${ctx.model}${version ? `@${version}` : ''}`,
          controls,
          calibrationHelp(ctx.model, version, err),
        ),
      );
    }
    throw err;
  }
  const x = perf.points.map((p) => p.t);
  const w = perf.window;
  return h(
    'div',
    { class: 'view', 'data-view': 'accuracy' },
    card(
      `Accuracy per ${perf.bucket} · ${ctx.model}@${perf.version}`,
      controls,
      lineChart({
        x,
        series: [
          { label: 'estimated (CBPE)', values: perf.points.map((p) => p.estimated), color: '#2563eb' },
          { label: 'realized (feedback)', values: perf.points.map((p) => p.realized), color: '#16a34a' },
          {
            label: 'reference',
            values: x.map(() => perf.referenceAccuracy),
            color: '#64748b',
            dash: [6, 4],
          },
        ],
        width: ctx.width,
        yLabel: 'accuracy',
        yRange: [0, 1],
        yFormat: (v) => `${Math.round(v * 100)}%`,
        testId: 'accuracy-chart',
      }),
      h(
        'p',
        { class: 'summary-line', 'data-testid': 'accuracy-summary' },
        `Over the range: estimated ${pct(w.estimated)} of ${num(w.predictions)} predictions, realized ${pct(w.realized)} from ${num(w.feedback)} feedback calls. `,
        `Reference accuracy ${pct(perf.referenceAccuracy)} (${num(perf.reference.predictions)} labelled predictions of `,
        h('code', {}, perf.output),
        ').',
      ),
      w.uncalibrated > 0
        ? h(
            'p',
            { class: 'muted' },
            `${pct(w.uncalibrated)} of the predictions are of classes the reference never predicted; the estimate takes their confidence at face value.`,
          )
        : null,
      h(
        'p',
        { class: 'muted' },
        'Estimated: what the confidences imply, calibrated on the labelled reference published with the version (no labels needed). Realized: the share of runs whose feedback label matched the prediction (',
        h('code', {}, 'rt.feedback(id, { label })'),
        '); a bucket without feedback leaves a gap.',
      ),
      table(
        ['time', 'predictions', 'estimated', 'feedback', 'realized'],
        perf.points.map((p) => [
          time(p.t),
          num(p.predictions),
          pct(p.estimated),
          num(p.feedback),
          pct(p.realized),
        ]),
        { 'data-testid': 'accuracy-table' },
      ),
    ),
  );
}
