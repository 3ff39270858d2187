import { Readable } from 'node:stream';

/** A parsed JSON object or query (not a raw upload's stream or a buffer, which are not data to check). */
function isData(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Readable) && !Buffer.isBuffer(v);
}

/** No request the API declares nests deeper than this; a deeper one is refused rather than walked. */
export const MAX_DEPTH = 64;

/**
 * Walks a parsed request value and returns the first problem `check` finds, named by its path
 * (`settings.tags[2]`), or null. `check` sees every leaf and every property name. Iterative, with
 * a depth limit: a hostile body nested 20,000 deep is a 400, not a stack overflow.
 */
function firstProblem(
  root: unknown,
  check: (leaf: unknown, isKey: boolean) => string | null,
  rootPath: string,
): string | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: root, path: rootPath, depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v, path, depth } = item;
    if (Array.isArray(v) || isData(v)) {
      if (depth >= MAX_DEPTH) return `${path || 'the body'} is nested more than ${MAX_DEPTH} levels deep`;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
        continue;
      }
      const entries = Object.entries(v);
      for (const [k] of entries) {
        const kp = check(k, true);
        if (kp) return `a property name in ${path || 'the body'} ${kp}`;
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        stack.push({ v: x, path: path ? `${path}.${k}` : k, depth: depth + 1 });
      }
      continue;
    }
    const p = check(v, false);
    if (p) return `${path || 'value'} ${p}`;
  }
  return null;
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
