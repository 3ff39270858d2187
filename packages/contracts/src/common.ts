import { Type, type Static, type TSchema } from 'typebox';

/**
 * Building blocks shared by every resource. Every request and response schema of the API, every
 * WebSocket message and every public event is declared in this package, once: the server
 * validates and serialises with these schemas, the OpenAPI document is generated from them, and
 * the browser app types its calls with them.
 */

/** The one error shape of the API (and of WebSocket `error` messages). `code` is stable; `message` is for people. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable, machine-readable: validation_failed, not_found, forbidden, …' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error has this shape; `code` is stable, `message` is for people.' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Refers to the shared error schema (registered once with the server under `$id` Error). */
export const ErrorRef = Type.Unsafe<ErrorBody>(Type.Ref('Error'));

/** What each 4xx/5xx status means in this API; an operation lists the ones it can answer. */
export const ERROR_DESCRIPTIONS = {
  400: 'validation_failed: the request does not satisfy the schema or a rule; `details` names the fields',
  401: 'unauthenticated: no valid session token',
  403: 'forbidden: the role lacks the permission',
  404: 'not_found: no such resource in your organisation',
  409: 'conflict or invalid_state: a unique key is taken, or the action is not allowed now',
  413: 'payload_too_large: the body or file is larger than allowed',
  415: 'unsupported_media_type: the content type is not accepted here',
  422: 'import_file_invalid: the file cannot be imported at all',
  429: 'rate_limited: too many attempts',
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** Schema options that refuse properties the schema does not name (so a typo is seen, not dropped). */
export const strict = { additionalProperties: false } as const;

/** The largest page number accepted: beyond it the offset would leave PostgreSQL's bigint. */
export const MAX_PAGE = 1_000_000;

export const pageProps = {
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
};
export const PageQuery = Type.Object(pageProps, strict);
/** Page parameters plus a route's own filters. */
export const pageQuery = <P extends Record<string, TSchema>>(extra: P) =>
  Type.Object({ ...pageProps, ...extra }, strict);

export const paged = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), page: Type.Integer(), pageSize: Type.Integer(), total: Type.Integer() });
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

export const Uuid = Type.String({ format: 'uuid' });
/** Server handlers may return Date objects; on the wire they are ISO 8601 strings. */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('supervisor'),
  Type.Literal('qa'),
  Type.Literal('agent'),
]);
export type Role = Static<typeof Role>;

/** Codes users choose (dispositions, pause reasons, skip reasons): lower-case ASCII. */
export const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
/** A project's code in a path. */
export const ProjectCodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }) }, strict);
export const IdParams = Type.Object({ id: Uuid }, strict);
