import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, spawnCollector } from './spawn-collector.ts';

const alive = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spawnCollector leaves no collector behind', () => {
  let fromHook: CollectorProcess;
  let timedOut: number | undefined;
  let dir: string;
  const dataDir = (name: string) => ['--data-dir', join(dir, name)];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftline-spawn-'));
    fromHook = await spawnCollector(dataDir('hook'));
  });
  afterAll(async () => {
    expect(await fromHook.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a collector started in beforeAll running through the tests', () => {
    expect(alive(fromHook.child.pid)).toBe(true);
  });

  it.fails('a test that times out while its collector runs…', async () => {
    const c = await spawnCollector(dataDir('test'));
    timedOut = c.child.pid;
    await new Promise(() => {});
  }, 30_000);

  it('…has its collector killed when it ends', async () => {
    expect(timedOut).toBeTypeOf('number');
    for (let i = 0; i < 100 && alive(timedOut); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(timedOut)).toBe(false);
    expect(alive(fromHook.child.pid)).toBe(true);
  });
});
