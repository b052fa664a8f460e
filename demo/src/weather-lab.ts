import type { Runtime } from '@driftline/runtime';
import type { TelemetryTarget } from './telemetry-target.ts';
import {
  loadWeatherHeldout,
  shiftedRows,
  startWeatherRuntime,
  type WeatherHeldout,
} from './weather-model.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * The tabular drift lab: runs the 500 held-out Seattle days through the weather model, with one
 * chosen column shifted by k σ, sends each day's true weather as feedback, and flushes the window,
 * so the dashboard's drift view shows that column (`x.<column>`) red and the others green, and its
 * accuracy view the estimated (label-free) and the realized accuracy.
 */
export function setupWeatherLab(target: TelemetryTarget): void {
  const column = $<HTMLSelectElement>('weather-column');
  const sigma = $<HTMLInputElement>('weather-sigma');
  const sigmaOut = $<HTMLOutputElement>('weather-sigma-value');
  const button = $<HTMLButtonElement>('weather-run');
  const out = $<HTMLElement>('weather-status');
  let started: Promise<{ rt: Runtime; heldout: WeatherHeldout }> | undefined;
  const start = () => {
    started ??= (async () => {
      const [rt, heldout] = await Promise.all([startWeatherRuntime(target), loadWeatherHeldout()]);
      return { rt, heldout };
    })();
    return started;
  };
  const showSigma = () => {
    sigmaOut.textContent = `${Number(sigma.value).toFixed(1)} σ`;
  };
  sigma.addEventListener('input', showSigma);
  showSigma();
  void loadWeatherHeldout()
    .then((h) => {
      for (const [i, c] of h.columns.entries()) column.add(new Option(c, String(i), i === 1, i === 1));
      button.disabled = false;
    })
    .catch((e: unknown) => {
      out.textContent = `weather model unavailable: ${String(e)}`;
    });
  button.addEventListener('click', async () => {
    button.disabled = true;
    document.body.dataset.weather = 'running';
    try {
      const { rt, heldout } = await start();
      const k = Number(column.value);
      const s = Number(sigma.value);
      const w = heldout.columns.length;
      const values = shiftedRows(heldout, k, s);
      let right = 0;
      const batch = `weather-${Date.now()}`;
      for (let r = 0; r < heldout.rows.length; r++) {
        const id = `${batch}-${r}`;
        const res = await rt.run({ x: { data: values.slice(r * w, (r + 1) * w), dims: [1, w] } }, { id });
        const probs = res.probs!.data as Float32Array;
        let best = 0;
        for (let c = 1; c < probs.length; c++) if (probs[c]! > probs[best]!) best = c;
        if (best === heldout.truth[r]) right++;
        // The true weather of that day, so the collector has realized accuracy next to its
        // label-free estimate (the dashboard's accuracy view).
        await rt.feedback(id, { label: heldout.labels[heldout.truth[r]!]! });
      }
      await rt.flush();
      const n = heldout.rows.length;
      out.textContent = `${n} days with ${heldout.columns[k]} shifted by ${s.toFixed(1)} σ: accuracy ${((100 * right) / n).toFixed(1)}% · sent; in the dashboard's drift view for weather, x.${heldout.columns[k]} ${s === 0 ? 'stays green' : 'turns red'}`;
      document.body.dataset.weather = 'done';
    } catch (e) {
      out.textContent = `weather run failed: ${String(e)}`;
      document.body.dataset.weather = 'failed';
    } finally {
      button.disabled = false;
    }
  });
}
