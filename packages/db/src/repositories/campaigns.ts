import type { Sql } from '../database.ts';
import { contactClosedBody, outboxInsert } from './webhooks.ts';
import type { CampaignSettings, CampaignStatus, FinishReason } from '@outdial/domain/campaigns';
import type { CampaignRow, LeasedContact, CampaignsStore } from '@outdial/engine/ports';
export type { CampaignRow, LeasedContact };

const COLS = `id, org_id AS "orgId", project_id AS "projectId", name, status, settings, finish_reason AS "finishReason", status_reason AS "statusReason",
  created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

export class CampaignsRepo implements CampaignsStore {
  constructor(private readonly sql: Sql) {}

  async create(c: {
    orgId: string;
    projectId: string;
    name: string;
    settings: CampaignSettings;
    createdBy: string | null;
  }): Promise<CampaignRow> {
    const [row] = await this.sql.query<CampaignRow>(
      `INSERT INTO campaigns (org_id, project_id, name, settings, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLS}`,
      [c.orgId, c.projectId, c.name, JSON.stringify(c.settings), c.createdBy],
    );
    return row!;
  }

  async get(orgId: string, id: string): Promise<CampaignRow | undefined> {
    const [row] = await this.sql.query<CampaignRow>(`SELECT ${COLS} FROM campaigns WHERE org_id = $1 AND id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async list(
    orgId: string,
    q: { projectId?: string | undefined; status?: CampaignStatus | undefined; limit: number; offset: number },
  ): Promise<{ items: CampaignRow[]; total: number }> {
    const params: unknown[] = [orgId];
    let where = 'org_id = $1';
    if (q.projectId) {
      params.push(q.projectId);
      where += ` AND project_id = $${params.length}`;
    }
    if (q.status) {
      params.push(q.status);
      where += ` AND status = $${params.length}`;
    }
    const items = await this.sql.query<CampaignRow>(
      `SELECT ${COLS} FROM campaigns WHERE ${where} ORDER BY created_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, q.limit, q.offset],
    );
    const [c] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM campaigns WHERE ${where}`, params);
    return { items, total: c!.n };
  }

  /**
   * Moves a campaign from `from` to `to` only if it is still in `from` (compare-and-set), so
   * two people pressing buttons, or a person and the dialer, cannot both win.
   */
  async setStatus(
    orgId: string,
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    at: Date,
    reason: FinishReason | null = null,
    statusReason: string | null = null,
  ): Promise<CampaignRow | undefined> {
    const [row] = await this.sql.query<CampaignRow>(
      `UPDATE campaigns SET status = $4, updated_at = $5,
              started_at = CASE WHEN $4 = 'running' AND started_at IS NULL THEN $5 ELSE started_at END,
              finished_at = CASE WHEN $4 = 'finished' THEN $5 ELSE finished_at END,
              finish_reason = CASE WHEN $4 = 'finished' THEN $6 ELSE finish_reason END,
              status_reason = $7
        WHERE org_id = $1 AND id = $2 AND status = $3 RETURNING ${COLS}`,
      [orgId, id, from, to, at, reason, statusReason],
    );
    return row;
  }

  async updateSettings(
    orgId: string,
    id: string,
    settings: CampaignSettings,
    at: Date,
  ): Promise<CampaignRow | undefined> {
    const [row] = await this.sql.query<CampaignRow>(
      `UPDATE campaigns SET settings = $3, updated_at = $4 WHERE org_id = $1 AND id = $2 AND status <> 'finished' RETURNING ${COLS}`,
      [orgId, id, JSON.stringify(settings), at],
    );
    return row;
  }

  /** Campaigns the dialer must run or start: running ones, and scheduled ones whose time has come. */
  active(now: Date): Promise<CampaignRow[]> {
    return this.sql.query<CampaignRow>(
      `SELECT ${COLS} FROM campaigns WHERE status = 'running'
          OR (status = 'scheduled' AND (settings->>'startAt') IS NOT NULL AND (settings->>'startAt')::timestamptz <= $1)
        ORDER BY created_at`,
      [now],
    );
  }

  /**
   * Leases up to `limit` dialable contacts of the campaign's project for `ttlMs`: open, due
   * (no retry time or a passed one), not leased by anyone else, with all of `tags`. Callbacks
   * that are due come first, then priority, then list order. `FOR UPDATE SKIP LOCKED` makes two
   * loops (or two nodes) racing for the same rows take disjoint sets on PostgreSQL; PGlite has
   * one connection, so there the statement is simply serialised.
   */
  async lease(c: {
    orgId: string;
    projectId: string;
    campaignId: string;
    tags: readonly string[];
    limit: number;
    now: Date;
    ttlMs: number;
    /** Only these lists (imports); empty or absent: all. */
    lists?: readonly string[];
    /** Never these lists (their daily cap is reached). */ excludeLists?: readonly string[];
    /** The skills (codes) the campaign asks of its agents: contacts queued for other skill groups are not its. */
    skills?: readonly string[];
  }): Promise<LeasedContact[]> {
    if (c.limit <= 0) return [];
    const n = Math.floor(c.limit);
    // Candidates from three queues, each read in its own index order and limited; then the best
    // n of them are locked (SKIP LOCKED: another loop's picks are passed over) and leased. The
    // lock re-checks the lease, so two loops never hold the same contact. Each queue offers twice
    // what is asked (and some): a loop racing another for the same head of the queue finds the
    // rows past the other's picks instead of coming back empty.
    const pool = n * 2 + 16;
    // Tasks decide who calls whom: a contact an agent owns (its task, or a callback of theirs) is
    // offered to that agent alone (their own queue, agent-directed dialing), never dialed by a
    // campaign for whoever is free; a contact in a skill group's queue only by campaigns that need
    // that skill; a contact without a task follows the campaign.
    const free = `org_id = $1 AND project_id = $2 AND (leased_until IS NULL OR leased_until <= $4) AND tags @> $6::text[]
      AND (cardinality($7::uuid[]) = 0 OR import_id = ANY($7::uuid[])) AND (import_id IS NULL OR NOT import_id = ANY($8::uuid[]))
      AND callback_owner IS NULL
      AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.contact_id = contacts.id AND t.channel = 'agent_call' AND t.status = 'open'
                        AND (t.assignee_user_id IS NOT NULL
                             OR (t.skill_group_id IS NOT NULL AND NOT EXISTS (
                                   SELECT 1 FROM skill_groups g WHERE g.id = t.skill_group_id AND g.code = ANY($11::text[])))))`;
    return this.sql.query<LeasedContact>(
      `WITH cand AS (
         (SELECT id, 0 AS queue, priority FROM contacts
           WHERE ${free} AND status = 'callback' AND (callback_at IS NULL OR callback_at <= $4)
             AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
           ORDER BY callback_at NULLS FIRST LIMIT $9)
         UNION ALL
         (SELECT id, 1 AS queue, priority FROM contacts
           WHERE ${free} AND status = 'new' AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
           ORDER BY priority DESC, id LIMIT $9)
         UNION ALL
         (SELECT id, 1 AS queue, priority FROM contacts
           WHERE ${free} AND status = 'in_progress' AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
           ORDER BY next_attempt_at NULLS FIRST LIMIT $9)
       ), pick AS (
         SELECT k.id FROM contacts k JOIN cand ON cand.id = k.id
          WHERE k.status <> 'closed' AND (k.leased_until IS NULL OR k.leased_until <= $4)
          ORDER BY cand.queue, cand.priority DESC, k.id
          LIMIT $10
          FOR UPDATE OF k SKIP LOCKED
       )
       UPDATE contacts k SET leased_until = $5, lease_owner = $3
         FROM pick WHERE k.id = pick.id
       RETURNING k.id, k.phone, k.phones, k.name, k.timezone, k.region, k.status, k.attempts,
                 k.callback_at AS "callbackAt", k.next_attempt_at AS "nextAttemptAt", k.priority, k.import_id AS "importId", k.custom`,
      [
        c.orgId,
        c.projectId,
        c.campaignId,
        c.now,
        new Date(c.now.getTime() + c.ttlMs),
        c.tags,
        c.lists ?? [],
        c.excludeLists ?? [],
        pool,
        n,
        c.skills ?? [],
      ],
    );
  }

  /** Leases one chosen contact for the campaign (agent-directed dialing); undefined when it is closed or leased by another. */
  async leaseContact(
    campaignId: string,
    contactId: string,
    now: Date,
    ttlMs: number,
  ): Promise<LeasedContact | undefined> {
    const [row] = await this.sql.query<LeasedContact>(
      `UPDATE contacts k SET leased_until = $4, lease_owner = $1
        WHERE k.id = $2 AND k.status <> 'closed' AND (k.leased_until IS NULL OR k.leased_until <= $3 OR k.lease_owner = $1)
       RETURNING k.id, k.phone, k.phones, k.name, k.timezone, k.region, k.status, k.attempts,
                 k.callback_at AS "callbackAt", k.next_attempt_at AS "nextAttemptAt", k.priority, k.import_id AS "importId", k.custom`,
      [campaignId, contactId, now, new Date(now.getTime() + ttlMs)],
    );
    return row;
  }

  /**
   * Claims up to `n` dials from a list's daily cap for the campaign, on the project-calendar
   * `day` (which starts at `dayStart`), and returns how many were granted (0 when the cap is
   * reached). The day's row is created on first use, counting the attempts already placed that
   * day. The row is locked while it changes, so nodes claiming at once never exceed the cap.
   */
  async claimListQuota(
    campaignId: string,
    list: string,
    day: string,
    dayStart: Date,
    n: number,
    cap: number,
  ): Promise<number> {
    if (n <= 0 || cap <= 0) return 0;
    await this.sql.query(
      `INSERT INTO campaign_list_days (campaign_id, import_id, day, used)
       SELECT $1, $2, $3::date, (SELECT count(*)::int FROM call_attempts a JOIN contacts k ON k.id = a.contact_id
                                  WHERE a.campaign_id = $1 AND k.import_id = $2 AND a.placed_at >= $4)
        WHERE NOT EXISTS (SELECT 1 FROM campaign_list_days WHERE campaign_id = $1 AND import_id = $2 AND day = $3::date)
       ON CONFLICT DO NOTHING`,
      [campaignId, list, day, dayStart],
    );
    const rows = await this.sql.query<{ granted: number }>(
      `UPDATE campaign_list_days d SET used = LEAST(d.used + $4, $5)
         FROM (SELECT used FROM campaign_list_days WHERE campaign_id = $1 AND import_id = $2 AND day = $3::date FOR UPDATE) old
        WHERE d.campaign_id = $1 AND d.import_id = $2 AND d.day = $3::date AND d.used < $5
       RETURNING d.used - old.used AS granted`,
      [campaignId, list, day, n, cap],
    );
    return rows[0]?.granted ?? 0;
  }

  /**
   * Brings the day's rows of `lists` up to at least the attempts the campaign has placed from
   * each since `dayStart` (creating them if need be): dials made while a list had no cap are
   * counted when a cap comes (back). A count above the attempts (claims not dialed yet) is kept.
   */
  async reconcileListQuota(campaignId: string, lists: readonly string[], day: string, dayStart: Date): Promise<void> {
    if (lists.length === 0) return;
    await this.sql.query(
      `INSERT INTO campaign_list_days (campaign_id, import_id, day, used)
       SELECT $1, l.id, $3::date, (SELECT count(*)::int FROM call_attempts a JOIN contacts k ON k.id = a.contact_id
                                    WHERE a.campaign_id = $1 AND k.import_id = l.id AND a.placed_at >= $4)
         FROM unnest($2::uuid[]) AS l(id)
       ON CONFLICT (campaign_id, import_id, day) DO UPDATE SET used = GREATEST(campaign_list_days.used, EXCLUDED.used)`,
      [campaignId, lists, day, dayStart],
    );
  }

  /** Gives back dials claimed from a list's daily cap and not used (the contact was refused or skipped). */
  async returnListQuota(campaignId: string, list: string, day: string, n: number): Promise<void> {
    if (n <= 0) return;
    await this.sql.query(
      'UPDATE campaign_list_days SET used = GREATEST(used - $4, 0) WHERE campaign_id = $1 AND import_id = $2 AND day = $3::date',
      [campaignId, list, day, n],
    );
  }

  /** Dials taken from each list's daily cap on `day` (for figures). */
  async listUsage(campaignId: string, day: string): Promise<Map<string, number>> {
    const rows = await this.sql.query<{ list: string; used: number }>(
      'SELECT import_id AS list, used FROM campaign_list_days WHERE campaign_id = $1 AND day = $2::date',
      [campaignId, day],
    );
    return new Map(rows.map((r) => [r.list, r.used]));
  }

  /** Records what an agent did with a previewed contact (dialed, or skipped with a reason). */
  async recordPreview(p: {
    orgId: string;
    campaignId: string;
    contactId: string;
    agentUserId: string;
    decision: 'dial' | 'skip';
    reason: string | null;
    offeredAt: Date;
    decidedAt: Date;
  }): Promise<void> {
    await this.sql.query(
      `INSERT INTO preview_decisions (org_id, campaign_id, contact_id, agent_user_id, decision, reason, offered_at, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [p.orgId, p.campaignId, p.contactId, p.agentUserId, p.decision, p.reason, p.offeredAt, p.decidedAt],
    );
  }

  /** Preview figures since `since`: offers decided, dialed, skipped by reason, mean seconds looked at. */
  async previewFigures(
    campaignId: string,
    since: Date,
  ): Promise<{ decided: number; dialed: number; skipped: Record<string, number>; meanPreviewSeconds: number | null }> {
    const rows = await this.sql.query<{ decision: string; reason: string | null; n: number; secs: number | null }>(
      `SELECT decision, reason, count(*)::int AS n, sum(extract(epoch FROM decided_at - offered_at))::float8 AS secs
         FROM preview_decisions WHERE campaign_id = $1 AND decided_at >= $2 GROUP BY decision, reason`,
      [campaignId, since],
    );
    let decided = 0;
    let dialed = 0;
    let secs = 0;
    const skipped: Record<string, number> = {};
    for (const r of rows) {
      decided += r.n;
      secs += r.secs ?? 0;
      if (r.decision === 'dial') dialed += r.n;
      else skipped[r.reason ?? 'unspecified'] = (skipped[r.reason ?? 'unspecified'] ?? 0) + r.n;
    }
    return { decided, dialed, skipped, meanPreviewSeconds: decided ? secs / decided : null };
  }

  /** Gives leased contacts back untouched (campaign paused, gate refused them for now). */
  async release(campaignId: string, contactIds: readonly string[]): Promise<void> {
    if (contactIds.length === 0) return;
    await this.sql.query(
      'UPDATE contacts SET leased_until = NULL, lease_owner = NULL WHERE lease_owner = $1 AND id = ANY($2::uuid[])',
      [campaignId, contactIds],
    );
  }

  /**
   * The compliance gate refused a leased contact: give it back and keep it out of the next
   * leases until `until` (the gate's retry time), or close it (closing rule reached).
   */
  async defer(
    campaignId: string,
    contactId: string,
    until: Date | null,
    close: { reason: string } | null,
  ): Promise<void> {
    if (close) {
      // The close and its contact.closed message go together (one statement).
      await this.sql.query(
        `WITH closed AS (
           UPDATE contacts SET status = 'closed', close_reason = $3, leased_until = NULL, lease_owner = NULL, callback_owner = NULL
            WHERE id = $1 AND lease_owner = $2 RETURNING id)
         , done AS (UPDATE tasks SET status = 'done', updated_at = now() WHERE status = 'open' AND contact_id IN (SELECT id FROM closed))
         ${outboxInsert(`SELECT c.org_id, 'contact.closed', ${contactClosedBody('$3::text', 'now()')}, now()
             FROM closed JOIN contacts c ON c.id = closed.id JOIN projects p ON p.id = c.project_id`)}`,
        [contactId, campaignId, close.reason],
      );
      return;
    }
    await this.sql.query(
      `UPDATE contacts SET next_attempt_at = CASE WHEN $3::timestamptz IS NULL THEN next_attempt_at ELSE greatest(coalesce(next_attempt_at, $3), $3) END,
              leased_until = NULL, lease_owner = NULL
        WHERE id = $1 AND lease_owner = $2`,
      [contactId, campaignId, until],
    );
  }

  /** Open contacts of the project not yet closed: 0 means the list is exhausted. */
  async remaining(orgId: string, projectId: string): Promise<number> {
    const [r] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM contacts WHERE org_id = $1 AND project_id = $2 AND status <> 'closed'`,
      [orgId, projectId],
    );
    return r!.n;
  }
}
