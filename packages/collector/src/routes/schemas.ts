/** JSON schema of every error body. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** A string pattern that refuses U+0000, which PostgreSQL text cannot hold (see refuse-unstorable.ts). */
export const NO_NUL = '^[^\\u0000]*$';

/** `:name` of the analyst routes (any model name telemetry may carry). */
export const modelNameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 256, pattern: NO_NUL } },
  required: ['name'],
} as const;

/**
 * Latest time a query may name: rollups are keyed by minutes since the epoch in a 32-bit integer,
 * so a later `from`/`to` would fail in the database instead of being refused here.
 */
export const MAX_TIME_MS = Date.UTC(5000, 0, 1);

/** `from`/`to` (ms since epoch, before the year 5000) of analyst queries. */
export const rangeQuery = {
  from: {
    type: 'integer',
    minimum: 0,
    maximum: MAX_TIME_MS,
    description: 'Range start, ms since epoch (default: 24 h ago)',
  },
  to: {
    type: 'integer',
    minimum: 0,
    maximum: MAX_TIME_MS,
    description: 'Range end, ms since epoch (default: now)',
  },
} as const;

/** `reference` of the drift queries: what the window is compared with. */
export const referenceQuery = {
  reference: {
    type: 'string',
    pattern: NO_NUL,
    description:
      'registry | baseline | version:<version>; default: the uploaded reference profile when there is one, else baseline',
  },
} as const;
