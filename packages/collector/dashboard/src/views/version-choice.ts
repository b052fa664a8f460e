import type { Summary } from '../api-types.ts';
import { h } from '../dom.ts';
import type { ViewContext } from '../view-context.ts';

/**
 * The version a view shows and the select that changes it: the one chosen last in this view for
 * this model (kept in `ctx.state` across refreshes) while the range still has it, else the one
 * seen last. The select's test id is `<view>-version`.
 */
export function versionChoice(
  ctx: ViewContext,
  summary: Summary,
  view: string,
): { versions: string[]; version: string | undefined; select: HTMLElement } {
  const versions = summary.versions.map((v) => v.version);
  const key = `${view}.version.${ctx.model}`;
  let version = ctx.state.get(key);
  if (!version || !versions.includes(version)) {
    version = [...summary.versions].sort((a, b) => b.lastSeen - a.lastSeen)[0]?.version;
  }
  const select = h(
    'select',
    {
      'data-testid': `${view}-version`,
      onchange: (e: Event) => {
        ctx.state.set(key, (e.target as HTMLSelectElement).value);
        ctx.refresh();
      },
    },
    ...versions.map((v) => h('option', { value: v, selected: v === version }, v)),
  );
  return { versions, version, select };
}
