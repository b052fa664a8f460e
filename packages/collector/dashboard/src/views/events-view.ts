import type { EventEntry } from '../api-types.ts';
import { card, h, table } from '../dom.ts';
import { brief, time } from '../format.ts';
import type { ViewContext } from '../view-context.ts';

/** Events and alerts (drift, latency, guarded rollout), newest first. */
export async function eventsView(ctx: ViewContext): Promise<HTMLElement> {
  const all = ctx.state.get('events.all') === '1';
  const { events } = await ctx.api.get<{ events: EventEntry[] }>('/v1/events', {
    model: all ? undefined : ctx.model,
    limit: 200,
  });
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
      all ? 'Events and alerts · all models' : `Events and alerts · ${ctx.model}`,
      h('label', { class: 'inline' }, toggle, ' all models'),
      events.length === 0
        ? h(
            'p',
            { class: 'empty', 'data-testid': 'no-events' },
            'No events yet: alerts and rollout actions show here.',
          )
        : table(
            ['time', 'model', 'version', 'kind', 'detail'],
            events.map((e) => [
              time(e.createdAt),
              e.model,
              e.version ?? '–',
              h('span', { class: `kind kind-${e.kind.replace(/[^a-z_]/gi, '')}` }, e.kind),
              h('code', {}, brief(e.detail)),
            ]),
            { 'data-testid': 'events-table' },
          ),
    ),
  );
}
