import { openStorage } from './open-storage.ts';
import { describeStorageConformance } from './storage.conformance.ts';

describeStorageConformance('pglite (in memory)', () => openStorage({}));
