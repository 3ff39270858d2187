import type { Database } from '../database.ts';

export type AttemptOutcomeDb = 'person' | 'machine' | 'no_answer' | 'busy' | 'failed' | 'abandoned' | 'cancelled';
export type DialModeDb = 'preview' | 'progressive' | 'power' | 'predictive' | 'manual' | 'ivr';

export interface OpenAttempt {
  orgId: string;
  projectId: string;
  campaignId: string | null;
  contactId: string;
  phone: string;
  callerId: string | null;
  dialMode: DialModeDb;
  placedAt: Date;
}

export interface AttemptEnd {
  outcome: AttemptOutcomeDb;
  endedAt: Date;
  answeredAt: Date | null;
  connectedAt: Date | null;
  agentUserId: string | null;
  hangupSide: 'customer' | 'agent' | 'system' | null;
  sipCause: number | null;
  amdResult: 'human' | 'machine' | 'unknown' | null;
  abandoned: boolean;
}

/** The contact's next step, as the domain's `nextStep` decided it. */
export type ContactNext =
  | { kind: 'closed'; reason: string }
  | { kind: 'callback'; at: Date }
  | { kind: 'retry'; at: Date };

export interface CampaignFigures {
  dials: number;
  answeredPerson: number;
  answeredMachine: number;
  connects: number;
  abandons: number;
  /** Attempts not yet ended. */
  live: number;
}

export interface AttemptRow {
  id: string;
  orgId: string;
  projectId: string;
  campaignId: string | null;
  contactId: string;
  phone: string;
  dialMode: DialModeDb;
  agentUserId: string | null;
  placedAt: Date;
  answeredAt: Date | null;
  connectedAt: Date | null;
  endedAt: Date | null;
  outcome: AttemptOutcomeDb | null;
  hangupSide: string | null;
  sipCause: number | null;
  amdResult: string | null;
  abandoned: boolean;
}

const COLS = `id, org_id AS "orgId", project_id AS "projectId", campaign_id AS "campaignId", contact_id AS "contactId", phone,
  dial_mode AS "dialMode", agent_user_id AS "agentUserId", placed_at AS "placedAt", answered_at AS "answeredAt",
  connected_at AS "connectedAt", ended_at AS "endedAt", outcome, hangup_side AS "hangupSide", sip_cause AS "sipCause",
  amd_result AS "amdResult", abandoned`;

/**
 * Call attempts: one row written *before* the dial, closed exactly once with its outcome and,
 * in the same transaction, the contact's next step. An attempt left open by a crash is found
 * by `openBefore` and closed by the recovery, so none stays open forever.
 */
export class AttemptsRepo {
  constructor(private readonly db: Database) {}

  /** Records the attempt as placed and marks a new contact in progress. */
  async open(a: OpenAttempt): Promise<string> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string }>(
        `INSERT INTO call_attempts (org_id, project_id, campaign_id, contact_id, phone, caller_id, dial_mode, placed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [a.orgId, a.projectId, a.campaignId, a.contactId, a.phone, a.callerId, a.dialMode, a.placedAt],
      );
      await tx.query(`UPDATE contacts SET status = 'in_progress', updated_at = $2 WHERE id = $1 AND status = 'new'`, [a.contactId, a.placedAt]);
      return row!.id;
    });
  }

  /** Marks the answer / the connection to an agent on a live attempt. */
  async progress(id: string, p: { answeredAt?: Date; connectedAt?: Date; agentUserId?: string; amdResult?: 'human' | 'machine' | 'unknown' }): Promise<void> {
    await this.db.query(
      `UPDATE call_attempts SET answered_at = coalesce($2, answered_at), connected_at = coalesce($3, connected_at),
              agent_user_id = coalesce($4, agent_user_id), amd_result = coalesce($5, amd_result)
        WHERE id = $1 AND ended_at IS NULL`,
      [id, p.answeredAt ?? null, p.connectedAt ?? null, p.agentUserId ?? null, p.amdResult ?? null],
    );
  }

  /**
   * Closes the attempt with its outcome and applies the contact's next step, in one
   * transaction. Returns false if the attempt was already closed (a duplicate end event, or
   * the recovery got there first): then nothing is changed, so each attempt counts once.
   */
  async finish(id: string, end: AttemptEnd, next: ContactNext): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ contactId: string; placedAt: Date }>(
        `UPDATE call_attempts SET outcome = $2, ended_at = $3, answered_at = coalesce($4, answered_at), connected_at = coalesce($5, connected_at),
                agent_user_id = coalesce($6, agent_user_id), hangup_side = $7, sip_cause = $8, amd_result = coalesce($9, amd_result), abandoned = $10
          WHERE id = $1 AND ended_at IS NULL RETURNING contact_id AS "contactId", placed_at AS "placedAt"`,
        [id, end.outcome, end.endedAt, end.answeredAt, end.connectedAt, end.agentUserId, end.hangupSide, end.sipCause, end.amdResult, end.abandoned],
      );
      if (!row) return false;
      const status = next.kind === 'closed' ? 'closed' : next.kind === 'callback' ? 'callback' : 'in_progress';
      await tx.query(
        `UPDATE contacts SET attempts = attempts + 1, last_attempt_at = greatest(last_attempt_at, $2), status = $3,
                close_reason = $4, next_attempt_at = $5, callback_at = $6, leased_until = NULL, lease_owner = NULL, updated_at = $7
          WHERE id = $1`,
        [row.contactId, row.placedAt, status, next.kind === 'closed' ? next.reason : null,
          next.kind === 'retry' ? next.at : null, next.kind === 'callback' ? next.at : null, end.endedAt],
      );
      return true;
    });
  }

  /** Every attempt of these contacts (for the compliance gate and the next-step rule). */
  history(contactIds: readonly string[]): Promise<{ id: string; contactId: string; phone: string; placedAt: Date; outcome: AttemptOutcomeDb | null }[]> {
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

  get(id: string): Promise<AttemptRow | undefined> {
    return this.db.query<AttemptRow>(`SELECT ${COLS} FROM call_attempts WHERE id = $1`, [id]).then((r) => r[0]);
  }

  /** Attempts still open that were placed before `before` (left behind by a crash). */
  openBefore(before: Date): Promise<AttemptRow[]> {
    return this.db.query<AttemptRow>(`SELECT ${COLS} FROM call_attempts WHERE ended_at IS NULL AND placed_at < $1 ORDER BY placed_at`, [before]);
  }
}
