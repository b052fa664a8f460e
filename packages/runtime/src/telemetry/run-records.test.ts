import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../worker/messages.ts';
import type { WorkerClient } from '../worker/worker-client.ts';
import { RunRecords } from './run-records.ts';

/** The slice of a worker client RunRecords uses: alive, and `record` calls it receives. */
function worker(alive = true) {
  const got: RunRecord[][] = [];
  const client = {
    alive,
    api: { record: async (records: RunRecord[]) => void got.push(records) },
    call: <T>(p: Promise<T>) => p,
  };
  return { client: client as unknown as WorkerClient, got };
}

const input = { x: { data: new Float32Array(1), dims: [1] } };

describe('RunRecords', () => {
  it('records put back after a worker died reach the next worker first, in order', async () => {
    const next = worker();
    const records = new RunRecords(() => next.client);
    records.add(1, undefined, input, input);
    records.add(2, undefined, input, input);
    const taken = records.take(); // sent with a call to a worker that then crashed
    records.add(3, undefined, input, input);
    records.putBack(taken);
    await records.flush();
    expect(next.got).toEqual([[{ totalMs: 1 }, { totalMs: 2 }, { totalMs: 3 }]]);
  });

  it('waits while no worker is alive, and computes app features after the run', async () => {
    let current = worker(false);
    const records = new RunRecords(() => current.client);
    records.add(5, () => ({ f: 1 }), input, input);
    records.add(
      6,
      () => {
        throw new Error('app bug');
      },
      input,
      input,
    );
    await new Promise((r) => setTimeout(r, 0));
    await records.flush();
    expect(current.got).toEqual([]);
    current = worker();
    await records.flush();
    expect(current.got).toEqual([[{ totalMs: 5, features: { f: 1 } }, { totalMs: 6 }]]);
  });
});
