import { ApiError } from '../api-client.ts';
import type { HistoryEntry, PublishedVersion, RolloutStatus, Verdict } from '../api-types.ts';
import { confirmDialog } from '../confirm-dialog.ts';
import { badge, card, h, table } from '../dom.ts';
import { brief, num, time } from '../format.ts';
import type { ViewContext } from '../view-context.ts';

/** A policy snapshot of the history as "stable 1.0.0 · candidate 1.1.0 at 10%"; other values as JSON. */
function policyText(v: unknown): string {
  if (v && typeof v === 'object' && 'files' in v && Array.isArray(v.files)) {
    const f = v as { files: unknown[]; format?: string };
    return `${f.format ?? 'model'}, ${f.files.length} file${f.files.length === 1 ? '' : 's'}`;
  }
  if (!v || typeof v !== 'object' || !('stable' in v)) return brief(v, 90);
  const p = v as {
    stable: string;
    candidate?: { version: string; percent: number } | null;
    shadow?: { version: string; percent: number } | null;
  };
  const parts = [`stable ${p.stable}`];
  if (p.candidate) parts.push(`candidate ${p.candidate.version} at ${num(p.candidate.percent)}%`);
  if (p.shadow) parts.push(`shadow ${p.shadow.version} on ${num(p.shadow.percent)}%`);
  return parts.join(' · ');
}

function verdictCard(v: Verdict | null): HTMLElement {
  if (!v)
    return card(
      'Guarded rollout verdict',
      h('p', { class: 'empty' }, 'No verdict yet (no candidate, or not judged yet).'),
    );
  return card(
    'Guarded rollout verdict',
    h(
      'p',
      { class: 'summary-line' },
      badge(v.result, 'verdict-result'),
      ` ${v.candidate} vs stable ${v.stable} · ${num(v.inferences.candidate)} vs ${num(v.inferences.stable)} inferences · ${time(v.window.from)}–${time(v.window.to)} · judged ${time(v.at)}`,
    ),
    table(
      ['check', 'backend', 'candidate', 'stable', 'limit', 'samples (cand / stable)', 'result'],
      v.checks.map((c) => [
        c.name,
        c.backend ?? '–',
        typeof c.candidate === 'number' ? num(c.candidate) : (c.candidate ?? '–'),
        typeof c.stable === 'number' ? num(c.stable) : (c.stable ?? '–'),
        typeof c.limit === 'number' ? num(c.limit) : c.limit,
        `${num(c.samples.candidate)} / ${num(c.samples.stable)}`,
        badge(c.result),
      ]),
      { 'data-testid': 'verdict-table' },
    ),
  );
}

/** The admin controls: ramp a candidate, promote it, roll back; each one asks first. */
function adminCard(ctx: ViewContext, s: RolloutStatus, versions: PublishedVersion[]): HTMLElement {
  const base = `/v1/models/${encodeURIComponent(ctx.model)}`;
  const p = s.policy;
  const message = h('p', { class: 'muted', 'data-testid': 'admin-message' });
  const act = async (
    title: string,
    text: string,
    label: string,
    run: (reason: string) => Promise<unknown>,
  ) => {
    const reason = await confirmDialog(title, text, label);
    if (reason === null) return;
    try {
      await run(reason);
      ctx.refresh();
    } catch (err) {
      message.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
      message.className = 'error';
    }
  };
  const choices = versions.map((v) => v.version).filter((v) => v !== p.stable);
  const candidate = h(
    'select',
    { 'data-testid': 'ramp-version' },
    ...choices.map((v) => h('option', { value: v, selected: v === p.candidate?.version }, v)),
  );
  const current = p.candidate?.percent ?? 0;
  const next = [1, 5, 10, 25, 50, 100].find((x) => x > current) ?? 100;
  const percent = h('input', {
    type: 'number',
    min: 0,
    max: 100,
    step: 'any',
    value: next,
    'data-testid': 'ramp-percent',
  });
  const reasonOf = (r: string) => (r ? { reason: r } : {});
  const ramp = h(
    'button',
    {
      'data-testid': 'ramp',
      disabled: choices.length === 0,
      onclick: () => {
        const v = candidate.value;
        const pc = Number(percent.value);
        void act(
          'Ramp the candidate',
          `Send ${ctx.model}@${v} to ${pc}% of devices (now ${p.candidate?.version === v ? current : 0}%).`,
          `Ramp to ${pc}%`,
          (r) => ctx.api.send('PUT', `${base}/rollout`, { candidate: v, percent: pc, ...reasonOf(r) }),
        );
      },
    },
    'Ramp…',
  );
  const promote = h(
    'button',
    {
      'data-testid': 'promote',
      disabled: !p.candidate,
      onclick: () =>
        void act(
          'Promote the candidate',
          `Make ${p.candidate?.version} the stable version of ${ctx.model} for every device.`,
          'Promote',
          (r) => ctx.api.send('POST', `${base}/promote`, reasonOf(r)),
        ),
    },
    'Promote…',
  );
  const rollback = h(
    'button',
    {
      class: 'danger',
      'data-testid': 'rollback',
      disabled: !p.candidate && !p.previousStable,
      onclick: () =>
        void act(
          'Roll back',
          p.candidate
            ? `Drop candidate ${p.candidate.version}: every device returns to stable ${p.stable}.`
            : `Return stable from ${p.stable} to the previous stable ${p.previousStable}.`,
          'Roll back',
          (r) => ctx.api.send('POST', `${base}/rollback`, reasonOf(r)),
        ),
    },
    'Roll back…',
  );
  return card(
    'Change the rollout (admin)',
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'candidate ', candidate),
      h('label', {}, 'percent ', percent),
      ramp,
      promote,
      rollback,
    ),
    message,
  );
}

/** Rollout: stable / candidate / shadow with percentages and live counts, verdict, history, actions. */
export async function rolloutView(ctx: ViewContext): Promise<HTMLElement> {
  const base = `/v1/models/${encodeURIComponent(ctx.model)}`;
  let s: RolloutStatus;
  try {
    s = await ctx.api.get<RolloutStatus>(`${base}/status`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      return h(
        'div',
        { class: 'view', 'data-view': 'rollout' },
        card(
          'Rollout',
          h(
            'p',
            { class: 'empty' },
            `No version of ${ctx.model} is published in the registry, so there is no rollout. Publish one with `,
            h('code', {}, `driftline publish ${ctx.model} <version> <dir>`),
            ' (docs/rollout.md).',
          ),
        ),
      );
    }
    throw err;
  }
  const [history, versions] = await Promise.all([
    ctx.api.get<{ entries: HistoryEntry[] }>(`${base}/history`, { limit: 30 }),
    ctx.api.get<{ versions: PublishedVersion[] }>(`${base}/versions`).catch(() => ({ versions: [] })),
  ]);
  const p = s.policy;
  const cand = p.candidate?.percent ?? 0;
  const live = (v: string, role = 'primary') => s.live.find((l) => l.version === v && l.role === role);
  const row = (role: string, version: string, percent: string, liveRole = 'primary') => {
    const l = live(version, liveRole);
    return h(
      'div',
      { class: `lane lane-${role}`, 'data-testid': `lane-${role}`, 'data-version': version },
      h('div', { class: 'lane-role' }, role),
      h('div', { class: 'lane-version' }, version),
      h('div', { class: 'lane-percent', 'data-testid': `percent-${role}` }, percent),
      h('div', { class: 'lane-bar' }, h('span', { style: `width:${parseFloat(percent) || 0}%` })),
      h(
        'div',
        { class: 'lane-live' },
        `${num(l?.devicesToday ?? 0)} devices today · ${num(l?.inferences ?? 0)} inferences, ${num(l?.errors ?? 0)} errors last hour`,
      ),
    );
  };
  return h(
    'div',
    { class: 'view', 'data-view': 'rollout' },
    card(
      `Rollout · ${ctx.model} (revision ${p.revision}, updated ${time(p.updatedAt)})`,
      row('stable', p.stable, `${num(100 - cand)}%`),
      p.candidate
        ? row('candidate', p.candidate.version, `${num(cand)}%`)
        : h('p', { class: 'muted' }, 'No candidate.'),
      p.shadow
        ? row('shadow', p.shadow.version, `${num(p.shadow.percent)}%`, 'shadow')
        : h('p', { class: 'muted' }, 'No shadow version.'),
      p.shadow
        ? h('p', { class: 'muted' }, `Shadow runs on ${num(p.shadow.sample)}% of those devices' inferences.`)
        : null,
      ctx.role === 'admin'
        ? null
        : h(
            'p',
            { class: 'muted', 'data-testid': 'read-only' },
            'Read-only: enter an admin key to ramp, promote or roll back.',
          ),
    ),
    ctx.role === 'admin' ? adminCard(ctx, s, versions.versions) : null,
    verdictCard(s.verdict),
    card(
      'History',
      table(
        ['time', 'action', 'actor', 'reason', 'before', 'after'],
        history.entries.map((e) => [
          time(e.at),
          h('span', { class: `kind kind-${e.action}` }, e.action),
          e.actor ?? '–',
          e.reason ?? '–',
          policyText(e.before),
          policyText(e.after),
        ]),
        { 'data-testid': 'history-table' },
      ),
    ),
  );
}
