import * as ort from 'onnxruntime-web/wasm';

/** The digit model versions `pnpm models` publishes under `models/digits/`, newest first. */
export const DIGIT_VERSIONS = ['1.1.0', '1.0.0'] as const;
export type DigitVersion = (typeof DIGIT_VERSIONS)[number];

/** One classification: probabilities per class and how long the run took. */
export interface Classification {
  probs: Float32Array;
  runMs: number;
}

const base = import.meta.env.BASE_URL;
// Served by vite-plugin-ort.ts under dev and emitted there by the production build.
ort.env.wasm.wasmPaths = new URL(`${base}ort/`, window.location.href).href;
ort.env.wasm.numThreads = 1;

/** A loaded version of the digit model. */
export class DigitClassifier {
  private constructor(
    readonly version: DigitVersion,
    readonly loadMs: number,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Downloads `models/digits/<version>/model.onnx` and opens an ORT WASM session on it. */
  static async load(version: DigitVersion): Promise<DigitClassifier> {
    const started = performance.now();
    const response = await fetch(`${base}models/digits/${version}/model.onnx`);
    if (!response.ok) {
      throw new Error(`model ${version} answered HTTP ${response.status}: run \`pnpm models\` to create it`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    return new DigitClassifier(version, performance.now() - started, session);
  }

  /** Classifies one `[784]` input (pixels 0..1). */
  async classify(pixels: Float32Array): Promise<Classification> {
    const started = performance.now();
    const out = await this.session.run({ input: new ort.Tensor('float32', pixels, [1, pixels.length]) });
    const probs = out.probs?.data as Float32Array;
    return { probs, runMs: performance.now() - started };
  }

  /** Frees the session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Classes sorted by probability, highest first. */
export function topClasses(probs: Float32Array, k: number): { digit: number; p: number }[] {
  return Array.from(probs, (p, digit) => ({ digit, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, k);
}
