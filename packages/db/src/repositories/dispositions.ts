import type { Database } from '../database.ts';
import type { ContactNext } from './attempts.ts';
import type { DispositionRow, NewDisposition, DispositionsStore } from '@outdial/engine/ports';
export type { DispositionRow, NewDisposition };

const COLS = `id, org_id AS "orgId", project_id AS "projectId", contact_id AS "contactId", attempt_id AS "attemptId",
  agent_user_id AS "agentUserId", code, notes, answers, callback_at AS "callbackAt", created_at AS "createdAt"`;

/** Dispositions (落单): what the agent recorded about a call, with the contact's next step. */
export class DispositionsRepo implements DispositionsStore {
  constructor(private readonly db: Database) {}

  /**
   * Records the disposition and applies the contact's next step in one transaction. Returns
   * undefined when the attempt already has one (nothing is changed). The next step is applied
   * only if the contact has no later attempt (a late disposition must not undo a newer state).
   */
  async record(
    d: NewDisposition,
    next: ContactNext,
    dnc?: { listId: string; phone: string; reason: string },
  ): Promise<DispositionRow | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<DispositionRow>(
        `INSERT INTO dispositions (org_id, project_id, contact_id, attempt_id, agent_user_id, code, notes, answers, callback_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (attempt_id) WHERE attempt_id IS NOT NULL DO NOTHING RETURNING ${COLS}`,
        [
          d.orgId,
          d.projectId,
          d.contactId,
          d.attemptId,
          d.agentUserId,
          d.code,
          d.notes,
          JSON.stringify(d.answers),
          d.callbackAt,
          d.createdAt,
        ],
      );
      if (!row) return undefined;
      // The number goes on the do-not-call list with the disposition, or not at all.
      if (dnc) {
        await tx.query(
          `INSERT INTO dnc_entries (list_id, phone, reason, source, expires_at, created_by) VALUES ($1, $2, $3, 'disposition', NULL, $4)
           ON CONFLICT (list_id, phone) DO UPDATE SET reason = excluded.reason, source = excluded.source, expires_at = NULL`,
          [dnc.listId, dnc.phone, dnc.reason, d.agentUserId],
        );
      }
      const status = next.kind === 'closed' ? 'closed' : next.kind === 'callback' ? 'callback' : 'in_progress';
      await tx.query(
        `UPDATE contacts SET status = $2, close_reason = $3, next_attempt_at = $4, callback_at = $5, updated_at = $6, callback_owner = $8
          WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM call_attempts WHERE contact_id = $1 AND placed_at > $7)`,
        [
          d.contactId,
          status,
          next.kind === 'closed' ? next.reason : null,
          next.kind === 'retry' ? next.at : null,
          next.kind === 'callback' ? next.at : null,
          d.createdAt,
          d.attemptPlacedAt,
          next.kind === 'callback' ? (next.owner ?? null) : null,
        ],
      );
      // A task closes when its contact does.
      if (next.kind === 'closed')
        await tx.query(
          `UPDATE tasks SET status = 'done', updated_at = $2 WHERE contact_id = $1 AND status = 'open'
             AND EXISTS (SELECT 1 FROM contacts WHERE id = $1 AND status = 'closed')`,
          [d.contactId, d.createdAt],
        );
      return row;
    });
  }

  forAttempt(attemptId: string): Promise<DispositionRow | undefined> {
    return this.db
      .query<DispositionRow>(`SELECT ${COLS} FROM dispositions WHERE attempt_id = $1`, [attemptId])
      .then((r) => r[0]);
  }

  forContact(contactId: string): Promise<DispositionRow[]> {
    return this.db.query<DispositionRow>(`SELECT ${COLS} FROM dispositions WHERE contact_id = $1 ORDER BY created_at`, [
      contactId,
    ]);
  }
}
