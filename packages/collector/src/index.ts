export type { KeyCache, Principal } from './auth/key-cache.ts';
export {
  type CreateKeyOptions,
  createKey,
  hashKey,
  KEY_ROLES,
  type KeyInfo,
  type KeyRole,
  listKeys,
  revokeKey,
} from './auth/keys.ts';
export { CollectorError } from './errors.ts';
export { DEFAULT_BATCH_LIMITS, prepareBatch } from './ingest/prepare-batch.ts';
export { BUCKETS, bucketOf, inPercent } from './rollout/bucket.ts';
export { evaluateRollouts, type RolloutAction } from './rollout/evaluate-rollouts.ts';
export { DEFAULT_GUARD, type GuardSettings } from './rollout/guard-settings.ts';
export type { RolloutPolicy } from './rollout/policy.ts';
export { createSigningKey } from './rollout/signing-keys.ts';
export type { GuardCheck, Verdict } from './rollout/verdict.ts';
export { createApp } from './server/create-app.ts';
export { type CollectorOptions, DEV_KEYS } from './server/options.ts';
export { type Collector, startCollector } from './server/start-collector.ts';
export { migrate } from './storage/migrations.ts';
export { openStorage, type StorageOptions } from './storage/open-storage.ts';
export type { Sql, Storage } from './storage/storage.ts';
