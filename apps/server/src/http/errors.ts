import type { FastifyError, FastifyInstance } from 'fastify';
import type { ErrorBody } from '@outdial/contracts';
import { AppError, type ErrorCode } from '@outdial/engine';

/** The only place where error codes become HTTP statuses. */
export const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  import_file_invalid: 422,
  rate_limited: 429,
  internal: 500,
};

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      const retry = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (typeof retry === 'number') void reply.header('retry-after', String(retry));
      const body: ErrorBody = {
        error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) },
      };
      return reply.status(STATUS[err.code]).send(body);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const details = fe.validation.map((v) => ({
        path: `${fe.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message ?? 'invalid',
      }));
      return reply.status(400).send({
        error: {
          code: 'validation_failed',
          message: `invalid request: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
          details,
        },
      });
    }
    if (fe.statusCode === 429)
      return reply
        .status(429)
        .send({ error: { code: 'rate_limited', message: 'too many attempts; wait a minute and try again' } });
    if (fe.statusCode === 413 || fe.code === 'FST_REQ_FILE_TOO_LARGE')
      return reply.status(413).send({ error: { code: 'payload_too_large', message: fe.message } });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply
        .status(fe.statusCode)
        .send({ error: { code: fe.statusCode === 404 ? 'not_found' : 'validation_failed', message: fe.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
