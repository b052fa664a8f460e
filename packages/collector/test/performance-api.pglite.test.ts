import { openStorage } from '../src/storage/open-storage.ts';
import { describePerformanceApi } from './performance-api.cases.ts';

describePerformanceApi('pglite', () => openStorage({}));
