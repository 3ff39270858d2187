import { Readable } from 'node:stream';

/** A parsed JSON object or query (not a raw upload's stream or a buffer, which are not data to check). */
function isData(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Readable) && !Buffer.isBuffer(v);
}

/**
 * Walks a parsed request value depth-first and returns the first problem `check` finds, named by
 * its path (`settings.tags[2]`), or null. `check` sees every leaf and every property name.
 */
function firstProblem(
  v: unknown,
  check: (leaf: unknown, isKey: boolean) => string | null,
  path: string,
): string | null {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = firstProblem(v[i], check, `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  if (isData(v)) {
    for (const [k, x] of Object.entries(v)) {
      const kp = check(k, true);
      if (kp) return `a property name in ${path || 'the body'} ${kp}`;
      const p = firstProblem(x, check, path ? `${path}.${k}` : k);
      if (p) return p;
    }
    return null;
  }
  const p = check(v, false);
  return p ? `${path || 'value'} ${p}` : null;
}

/**
 * Text PostgreSQL cannot store: the NUL character (refused in text and jsonb) and UTF-16
 * surrogates without their pair (JSON allows "\ud800"; UTF-8 has no encoding for it). Every
 * request — body, query, path, upload fields, WebSocket message — is checked for it before
 * anything is written, so such input is a 400 naming where it was, never a half-done change or a 500.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorable(leaf: unknown): string | null {
  if (typeof leaf !== 'string') return null;
  if (leaf.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(leaf)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/** Null when every string (and property name) in `v` can be stored; else where and why not. */
export const unstorableText = (v: unknown, path = ''): string | null => firstProblem(v, unstorable, path);

/**
 * Null when every number in `v` is finite; else where the first infinite or NaN one is (schema
 * coercion turns "1e999" into Infinity, which JSON Schema's bounds let through).
 */
export const nonFinite = (v: unknown, path = ''): string | null =>
  firstProblem(
    v,
    (leaf, isKey) => (!isKey && typeof leaf === 'number' && !Number.isFinite(leaf) ? 'is not a finite number' : null),
    path,
  );
