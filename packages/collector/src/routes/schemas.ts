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

/** `:name` of the analyst routes (any model name telemetry may carry). */
export const modelNameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['name'],
} as const;

/** `from`/`to` (ms since epoch) of analyst queries. */
export const rangeQuery = {
  from: { type: 'integer', minimum: 0, description: 'Range start, ms since epoch (default: 24 h ago)' },
  to: { type: 'integer', minimum: 0, description: 'Range end, ms since epoch (default: now)' },
} as const;

/** `reference` of the drift queries: what the window is compared with. */
export const referenceQuery = {
  reference: {
    type: 'string',
    description:
      'registry | baseline | version:<version>; default: the uploaded reference profile when there is one, else baseline',
  },
} as const;
