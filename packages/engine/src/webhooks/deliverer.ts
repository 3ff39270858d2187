import type { LeasedWebhookMessage, Repositories, WebhookAttemptRow } from '../ports/index.ts';
import type { Scheduler } from '../telephony.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { signedHeaders } from './sign.ts';
import type { WebhookTransport } from './transport.ts';

/**
 * After the first try fails: wait 5 s, then 5 min, 30 min, 2 h, 5 h, 10 h and 10 h — eight tries
 * over 27 h 35 min (Standard Webhooks' suggested schedule); after the eighth the message is dead
 * and waits in the dead letters for a person to redeliver it.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export interface DelivererOptions {
  /** Messages leased at a time. */
  batch?: number;
  /** Messages in flight at once. */
  concurrency?: number;
  /** How long a leased message is this deliverer's; a node that dies holding it loses it after this. */
  leaseMs?: number;
  /** How long a receiver has to answer. */
  timeoutMs?: number;
  /** How often the outbox is looked at. */
  pollMs?: number;
  schedule?: readonly number[];
}

/** How often leases are checked for owners that died. */
const ORPHAN_CHECK_MS = 5000;

/** The most of a receiver's answer kept in the log. */
const RESPONSE_KEPT = 1000;

/**
 * Delivers the outbox (ADR 0017): every `pollMs` it leases the messages
 * due, POSTs each signed (the same webhook-id on every try, a fresh timestamp and signature), and
 * records the try in the delivery log: delivered on a 2xx, else the next try by the schedule, or
 * dead after the last one. A message is leased, not taken: if this process dies mid-delivery,
 * the lease runs out and any node delivers it again (receivers dedupe by webhook-id).
 */
export class WebhookDeliverer {
  private timer: unknown;
  private running: Promise<number> | null = null;
  private stopped = false;
  private readonly batch: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly schedule: readonly number[];
  private readonly log: Logger;

  constructor(
    private readonly deps: {
      repos: Repositories;
      transport: WebhookTransport;
      scheduler: Scheduler;
      /** This process (leases are taken in its name). */
      owner: string;
      /**
       * Whether the process that holds a lease still runs (ADR 0009's node lock): a dead node's
       * deliveries are taken over at once instead of when their leases run out.
       */
      isAlive?: (owner: string) => Promise<boolean>;
      logger?: Logger;
    },
    opts: DelivererOptions = {},
  ) {
    this.batch = opts.batch ?? 50;
    this.concurrency = opts.concurrency ?? 8;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.schedule = opts.schedule ?? RETRY_SCHEDULE_MS;
    this.log = (deps.logger ?? silentLogger).child({ component: 'webhooks' });
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      void this.deliverDue()
        .catch((err: unknown) => this.log.error({ err }, 'a webhook delivery pass failed; the next pass tries again'))
        .finally(() => {
          if (!this.stopped) this.timer = this.deps.scheduler.setTimeout(loop, this.pollMs);
        });
    };
    this.timer = this.deps.scheduler.setTimeout(loop, 0);
  }

  /** Stops polling and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.scheduler.clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Delivers everything due now (one pass at a time); resolves with how many tries were made. */
  deliverDue(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private nextOrphanCheck = 0;

  /** Leases of processes that died are given back (looked at every ORPHAN_CHECK_MS). */
  private async reclaim(now: number): Promise<void> {
    const isAlive = this.deps.isAlive;
    if (!isAlive || now < this.nextOrphanCheck) return;
    this.nextOrphanCheck = now + ORPHAN_CHECK_MS;
    for (const owner of await this.deps.repos.webhooks.leaseOwners(new Date(now))) {
      if (owner === this.deps.owner || (await isAlive(owner))) continue;
      const n = await this.deps.repos.webhooks.releaseLeasesOf(owner);
      if (n) this.log.warn({ owner, messages: n }, 'took over the webhook deliveries of a node that is gone');
    }
  }

  private async pass(): Promise<number> {
    await this.reclaim(this.deps.scheduler.now());
    let tries = 0;
    for (;;) {
      const now = new Date(this.deps.scheduler.now());
      const leased = await this.deps.repos.webhooks.lease(this.deps.owner, now, this.leaseMs, this.batch);
      for (let i = 0; i < leased.length; i += this.concurrency)
        await Promise.all(leased.slice(i, i + this.concurrency).map((m) => this.deliver(m)));
      tries += leased.length;
      if (leased.length < this.batch || this.stopped) return tries;
    }
  }

  private async deliver(m: LeasedWebhookMessage): Promise<void> {
    const at = new Date(this.deps.scheduler.now());
    const started = Date.now();
    let attempt: Omit<WebhookAttemptRow, 'n'>;
    try {
      const r = await this.deps.transport.post(m.url, {
        headers: signedHeaders(m.secret, m.id, at, m.body),
        body: m.body,
        timeoutMs: this.timeoutMs,
      });
      const ok = r.status >= 200 && r.status < 300;
      attempt = {
        at,
        statusCode: r.status,
        error: ok ? null : `the receiver answered ${r.status}`,
        durationMs: Date.now() - started,
        response: r.body.slice(0, RESPONSE_KEPT),
      };
    } catch (err) {
      attempt = {
        at,
        statusCode: null,
        error: err instanceof Error ? err.message : String(err),
        durationMs: Date.now() - started,
        response: null,
      };
    }
    const delivered = attempt.error === null;
    const wait = this.schedule[m.failures];
    const outcome = delivered
      ? ({ delivered: true } as const)
      : { delivered: false as const, retryAt: wait === undefined ? null : new Date(at.getTime() + wait) };
    const settled = await this.deps.repos.webhooks.settle(m.id, this.deps.owner, attempt, outcome);
    if (!settled)
      this.log.warn(
        { messageId: m.id },
        'the lease of a webhook message ran out during its try; another try will follow',
      );
    else if (!delivered)
      this.log.info(
        {
          messageId: m.id,
          webhookId: m.webhookId,
          status: attempt.statusCode,
          error: attempt.error,
          failures: m.failures + 1,
        },
        outcome.delivered || outcome.retryAt
          ? 'a webhook try failed; it will be tried again'
          : 'a webhook message is dead after its last try',
      );
  }
}
