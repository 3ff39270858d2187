/**
 * Login throttling by failures, not by logins: an office of agents starting their shift from one
 * address must all get in, while guessing passwords must not scale. A client (IP) or an account
 * with `maxFailures` failed attempts inside the window gets `rate_limited` until the oldest of
 * them leaves the window. A success clears the account's failures (not the client's: one good
 * password must not reset an attacker's budget against other accounts).
 *
 * In memory, per process (several nodes each keep their own count — document the multiplier).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until a login may be tried again for this account or client; 0 when it may now. */
  retryAfter(keys: { account: string; client: string | undefined }, now: number): number {
    let wait = 0;
    for (const k of this.keys(keys)) {
      const list = this.recent(k, now);
      if (list.length >= this.maxFailures) wait = Math.max(wait, list[0]! + this.windowMs - now);
    }
    return wait;
  }

  failed(keys: { account: string; client: string | undefined }, now: number): void {
    for (const k of this.keys(keys)) {
      const list = this.recent(k, now);
      list.push(now);
      this.failures.set(k, list);
    }
    // Keep memory bounded under a spray of usernames: forget the oldest keys first.
    if (this.failures.size > 100_000) {
      for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
    }
  }

  succeeded(keys: { account: string }): void {
    this.failures.delete(`account:${keys.account.toLowerCase()}`);
  }

  private keys(k: { account: string; client: string | undefined }): string[] {
    const out = [`account:${k.account.toLowerCase()}`];
    if (k.client) out.push(`client:${k.client}`);
    return out;
  }
}
