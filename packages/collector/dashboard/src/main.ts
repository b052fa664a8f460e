import './style.css';
import { ApiClient, ApiError } from './api-client.ts';
import type { ModelListEntry, Role } from './api-types.ts';
import { dialogOpen } from './confirm-dialog.ts';
import { h } from './dom.ts';
import { time } from './format.ts';
import { keyStore, modelStore } from './key-store.ts';
import type { View, ViewContext } from './view-context.ts';
import { accuracyView } from './views/accuracy-view.ts';
import { driftView } from './views/drift-view.ts';
import { eventsView } from './views/events-view.ts';
import { latencyView } from './views/latency-view.ts';
import { overviewView } from './views/overview-view.ts';
import { rolloutView } from './views/rollout-view.ts';

const VIEWS: Record<string, { title: string; render: View }> = {
  overview: { title: 'Fleet', render: overviewView },
  latency: { title: 'Latency', render: latencyView },
  drift: { title: 'Drift', render: driftView },
  accuracy: { title: 'Accuracy', render: accuracyView },
  rollout: { title: 'Rollout', render: rolloutView },
  events: { title: 'Events', render: eventsView },
};
const RANGES: [string, number][] = [
  ['15 min', 15 * 60_000],
  ['1 hour', 3_600_000],
  ['6 hours', 6 * 3_600_000],
  ['24 hours', 24 * 3_600_000],
];
const REFRESH_MS = 5_000;

const app = document.getElementById('app')!;
const state = new Map<string, string>();
let timer: ReturnType<typeof setTimeout> | undefined;
let rendering = false;
let again = false;

const viewName = (): string => {
  const v = location.hash.replace(/^#\/?/, '');
  return v in VIEWS ? v : 'overview';
};

/** The key form: shown until a key the collector accepts is entered. */
function showKeyForm(message?: string): void {
  clearTimeout(timer);
  const input = h('input', {
    type: 'password',
    name: 'key',
    autocomplete: 'off',
    placeholder: 'dl_read_… or dl_admin_…',
    'data-testid': 'key-input',
    required: true,
  });
  const form = h(
    'form',
    {
      class: 'card key-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        keyStore.set(input.value.trim());
        void start();
      },
    },
    h('h1', {}, 'Driftline dashboard'),
    h(
      'p',
      {},
      'Enter a read key (everything read-only) or an admin key (also ramp, promote, roll back). It stays in this browser (localStorage) and is sent as a Bearer token to this collector only.',
    ),
    h(
      'p',
      { class: 'muted' },
      'Create one with ',
      h('code', {}, 'driftline keys create --role read'),
      '; `pnpm start` uses the dev keys it prints.',
    ),
    message ? h('p', { class: 'error', 'data-testid': 'key-error' }, message) : null,
    input,
    h('button', { type: 'submit', 'data-testid': 'key-submit' }, 'Open the dashboard'),
  );
  app.replaceChildren(form);
  input.focus();
}

/** Checks the stored key, then renders the shell and the current view. */
async function start(): Promise<void> {
  const key = keyStore.get();
  if (!key) return showKeyForm();
  const api = new ApiClient(key);
  let role: Role;
  try {
    role = (await api.get<{ role: Role }>('/v1/whoami')).role;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      keyStore.clear();
      return showKeyForm(
        err.status === 401 ? 'The collector does not know this key (or it was revoked).' : err.message,
      );
    }
    return showKeyForm(err instanceof Error ? err.message : String(err));
  }
  shell(api, role);
}

function shell(api: ApiClient, role: Role): void {
  const main = h('main', { 'data-testid': 'content' });
  const updated = h('span', { class: 'updated', 'data-testid': 'last-updated' }, 'loading…');
  const modelSelect = h('select', { 'aria-label': 'model', 'data-testid': 'model-select' });
  const rangeSelect = h(
    'select',
    { 'aria-label': 'range', 'data-testid': 'range-select' },
    ...RANGES.map(([label, msRange]) =>
      h(
        'option',
        { value: msRange, selected: String(msRange) === (state.get('range') ?? String(3_600_000)) },
        label,
      ),
    ),
  );
  const auto = h('input', { type: 'checkbox', checked: true, 'data-testid': 'auto-refresh' });
  const nav = h(
    'nav',
    {},
    ...Object.entries(VIEWS).map(([id, v]) => h('a', { href: `#${id}`, 'data-view-link': id }, v.title)),
  );
  const header = h(
    'header',
    {},
    h('div', { class: 'brand' }, 'Driftline'),
    nav,
    h(
      'div',
      { class: 'header-controls' },
      modelSelect,
      rangeSelect,
      h('label', { class: 'inline' }, auto, ' auto'),
      h('button', { class: 'secondary', onclick: () => void render(), title: 'Refresh now' }, '↻'),
      updated,
      h('span', { class: `role role-${role}`, 'data-testid': 'role' }, role),
      h(
        'button',
        {
          class: 'secondary',
          onclick: () => {
            keyStore.clear();
            showKeyForm();
          },
        },
        'Key',
      ),
    ),
  );
  app.replaceChildren(header, main);
  let models: ModelListEntry[] = [];

  const schedule = () => {
    clearTimeout(timer);
    if (auto.checked) timer = setTimeout(() => void render(), REFRESH_MS);
  };

  async function render(): Promise<void> {
    if (rendering) {
      again = true;
      return;
    }
    // Never move the page under an open confirmation or a control being used.
    const active = document.activeElement;
    if (
      dialogOpen() ||
      (active instanceof HTMLInputElement && active.type !== 'checkbox' && main.contains(active))
    ) {
      schedule();
      return;
    }
    rendering = true;
    const name = viewName();
    for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.viewLink === name);
    try {
      models = (await api.get<{ models: ModelListEntry[] }>('/v1/models')).models;
      let model = modelSelect.value || modelStore.get() || '';
      if (!models.some((m) => m.name === model)) model = models[0]?.name ?? '';
      modelSelect.replaceChildren(
        ...models.map((m) => h('option', { value: m.name, selected: m.name === model }, m.name)),
      );
      if (!model) {
        main.replaceChildren(
          h(
            'section',
            { class: 'card', 'data-testid': 'no-models' },
            h('h2', {}, 'No telemetry yet'),
            h(
              'p',
              {},
              'Open the demo (pnpm start) and classify a few digits: its model appears here within seconds.',
            ),
          ),
        );
      } else {
        const ctx: ViewContext = {
          api,
          model,
          models,
          role,
          rangeMs: Number(rangeSelect.value),
          now: Date.now(),
          width: Math.max(280, main.clientWidth - 34),
          state,
          refresh: () => void render(),
        };
        const view = await VIEWS[name]!.render(ctx);
        if (name === viewName()) main.replaceChildren(view);
      }
      updated.textContent = `updated ${time(Date.now())}`;
      updated.classList.remove('stale');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        rendering = false;
        keyStore.clear();
        return showKeyForm('The key was refused; enter it again.');
      }
      const msg =
        err instanceof ApiError && err.code === 'unknown_model'
          ? 'No telemetry for this model in the chosen range: pick a longer range, or wait for devices to report.'
          : err instanceof ApiError
            ? `${err.code}: ${err.message}`
            : String(err);
      main.replaceChildren(h('section', { class: 'card error', 'data-testid': 'view-error' }, msg));
      updated.classList.add('stale');
    } finally {
      rendering = false;
    }
    if (again) {
      again = false;
      return render();
    }
    schedule();
  }

  modelSelect.addEventListener('change', () => {
    modelStore.set(modelSelect.value);
    void render();
  });
  rangeSelect.addEventListener('change', () => {
    state.set('range', rangeSelect.value);
    void render();
  });
  auto.addEventListener('change', () => (auto.checked ? void render() : clearTimeout(timer)));
  window.onhashchange = () => void render();
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.onresize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => void render(), 200);
  };
  void render();
}

void start();
