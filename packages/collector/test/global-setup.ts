import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of a PostgreSQL server for this test run (`.../postgres`). */
    postgresUrl: string;
  }
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
  const server = await startEmbeddedPostgres({ flags: ['-c', 'max_connections=200'] });
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
