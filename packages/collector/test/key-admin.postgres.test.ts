import { openStorage } from '../src/storage/open-storage.ts';
import { describeKeyAdmin } from './key-admin.cases.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';

describeKeyAdmin('postgres', async () => openStorage({ databaseUrl: await freshDatabaseUrl() }));
