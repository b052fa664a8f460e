import { openStorage } from '../src/storage/open-storage.ts';
import { describeCollectorApi } from './collector-api.cases.ts';

describeCollectorApi('pglite', () => openStorage({}));
