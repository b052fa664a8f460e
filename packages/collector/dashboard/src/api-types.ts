// Shapes of the collector's analyst and rollout answers, as the dashboard reads them
// (docs/collector.md, docs/rollout.md). Where the server's own type is already the JSON shape, it is
// re-exported (type-only, so the page bundles no server code); the rest are written as JSON gives
// them (NaN statistics arrive as null).

import type { DriftStatus } from '@driftline/protocol';
import type { LatencyGroup } from '../../src/queries/latency.ts';
import type { WindowAccuracy } from '../../src/queries/performance.ts';
import type { VersionSummary } from '../../src/queries/summary.ts';
import type { HistoryEntry } from '../../src/rollout/history.ts';
import type { GuardCheck, Verdict } from '../../src/rollout/verdict.ts';

export type { DriftStatus, GuardCheck, HistoryEntry, LatencyGroup, Verdict, VersionSummary, WindowAccuracy };

export interface ModelListEntry {
  name: string;
  versions: string[];
  inferences: number;
  lastSeen: number;
}

export interface Summary {
  model: string;
  from: number;
  to: number;
  inferences: number;
  errors: number;
  devices: number;
  versions: VersionSummary[];
}

export interface Latency {
  by: string;
  stage: string;
  groups: LatencyGroup[];
}

export interface Timeseries {
  metric: string;
  bucket: string;
  points: [number, number | null][];
}

export interface QualityDelta {
  reference: number | null;
  current: number | null;
  delta: number | null;
}

export interface FeatureDrift {
  kind: 'numeric' | 'categorical';
  status: DriftStatus;
  psi: number | null;
  js: number | null;
  ks?: number | null;
  wasserstein?: number | null;
  chi2p?: number | null;
  referenceCount: number;
  currentCount: number;
  missing?: QualityDelta;
}

export interface Drift {
  model: string;
  version: string;
  reference: { kind: string; version?: string; inferences?: number; to?: number };
  window: { from: number; to: number; inferences: number };
  status: DriftStatus;
  features: Record<string, FeatureDrift>;
}

export type FeatureDistribution =
  | { kind: 'numeric'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categorical'; labels: string[]; reference: number[]; current: number[] };

export interface Distributions {
  version: string;
  features: Record<string, FeatureDistribution>;
}

export interface Policy {
  model: string;
  stable: string;
  previousStable: string | null;
  candidate: { version: string; percent: number; since: string } | null;
  shadow: { version: string; percent: number; sample: number } | null;
  verdict: Verdict | null;
  revision: number;
  updatedAt: string;
}

export interface LiveCount {
  version: string;
  role: string;
  devicesToday: number;
  inferences: number;
  errors: number;
}

export interface RolloutStatus {
  model: string;
  policy: Policy;
  pins: unknown[];
  verdict: Verdict | null;
  live: LiveCount[];
}

export interface EventEntry {
  id: number;
  model: string;
  version: string | null;
  kind: string;
  detail: unknown;
  createdAt: string;
}

export interface PublishedVersion {
  version: string;
  format: string;
  createdAt: string;
}

export type Role = 'read' | 'admin' | 'ingest';

export interface LatencyOverTime {
  by: string;
  quantile: number;
  series: { key: string; points: [number, number | null][] }[];
}

/**
 * `GET /v1/models/:name/performance`: estimated accuracy (CBPE, calibrated on the version's
 * labelled reference) and realized accuracy (mean of `feedback.correct`) per bucket and over the
 * range. Statistics without data are null: `realized` of a bucket without feedback, `estimated`
 * of one without predictions.
 */
export interface Performance {
  model: string;
  version: string;
  /** The `classes` output the estimate covers. */
  output: string;
  bucket: 'minute' | 'hour' | 'day';
  /** The reference's own accuracy (its labels against its predictions). */
  referenceAccuracy: number | null;
  reference: { inferences: number; predictions: number };
  window: { from: number; to: number } & WindowAccuracy;
  /** Buckets with telemetry, oldest first; `t` is the bucket's start (ms). */
  points: ({ t: number } & WindowAccuracy)[];
}
