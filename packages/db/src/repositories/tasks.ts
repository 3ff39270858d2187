import type { Sql } from '../database.ts';
import type { Channel, TaskRow, TasksStore } from '@outdial/engine/ports';
export type { Channel, TaskRow };

const COLS = `id, project_id AS "projectId", contact_id AS "contactId", channel, assignee_user_id AS "assigneeUserId",
  skill_group_id AS "skillGroupId", status, priority, due_at AS "dueAt", created_at AS "createdAt"`;

export class TasksRepo implements TasksStore {
  constructor(private readonly sql: Sql) {}

  /** Contacts of a project that are still open and have no open task on `channel`, oldest first. */
  unassignedContacts(
    orgId: string,
    projectId: string,
    channel: Channel,
    opts: { tag?: string | undefined; limit: number },
  ): Promise<{ id: string; tags: string[]; importId: string | null }[]> {
    const params: unknown[] = [orgId, projectId, channel];
    let tag = '';
    if (opts.tag) {
      params.push(opts.tag);
      tag = `AND $4 = ANY(c.tags)`;
    }
    return this.sql.query<{ id: string; tags: string[]; importId: string | null }>(
      `SELECT c.id, c.tags, c.import_id AS "importId" FROM contacts c
        WHERE c.org_id = $1 AND c.project_id = $2 AND c.status <> 'closed' ${tag}
          AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.contact_id = c.id AND t.channel = $3 AND t.status = 'open')
        ORDER BY c.priority DESC, c.created_at, c.id LIMIT $${params.length + 1}`,
      [...params, opts.limit],
    );
  }

  async get(orgId: string, id: string): Promise<TaskRow | undefined> {
    const [row] = await this.sql.query<TaskRow>(`SELECT ${COLS} FROM tasks WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return row;
  }

  async reassign(
    orgId: string,
    id: string,
    to: { assigneeUserId: string | null; skillGroupId: string | null },
  ): Promise<TaskRow | undefined> {
    const [row] = await this.sql.query<TaskRow>(
      `UPDATE tasks SET assignee_user_id = $3, skill_group_id = $4, updated_at = now()
        WHERE org_id = $1 AND id = $2 AND status = 'open' RETURNING ${COLS}`,
      [orgId, id, to.assigneeUserId, to.skillGroupId],
    );
    return row;
  }

  async cancel(orgId: string, id: string): Promise<TaskRow | undefined> {
    const [row] = await this.sql.query<TaskRow>(
      `UPDATE tasks SET status = 'cancelled', updated_at = now() WHERE org_id = $1 AND id = $2 AND status = 'open' RETURNING ${COLS}`,
      [orgId, id],
    );
    return row;
  }

  async escalate(
    orgId: string,
    projectId: string,
    contactId: string,
    skillGroupId: string,
    bump: number,
  ): Promise<string> {
    const [moved] = await this.sql.query<{ id: string }>(
      `UPDATE tasks SET assignee_user_id = NULL, skill_group_id = $4, priority = priority + $5, updated_at = now()
        WHERE org_id = $1 AND project_id = $2 AND contact_id = $3 AND channel = 'agent_call' AND status = 'open' RETURNING id`,
      [orgId, projectId, contactId, skillGroupId, bump],
    );
    if (moved) return moved.id;
    const [created] = await this.sql.query<{ id: string }>(
      `INSERT INTO tasks (org_id, project_id, contact_id, channel, skill_group_id, priority) VALUES ($1, $2, $3, 'agent_call', $4, $5)
       RETURNING id`,
      [orgId, projectId, contactId, skillGroupId, bump],
    );
    return created!.id;
  }

  /** Open tasks per agent (their current workload), for an even split. */
  async openLoad(orgId: string, userIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.sql.query<{ userId: string; n: number }>(
      `SELECT assignee_user_id AS "userId", count(*)::int AS n FROM tasks
        WHERE org_id = $1 AND status = 'open' AND assignee_user_id = ANY($2::uuid[]) GROUP BY assignee_user_id`,
      [orgId, userIds],
    );
    return new Map(rows.map((r) => [r.userId, r.n]));
  }

  async createMany(
    orgId: string,
    projectId: string,
    channel: Channel,
    rows: readonly { contactId: string; assigneeUserId: string | null; skillGroupId: string | null }[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const created = await this.sql.query(
      `INSERT INTO tasks (org_id, project_id, contact_id, channel, assignee_user_id, skill_group_id)
       SELECT $1, $2, r.contact_id, $3, r.assignee, r.skill FROM unnest($4::uuid[], $5::uuid[], $6::uuid[]) AS r(contact_id, assignee, skill)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        orgId,
        projectId,
        channel,
        rows.map((r) => r.contactId),
        rows.map((r) => r.assigneeUserId),
        rows.map((r) => r.skillGroupId),
      ],
    );
    return created.length;
  }

  async list(
    orgId: string,
    q: {
      projectId?: string | undefined;
      assigneeUserId?: string | undefined;
      status?: TaskRow['status'] | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{ items: TaskRow[]; total: number }> {
    const params: unknown[] = [orgId];
    const parts = ['org_id = $1'];
    if (q.projectId) {
      params.push(q.projectId);
      parts.push(`project_id = $${params.length}`);
    }
    if (q.assigneeUserId) {
      params.push(q.assigneeUserId);
      parts.push(`assignee_user_id = $${params.length}`);
    }
    if (q.status) {
      params.push(q.status);
      parts.push(`status = $${params.length}`);
    }
    const w = parts.join(' AND ');
    const items = await this.sql.query<TaskRow>(
      `SELECT ${COLS} FROM tasks WHERE ${w} ORDER BY priority DESC, created_at, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, q.limit, q.offset],
    );
    const [c] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE ${w}`, params);
    return { items, total: c!.n };
  }
}
