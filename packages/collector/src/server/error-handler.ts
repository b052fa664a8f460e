import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  CollectorError,
  invalidBatch,
  payloadTooLarge,
  storageUnavailable,
  unsupportedMediaType,
} from '../errors.ts';
import { type CollectorMetrics, refusalReason } from '../metrics.ts';

const ZLIB_CODES = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_STREAM_ERROR', 'Z_NEED_DICT']);

/** Maps anything thrown in a request to a CollectorError. */
export function toCollectorError(err: FastifyError, req: FastifyRequest, bodyLimit: number): CollectorError {
  if (err instanceof CollectorError) return err;
  const ingest = req.routeOptions.url === '/v1/telemetry';
  const code = err.code ?? '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return payloadTooLarge(bodyLimit);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return unsupportedMediaType(
      `Content-Type "${req.headers['content-type'] ?? ''}" is not accepted; send application/json.`,
    );
  }
  if (
    ZLIB_CODES.has(code) ||
    code === 'ERR_ZLIB' ||
    (ingest && /unexpected end of file|incorrect header/i.test(err.message))
  ) {
    return invalidBatch('The gzip body is truncated or malformed; send complete gzip or plain JSON.', err);
  }
  // Router errors (through Fastify's frameworkErrors, create-app.ts): before any route matched.
  if (code === 'FST_ERR_BAD_URL') {
    return new CollectorError(
      'bad_request',
      400,
      'The URL does not decode (bad %-escape or UTF-8); encode it with encodeURIComponent.',
      { cause: err },
    );
  }
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new CollectorError(
      'bad_request',
      400,
      'A path segment is longer than 100 characters; names and ids are shorter.',
      { cause: err },
    );
  }
  if (code === 'FST_ERR_CTP_UNSUPPORTED_ENCODING') {
    return unsupportedMediaType('Content-Encoding must be gzip or identity.');
  }
  if (err.validation) return new CollectorError('bad_request', 400, err.message, { cause: err });
  // Connection-level failures of the database (refused, reset, admin shutdown, out of resources).
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|08...|57P0.|53...)$/.test(code))
    return storageUnavailable(err);
  // node-postgres gives a connection lost mid-query no code, only this text.
  if (
    !code &&
    /^Connection terminated|Client has encountered a connection error|connection is closed/i.test(err.message)
  )
    return storageUnavailable(err);
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return ingest
      ? invalidBatch(`The body is not valid JSON: ${err.message}`, err)
      : new CollectorError('bad_request', 400, err.message, { cause: err });
  }
  return new CollectorError('internal_error', 500, 'The collector failed; this is a bug, see its log.', {
    cause: err,
  });
}

/** Fastify error handler: every error leaves as `{ error: { code, message } }`. */
export function errorHandler(metrics: CollectorMetrics, bodyLimit: number) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const e = toCollectorError(err, req, bodyLimit);
    metrics.rejects.inc({ code: e.code });
    const reason = refusalReason(e.code, /^Bearer\s+\S/i.test(req.headers.authorization ?? ''));
    if (reason) metrics.refused.inc({ reason });
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code: e.code, msg: e.message }, 'request rejected');
    if (e.code === 'rate_limited' && e.retryAfterS) void reply.header('retry-after', String(e.retryAfterS));
    if (reply.sent) return;
    void reply.status(e.status).send(e.toJSON());
  };
}
