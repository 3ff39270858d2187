import type { Static, TSchema } from 'typebox';
import { ERROR_DESCRIPTIONS, ErrorRef, type ErrorStatus } from './common.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What an operation declares; the same keys Fastify's route schema and the OpenAPI generator read. */
export interface OperationSchema {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  response: Record<number, TSchema>;
  /** `[]` for the public ones (login); otherwise the bearer token. */
  security?: Record<string, string[]>[];
  /** Request content types besides JSON (file uploads). */
  consumes?: string[];
  /** Response content types besides JSON (CSV downloads). */
  produces?: string[];
}

type WithErrors<R, E extends ErrorStatus> = R & { [K in E]: typeof ErrorRef };
type Declared<S extends OperationSchema, E extends ErrorStatus> = Omit<S, 'response'> & {
  response: WithErrors<S['response'], E | 400 | 401>;
};

export interface Operation<S extends OperationSchema = OperationSchema> {
  method: Method;
  /** Fastify-style path below /api/v1, `:name` for parameters. */
  url: string;
  schema: S;
}

/** Statuses every authenticated operation can answer. */
const ALWAYS: readonly ErrorStatus[] = [400, 401];

/**
 * Declares one REST operation: its method and path, its request schemas, its success responses
 * and the error statuses it can answer (each documented with the one error schema).
 */
export function operation<const S extends OperationSchema, const E extends ErrorStatus = never>(
  method: Method,
  url: string,
  schema: S,
  errors: readonly E[] = [],
): Operation<Declared<S, E>> {
  const response: Record<number, TSchema> = { ...schema.response };
  const statuses = new Set<ErrorStatus>([...(schema.security?.length === 0 ? [400 as const] : ALWAYS), ...errors]);
  for (const s of [...statuses].sort()) {
    response[s] = { ...ErrorRef, description: ERROR_DESCRIPTIONS[s] };
  }
  // The error responses added at run time are exactly the ones the type adds.
  return { method, url, schema: { ...schema, response } as unknown as Declared<S, E> };
}

/** The body type of an operation's response with `status` (for clients). */
export type ResponseOf<
  O extends Operation,
  Status extends keyof O['schema']['response'],
> = O['schema']['response'][Status] extends TSchema ? Static<O['schema']['response'][Status]> : never;
/** The request body type of an operation (for clients). */
export type BodyOf<O extends Operation> = O['schema']['body'] extends TSchema ? Static<O['schema']['body']> : never;
/** The query type of an operation (for clients). */
export type QueryOf<O extends Operation> = O['schema']['querystring'] extends TSchema
  ? Partial<Static<O['schema']['querystring']>>
  : never;
/** The path parameters of an operation (for clients). */
export type ParamsOf<O extends Operation> = O['schema']['params'] extends TSchema
  ? Static<O['schema']['params']>
  : never;

/** The path of an operation with its parameters filled in (for clients): `/campaigns/:id` → `/campaigns/123`. */
export function pathOf(op: Operation, params: Record<string, string> = {}): string {
  return op.url.replace(/:([A-Za-z]+)/g, (_m, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`${op.schema.operationId}: missing path parameter ${k}`);
    return encodeURIComponent(v);
  });
}
