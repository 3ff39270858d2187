import { Type, type Static } from 'typebox';
import { DateTime, IdParams, Nullable, pageQuery, paged, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

/**
 * Write-back to business systems: webhooks signed per Standard Webhooks (docs/webhooks.md).
 * Each try is a POST of the event's JSON with the headers `webhook-id` (the same on every try),
 * `webhook-timestamp` (seconds) and `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over
 * "id.timestamp.body" with the secret's key).
 */

export const WebhookEventType = Type.Union([
  Type.Literal('disposition.recorded'),
  Type.Literal('order.created'),
  Type.Literal('contact.closed'),
  Type.Literal('import.finished'),
  Type.Literal('campaign.status_changed'),
]);
export type WebhookEventType = Static<typeof WebhookEventType>;

// ---- the bodies receivers get: {"type", "timestamp", "data"}
const envelope = <T extends string, D extends ReturnType<typeof Type.Object>>(type: T, data: D) =>
  Type.Object({ type: Type.Literal(type), timestamp: Type.String({ format: 'date-time' }), data });

const ContactRef = {
  contactId: Uuid,
  externalId: Nullable(Type.String({ description: "the contact's id in your system, as imported" })),
  project: Type.String({ description: 'the project code' }),
};

export const WebhookEvent = Type.Union([
  envelope(
    'disposition.recorded',
    Type.Object({
      attemptId: Uuid,
      ...ContactRef,
      campaignId: Nullable(Uuid),
      agentId: Uuid,
      code: Type.String(),
      success: Type.Boolean(),
      notes: Type.String(),
      callbackAt: Nullable(Type.String({ format: 'date-time' })),
      next: Type.Object({
        kind: Type.Union([Type.Literal('closed'), Type.Literal('callback'), Type.Literal('retry')]),
        reason: Type.Optional(Type.String()),
        at: Type.Optional(Type.String({ format: 'date-time' })),
      }),
      answers: Nullable(
        Type.Object({
          questionnaire: Type.String(),
          version: Type.Integer(),
          values: Type.Record(Type.String(), Type.Unknown()),
        }),
      ),
      orderId: Nullable(Uuid),
    }),
  ),
  envelope(
    'order.created',
    Type.Object({
      orderId: Uuid,
      attemptId: Uuid,
      ...ContactRef,
      agentId: Uuid,
      amountCents: Type.Integer(),
      currency: Type.String(),
      lines: Type.Array(
        Type.Object({
          sku: Type.String(),
          name: Type.String(),
          quantity: Type.Integer(),
          unitPriceCents: Type.Integer(),
          amountCents: Type.Integer(),
        }),
      ),
    }),
  ),
  envelope(
    'contact.closed',
    Type.Object({
      ...ContactRef,
      reason: Type.String({ description: 'success, disposition, max_attempts' }),
      closedAt: Type.String({ format: 'date-time' }),
    }),
  ),
  envelope(
    'import.finished',
    Type.Object({
      importId: Uuid,
      project: Nullable(Type.String()),
      filename: Type.String(),
      status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
      rowsRead: Type.Integer(),
      imported: Type.Integer(),
      duplicateInFile: Type.Integer(),
      duplicateExisting: Type.Integer(),
      dnc: Type.Integer(),
      invalid: Type.Integer(),
      error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    }),
  ),
  envelope(
    'campaign.status_changed',
    Type.Object({
      campaignId: Uuid,
      name: Type.String(),
      projectId: Uuid,
      from: Type.String(),
      to: Type.String(),
      finishReason: Nullable(Type.String()),
      detail: Nullable(Type.String()),
    }),
  ),
]);
export type WebhookEvent = Static<typeof WebhookEvent>;

// ---- subscriptions
export const Webhook = Type.Object({
  id: Uuid,
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  active: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const Url = Type.String({ minLength: 8, maxLength: 2000, description: 'http(s) URL of the receiver' });
const Events = Type.Array(WebhookEventType, { minItems: 1, maxItems: 20 });

export const createWebhook = operation(
  'POST',
  '/webhooks',
  {
    operationId: 'createWebhook',
    tags: ['webhooks'],
    summary:
      'Subscribe a receiver to events. The answer carries the signing `secret` (whsec_…) — shown this once; keep it to verify signatures (admin; audited)',
    body: Type.Object(
      { url: Url, events: Events, description: Type.Optional(Type.String({ maxLength: 500 })) },
      strict,
    ),
    response: { 201: Type.Object({ ...Webhook.properties, secret: Type.String({ pattern: '^whsec_' }) }) },
  },
  [403],
);

export const listWebhooks = operation(
  'GET',
  '/webhooks',
  {
    operationId: 'listWebhooks',
    tags: ['webhooks'],
    summary: "The organisation's webhooks (admin)",
    response: { 200: Type.Object({ items: Type.Array(Webhook) }) },
  },
  [403],
);

export const getWebhook = operation(
  'GET',
  '/webhooks/:id',
  {
    operationId: 'getWebhook',
    tags: ['webhooks'],
    summary: 'One webhook (its secret is never shown again)',
    params: IdParams,
    response: { 200: Webhook },
  },
  [403, 404],
);

export const updateWebhook = operation(
  'PATCH',
  '/webhooks/:id',
  {
    operationId: 'updateWebhook',
    tags: ['webhooks'],
    summary: 'Change the URL or the events, or switch a webhook off (messages already queued are still sent) (audited)',
    params: IdParams,
    body: Type.Object(
      {
        url: Type.Optional(Url),
        events: Type.Optional(Events),
        description: Type.Optional(Type.String({ maxLength: 500 })),
        active: Type.Optional(Type.Boolean()),
      },
      strict,
    ),
    response: { 200: Webhook },
  },
  [403, 404],
);

// ---- the delivery log
export const MessageStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]);
export const WebhookMessage = Type.Object({
  id: Type.String({ description: 'the webhook-id header: the same on every try' }),
  webhookId: Uuid,
  eventType: Type.String(),
  status: MessageStatus,
  attempts: Type.Integer(),
  failures: Type.Integer({ description: 'failed tries since it was (re)queued' }),
  nextAttemptAt: DateTime,
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: DateTime,
  deliveredAt: Nullable(DateTime),
});
export const WebhookAttempt = Type.Object({
  n: Type.Integer(),
  at: DateTime,
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  durationMs: Type.Integer(),
  response: Nullable(Type.String({ description: "the start of the receiver's answer" })),
});
export const WebhookMessageDetail = Type.Object({
  ...WebhookMessage.properties,
  body: Type.String({ description: 'exactly what was sent and signed' }),
  log: Type.Array(WebhookAttempt),
});

export const listWebhookMessages = operation(
  'GET',
  '/webhook-messages',
  {
    operationId: 'listWebhookMessages',
    tags: ['webhooks'],
    summary: 'The delivery log, newest first; `status=dead`: the dead letters (no try left), to redeliver by hand',
    querystring: pageQuery({ webhook: Type.Optional(Uuid), status: Type.Optional(MessageStatus) }),
    response: { 200: paged(WebhookMessage) },
  },
  [403],
);

const MessageParams = Type.Object({ id: Type.String({ pattern: '^msg_[0-9a-f]{32}$' }) }, strict);

export const getWebhookMessage = operation(
  'GET',
  '/webhook-messages/:id',
  {
    operationId: 'getWebhookMessage',
    tags: ['webhooks'],
    summary: 'One message: its body and every try with the answer',
    params: MessageParams,
    response: { 200: WebhookMessageDetail },
  },
  [403, 404],
);

export const redeliverWebhookMessage = operation(
  'POST',
  '/webhook-messages/:id/redeliver',
  {
    operationId: 'redeliverWebhookMessage',
    tags: ['webhooks'],
    summary:
      'Queue a dead (or delivered) message again: the same webhook-id, the retry schedule from the start (audited)',
    params: MessageParams,
    response: { 202: WebhookMessageDetail },
  },
  [403, 404, 409],
);
