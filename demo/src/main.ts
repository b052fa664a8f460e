import type { Runtime } from '@driftline/runtime';
import { DIGIT_VERSIONS, type DigitChoice, startDigitRuntime, topClasses } from './digit-model.ts';
import { DISTORTION_LABELS, DISTORTIONS, type Distortion, distort, seededRandom } from './distortions.ts';
import { DrawPad } from './draw-pad.ts';
import { type HeldoutDigit, parseHeldout } from './heldout.ts';
import { grayFromRgba, MNIST_SIDE, toMnistInput } from './mnist-preprocess.ts';
import './style.css';
import { telemetryTarget } from './telemetry-target.ts';
import { setupWeatherLab } from './weather-lab.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const versionSelect = $<HTMLSelectElement>('version');
const status = $<HTMLElement>('status');
const results = $<HTMLOListElement>('results');
const preview = $<HTMLCanvasElement>('preview');
const previewCtx = preview.getContext('2d')!;
const target = telemetryTarget(location.search, import.meta.env);
setupWeatherLab(target);

/** Inferences this browser made (kept across reloads), to compare with the collector's count. */
const MADE_KEY = 'driftline-demo-inferences';
let made = Number(localStorage.getItem(MADE_KEY) ?? 0);
function countInference(): void {
  made++;
  localStorage.setItem(MADE_KEY, String(made));
  document.body.dataset.inferences = String(made);
}
document.body.dataset.inferences = String(made);

let runtime: Promise<Runtime> | undefined;
let distortion: Distortion = 'none';
const latencies: number[] = [];
let lastRun: { id: string; predicted: number } | undefined;
let runSeq = 0;

function setStatus(text: string, state: 'idle' | 'busy' | 'ready' | 'error'): void {
  status.textContent = text;
  status.dataset.state = state;
}

/** Shows the version the runtime runs now (it changes under `rollout` when the collector says so). */
function showVersion(rt: Runtime): void {
  const info = rt.info();
  document.body.dataset.modelVersion = info.model.version;
  document.body.dataset.backend = info.backend;
  $('version-note').textContent =
    versionSelect.value === 'rollout' ? `the collector assigns ${info.model.version} to this device` : '';
}

function loadVersion(choice: DigitChoice): void {
  const previous = runtime;
  setStatus(`loading model ${choice === 'rollout' ? 'digits from the collector' : choice}…`, 'busy');
  delete document.body.dataset.modelVersion;
  runtime = (async () => {
    // One runtime at a time: the old one closes its window and hands it to the outbox first.
    await previous?.then((p) => p.dispose()).catch(() => undefined);
    const rt = await startDigitRuntime(choice, target);
    rt.on('update', (e) => {
      if (e.type === 'activated') {
        showVersion(rt);
        setStatus(`the collector switched this device from ${e.from} to ${e.to}`, 'ready');
        if (currentInput()) void classify();
      } else if (e.type === 'failed') {
        setStatus(`version ${e.version} was refused (${e.reason}); still on ${e.running}`, 'ready');
      }
    });
    return rt;
  })();
  runtime.then(
    (rt) => {
      const info = rt.info();
      setStatus(
        `model digits ${info.model.version} ready (${info.backend}, from ${info.modelSource}, ${info.loadMs.toFixed(0)} ms) — draw a digit`,
        'ready',
      );
      $('fallbacks').textContent = info.fallbacks.length
        ? `not used: ${info.fallbacks.map((f) => `${f.device} (${f.reason})`).join('; ')}`
        : '';
      showVersion(rt);
      if (currentInput()) void classify();
    },
    (error: unknown) => setStatus(`could not load model ${choice}: ${String(error)}`, 'error'),
  );
}

function drawPreview(input: Float32Array): void {
  const image = previewCtx.createImageData(MNIST_SIDE, MNIST_SIDE);
  input.forEach((v, i) => {
    const g = Math.round(v * 255);
    image.data.set([g, g, g, 255], i * 4);
  });
  previewCtx.putImageData(image, 0, 0);
}

/** The drawing as the model's input, with the drift lab's distortion applied. */
function currentInput(): Float32Array | undefined {
  const { data, width, height } = pad.pixels();
  const input = toMnistInput(grayFromRgba(data, width, height));
  return input && distort(input, distortion);
}

let running: Promise<void> | undefined;
let again = false;

/** Classifies the drawing; calls made while a run is in flight collapse into one more run. */
function classify(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = classifyOnce().finally(() => {
    running = undefined;
    if (again) {
      again = false;
      void classify();
    }
  });
  return running;
}

async function classifyOnce(): Promise<void> {
  const input = currentInput();
  if (!input || !runtime) return;
  drawPreview(input);
  try {
    const rt = await runtime;
    const id = `draw-${Date.now()}-${runSeq++}`;
    const started = performance.now();
    const out = await rt.run({ input: { data: input, dims: [1, input.length] } }, { id });
    const ms = performance.now() - started;
    countInference();
    const top = topClasses(out.probs!.data as Float32Array, 3);
    results.replaceChildren(
      ...top.map(({ digit, p }) => {
        const li = document.createElement('li');
        li.dataset.digit = String(digit);
        li.innerHTML = `<span class="digit">${digit}</span><span class="bar" style="--p:${p}"></span><span class="p">${(p * 100).toFixed(1)}%</span>`;
        return li;
      }),
    );
    const predicted = top[0]!.digit;
    $('prediction').textContent = String(predicted);
    const info = rt.info();
    showVersion(rt);
    $('meta').textContent =
      `model digits ${info.model.version} · ONNX on ${info.backend} · ${ms.toFixed(1)} ms`;
    latencies.unshift(ms);
    latencies.length = Math.min(latencies.length, 8);
    $('latency').textContent = latencies.map((l) => l.toFixed(1)).join(' · ');
    document.body.dataset.prediction = String(predicted);
    lastRun = { id, predicted };
    $<HTMLFieldSetElement>('feedback').disabled = false;
    $('feedback-status').textContent = '';
  } catch (error) {
    setStatus(`inference failed: ${String(error)}`, 'error');
  }
}

async function sendFeedback(label: number): Promise<void> {
  if (!lastRun || !runtime) return;
  const run = lastRun;
  try {
    await (await runtime).feedback(run.id, { label, accepted: label === run.predicted });
    $('feedback-status').textContent =
      label === run.predicted ? 'thanks: counted as right' : `thanks: counted as ${label}`;
    $<HTMLFieldSetElement>('feedback').disabled = true;
  } catch (error) {
    $('feedback-status').textContent = `feedback failed: ${String(error)}`;
  }
}

let heldout: Promise<HeldoutDigit[]> | undefined;
function loadHeldout(): Promise<HeldoutDigit[]> {
  heldout ??= fetch(`${import.meta.env.BASE_URL}data/heldout.bin`).then(async (res) => {
    if (!res.ok) throw new Error(`data/heldout.bin answered HTTP ${res.status}: run \`pnpm models\``);
    return parseHeldout(new Uint8Array(await res.arrayBuffer()));
  });
  return heldout;
}

/**
 * Streams `count` held-out digits through the model with the chosen distortion, a few runs in
 * flight at a time, and sends each label as feedback so the dashboard can show accuracy.
 */
async function replay(count: number): Promise<void> {
  const button = $<HTMLButtonElement>('replay');
  const out = $('replay-status');
  button.disabled = true;
  document.body.dataset.replay = 'running';
  try {
    const [digits, rt] = await Promise.all([loadHeldout(), runtime!]);
    const random = seededRandom(7);
    const started = performance.now();
    let done = 0;
    let right = 0;
    let next = 0;
    const kind = distortion;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const digit = digits[i % digits.length]!;
        const input = distort(digit.pixels, kind, random);
        const id = `replay-${Date.now()}-${i}`;
        const res = await rt.run({ input: { data: input, dims: [1, input.length] } }, { id });
        countInference();
        const predicted = topClasses(res.probs!.data as Float32Array, 1)[0]!.digit;
        if (predicted === digit.label) right++;
        await rt.feedback(id, { label: digit.label });
        done++;
        if (done % 50 === 0 || done === count) {
          drawPreview(input);
          const s = (performance.now() - started) / 1000;
          out.textContent = `${done} / ${count} digits (${DISTORTION_LABELS[kind]}) in ${s.toFixed(1)} s, ${(done / s).toFixed(0)}/s, accuracy ${((100 * right) / done).toFixed(1)}%`;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await rt.flush();
    document.body.dataset.replay = 'done';
  } catch (error) {
    out.textContent = `replay failed: ${String(error)}`;
    document.body.dataset.replay = 'failed';
  } finally {
    button.disabled = false;
  }
}

async function showTelemetry(): Promise<void> {
  const el = $('telemetry');
  if (!target.collector) {
    el.textContent = `telemetry off (no collector configured) · ${made} inferences made here`;
    return;
  }
  try {
    const s = await (await runtime!).stats();
    if (!s) return;
    el.textContent = `${made} inferences made here · ${s.sentWindows} windows sent to ${target.collector} · waiting: ${s.pending.windows} windows (${s.pending.inferences} inferences)`;
    document.body.dataset.pending = String(s.pending.inferences);
  } catch {
    // The runtime is being replaced (version switch); the next tick shows it.
  }
}

function showOnline(): void {
  $('offline').hidden = navigator.onLine;
  document.body.dataset.online = String(navigator.onLine);
}

const pad = new DrawPad($<HTMLCanvasElement>('pad'), () => void classify());

if (target.collector) versionSelect.add(new Option('rollout (the collector decides)', 'rollout'));
for (const version of DIGIT_VERSIONS) versionSelect.add(new Option(version, version));
versionSelect.addEventListener('change', () => loadVersion(versionSelect.value as DigitChoice));
// `?version=1.0.0` starts on a local version; by default the collector's rollout decides.
const wanted = new URLSearchParams(location.search).get('version');
if (wanted && [...versionSelect.options].some((o) => o.value === wanted)) versionSelect.value = wanted;
for (let d = 0; d <= 9; d++) $<HTMLSelectElement>('feedback-label').add(new Option(String(d), String(d)));
$('feedback-yes').addEventListener('click', () => void sendFeedback(lastRun?.predicted ?? -1));
$('feedback-no').addEventListener(
  'click',
  () => void sendFeedback(Number($<HTMLSelectElement>('feedback-label').value)),
);

const group = $('distortions');
for (const kind of DISTORTIONS) {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.distortion = kind;
  button.setAttribute('role', 'radio');
  button.setAttribute('aria-checked', String(kind === distortion));
  button.textContent = DISTORTION_LABELS[kind];
  button.addEventListener('click', () => {
    distortion = kind;
    for (const b of group.querySelectorAll('button')) b.setAttribute('aria-checked', String(b === button));
    document.body.dataset.distortion = kind;
    if (currentInput()) void classify();
  });
  group.append(button);
}
document.body.dataset.distortion = distortion;
$('replay').addEventListener('click', () => {
  const count = Math.max(1, Math.min(2000, Number($<HTMLInputElement>('replay-count').value) || 1000));
  void replay(count);
});
$('clear').addEventListener('click', () => {
  pad.clear();
  results.replaceChildren();
  previewCtx.clearRect(0, 0, MNIST_SIDE, MNIST_SIDE);
  $('prediction').textContent = '–';
  $('meta').textContent = '';
  $<HTMLFieldSetElement>('feedback').disabled = true;
  delete document.body.dataset.prediction;
});

addEventListener('online', showOnline);
addEventListener('offline', showOnline);
showOnline();
setInterval(() => void showTelemetry(), 1000);

// The service worker (vite-plugin-pwa's Workbox build, production only: `vite dev` has none)
// precaches the app shell; once it controls the page, a reload works offline.
function markOfflineReady(): void {
  if (navigator.serviceWorker?.controller) document.body.dataset.offlineReady = 'true';
}
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.addEventListener('controllerchange', markOfflineReady);
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL })
    .then(
      (registration) => {
        markOfflineReady();
        const installing = registration.installing;
        installing?.addEventListener('statechange', () => {
          document.body.dataset.serviceWorker = installing.state;
          if (installing.state === 'redundant') {
            setStatus('the service worker did not install; offline use is off', 'error');
          }
        });
      },
      (error: unknown) => {
        document.body.dataset.serviceWorker = 'unregistered';
        setStatus(`the service worker did not register (${String(error)}); offline use is off`, 'error');
      },
    );
  void navigator.serviceWorker.ready.then(markOfflineReady);
}

loadVersion(versionSelect.value as DigitChoice);
