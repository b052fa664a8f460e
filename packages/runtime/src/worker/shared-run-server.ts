/// <reference lib="es2024.sharedmemory" />
import { serializeError } from '../errors.ts';
import type { NamedTensors } from '../tensor.ts';
import type { Result, RunMeta, RunResponse } from './messages.ts';
import { ANSWER, QUEUED, REQUEST, readRequest, writeAnswer, writePortAnswer } from './shared-run-buffer.ts';

/** A run's answer and the buffers to transfer if it has to go over the port. */
export interface Answer {
  result: Result<NamedTensors>;
  transfer: ArrayBuffer[];
}

/** What the shared-memory server needs from the worker runtime. */
export interface SharedRunHandler {
  /** Runs one call (through the runtime's queue). */
  run(inputs: NamedTensors, meta: RunMeta): Promise<Answer>;
  /**
   * Does deferred work (telemetry summaries) while `waiting()` is false: a run that arrives goes
   * first, and the rest of the work waits for the next idle moment.
   */
  idle(waiting: () => boolean): void;
}

/** How long the worker keeps waiting blocked for the next call after it answered one. */
export const LINGER_MS = 1;
/** How long it waits for a back-to-back call before it turns to deferred work (summaries). */
export const GRACE_MS = 0.25;
/** How long a streak of calls caught while lingering may keep the event loop and deferred work waiting. */
export const STREAK_MS = 8;

/**
 * The worker side of the shared-memory data plane: reads a request, runs it, writes the answer
 * and wakes the page. An answer too big for the buffer goes over `port` instead. Runs until the
 * worker is terminated.
 *
 * Between calls it waits blocked in `Atomics.wait` (woken straight by the page's `notify`) for
 * `GRACE_MS`, so that a back-to-back call goes before deferred work; then it does the deferred work
 * (summaries) until a call comes; then it waits blocked again, up to `lingerMs`; then with
 * `Atomics.waitAsync`, so that its event loop serves comlink control calls, IndexedDB and timers.
 * Once calls caught while waiting blocked have held the event loop and the deferred work for
 * `STREAK_MS`, the deferred work is all done and the next wait is a `waitAsync` one, whatever the
 * traffic: under back-to-back calls, summaries run in bursts at most that far apart.
 */
export async function serveShared(
  buffer: SharedArrayBuffer,
  port: MessagePort,
  handler: SharedRunHandler,
  lingerMs = LINGER_MS,
): Promise<void> {
  const control = new Int32Array(buffer, 0, 8);
  let seen = 0;
  let streak = performance.now();
  const requested = () => Atomics.load(control, REQUEST) !== seen;
  // A call is waiting: in the buffer, or queued on the page behind the one just answered.
  const waiting = () => requested() || Atomics.load(control, QUEUED) > 0;
  for (;;) {
    if (!requested()) {
      const blocking = lingerMs > 0 && performance.now() - streak < STREAK_MS;
      if (blocking) {
        Atomics.wait(control, REQUEST, seen, Math.min(GRACE_MS, lingerMs));
        if (requested()) continue;
      }
      handler.idle(blocking ? waiting : () => false);
      if (blocking) {
        Atomics.wait(control, REQUEST, seen, lingerMs);
        if (requested()) continue;
      }
      const wait = Atomics.waitAsync(control, REQUEST, seen);
      if (wait.async) {
        await wait.value;
        // Back from the event loop: a new streak may begin.
        streak = performance.now();
      }
      continue;
    }
    seen = Atomics.load(control, REQUEST);
    let answer: Answer;
    let id = -1;
    try {
      const request = readRequest(buffer);
      id = request.id;
      answer = await handler.run(request.inputs, request.meta);
    } catch (error) {
      answer = { result: { ok: false, error: serializeError(error) }, transfer: [] };
    }
    if (!tryWrite(buffer, answer.result)) {
      port.postMessage({ id, result: answer.result } satisfies RunResponse, answer.transfer);
      writePortAnswer(buffer);
    }
    Atomics.store(control, ANSWER, seen);
    Atomics.notify(control, ANSWER);
  }
}

function tryWrite(buffer: SharedArrayBuffer, result: Result<NamedTensors>): boolean {
  try {
    return writeAnswer(buffer, result);
  } catch {
    return false;
  }
}
