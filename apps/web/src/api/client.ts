import type { Static, TSchema } from 'typebox';
import { pathOf, type Operation } from '@outdial/contracts';

/** Where the session token lives between page loads (sessionStorage would log out every new tab). */
const TOKEN_KEY = 'outdial.token';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** The API's error body `{error:{code,message,details}}`, thrown by every failed call. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Resp<O extends Operation> = O['schema']['response'];
type At<R, K extends number> = K extends keyof R ? (R[K] extends TSchema ? Static<R[K]> : never) : never;
/** The success body of an operation (200, 201 or 202). */
export type Ok<O extends Operation> = 200 extends keyof Resp<O>
  ? At<Resp<O>, 200>
  : 201 extends keyof Resp<O>
    ? At<Resp<O>, 201>
    : At<Resp<O>, 202>;
type Schema<O extends Operation, K extends 'params' | 'querystring' | 'body'> = O['schema'][K] extends TSchema
  ? Static<O['schema'][K]>
  : undefined;

export interface Request<O extends Operation> {
  params?: Schema<O, 'params'>;
  query?: Partial<Schema<O, 'querystring'>>;
  body?: Schema<O, 'body'> | FormData;
}

/** Called when the server says the session is over (401), so the app returns to the login page. */
let onUnauthenticated: () => void = () => undefined;
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export function urlOf<O extends Operation>(op: O, req: Request<O> = {}): string {
  const params = (req.params ?? {}) as Record<string, unknown>;
  const path = pathOf(op, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])));
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    if (v === undefined || v === null || v === '') continue;
    const text = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x));
    if (Array.isArray(v)) for (const item of v) qs.append(k, text(item));
    else qs.set(k, text(v));
  }
  const q = qs.toString();
  return `/api/v1${path}${q ? `?${q}` : ''}`;
}

/** Calls one operation of the contracts: typed parameters in, the typed success body out. */
export async function call<O extends Operation>(op: O, req: Request<O> = {}): Promise<Ok<O>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (req.body instanceof FormData) body = req.body;
  else if (req.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.body);
  }
  const res = await fetch(urlOf(op, req), { method: op.method, headers, body });
  if (res.status === 204) return null as Ok<O>;
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    if (res.status === 401 && op.url !== '/auth/login') onUnauthenticated();
    throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? res.statusText, err?.details);
  }
  return json as Ok<O>;
}

/** Downloads an operation's response (a CSV) as a file, with the session's token. */
export async function download<O extends Operation>(op: O, req: Request<O>, filename: string): Promise<void> {
  const token = getToken();
  const res = await fetch(urlOf(op, req), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(res.status, 'internal', res.statusText);
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
