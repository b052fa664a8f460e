import { openStorage } from '../src/storage/open-storage.ts';
import { describePerformanceApi } from './performance-api.cases.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';

describePerformanceApi('postgres', async () => openStorage({ databaseUrl: await freshDatabaseUrl() }));
