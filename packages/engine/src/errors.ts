/**
 * Every failure a use case can report, as a stable code. HTTP statuses are chosen from
 * these in exactly one place (apps/server/src/http/errors.ts); the CLI prints them.
 */
export const ErrorCodes = {
  /** The input does not satisfy the schema or a business rule; `details` says which fields. */
  validation_failed: 'validation_failed',
  /** No valid session token (missing, expired, revoked). */
  unauthenticated: 'unauthenticated',
  /** Wrong username or password — deliberately not saying which. */
  invalid_credentials: 'invalid_credentials',
  /** Authenticated, but the role lacks the permission. */
  forbidden: 'forbidden',
  /** No such resource in the caller's organisation (also what another organisation's ids give). */
  not_found: 'not_found',
  /** A unique key is taken (project code, username…). */
  conflict: 'conflict',
  /** The action is not allowed in the resource's current state (start a finished campaign…). */
  invalid_state: 'invalid_state',
  /** Too many attempts (login). */
  rate_limited: 'rate_limited',
  /** The uploaded file cannot be imported at all (no phone column, unreadable…); no row was imported. */
  import_file_invalid: 'import_file_invalid',
  /** The request's content type is not accepted by the operation (an upload sent as JSON…). */
  unsupported_media_type: 'unsupported_media_type',
  /** The request body is larger than allowed. */
  payload_too_large: 'payload_too_large',
  /** A bug or an outage; the message is generic, the log has the cause. */
  internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (why = 'your role does not allow this') => new AppError('forbidden', why);
export const invalid = (message: string, details?: unknown) => new AppError('validation_failed', message, details);

/** PostgreSQL's unique_violation, from either driver. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
