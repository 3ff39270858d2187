/**
 * Event counts over sliding windows (last hour, 24 hours, 30 days) in fixed time buckets, so a
 * dialer placing hundreds of calls a second keeps a bounded, small state and answers a window
 * sum by adding at most a few hundred buckets. Pure: time comes in as `t` (ms).
 *
 * A window [now − w, now] sums the buckets whose start is ≥ now − w, rounded down to the bucket:
 * it may hold up to one bucket more than w, never less — for an abandon-rate limit that is the
 * cautious side. Buckets can be seeded from the database (`seed`) so the windows survive restarts.
 */
export class RollingCounts<K extends string> {
  private readonly buckets = new Map<number, Record<K, number>>();

  constructor(
    private readonly keys: readonly K[],
    readonly bucketMs: number,
    private readonly keepMs: number,
  ) {
    if (!(bucketMs > 0) || !(keepMs >= bucketMs)) throw new RangeError('bucketMs must be > 0 and keepMs ≥ bucketMs');
  }

  private slot(t: number): Record<K, number> {
    const start = Math.floor(t / this.bucketMs) * this.bucketMs;
    let b = this.buckets.get(start);
    if (!b) {
      b = this.zero();
      this.buckets.set(start, b);
    }
    return b;
  }

  private zero(): Record<K, number> {
    const z = {} as Record<K, number>;
    for (const k of this.keys) z[k] = 0;
    return z;
  }

  add(t: number, key: K, n = 1): void {
    this.slot(t)[key] += n;
  }

  /** Adds counts for the bucket holding `t` (from the database at start). */
  seed(t: number, counts: Partial<Record<K, number>>): void {
    const b = this.slot(t);
    for (const k of this.keys) b[k] += counts[k] ?? 0;
  }

  /** Sums over the last `windowMs` before `now`; drops buckets older than `keepMs`. */
  sum(now: number, windowMs: number): Record<K, number> {
    const oldest = Math.floor((now - this.keepMs) / this.bucketMs) * this.bucketMs;
    const from = Math.floor((now - windowMs) / this.bucketMs) * this.bucketMs;
    const out = this.zero();
    for (const [start, b] of this.buckets) {
      if (start < oldest) {
        this.buckets.delete(start);
        continue;
      }
      if (start < from || start > now) continue;
      for (const k of this.keys) out[k] += b[k];
    }
    return out;
  }

  get size(): number {
    return this.buckets.size;
  }
}
