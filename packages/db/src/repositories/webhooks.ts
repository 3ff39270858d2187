import type {
  LeasedWebhookMessage,
  OutboxEvent,
  WebhookAttemptRow,
  WebhookMessageRow,
  WebhookMessageStatus,
  WebhookRow,
  WebhooksStore,
} from '@outdial/engine/ports';
import type { Database } from '../database.ts';

const W = `id, org_id AS "orgId", url, events, description, active, created_at AS "createdAt", updated_at AS "updatedAt"`;
const M = `id, webhook_id AS "webhookId", event_type AS "eventType", status, attempts, failures,
  next_attempt_at AS "nextAttemptAt", last_status AS "lastStatus", last_error AS "lastError",
  created_at AS "createdAt", delivered_at AS "deliveredAt"`;

/** A message id: the webhook-id header (`msg_` and 32 hex digits), unique, the same on every try. */
export const MESSAGE_ID = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;

/**
 * The outbox insert as SQL, for repositories that report changes made in bulk statements
 * (a batch of call ends closing contacts): `$events` is a set of (org_id, type, body, at) rows.
 */
export function outboxInsert(events: string): string {
  return `INSERT INTO webhook_messages (id, org_id, webhook_id, event_type, body, next_attempt_at, created_at)
    SELECT ${MESSAGE_ID}, e.org_id, w.id, e.type, e.body, e.at, e.at
      FROM (${events}) AS e(org_id, type, body, at)
      JOIN webhooks w ON w.org_id = e.org_id AND w.active AND e.type = ANY(w.events)`;
}

/** An ISO 8601 UTC text of a timestamp expression, as JavaScript's toISOString writes it. */
export const isoSql = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The contact.closed message body built in SQL from a contact row `c`, its project `p`, the
 * reason and the time (expressions), with the keys the engine's own bodies have.
 */
export function contactClosedBody(reason: string, at: string): string {
  return `json_build_object('type', 'contact.closed', 'timestamp', ${isoSql(at)}, 'data',
    json_build_object('contactId', c.id, 'externalId', c.external_id, 'project', p.code, 'reason', ${reason}, 'closedAt', ${isoSql(at)}))::text`;
}

/** Webhooks: subscriptions, the outbox, and the deliverers' leases (ADR 0017). */
export class WebhooksRepo implements WebhooksStore {
  constructor(private readonly db: Database) {}

  async create(w: {
    orgId: string;
    url: string;
    events: readonly string[];
    secret: string;
    description: string;
    createdBy: string | null;
  }): Promise<WebhookRow> {
    const [row] = await this.db.query<WebhookRow>(
      `INSERT INTO webhooks (org_id, url, events, secret, description, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${W}`,
      [w.orgId, w.url, w.events, w.secret, w.description, w.createdBy],
    );
    return row!;
  }

  list(orgId: string): Promise<WebhookRow[]> {
    return this.db.query<WebhookRow>(`SELECT ${W} FROM webhooks WHERE org_id = $1 ORDER BY created_at, id`, [orgId]);
  }

  async get(orgId: string, id: string): Promise<WebhookRow | undefined> {
    const [row] = await this.db.query<WebhookRow>(`SELECT ${W} FROM webhooks WHERE org_id = $1 AND id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async update(
    orgId: string,
    id: string,
    p: {
      url?: string | undefined;
      events?: readonly string[] | undefined;
      description?: string | undefined;
      active?: boolean | undefined;
    },
  ): Promise<WebhookRow | undefined> {
    const [row] = await this.db.query<WebhookRow>(
      `UPDATE webhooks SET url = coalesce($3, url), events = coalesce($4, events), description = coalesce($5, description),
              active = coalesce($6, active), updated_at = now()
        WHERE org_id = $1 AND id = $2 RETURNING ${W}`,
      [orgId, id, p.url ?? null, p.events ?? null, p.description ?? null, p.active ?? null],
    );
    return row;
  }

  async enqueue(events: readonly OutboxEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const rows = await this.db.query<{ id: string }>(
      `${outboxInsert('SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])')} RETURNING id`,
      [events.map((e) => e.orgId), events.map((e) => e.type), events.map((e) => e.body), events.map((e) => e.at)],
    );
    return rows.length;
  }

  lease(owner: string, now: Date, ttlMs: number, limit: number): Promise<LeasedWebhookMessage[]> {
    return this.db.query<LeasedWebhookMessage>(
      `WITH due AS (
         SELECT id FROM webhook_messages
          WHERE status = 'pending' AND next_attempt_at <= $2 AND (leased_until IS NULL OR leased_until <= $2)
          ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_messages m SET leased_until = $3, lease_owner = $1
         FROM due, webhooks w WHERE m.id = due.id AND w.id = m.webhook_id
       RETURNING m.id, m.webhook_id AS "webhookId", w.url, w.secret, m.body, m.attempts, m.failures`,
      [owner, now, new Date(now.getTime() + ttlMs), limit],
    );
  }

  settle(
    id: string,
    owner: string,
    a: Omit<WebhookAttemptRow, 'n'>,
    outcome: { delivered: true } | { delivered: false; retryAt: Date | null },
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const status = outcome.delivered ? 'delivered' : outcome.retryAt ? 'pending' : 'dead';
      const [row] = await tx.query<{ n: number }>(
        `UPDATE webhook_messages SET status = $3, attempts = attempts + 1,
                failures = CASE WHEN $3 = 'delivered' THEN failures ELSE failures + 1 END,
                next_attempt_at = coalesce($4, next_attempt_at), leased_until = NULL, lease_owner = NULL,
                last_status = $5, last_error = $6, delivered_at = CASE WHEN $3 = 'delivered' THEN $7::timestamptz END
          WHERE id = $1 AND lease_owner = $2 AND status = 'pending'
          RETURNING attempts AS n`,
        [id, owner, status, outcome.delivered ? null : outcome.retryAt, a.statusCode, a.error, a.at],
      );
      if (!row) return false;
      await tx.query(
        `INSERT INTO webhook_attempts (message_id, n, at, status_code, error, duration_ms, response) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, row.n, a.at, a.statusCode, a.error, a.durationMs, a.response],
      );
      return true;
    });
  }

  async messages(
    orgId: string,
    q: { webhookId?: string | undefined; status?: WebhookMessageStatus | undefined; limit: number; offset: number },
  ): Promise<{ items: WebhookMessageRow[]; total: number }> {
    const where = `org_id = $1 AND ($2::uuid IS NULL OR webhook_id = $2) AND ($3::text IS NULL OR status = $3)`;
    const params = [orgId, q.webhookId ?? null, q.status ?? null];
    const items = await this.db.query<WebhookMessageRow>(
      `SELECT ${M} FROM webhook_messages WHERE ${where} ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`,
      [...params, q.limit, q.offset],
    );
    const [t] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_messages WHERE ${where}`,
      params,
    );
    return { items, total: t!.n };
  }

  async message(
    orgId: string,
    id: string,
  ): Promise<(WebhookMessageRow & { body: string; log: WebhookAttemptRow[] }) | undefined> {
    const [row] = await this.db.query<WebhookMessageRow & { body: string }>(
      `SELECT ${M}, body FROM webhook_messages WHERE org_id = $1 AND id = $2`,
      [orgId, id],
    );
    if (!row) return undefined;
    const log = await this.db.query<WebhookAttemptRow>(
      `SELECT n, at, status_code AS "statusCode", error, duration_ms AS "durationMs", response
         FROM webhook_attempts WHERE message_id = $1 ORDER BY n`,
      [id],
    );
    return { ...row, log };
  }

  async releaseLeases(): Promise<number> {
    const rows = await this.db.query(
      `UPDATE webhook_messages SET leased_until = NULL, lease_owner = NULL WHERE status = 'pending' AND leased_until IS NOT NULL RETURNING id`,
    );
    return rows.length;
  }

  async leaseOwners(now: Date): Promise<string[]> {
    const rows = await this.db.query<{ owner: string }>(
      `SELECT DISTINCT lease_owner AS owner FROM webhook_messages
        WHERE status = 'pending' AND leased_until > $1 AND lease_owner IS NOT NULL`,
      [now],
    );
    return rows.map((r) => r.owner);
  }

  async releaseLeasesOf(owner: string): Promise<number> {
    const rows = await this.db.query(
      `UPDATE webhook_messages SET leased_until = NULL, lease_owner = NULL WHERE status = 'pending' AND lease_owner = $1 RETURNING id`,
      [owner],
    );
    return rows.length;
  }

  async redeliver(orgId: string, id: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE webhook_messages SET status = 'pending', failures = 0, next_attempt_at = $3, leased_until = NULL, lease_owner = NULL
        WHERE org_id = $1 AND id = $2 AND status <> 'pending' RETURNING id`,
      [orgId, id, now],
    );
    return rows.length > 0;
  }
}
