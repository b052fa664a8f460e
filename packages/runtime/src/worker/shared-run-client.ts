/// <reference lib="es2024.sharedmemory" />
import { serializeError } from '../errors.ts';
import type { NamedTensors, TensorData } from '../tensor.ts';
import type { Result, RunMeta } from './messages.ts';
import {
  ANSWER,
  fits,
  type Packed,
  packRequest,
  QUEUED,
  REQUEST,
  readAnswer,
  SHARED_RUN_BYTES,
  write,
} from './shared-run-buffer.ts';

/** Whether this page can use the shared-memory data plane: cross-origin isolated, with `Atomics.waitAsync`. */
export function sharedMemoryAvailable(): boolean {
  return (
    globalThis.crossOriginIsolated === true &&
    typeof SharedArrayBuffer === 'function' &&
    typeof Atomics.waitAsync === 'function'
  );
}

/** Makes the buffer a worker is given at init. */
export function createSharedRunBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SHARED_RUN_BYTES);
}

/**
 * The page side of the shared-memory data plane: writes a request into the buffer, wakes the
 * worker with `Atomics.notify`, and awaits the answer with `Atomics.waitAsync` (never a blocking
 * wait on the page). One call is in the buffer at a time; later calls wait here in order.
 * `settle` receives each answer by call id (`port` means it comes over the MessagePort).
 */
export class SharedRunClient {
  private readonly control: Int32Array;
  private readonly waiting: Array<{ id: number; packed: Packed }> = [];
  private busy = false;
  private closed = false;
  private seq = 0;

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly settle: (id: number, answer: Result<NamedTensors> | 'port') => void,
  ) {
    this.control = new Int32Array(buffer, 0, 8);
  }

  /**
   * Sends a call through shared memory; false when it cannot (too big for the buffer, or not made
   * of tensors this path carries), and the caller then uses the MessagePort. Inputs are copied, not
   * transferred: the caller's arrays stay usable.
   */
  send(id: number, inputs: NamedTensors, meta: RunMeta): boolean {
    if (this.closed) return false;
    const packed = packRequest(id, inputs, meta);
    if (!packed || !fits(this.buffer, packed)) return false;
    // The bytes are copied at once, so that the caller may reuse its arrays as soon as run returns.
    if (this.busy) {
      this.waiting.push({ id, packed: copyPacked(packed) });
      Atomics.store(this.control, QUEUED, this.waiting.length);
    } else void this.dispatch({ id, packed });
    return true;
  }

  private async dispatch(first: { id: number; packed: Packed }): Promise<void> {
    this.busy = true;
    for (let call = first as typeof first | undefined; call && !this.closed; call = this.waiting.shift()) {
      write(this.buffer, call.packed);
      // The worker's deferred work (summaries) yields while calls are queued here.
      Atomics.store(this.control, QUEUED, this.waiting.length);
      const seq = ++this.seq;
      Atomics.store(this.control, REQUEST, seq);
      Atomics.notify(this.control, REQUEST);
      const wait = Atomics.waitAsync(this.control, ANSWER, seq - 1);
      if (wait.async) await wait.value;
      if (this.closed) return;
      this.settle(call.id, this.read());
    }
    this.busy = false;
  }

  private read(): Result<NamedTensors> | 'port' {
    try {
      return readAnswer(this.buffer);
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }

  /** Stops: queued calls are dropped (their owner rejects them) and a pending wait is woken. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    Atomics.store(this.control, ANSWER, -1);
    Atomics.notify(this.control, ANSWER);
  }
}

function copyPacked(packed: Packed): Packed {
  return { ...packed, tensors: packed.tensors.map((t) => ({ ...t, data: t.data.slice() as TensorData })) };
}
