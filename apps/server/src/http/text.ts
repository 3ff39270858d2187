import { Readable } from 'node:stream';

/**
 * Text PostgreSQL cannot store: the NUL character (refused in text and jsonb) and UTF-16
 * surrogates without their pair (JSON allows "\ud800"; UTF-8 has no encoding for it). Every
 * request — body, query, path, WebSocket message — is checked for it before anything is written,
 * so such input is a 400 naming where it was, never a half-done change or a 500.
 */
/** A parsed JSON object or query (not a raw upload's stream or a buffer, which are not text to check). */
function isData(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Readable) && !Buffer.isBuffer(v);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/** Null when every string (and object key) in `v` can be stored; else where and why not. */
export function unstorableText(v: unknown, path = ''): string | null {
  if (typeof v === 'string') {
    const p = problem(v);
    return p ? `${path || 'value'} ${p}` : null;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = unstorableText(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  if (isData(v)) {
    for (const [k, x] of Object.entries(v)) {
      const kp = problem(k);
      if (kp) return `a property name in ${path || 'the body'} ${kp}`;
      const p = unstorableText(x, path ? `${path}.${k}` : k);
      if (p) return p;
    }
  }
  return null;
}

/** Null when every number in `v` is finite; else where the first infinite or NaN one is. */
export function nonFinite(v: unknown, path = ''): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : path || 'value';
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nonFinite(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  if (isData(v)) {
    for (const [k, x] of Object.entries(v)) {
      const p = nonFinite(x, path ? `${path}.${k}` : k);
      if (p) return p;
    }
  }
  return null;
}
