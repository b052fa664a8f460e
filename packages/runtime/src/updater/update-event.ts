/**
 * Why a new version was not activated (or was left again); `schema`: its published schema does
 * not fit its model (`SCHEMA_MISMATCH`) or is not a valid schema (`INVALID_SCHEMA`).
 */
export type ActivationFailure =
  | 'signature'
  | 'stale'
  | 'download'
  | 'verification'
  | 'load'
  | 'schema'
  | 'run';

/** What `rt.on('update', …)` reports about model versions. */
export type UpdateEvent =
  /** The manifest assigns another version; it is being downloaded in the background. */
  | { type: 'available'; from: string; to: string; assignment?: string }
  /** Bytes of the new version downloaded so far. */
  | { type: 'progress'; version: string; loaded: number; total: number }
  /** The new version answers the next `run` calls; runs in flight finished on the old one. */
  | { type: 'activated'; from: string; to: string; assignment?: string }
  /** The new version failed; `running` is the version in use now (the last known good). */
  | { type: 'failed'; version: string; reason: ActivationFailure; message: string; running: string }
  /** The collector could not be reached; `running` stays in use (e.g. offline from the cache). */
  | { type: 'offline'; running: string; message: string };
