/**
 * One error handler: AppError, zod validation failures and Fastify's own errors become the
 * contract's `{"error":{"code","message","details"}}`; 5xx details stay in the log.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';

interface FieldIssue {
  field: string;
  message: string;
}

function fieldsOf(err: FastifyError): FieldIssue[] {
  const where = err.validationContext ?? 'body';
  return (err.validation ?? []).flatMap((v) => {
    const params = v.params as { keys?: string[] } | undefined;
    if (params?.keys?.length) return params.keys.map((k) => ({ field: k, message: `unknown field "${k}" in ${where}` }));
    const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.') || where;
    return [{ field, message: v.message ?? 'invalid' }];
  });
}

function fromFastify(err: FastifyError): AppError {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details = fieldsOf(err);
    const first = details[0];
    return new AppError(400, 'invalid', first ? `${first.field}: ${first.message}` : 'invalid request', details);
  }
  const status = err.statusCode ?? 500;
  if (status === 413) return new AppError(413, 'too_large', 'the body is larger than this route accepts (1 MiB; 8 MiB for /v1/devices/import)');
  if (status === 429) return new AppError(429, 'too_many_requests', err.message);
  if (err.message?.includes('prototype property') || err.message?.includes('constructor property')) {
    return new AppError(400, 'invalid', `body: forbidden property (${err.message})`, [{ field: '__proto__', message: 'forbidden property' }]);
  }
  if (status === 400 && err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new AppError(400, 'bad_json', 'body: not valid JSON');
  if (status === 400 && err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new AppError(400, 'invalid', 'body: an empty JSON body is not valid', [{ field: 'body', message: 'required' }]);
  if (status === 400 && err.message?.startsWith('Unexpected')) return new AppError(400, 'bad_json', `body: not valid JSON (${err.message})`);
  if (status === 415) return new AppError(415, 'unsupported_media_type', 'send JSON with content-type: application/json');
  if (status >= 400 && status < 500) return new AppError(status, 'bad_request', err.message);
  return new AppError(500, 'internal', 'internal error; the registry log has the details');
}

/**
 * Fastify's default JSON parser answers a generic "not valid JSON" for `__proto__` and
 * `constructor.prototype` keys (it drops secure-json-parse's reason), so mass-assignment attempts
 * could not be told apart from typos. This parser refuses them with 400 naming the key. JSON.parse
 * with a reviver defines keys as own data properties, so nothing is polluted while we look.
 */
function parseJsonBody(_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body.length === 0) return done(new AppError(400, 'invalid', 'body: an empty JSON body is not valid', [{ field: 'body', message: 'required' }]));
  let poisoned: string | undefined;
  let value: unknown;
  try {
    value = JSON.parse(body, (key, v: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && typeof v === 'object' && v !== null && 'prototype' in v)) poisoned ??= key;
      return v;
    });
  } catch {
    return done(new AppError(400, 'bad_json', 'body: not valid JSON'));
  }
  if (poisoned !== undefined) return done(new AppError(400, 'invalid', `${poisoned}: forbidden field`, [{ field: poisoned, message: 'forbidden field' }]));
  done(null, value);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const e = error instanceof AppError ? error : fromFastify(error);
    if (e.status >= 500) request.log.error({ err: error }, 'request failed');
    if (e.headers) void reply.headers(e.headers);
    void reply.code(e.status).send({ error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
