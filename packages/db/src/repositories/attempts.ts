import { contactClosedBody, outboxInsert } from './webhooks.ts';
import type { Database } from '../database.ts';
import { timeOrderedIds } from '../ids.ts';
import type {
  AttemptOutcomeDb,
  DialModeDb,
  OpenAttempt,
  AttemptEnd,
  ContactNext,
  CampaignFigures,
  AttemptRow,
  AttemptsStore,
} from '@outdial/engine/ports';
export type { AttemptOutcomeDb, DialModeDb, OpenAttempt, AttemptEnd, ContactNext, CampaignFigures, AttemptRow };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const COLS = `id, org_id AS "orgId", project_id AS "projectId", campaign_id AS "campaignId", contact_id AS "contactId", phone,
  dial_mode AS "dialMode", agent_user_id AS "agentUserId", node_id AS "nodeId", placed_at AS "placedAt", answered_at AS "answeredAt",
  connected_at AS "connectedAt", ended_at AS "endedAt", outcome, hangup_side AS "hangupSide", sip_cause AS "sipCause",
  amd_result AS "amdResult", abandoned`;

/**
 * Call attempts: one row written *before* the dial, closed exactly once with its outcome and,
 * in the same transaction, the contact's next step. An attempt left open by a crash is found
 * by `openBefore` and closed by the recovery, so none stays open forever.
 */
export class AttemptsRepo implements AttemptsStore {
  constructor(private readonly db: Database) {}

  /**
   * Records many placed attempts in one transaction (the dialer's group commit): one INSERT from
   * arrays, one UPDATE of the contacts. Ids are made here, time-ordered, so they come back in order.
   */
  async openMany(rows: readonly OpenAttempt[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const next = timeOrderedIds(Date.now());
    const ids = rows.map((_, i) => next(i));
    await this.db.transaction(async (tx) => {
      await tx.query(
        // Each attempt records the contact's open call task, if it has one (the task the call works on).
        `INSERT INTO call_attempts (id, org_id, project_id, campaign_id, contact_id, phone, caller_id, dial_mode, placed_at, node_id, task_id)
         SELECT u.*, (SELECT t.id FROM tasks t WHERE t.contact_id = u.contact_id AND t.channel = 'agent_call' AND t.status = 'open')
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::uuid[])
             AS u(id, org_id, project_id, campaign_id, contact_id, phone, caller_id, dial_mode, placed_at, node_id)`,
        [
          ids,
          rows.map((a) => a.orgId),
          rows.map((a) => a.projectId),
          rows.map((a) => a.campaignId),
          rows.map((a) => a.contactId),
          rows.map((a) => a.phone),
          rows.map((a) => a.callerId),
          rows.map((a) => a.dialMode),
          rows.map((a) => iso(a.placedAt)),
          rows.map((a) => a.nodeId ?? null),
        ],
      );
      await tx.query(
        `UPDATE contacts c SET status = 'in_progress', updated_at = u.at
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at) WHERE c.id = u.id AND c.status = 'new'`,
        [rows.map((a) => a.contactId), rows.map((a) => iso(a.placedAt))],
      );
    });
    return ids;
  }

  /** Marks answers and connections on many live attempts at once (one id at most once per call). */
  async progressMany(
    items: readonly {
      id: string;
      answeredAt?: Date | undefined;
      connectedAt?: Date | undefined;
      agentUserId?: string | undefined;
      amdResult?: 'human' | 'machine' | 'unknown' | undefined;
    }[],
  ): Promise<void> {
    if (items.length === 0) return;
    await this.db.query(
      `UPDATE call_attempts a SET answered_at = coalesce(u.answered_at, a.answered_at), connected_at = coalesce(u.connected_at, a.connected_at),
              agent_user_id = coalesce(u.agent, a.agent_user_id), amd_result = coalesce(u.amd, a.amd_result)
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::uuid[], $5::text[]) AS u(id, answered_at, connected_at, agent, amd)
        WHERE a.id = u.id AND a.ended_at IS NULL`,
      [
        items.map((i) => i.id),
        items.map((i) => iso(i.answeredAt)),
        items.map((i) => iso(i.connectedAt)),
        items.map((i) => i.agentUserId ?? null),
        items.map((i) => i.amdResult ?? null),
      ],
    );
  }

  /**
   * Closes many attempts with their outcomes and applies each contact's next step, in one
   * transaction: the batch form of `finish`, with the same exactly-once rule (an attempt already
   * closed is left alone and reported false). A contact must appear at most once per batch.
   */
  async finishMany(items: readonly { id: string; end: AttemptEnd; next: ContactNext }[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.db.transaction(async (tx) => {
      const closed = await tx.query<{ id: string; contactId: string; placedAt: Date }>(
        `UPDATE call_attempts a SET outcome = u.outcome, ended_at = u.ended_at, answered_at = coalesce(u.answered_at, a.answered_at),
                connected_at = coalesce(u.connected_at, a.connected_at), agent_user_id = coalesce(u.agent, a.agent_user_id),
                hangup_side = u.side, sip_cause = u.sip, amd_result = coalesce(u.amd, a.amd_result), abandoned = u.abandoned
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::uuid[], $7::text[], $8::int[], $9::text[], $10::bool[])
                AS u(id, outcome, ended_at, answered_at, connected_at, agent, side, sip, amd, abandoned)
          WHERE a.id = u.id AND a.ended_at IS NULL
          RETURNING a.id, a.contact_id AS "contactId", a.placed_at AS "placedAt"`,
        [
          items.map((i) => i.id),
          items.map((i) => i.end.outcome),
          items.map((i) => iso(i.end.endedAt)),
          items.map((i) => iso(i.end.answeredAt)),
          items.map((i) => iso(i.end.connectedAt)),
          items.map((i) => i.end.agentUserId),
          items.map((i) => i.end.hangupSide),
          items.map((i) => i.end.sipCause),
          items.map((i) => i.end.amdResult),
          items.map((i) => i.end.abandoned),
        ],
      );
      if (closed.length === 0) return items.map(() => false);
      const byId = new Map(items.map((i) => [i.id, i]));
      const done = closed.map((c) => ({ ...c, item: byId.get(c.id)! }));
      const status = (n: ContactNext) =>
        n.kind === 'closed' ? 'closed' : n.kind === 'callback' ? 'callback' : 'in_progress';
      await tx.query(
        `UPDATE contacts c SET attempts = c.attempts + 1, last_attempt_at = greatest(c.last_attempt_at, u.placed_at), status = u.status,
                close_reason = u.reason, next_attempt_at = u.next_at, callback_at = u.callback_at, leased_until = NULL, lease_owner = NULL, updated_at = u.ended_at,
                callback_owner = CASE WHEN u.status = 'callback' THEN c.callback_owner END
           FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
                AS u(id, placed_at, status, reason, next_at, callback_at, ended_at)
          WHERE c.id = u.id`,
        [
          done.map((d) => d.contactId),
          done.map((d) => iso(d.placedAt)),
          done.map((d) => status(d.item.next)),
          done.map((d) => (d.item.next.kind === 'closed' ? d.item.next.reason : null)),
          done.map((d) => (d.item.next.kind === 'retry' ? iso(d.item.next.at) : null)),
          done.map((d) => (d.item.next.kind === 'callback' ? iso(d.item.next.at) : null)),
          done.map((d) => iso(d.item.end.endedAt)),
        ],
      );
      // Contacts this batch closed are reported to subscribed business systems, in this transaction,
      // and their open tasks are done.
      const closing = done.filter((d) => d.item.next.kind === 'closed');
      if (closing.length > 0)
        await tx.query(
          `UPDATE tasks SET status = 'done', updated_at = now() WHERE status = 'open' AND contact_id = ANY($1::uuid[])`,
          [closing.map((d) => d.contactId)],
        );
      if (closing.length > 0)
        await tx.query(
          outboxInsert(`SELECT c.org_id, 'contact.closed', ${contactClosedBody('u.reason', 'u.ended_at')}, u.ended_at
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(id, reason, ended_at)
             JOIN contacts c ON c.id = u.id JOIN projects p ON p.id = c.project_id`),
          [
            closing.map((d) => d.contactId),
            closing.map((d) => (d.item.next.kind === 'closed' ? d.item.next.reason : '')),
            closing.map((d) => iso(d.item.end.endedAt)),
          ],
        );
      const ok = new Set(closed.map((c) => c.id));
      return items.map((i) => ok.has(i.id));
    });
  }

  /** Many attempts by id (missing ones are simply absent). */
  getMany(ids: readonly string[]): Promise<AttemptRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.query<AttemptRow>(`SELECT ${COLS} FROM call_attempts WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Every attempt of these contacts (for the compliance gate and the next-step rule). */
  history(
    contactIds: readonly string[],
  ): Promise<{ id: string; contactId: string; phone: string; placedAt: Date; outcome: AttemptOutcomeDb | null }[]> {
    if (contactIds.length === 0) return Promise.resolve([]);
    return this.db.query(
      `SELECT id, contact_id AS "contactId", phone, placed_at AS "placedAt", outcome FROM call_attempts WHERE contact_id = ANY($1::uuid[]) ORDER BY placed_at`,
      [contactIds],
    );
  }

  /** A campaign's figures since `since`: dials, answers by kind, connects, abandons. */
  async campaignFigures(campaignId: string, since: Date): Promise<CampaignFigures> {
    const [r] = await this.db.query<CampaignFigures>(
      `SELECT count(*)::int AS dials,
              count(*) FILTER (WHERE answered_at IS NOT NULL AND coalesce(amd_result, 'unknown') <> 'machine' AND outcome IS DISTINCT FROM 'machine')::int AS "answeredPerson",
              count(*) FILTER (WHERE outcome = 'machine')::int AS "answeredMachine",
              count(*) FILTER (WHERE connected_at IS NOT NULL)::int AS connects,
              count(*) FILTER (WHERE abandoned)::int AS abandons,
              count(*) FILTER (WHERE ended_at IS NULL)::int AS live
         FROM call_attempts WHERE campaign_id = $1 AND placed_at >= $2`,
      [campaignId, since],
    );
    return r!;
  }

  /**
   * A campaign's person answers and abandons since `since`, in buckets of a minute or an hour
   * (by placing time): the dialer seeds its abandon-rate windows with them at start.
   */
  campaignBuckets(
    campaignId: string,
    since: Date,
    unit: 'minute' | 'hour',
  ): Promise<{ start: Date; dials: number; resolved: number; person: number; abandons: number }[]> {
    return this.db.query(
      `SELECT date_trunc('${unit === 'hour' ? 'hour' : 'minute'}', placed_at) AS start, count(*)::int AS dials,
              count(*) FILTER (WHERE answered_at IS NOT NULL OR ended_at IS NOT NULL)::int AS resolved,
              count(*) FILTER (WHERE answered_at IS NOT NULL AND coalesce(amd_result, 'unknown') <> 'machine' AND outcome IS DISTINCT FROM 'machine')::int AS person,
              count(*) FILTER (WHERE abandoned)::int AS abandons
         FROM call_attempts WHERE campaign_id = $1 AND placed_at >= $2 GROUP BY 1 ORDER BY 1`,
      [campaignId, since],
    );
  }

  /** Whether this agent was connected to a call with this contact (an agent may then read it). */
  async handledBy(contactId: string, agentUserId: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM call_attempts WHERE contact_id = $1 AND agent_user_id = $2 LIMIT 1', [
      contactId,
      agentUserId,
    ]);
    return r.length > 0;
  }

  get(id: string): Promise<AttemptRow | undefined> {
    return this.db.query<AttemptRow>(`SELECT ${COLS} FROM call_attempts WHERE id = $1`, [id]).then((r) => r[0]);
  }

  /**
   * Whether the dialer process `nodeId` is alive: it holds its advisory lock for as long as it
   * runs (PostgreSQL), so if this session can take the lock, the process is gone.
   */
  async lastOfContact(contactId: string): Promise<AttemptRow | undefined> {
    const [row] = await this.db.query<AttemptRow>(
      `SELECT ${COLS} FROM call_attempts WHERE contact_id = $1 ORDER BY placed_at DESC, id DESC LIMIT 1`,
      [contactId],
    );
    return row;
  }

  async nodeAlive(nodeId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [r] = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS got', [
        `outdial-node:${nodeId}`,
      ]);
      return !r!.got;
    });
  }

  /**
   * Attempts still open that were placed before `before` (left behind by a crash), except those
   * of `exceptNode` — a live node's own calls, thousands of them under load, are not read every sweep.
   */
  openBefore(before: Date, exceptNode: string | null = null): Promise<AttemptRow[]> {
    return this.db.query<AttemptRow>(
      `SELECT ${COLS} FROM call_attempts WHERE ended_at IS NULL AND placed_at < $1 AND ($2::uuid IS NULL OR node_id IS DISTINCT FROM $2::uuid) ORDER BY placed_at`,
      [before, exceptNode],
    );
  }
}
