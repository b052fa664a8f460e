import { openStorage } from '../src/storage/open-storage.ts';
import { describeKeyAdmin } from './key-admin.cases.ts';

describeKeyAdmin('pglite', () => openStorage({}));
