/**
 * Timing counters for the dialer benchmark, added from the outside (no engine or repository
 * code changes): a proxy over the `Database` port that times every statement and transaction
 * (pool wait included) and counts the operations in flight, and a wrapper that times every
 * method of a repository or service instance.
 */
import type { Database, Sql } from '@outdial/db';

export class Timings {
  private readonly map = new Map<
    string,
    { count: number; ms: number; max: number; samples: number[]; errors: number }
  >();

  add(key: string, ms: number, failed = false): void {
    let e = this.map.get(key);
    if (!e) this.map.set(key, (e = { count: 0, ms: 0, max: 0, samples: [], errors: 0 }));
    e.count++;
    e.ms += ms;
    if (ms > e.max) e.max = ms;
    if (failed) e.errors++;
    // Enough for percentiles without unbounded growth on long runs.
    if (e.samples.length < 200_000) e.samples.push(ms);
  }

  /** Rows sorted by total time; `perSecondOf` turns totals into ms of work per second of wall time. */
  rows(perSecondOf: number): TimingRow[] {
    return [...this.map.entries()]
      .map(([key, e]) => {
        const s = Float64Array.from(e.samples).sort();
        const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0);
        return {
          key,
          count: e.count,
          errors: e.errors,
          totalS: +(e.ms / 1000).toFixed(2),
          msPerS: +(e.ms / perSecondOf).toFixed(1),
          meanMs: +(e.ms / e.count).toFixed(2),
          p50Ms: +q(0.5).toFixed(2),
          p99Ms: +q(0.99).toFixed(2),
          maxMs: +e.max.toFixed(1),
        };
      })
      .sort((a, b) => b.totalS - a.totalS);
  }

  clear(): void {
    this.map.clear();
  }
}

export interface TimingRow {
  key: string;
  count: number;
  errors: number;
  totalS: number;
  /** Milliseconds spent per second of wall time (summed over concurrent calls, so it can exceed 1000). */
  msPerS: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const keys = new Map<string, string>();
/** A statement's label: its first 72 characters, whitespace folded (cached: the texts are constants). */
const keyOf = (text: string) => {
  let k = keys.get(text);
  if (k === undefined) {
    k = text.replace(/\s+/g, ' ').trim().slice(0, 72);
    if (keys.size < 10_000) keys.set(text, k);
  }
  return k;
};

/** Operations (statements outside a transaction, whole transactions) started and not yet finished. */
export interface InFlight {
  now: number;
  /** Highest `now` since the last `takeMax()`. */
  takeMax(): number;
}

/** Wraps the database port: per-statement and per-transaction timings, and the operations in flight. */
export function timedDatabase(
  db: Database,
  timings: Timings,
): { db: Database; inFlight: InFlight; examples: Map<string, { text: string; params: readonly unknown[] }> } {
  /** One instance (text and parameters) of every statement seen, for EXPLAIN afterwards. */
  const examples = new Map<string, { text: string; params: readonly unknown[] }>();
  const remember = (text: string, params: readonly unknown[] | undefined) => {
    const k = keyOf(text);
    if (!examples.has(k)) examples.set(k, { text, params: params ?? [] });
  };
  let now = 0;
  let max = 0;
  const enter = () => {
    now++;
    if (now > max) max = now;
  };
  const inFlight: InFlight = {
    get now() {
      return now;
    },
    takeMax() {
      const m = max;
      max = now;
      return m;
    },
  };
  const timeStatement = async <R>(prefix: string, text: string, run: () => Promise<R>): Promise<R> => {
    const t = performance.now();
    let failed = false;
    try {
      return await run();
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      timings.add(prefix + keyOf(text), performance.now() - t, failed);
    }
  };
  const txSql = (tx: Sql, first: { key: string | null }): Sql => ({
    query: (text, params) => {
      first.key ??= keyOf(text);
      remember(text, params);
      return timeStatement('  in tx: ', text, () => tx.query(text, params));
    },
    exec: (text) => {
      first.key ??= keyOf(text);
      return timeStatement('  in tx: ', text, () => tx.exec(text));
    },
  });
  const wrapped: Database = new Proxy(db, {
    get(target, prop, recv) {
      if (prop === 'query') {
        return <R extends object>(text: string, params?: readonly unknown[]) => {
          enter();
          remember(text, params);
          return timeStatement('', text, () => target.query<R>(text, params)).finally(() => now--);
        };
      }
      if (prop === 'exec') {
        return (text: string) => {
          enter();
          return timeStatement('', text, () => target.exec(text)).finally(() => now--);
        };
      }
      if (prop === 'transaction') {
        return async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> => {
          enter();
          const first: { key: string | null } = { key: null };
          const t = performance.now();
          let failed = false;
          try {
            return await target.transaction((tx) => fn(txSql(tx, first)));
          } catch (err) {
            failed = true;
            throw err;
          } finally {
            now--;
            timings.add(
              `TRANSACTION (pool wait + BEGIN + body + COMMIT) starting: ${first.key ?? '?'}`,
              performance.now() - t,
              failed,
            );
          }
        };
      }
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: wrapped, inFlight, examples };
}

/**
 * Replaces every method of `obj` (from its class) with a timed one, on the instance itself,
 * so callers holding a reference to `obj` go through the timer.
 */
export function timeMethods(
  label: string,
  obj: object,
  timings: Timings,
  hooks: {
    before?: (method: string, args: unknown[]) => void;
    after?: (method: string, result: unknown, ms: number) => void;
    error?: (method: string, err: unknown) => void;
  } = {},
): void {
  const target = obj as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(obj) as object)) {
    if (name === 'constructor') continue;
    const fn = target[name];
    if (typeof fn !== 'function') continue;
    const original = fn as (...a: unknown[]) => unknown;
    target[name] = function timed(this: unknown, ...args: unknown[]): unknown {
      hooks.before?.(name, args);
      const t = performance.now();
      const out = original.apply(obj, args);
      if (out instanceof Promise) {
        return out.then(
          (r: unknown) => {
            const ms = performance.now() - t;
            timings.add(`${label}.${name}`, ms);
            hooks.after?.(name, r, ms);
            return r;
          },
          (err: unknown) => {
            timings.add(`${label}.${name}`, performance.now() - t, true);
            hooks.error?.(name, err);
            throw err;
          },
        );
      }
      const ms = performance.now() - t;
      timings.add(`${label}.${name}`, ms);
      hooks.after?.(name, out, ms);
      return out;
    };
  }
}
