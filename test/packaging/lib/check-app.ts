import type { ScenarioResult } from './browser.ts';
import type { ServedCollector } from './collector.ts';
import { check } from './steps.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every browser app must show: both engines on WASM, ONNX and TF.js agreeing within 1e-4,
 * nothing waiting in the outbox, and the collector counting exactly the runs made, per model.
 */
export async function checkApp(result: ScenarioResult, collector: ServedCollector): Promise<string> {
  for (const engine of ['onnx', 'tfjs'] as const) {
    check(
      result.info[engine].backend === 'wasm',
      `${engine}: info().backend is ${result.info[engine].backend}, not wasm (${JSON.stringify(result.info[engine])})`,
    );
    const status = result.status[engine];
    check(status, `${engine}: status() answered nothing: telemetry is off`);
    check(!status.lastError, `${engine}: telemetry failed: ${JSON.stringify(status.lastError)}`);
    check(
      status.waiting.inferences === 0,
      `${engine}: ${status.waiting.inferences} inferences still waiting`,
    );
  }
  check(result.maxDiff < 1e-4, `ONNX and TF.js differ by ${result.maxDiff} (max abs diff must be < 1e-4)`);
  check(result.argmaxAgree, 'ONNX and TF.js disagree on the predicted class');

  const counted = await countsAtCollector(collector, result);
  for (const engine of ['onnx', 'tfjs'] as const) {
    const model = result.models[engine];
    check(
      counted[engine] === result.runs[engine],
      `collector counts ${counted[engine]} inferences of ${model}, the page made ${result.runs[engine]}`,
    );
    const groups = await collector.latencyByBackend(model);
    check(
      groups.length === 1 && groups[0]!.key === 'wasm' && groups[0]!.inferences === result.runs[engine],
      `latency of ${model} by backend: expected one wasm group of ${result.runs[engine]}, got ${JSON.stringify(groups)}`,
    );
  }
  return `onnx ${result.runs.onnx} runs = ${counted.onnx} at the collector, tfjs ${result.runs.tfjs} = ${counted.tfjs}; backends wasm/wasm; max abs diff ${result.maxDiff.toExponential(2)}`;
}

/** Waits (at most 15 s) until the counts reach the runs made, then reads them once more after 1 s. */
async function countsAtCollector(
  collector: ServedCollector,
  result: ScenarioResult,
): Promise<{ onnx: number; tfjs: number }> {
  const read = async () => ({
    onnx: await collector.inferences(result.models.onnx),
    tfjs: await collector.inferences(result.models.tfjs),
  });
  const deadline = Date.now() + 15_000;
  let counts = await read();
  while ((counts.onnx < result.runs.onnx || counts.tfjs < result.runs.tfjs) && Date.now() < deadline) {
    await sleep(250);
    counts = await read();
  }
  await sleep(1000);
  return read();
}
