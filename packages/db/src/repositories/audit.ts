import type { Sql } from '../database.ts';
import type { AuditEntry, AuditRow, AuditStore } from '@outdial/engine/ports';
export type { AuditEntry, AuditRow };

/** Append-only (a trigger refuses UPDATE and DELETE): this class has no way to change a row. */
export class AuditRepo implements AuditStore {
  constructor(private readonly sql: Sql) {}

  async append(e: AuditEntry): Promise<void> {
    await this.sql.query(
      'INSERT INTO audit_log (org_id, actor_user_id, action, subject_type, subject_id, details, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [
        e.orgId,
        e.actorUserId,
        e.action,
        e.subjectType ?? null,
        e.subjectId ?? null,
        JSON.stringify(e.details ?? {}),
        e.ip ?? null,
      ],
    );
  }

  /** How many of these actions the user took since `since`. */
  async count(actorUserId: string, action: string, since: Date): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_log WHERE actor_user_id = $1 AND action = $2 AND created_at >= $3',
      [actorUserId, action, since],
    );
    return row!.n;
  }

  async list(
    orgId: string,
    opts: { action?: string | undefined; limit: number; offset: number },
  ): Promise<{ items: AuditRow[]; total: number }> {
    const where = opts.action ? 'a.org_id = $1 AND a.action = $2' : 'a.org_id = $1';
    const params: unknown[] = opts.action ? [orgId, opts.action] : [orgId];
    const items = await this.sql.query<AuditRow>(
      `SELECT a.id::int AS id, a.actor_user_id AS "actorUserId", u.username AS "actorUsername", a.action,
              a.subject_type AS "subjectType", a.subject_id AS "subjectId", a.details, a.ip, a.created_at AS "createdAt"
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
        WHERE ${where} ORDER BY a.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit, opts.offset],
    );
    const [c] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log a WHERE ${where}`,
      params,
    );
    return { items, total: c!.n };
  }
}
