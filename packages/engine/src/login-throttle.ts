/**
 * Login throttling by failures, not by logins: an office of agents starting their shift from one
 * address must all get in, while guessing passwords must not scale. An account (organisation +
 * username as typed) or a client address with `maxFailures` failed attempts inside the window
 * gets `rate_limited` until the oldest of them leaves it.
 *
 * An attempt takes its slot **before** the slow password check and keeps it unless it succeeds:
 * a burst of 60 guesses sent at once gets `maxFailures` checks, not 60. A success gives back its
 * own slot and clears the account's failures (not the client's: one good password must not reset
 * an attacker's budget against other accounts).
 *
 * In memory, per process: with N nodes the budget is N × `maxFailures` (docs/security.md). The
 * account limit is also a lockout an attacker can cause (the classic trade-off): it lasts one
 * window, and the right password from elsewhere is refused meanwhile.
 */
export interface ThrottleKeys {
  /** The account as typed: username, and the organisation when given. */
  account: string;
  /** The client's address (behind a proxy: with OUTDIAL_TRUST_PROXY set). */
  client: string | undefined;
}

export interface ThrottleSlot {
  keys: string[];
  at: number;
}

export class LoginThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.attempts.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.attempts.set(key, list);
    else this.attempts.delete(key);
    return list;
  }

  /**
   * Takes a slot for an attempt that is about to check a password, or says how long to wait.
   * Synchronous, so two concurrent attempts can never both take the last slot.
   */
  take(k: ThrottleKeys, now: number): { slot: ThrottleSlot } | { retryAfterMs: number } {
    const keys = this.keys(k);
    let wait = 0;
    for (const key of keys) {
      const list = this.recent(key, now);
      if (list.length >= this.maxFailures) wait = Math.max(wait, list[0]! + this.windowMs - now);
    }
    if (wait > 0) return { retryAfterMs: wait };
    for (const key of keys) this.attempts.set(key, [...this.recent(key, now), now]);
    // Bounded under a spray of usernames: the oldest keys go first.
    if (this.attempts.size > 100_000)
      for (const key of [...this.attempts.keys()].slice(0, 10_000)) this.attempts.delete(key);
    return { slot: { keys, at: now } };
  }

  /** The attempt succeeded: its slot is given back and the account's failures are forgotten. */
  succeeded(slot: ThrottleSlot): void {
    const [account, ...others] = slot.keys;
    if (account) this.attempts.delete(account);
    for (const key of others) {
      const list = this.attempts.get(key);
      const i = list?.indexOf(slot.at) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    }
  }

  private keys(k: ThrottleKeys): string[] {
    return [`account:${k.account.toLowerCase()}`, ...(k.client ? [`client:${k.client}`] : [])];
  }
}
