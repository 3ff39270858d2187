import type { OutboxEvent } from '../ports/index.ts';

/** The events a webhook may subscribe to (docs/webhooks.md gives each one's data). */
export const WEBHOOK_EVENTS = [
  'disposition.recorded',
  'order.created',
  'contact.closed',
  'import.finished',
  'campaign.status_changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** An event for the outbox: `{"type", "timestamp", "data"}`, as Standard Webhooks suggests, written once. */
export function outboxEvent(
  orgId: string,
  type: WebhookEventType,
  at: Date,
  data: Record<string, unknown>,
): OutboxEvent {
  return { orgId, type, at, body: JSON.stringify({ type, timestamp: at.toISOString(), data }) };
}
