import type { Sql } from '../database.ts';
import type { ContactStatus, ContactRow, ContactQuery, ContactsStore } from '@outdial/engine/ports';
export type { ContactStatus, ContactRow, ContactQuery };

const COLS = `c.id, c.project_id AS "projectId", c.import_id AS "importId", c.external_id AS "externalId", c.name, c.phone, c.phones,
  c.timezone, c.region, c.tags, c.custom, c.status, c.close_reason AS "closeReason", c.attempts,
  c.last_attempt_at AS "lastAttemptAt", c.next_attempt_at AS "nextAttemptAt", c.callback_at AS "callbackAt",
  c.callback_owner AS "callbackOwner", c.priority, c.created_at AS "createdAt"`;

function where(orgId: string, q: Omit<ContactQuery, 'limit' | 'offset'>): { sql: string; params: unknown[] } {
  const params: unknown[] = [orgId];
  const parts = ['c.org_id = $1'];
  const add = (cond: (i: number) => string, v: unknown) => {
    params.push(v);
    parts.push(cond(params.length));
  };
  if (q.projectId) add((i) => `c.project_id = $${i}`, q.projectId);
  if (q.status) add((i) => `c.status = $${i}`, q.status);
  if (q.tag) add((i) => `$${i} = ANY(c.tags)`, q.tag);
  if (q.importId) add((i) => `c.import_id = $${i}`, q.importId);
  if (q.externalId) add((i) => `c.external_id = $${i}`, q.externalId);
  if (q.name)
    add(
      (i) => `c.name ILIKE '%' || $${i} || '%'`,
      q.name.replace(/[%_\\]/g, (m) => `\\${m}`),
    );
  if (q.phoneContains) add((i) => `c.phone LIKE '%' || $${i} || '%'`, q.phoneContains.replace(/\D/g, ''));
  if (q.phone) add((i) => `(c.phone = $${i} OR $${i} = ANY(c.phones))`, q.phone);
  if (q.assigneeUserId) {
    add(
      (i) =>
        `(EXISTS (SELECT 1 FROM tasks t WHERE t.contact_id = c.id AND t.assignee_user_id = $${i} AND t.status <> 'cancelled') OR c.callback_owner = $${i})`,
      q.assigneeUserId,
    );
  }
  return { sql: parts.join(' AND '), params };
}

export class ContactsRepo implements ContactsStore {
  constructor(private readonly sql: Sql) {}

  async list(orgId: string, q: ContactQuery): Promise<{ items: ContactRow[]; total: number }> {
    const w = where(orgId, q);
    const n = w.params.length;
    const items = await this.sql.query<ContactRow>(
      `SELECT ${COLS} FROM contacts c WHERE ${w.sql} ORDER BY c.id LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...w.params, q.limit, q.offset],
    );
    const [c] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM contacts c WHERE ${w.sql}`,
      w.params,
    );
    return { items, total: c!.n };
  }

  async pageAfter(
    orgId: string,
    q: Omit<ContactQuery, 'limit' | 'offset'>,
    afterId: string | null,
    limit: number,
  ): Promise<ContactRow[]> {
    const w = where(orgId, q);
    if (afterId !== null) {
      w.params.push(afterId);
      w.sql += ` AND c.id > $${w.params.length}`;
    }
    w.params.push(limit);
    return this.sql.query<ContactRow>(
      `SELECT ${COLS} FROM contacts c WHERE ${w.sql} ORDER BY c.id LIMIT $${w.params.length}`,
      w.params,
    );
  }

  async get(orgId: string, id: string, assigneeUserId?: string): Promise<ContactRow | undefined> {
    const w = where(orgId, { assigneeUserId });
    w.params.push(id);
    const [row] = await this.sql.query<ContactRow>(
      `SELECT ${COLS} FROM contacts c WHERE ${w.sql} AND c.id = $${w.params.length}`,
      w.params,
    );
    return row;
  }

  async callbacks(
    orgId: string,
    q: {
      projectId?: string | undefined;
      ownerUserId?: string | undefined;
      dueBefore?: Date | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{ items: ContactRow[]; total: number }> {
    const where = `c.org_id = $1 AND c.status = 'callback' AND c.callback_at IS NOT NULL
      AND ($2::uuid IS NULL OR c.project_id = $2) AND ($3::uuid IS NULL OR c.callback_owner = $3)
      AND ($4::timestamptz IS NULL OR c.callback_at < $4)`;
    const params = [orgId, q.projectId ?? null, q.ownerUserId ?? null, q.dueBefore ?? null];
    const items = await this.sql.query<ContactRow>(
      `SELECT ${COLS} FROM contacts c WHERE ${where} ORDER BY c.callback_at, c.id LIMIT $5 OFFSET $6`,
      [...params, q.limit, q.offset],
    );
    const [t] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts c WHERE ${where}`, params);
    return { items, total: t!.n };
  }

  async update(
    orgId: string,
    id: string,
    p: {
      name?: string | null | undefined;
      externalId?: string | null | undefined;
      tags: readonly string[];
      custom: Record<string, unknown>;
    },
  ): Promise<ContactRow | undefined> {
    const [row] = await this.sql.query<ContactRow>(
      `UPDATE contacts c SET name = CASE WHEN $3 THEN $4 ELSE c.name END,
              external_id = CASE WHEN $5 THEN $6 ELSE c.external_id END,
              tags = $7, custom = c.custom || $8::jsonb, updated_at = now()
        WHERE c.org_id = $1 AND c.id = $2 RETURNING ${COLS}`,
      [
        orgId,
        id,
        p.name !== undefined,
        p.name ?? null,
        p.externalId !== undefined,
        p.externalId ?? null,
        p.tags,
        JSON.stringify(p.custom),
      ],
    );
    return row;
  }

  async countByStatus(orgId: string, projectId: string): Promise<Record<ContactStatus, number>> {
    const rows = await this.sql.query<{ status: ContactStatus; n: number }>(
      'SELECT status, count(*)::int AS n FROM contacts WHERE org_id = $1 AND project_id = $2 GROUP BY status',
      [orgId, projectId],
    );
    const out: Record<ContactStatus, number> = { new: 0, in_progress: 0, callback: 0, closed: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}
