import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { artifactMismatch, rangeNotSatisfiable, unknownArtifact } from '../errors.ts';
import type { ArtifactStore } from '../registry/artifact-store.ts';
import { sha256Hex } from '../registry/artifact-store.ts';
import { checkModelName } from '../registry/names.ts';
import { type PublishRequest, publishVersion } from '../registry/publish-version.ts';
import { getVersion, listVersions } from '../registry/versions.ts';
import { etagMatches } from '../rollout/build-manifest.ts';
import type { CollectorContext } from '../server/context.ts';
import { errorSchema } from './schemas.ts';

/** Largest publish body (JSON with base64 files) and largest single artifact upload. */
export const MAX_UPLOAD_BYTES = 128 * 1024 * 1024;

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['name'],
} as const;
const shaParams = {
  type: 'object',
  properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
  required: ['sha256'],
} as const;
const tensor = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    dtype: { type: 'string', minLength: 1, maxLength: 32 },
    shape: { type: 'array', maxItems: 16, items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
  },
  required: ['name'],
  additionalProperties: false,
} as const;
const publishBody = {
  type: 'object',
  properties: {
    version: { type: 'string', minLength: 1, maxLength: 64 },
    format: { type: 'string', enum: ['onnx', 'tfjs'] },
    files: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        properties: {
          path: { type: 'string', minLength: 1, maxLength: 256 },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          size: { type: 'integer', minimum: 0 },
          data: { type: 'string' },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
    inputs: { type: 'array', maxItems: 64, items: tensor },
    outputs: { type: 'array', maxItems: 64, items: tensor },
    reference: { type: 'string' },
    schema: { type: 'object', description: 'model schema (docs/protocol.md "Schema summaries")' },
    notes: { type: 'string', maxLength: 4096 },
  },
  required: ['version', 'format', 'files'],
  additionalProperties: false,
} as const;

/** Parses a single `bytes=` range against a size; null means the whole body. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // not a single byte range: ignore it (RFC 9110)
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw rangeNotSatisfiable(size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (start > end || start >= size) throw rangeNotSatisfiable(size);
  }
  return { start, end };
}

async function sendArtifact(
  store: ArtifactStore,
  req: FastifyRequest<{ Params: { sha256: string } }>,
  reply: FastifyReply,
) {
  const { sha256 } = req.params;
  const size = await store.size(sha256);
  if (size === null) throw unknownArtifact(sha256);
  const etag = `"${sha256}"`;
  void reply
    .header('access-control-allow-origin', '*')
    .header('access-control-expose-headers', 'etag, content-length, content-range, accept-ranges')
    .header('cache-control', 'public, max-age=31536000, immutable')
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .type('application/octet-stream');
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.status(304).send();
  let range: { start: number; end: number } | null = null;
  try {
    range = parseRange(req.headers.range, size);
  } catch (err) {
    void reply.header('content-range', `bytes */${size}`);
    throw err;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  if (range) void reply.status(206).header('content-range', `bytes ${start}-${end}/${size}`);
  void reply.header('content-length', String(end - start + 1));
  if (size === 0) return reply.send(Buffer.alloc(0));
  const body = await store.read(sha256, start, end);
  if (!body) throw unknownArtifact(sha256);
  return reply.send(
    body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.length) : body,
  );
}

/**
 * The model registry: publish and list versions (admin/read), upload artifacts (admin), and serve
 * artifacts by hash (public: a hash is only known from a manifest; immutable, ETag, Range).
 */
export async function registryRoutes(app: FastifyInstance, ctx: CollectorContext, artifacts: ArtifactStore) {
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.post<{ Params: { name: string }; Body: PublishRequest }>(
    '/v1/models/:name/versions',
    {
      config: { roles: ['admin'] },
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        summary: 'Publish a model version (files inline as base64, or by the hash of uploaded artifacts)',
        tags: ['registry'],
        params: nameParams,
        body: publishBody,
        response: { '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await publishVersion(
        ctx.storage,
        artifacts,
        req.params.name,
        req.body,
        req.principal?.id ?? null,
      );
      return reply.status(r.created ? 201 : 200).send(r);
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/models/:name/versions',
    {
      config: { roles: ['read'] },
      schema: { summary: 'Versions of a model, newest first', tags: ['registry'], params: nameParams },
    },
    async (req) => ({
      model: req.params.name,
      versions: await listVersions(ctx.storage, checkModelName(req.params.name)),
    }),
  );

  app.get<{ Params: { name: string; version: string } }>(
    '/v1/models/:name/versions/:version',
    {
      config: { roles: ['read'] },
      schema: {
        summary: 'One published version',
        tags: ['registry'],
        params: {
          type: 'object',
          properties: { name: { type: 'string' }, version: { type: 'string', maxLength: 64 } },
          required: ['name', 'version'],
        },
      },
    },
    async (req) => getVersion(ctx.storage, req.params.name, req.params.version),
  );

  app.put<{ Params: { sha256: string }; Body: Buffer }>(
    '/v1/artifacts/:sha256',
    {
      config: { roles: ['admin'] },
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        summary: 'Upload one model file (application/octet-stream) under its SHA-256',
        tags: ['registry'],
        params: shaParams,
      },
    },
    async (req, reply) => {
      const body = req.body;
      if (!Buffer.isBuffer(body))
        throw artifactMismatch('Send the file as Content-Type: application/octet-stream.');
      const actual = sha256Hex(body);
      if (actual !== req.params.sha256) {
        throw artifactMismatch(
          `The body hashes to ${actual}, not ${req.params.sha256}; the upload was changed or cut.`,
        );
      }
      const r = await artifacts.put(body);
      return reply.status(r.created ? 201 : 200).send(r);
    },
  );

  app.get<{ Params: { sha256: string } }>(
    '/v1/artifacts/:sha256',
    {
      schema: {
        summary: 'A model file by SHA-256 (immutable; ETag, Range)',
        tags: ['registry'],
        // Anything that is not a stored hash is a 404, malformed or not.
        params: {
          type: 'object',
          properties: { sha256: { type: 'string', maxLength: 128 } },
          required: ['sha256'],
        },
      },
    },
    (req, reply) => sendArtifact(artifacts, req, reply),
  );
}
