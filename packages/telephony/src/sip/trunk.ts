import type { Scheduler } from '@outdial/engine';
import { validateTrunk as checkTrunk } from '@outdial/domain/telephony';
import { parseUri } from './message.ts';
import type { Remote, TransportKind } from './transport.ts';

/** A SIP trunk: where customer calls go, with the carrier's limits. */
export interface TrunkConfig {
  name: string;
  /** `sip:host:port` of the carrier's (or the local SBC's) signalling address. */
  uri: string;
  transport: TransportKind;
  username?: string;
  password?: string;
  /** Calls in progress on this trunk at most (ringing, answered, connected). */
  maxChannels: number;
  /** New calls per second at most. */
  callsPerSecond: number;
  /** Domain of the Request-URI and From (default: the trunk's host). */
  domain?: string;
}

export class TrunkConfigError extends Error {}

/** Every problem with a trunk's configuration (empty when it is good): the domain's rule. */
export const validateTrunk = (t: Partial<TrunkConfig>): string[] => checkTrunk(t);

/**
 * A trunk's limits as calls come and go: channels in use, and a token bucket for calls per
 * second (a burst of at most one second's worth). A call over the channel limit is refused at
 * once; a call over the rate waits for its turn (at most `maxWaitMs`, then refused).
 */
export class Trunk {
  readonly next: Remote;
  readonly domain: string;
  private inUse = 0;
  private tokens: number;
  private refilledAt: number;
  private readonly waiting: { resolve: (ok: boolean) => void; since: number }[] = [];
  private timer: unknown = null;

  constructor(
    readonly config: TrunkConfig,
    private readonly scheduler: Scheduler,
    private readonly maxWaitMs = 5000,
  ) {
    const problems = validateTrunk(config);
    if (problems.length) throw new TrunkConfigError(`trunk ${config.name}: ${problems.join('; ')}`);
    const u = parseUri(config.uri);
    this.next = { transport: config.transport, host: u.host, port: u.port ?? 5060 };
    this.domain = config.domain ?? (u.port ? `${u.host}:${u.port}` : u.host);
    this.tokens = Math.max(1, config.callsPerSecond);
    this.refilledAt = scheduler.now();
  }

  get channels(): number {
    return this.inUse;
  }

  /** Takes a channel now, or false when all are in use. */
  seize(): boolean {
    if (this.inUse >= this.config.maxChannels) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    if (this.inUse > 0) this.inUse--;
  }

  private refill(): void {
    const t = this.scheduler.now();
    const cap = Math.max(1, this.config.callsPerSecond);
    this.tokens = Math.min(cap, this.tokens + ((t - this.refilledAt) / 1000) * this.config.callsPerSecond);
    this.refilledAt = t;
  }

  /** Resolves true when this call may be sent now (within the rate), false if it waited too long. */
  turn(): Promise<boolean> {
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      this.waiting.push({ resolve, since: this.scheduler.now() });
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer !== null) return;
    const step = () => {
      this.timer = null;
      this.refill();
      const t = this.scheduler.now();
      while (this.waiting.length && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiting.shift()!.resolve(true);
      }
      while (this.waiting.length && t - this.waiting[0]!.since >= this.maxWaitMs) this.waiting.shift()!.resolve(false);
      if (this.waiting.length) {
        const ms = Math.ceil(((1 - this.tokens) / this.config.callsPerSecond) * 1000);
        this.timer = this.scheduler.setTimeout(step, Math.max(1, ms));
      }
    };
    this.timer = this.scheduler.setTimeout(step, Math.max(1, Math.ceil(1000 / this.config.callsPerSecond)));
  }
}
