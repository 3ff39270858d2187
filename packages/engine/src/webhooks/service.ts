import type { Repositories, WebhookMessageStatus, WebhookRow } from '../ports/index.ts';
import type { Clock } from '../ports/index.ts';
import { assertCan, type Principal } from '../auth.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { WEBHOOK_EVENTS } from './events.ts';
import { newSecret } from './sign.ts';

/** A URL a webhook may post to: http(s), no credentials in it (they would show in every log). */
function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`"${url}" is not a URL`, { field: 'url' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw invalid('a webhook URL is http or https', { field: 'url' });
  if (u.username || u.password)
    throw invalid('put no credentials in the URL: receivers check the signature instead', { field: 'url' });
}

function checkEvents(events: readonly string[]): void {
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (unknown.length)
    throw invalid(`unknown events: ${unknown.join(', ')}`, { field: 'events', allowed: WEBHOOK_EVENTS });
  if (events.length === 0) throw invalid('subscribe to at least one event', { field: 'events' });
}

/**
 * Webhooks (write-back to business systems): subscriptions (admin; the secret shown once), the
 * delivery log, dead letters and redelivery by hand. Messages are written by the use cases
 * themselves, in the transaction of the change they report; the WebhookDeliverer sends them.
 */
export class WebhookService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
  ) {}

  async create(
    actor: Principal,
    w: { url: string; events: readonly string[]; description?: string | undefined },
  ): Promise<WebhookRow & { secret: string }> {
    assertCan(actor, 'webhooks:manage');
    checkUrl(w.url);
    checkEvents(w.events);
    const secret = newSecret();
    const row = await this.repos.transaction(async (tx) => {
      const created = await tx.webhooks.create({
        orgId: actor.orgId,
        url: w.url,
        events: [...new Set(w.events)],
        secret,
        description: w.description ?? '',
        createdBy: actor.userId,
      });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'webhook.created',
        subjectType: 'webhook',
        subjectId: created.id,
        details: { url: created.url, events: created.events },
      });
      return created;
    });
    return { ...row, secret };
  }

  async list(actor: Principal): Promise<WebhookRow[]> {
    assertCan(actor, 'webhooks:manage');
    return this.repos.webhooks.list(actor.orgId);
  }

  async get(actor: Principal, id: string): Promise<WebhookRow> {
    assertCan(actor, 'webhooks:manage');
    const w = await this.repos.webhooks.get(actor.orgId, id);
    if (!w) throw notFound('webhook');
    return w;
  }

  async update(
    actor: Principal,
    id: string,
    patch: {
      url?: string | undefined;
      events?: readonly string[] | undefined;
      description?: string | undefined;
      active?: boolean | undefined;
    },
  ): Promise<WebhookRow> {
    assertCan(actor, 'webhooks:manage');
    if (patch.url !== undefined) checkUrl(patch.url);
    if (patch.events !== undefined) checkEvents(patch.events);
    return this.repos.transaction(async (tx) => {
      const row = await tx.webhooks.update(actor.orgId, id, {
        ...patch,
        events: patch.events ? [...new Set(patch.events)] : undefined,
      });
      if (!row) throw notFound('webhook');
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'webhook.updated',
        subjectType: 'webhook',
        subjectId: id,
        details: { ...patch },
      });
      return row;
    });
  }

  /** The delivery log: messages, newest first; `status: 'dead'` are the dead letters. */
  async messages(
    actor: Principal,
    q: { webhookId?: string | undefined; status?: WebhookMessageStatus | undefined; limit: number; offset: number },
  ) {
    assertCan(actor, 'webhooks:manage');
    return this.repos.webhooks.messages(actor.orgId, q);
  }

  /** One message with its body and every try. */
  async message(actor: Principal, id: string) {
    assertCan(actor, 'webhooks:manage');
    const m = await this.repos.webhooks.message(actor.orgId, id);
    if (!m) throw notFound('webhook message');
    return m;
  }

  /** Sends a dead (or delivered) message again, with the same webhook-id, its schedule from the start. */
  async redeliver(actor: Principal, id: string) {
    assertCan(actor, 'webhooks:manage');
    await this.repos.transaction(async (tx) => {
      if (!(await tx.webhooks.redeliver(actor.orgId, id, this.clock.now()))) {
        if (!(await tx.webhooks.message(actor.orgId, id))) throw notFound('webhook message');
        throw new AppError('invalid_state', 'the message is queued already: it will be tried by its schedule', {
          reason: 'pending',
        });
      }
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'webhook.redelivered',
        subjectType: 'webhook_message',
        subjectId: id,
        details: {},
      });
    });
    return this.message(actor, id);
  }
}
