import type { Sql } from '../database.ts';
import type { DncListRow, DncEntryRow, DncHit, DncStore } from '@outdial/engine/ports';
export type { DncListRow, DncEntryRow, DncHit };

export class DncRepo implements DncStore {
  constructor(private readonly sql: Sql) {}

  async ensureList(orgId: string, projectId: string | null, name: string): Promise<string> {
    const [existing] = await this.sql.query<{ id: string }>(
      'SELECT id FROM dnc_lists WHERE org_id = $1 AND project_id IS NOT DISTINCT FROM $2 AND name = $3',
      [orgId, projectId, name],
    );
    if (existing) return existing.id;
    const [row] = await this.sql.query<{ id: string }>(
      'INSERT INTO dnc_lists (org_id, project_id, name) VALUES ($1, $2, $3) RETURNING id',
      [orgId, projectId, name],
    );
    return row!.id;
  }

  listLists(orgId: string): Promise<DncListRow[]> {
    return this.sql.query<DncListRow>(
      `SELECT l.id, l.project_id AS "projectId", l.name, l.created_at AS "createdAt",
              (SELECT count(*)::int FROM dnc_entries e WHERE e.list_id = l.id) AS entries
         FROM dnc_lists l WHERE l.org_id = $1 ORDER BY l.project_id NULLS FIRST, l.name`,
      [orgId],
    );
  }

  async getList(orgId: string, listId: string): Promise<DncListRow | undefined> {
    const rows = await this.listLists(orgId);
    return rows.find((r) => r.id === listId);
  }

  /** Adds or refreshes entries (a re-added number gets the new reason and expiry). */
  async addEntries(
    listId: string,
    entries: readonly { phone: string; reason: string; source: string; expiresAt: Date | null }[],
    createdBy: string | null,
  ): Promise<number> {
    if (entries.length === 0) return 0;
    const rows = await this.sql.query(
      `INSERT INTO dnc_entries (list_id, phone, reason, source, expires_at, created_by)
       SELECT $1, e.phone, e.reason, e.source, e.expires_at, $2
         FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS e(phone, reason, source, expires_at)
       ON CONFLICT (list_id, phone) DO UPDATE SET reason = excluded.reason, source = excluded.source, expires_at = excluded.expires_at
       RETURNING phone`,
      [
        listId,
        createdBy,
        entries.map((e) => e.phone),
        entries.map((e) => e.reason),
        entries.map((e) => e.source),
        entries.map((e) => e.expiresAt),
      ],
    );
    return rows.length;
  }

  /** Which of `phones` an active list covering the project (or the whole organisation) blocks at `now`. */
  async blocked(orgId: string, projectId: string, phones: readonly string[], now: Date): Promise<Set<string>> {
    if (phones.length === 0) return new Set();
    const rows = await this.sql.query<{ phone: string }>(
      `SELECT DISTINCT e.phone FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
        WHERE e.phone = ANY($3::text[]) AND l.org_id = $1 AND (l.project_id IS NULL OR l.project_id = $2) AND (e.expires_at IS NULL OR e.expires_at > $4)`,
      [orgId, projectId, phones, now],
    );
    return new Set(rows.map((r) => r.phone));
  }

  async removeEntry(listId: string, phone: string): Promise<boolean> {
    return (
      (
        await this.sql.query('DELETE FROM dnc_entries WHERE list_id = $1 AND phone = $2 RETURNING phone', [
          listId,
          phone,
        ])
      ).length > 0
    );
  }

  async entries(
    listId: string,
    opts: { limit: number; offset: number },
  ): Promise<{ items: DncEntryRow[]; total: number }> {
    const items = await this.sql.query<DncEntryRow>(
      `SELECT phone, reason, source, expires_at AS "expiresAt", created_at AS "createdAt" FROM dnc_entries
        WHERE list_id = $1 ORDER BY created_at DESC, phone LIMIT $2 OFFSET $3`,
      [listId, opts.limit, opts.offset],
    );
    const [c] = await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM dnc_entries WHERE list_id = $1', [
      listId,
    ]);
    return { items, total: c!.n };
  }

  /** Lists that block `phone` for `projectId` at `now`: the organisation-wide ones and the project's own. */
  check(orgId: string, projectId: string | null, phone: string, now: Date): Promise<DncHit[]> {
    return this.sql.query<DncHit>(
      `SELECT l.id AS "listId", l.name AS "listName", l.project_id AS "projectId", e.reason, e.expires_at AS "expiresAt"
         FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
        WHERE l.org_id = $1 AND (l.project_id IS NULL OR l.project_id = $2) AND e.phone = $3
          AND (e.expires_at IS NULL OR e.expires_at > $4)`,
      [orgId, projectId, phone, now],
    );
  }
}
