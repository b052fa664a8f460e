import { openStorage } from '../src/storage/open-storage.ts';
import { describeCollectorApi } from './collector-api.cases.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';

describeCollectorApi('postgres', async () => openStorage({ databaseUrl: await freshDatabaseUrl() }));
