/**
 * Coded errors in one catalogue (fastify lib/errors.js style). Services throw AppError; the one
 * error handler in app.ts maps AppError, zod failures and Fastify's own errors to the contract's
 * `{"error":{"code","message","details"}}` and hides 5xx details.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const Errors = {
  unauthorized: () => new AppError(401, 'unauthorized', 'missing, invalid or expired credentials'),
  badCredentials: () => new AppError(401, 'bad_credentials', 'wrong email or password'),
  notFound: (what = 'resource') => new AppError(404, 'not_found', `${what} not found`),
  forbidden: (why: string) => new AppError(403, 'forbidden', why),
  invalid: (field: string, message: string, details?: unknown) =>
    new AppError(400, 'invalid', `${field}: ${message}`, details ?? [{ field, message }]),
  wrongPassword: () => new AppError(403, 'wrong_password', 'currentPassword: wrong password', [{ field: 'currentPassword' }]),
  conflict: (code: string, message: string, details?: unknown) => new AppError(409, code, message, details),
  tooMany: (retryAfterS: number) =>
    new AppError(429, 'too_many_requests', `too many attempts; retry in ${retryAfterS} s`, undefined, {
      'retry-after': String(retryAfterS),
    }),
};
