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
/** How long a streak of calls caught while lingering may keep the worker's event loop waiting. */
export const STREAK_MS = 8;

/**
 * The worker side of the shared-memory data plane: reads a request, runs it, writes the answer
 * and wakes the page. An answer too big for the buffer goes over `port` instead. Runs until the
 * worker is terminated.
 *
 * Between calls it first does deferred work (summaries), then waits blocked in `Atomics.wait` for
 * at most `lingerMs`, which wakes it straight from the page's `notify` for back-to-back calls;
 * then it waits with `Atomics.waitAsync`, so that its event loop serves comlink control calls,
 * IndexedDB and timers. Once calls caught while lingering have kept the event loop waiting for
 * `STREAK_MS`, the next wait is a `waitAsync` one whatever the traffic.
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
      handler.idle(waiting);
      if (lingerMs > 0 && performance.now() - streak < STREAK_MS) {
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
