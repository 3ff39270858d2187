import type { PacingDecision, PacingPolicy, PacingSnapshot, PacingStatus } from './types.ts';

/**
 * A calls-per-second cap (carrier trunks, regulators): a token bucket holding at most one
 * second of calls. Pure — time is passed in — so the simulator and the live dialer share it.
 */
export class CallRateLimiter {
  private tokens: number;
  private last: number | null = null;

  constructor(private readonly perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError('calls per second must be > 0');
    this.tokens = perSecond;
  }

  /** How many of `wanted` calls may start at time `t` (seconds); those are spent. */
  take(t: number, wanted: number): number {
    if (this.last !== null && t > this.last)
      this.tokens = Math.min(this.perSecond, this.tokens + (t - this.last) * this.perSecond);
    if (this.last === null || t > this.last) this.last = t;
    const n = Math.max(0, Math.min(Math.floor(wanted), Math.floor(this.tokens)));
    this.tokens -= n;
    return n;
  }

  /** Seconds until at least one call may start (0 if one may now). */
  waitS(): number {
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.perSecond;
  }
}

/**
 * Agentless (IVR) pacing: no agents to wait for, so the limit is the lines the IVR can carry —
 * keep `lines` calls in progress (ringing or playing), no more.
 */
export class IvrPolicy implements PacingPolicy {
  readonly name = 'ivr';
  readonly tickS = 1;
  readonly onAgentReady = false;
  constructor(private readonly lines: number) {
    if (!(Number.isInteger(lines) && lines > 0)) throw new RangeError('IVR lines must be a whole number > 0');
  }
  observe(): void {}
  decide(s: PacingSnapshot): PacingDecision {
    return { dials: Math.max(0, this.lines - s.callsInProgress) };
  }
  status(): PacingStatus {
    return { mode: 'ivr', level: this.lines, reason: `keeps ${this.lines} IVR lines busy` };
  }
}
