import { openStorage } from '../src/storage/open-storage.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';
import { describeRegistryApi } from './registry-api.cases.ts';

// Artifacts in the database, shared by every replica.
describeRegistryApi('postgres, artifacts in the database', async () =>
  openStorage({ databaseUrl: await freshDatabaseUrl() }),
);
