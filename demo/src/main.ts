import { DIGIT_VERSIONS, DigitClassifier, type DigitVersion, topClasses } from './digit-classifier.ts';
import { DrawPad } from './draw-pad.ts';
import { grayFromRgba, MNIST_SIDE, toMnistInput } from './mnist-preprocess.ts';
import './style.css';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const versionSelect = $<HTMLSelectElement>('version');
const status = $<HTMLElement>('status');
const results = $<HTMLOListElement>('results');
const preview = $<HTMLCanvasElement>('preview');
const previewCtx = preview.getContext('2d')!;

let classifier: Promise<DigitClassifier> | undefined;

function setStatus(text: string, state: 'idle' | 'busy' | 'ready' | 'error'): void {
  status.textContent = text;
  status.dataset.state = state;
}

function loadVersion(version: DigitVersion): void {
  const previous = classifier;
  setStatus(`loading model ${version}…`, 'busy');
  classifier = DigitClassifier.load(version);
  classifier.then(
    (c) => {
      setStatus(`model digits ${c.version} loaded in ${c.loadMs.toFixed(0)} ms — draw a digit`, 'ready');
      document.body.dataset.modelVersion = c.version;
      void previous?.then((p) => p.dispose());
      if (toMnistInput(grayFromRgba(pad.pixels().data, pad.canvas.width, pad.canvas.height))) void classify();
    },
    (error: unknown) => setStatus(`could not load model ${version}: ${String(error)}`, 'error'),
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
  const { data, width, height } = pad.pixels();
  const input = toMnistInput(grayFromRgba(data, width, height));
  if (!input || !classifier) return;
  drawPreview(input);
  try {
    const c = await classifier;
    const { probs, runMs } = await c.classify(input);
    const top = topClasses(probs, 3);
    results.replaceChildren(
      ...top.map(({ digit, p }) => {
        const li = document.createElement('li');
        li.dataset.digit = String(digit);
        li.innerHTML = `<span class="digit">${digit}</span><span class="bar" style="--p:${p}"></span><span class="p">${(p * 100).toFixed(1)}%</span>`;
        return li;
      }),
    );
    $('prediction').textContent = String(top[0]!.digit);
    $('meta').textContent =
      `model digits ${c.version} · ONNX on onnxruntime-web (WASM) · ${runMs.toFixed(1)} ms`;
    document.body.dataset.prediction = String(top[0]!.digit);
  } catch (error) {
    setStatus(`inference failed: ${String(error)}`, 'error');
  }
}

const pad = new DrawPad($<HTMLCanvasElement>('pad'), () => void classify());

for (const version of DIGIT_VERSIONS) versionSelect.add(new Option(version, version));
versionSelect.addEventListener('change', () => loadVersion(versionSelect.value as DigitVersion));
$('clear').addEventListener('click', () => {
  pad.clear();
  results.replaceChildren();
  previewCtx.clearRect(0, 0, MNIST_SIDE, MNIST_SIDE);
  $('prediction').textContent = '–';
  $('meta').textContent = '';
  delete document.body.dataset.prediction;
});
loadVersion(DIGIT_VERSIONS[0]);
