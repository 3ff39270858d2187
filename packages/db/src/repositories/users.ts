import type { Sql } from '../database.ts';
import type { Role, UserRow, UserWithHash, UsersStore } from '@outdial/engine/ports';
export type { Role, UserRow, UserWithHash };

export const ROLES: readonly Role[] = ['admin', 'supervisor', 'qa', 'agent'];

const COLS = `id, org_id AS "orgId", username, display_name AS "displayName", role, disabled, created_at AS "createdAt"`;

export class UsersRepo implements UsersStore {
  constructor(private readonly sql: Sql) {}

  async createOrganisation(name: string): Promise<string> {
    const [row] = await this.sql.query<{ id: string }>('INSERT INTO organisations (name) VALUES ($1) RETURNING id', [
      name,
    ]);
    return row!.id;
  }

  async firstOrganisation(): Promise<{ id: string; name: string } | undefined> {
    const [row] = await this.sql.query<{ id: string; name: string }>(
      'SELECT id, name FROM organisations ORDER BY created_at LIMIT 1',
    );
    return row;
  }

  async create(u: {
    orgId: string;
    username: string;
    displayName: string;
    role: Role;
    passwordHash: string;
  }): Promise<UserRow> {
    const [row] = await this.sql.query<UserRow>(
      `INSERT INTO users (org_id, username, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLS}`,
      [u.orgId, u.username, u.displayName, u.role, u.passwordHash],
    );
    if (u.role === 'agent') {
      await this.sql.query('INSERT INTO agents (user_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        row!.id,
        u.orgId,
      ]);
    }
    return row!;
  }

  /**
   * The accounts with this username — in the organisation named, when one is — with the
   * organisation's name; two at most (the caller only needs to know "one" or "several").
   */
  async findByUsername(username: string, organisation?: string): Promise<(UserWithHash & { orgName: string })[]> {
    return this.sql.query<UserWithHash & { orgName: string }>(
      `SELECT u.id, u.org_id AS "orgId", u.username, u.display_name AS "displayName", u.role, u.disabled,
              u.created_at AS "createdAt", u.password_hash AS "passwordHash", o.name AS "orgName"
         FROM users u JOIN organisations o ON o.id = u.org_id
        WHERE lower(u.username) = lower($1) AND ($2::text IS NULL OR lower(o.name) = lower($2))
        ORDER BY u.created_at, u.id LIMIT 2`,
      [username, organisation ?? null],
    );
  }

  async get(orgId: string, id: string): Promise<UserRow | undefined> {
    const [row] = await this.sql.query<UserRow>(`SELECT ${COLS} FROM users WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return row;
  }

  async list(
    orgId: string,
    opts: { role?: Role | undefined; limit: number; offset: number },
  ): Promise<{ items: UserRow[]; total: number }> {
    const where = opts.role ? 'org_id = $1 AND role = $2' : 'org_id = $1';
    const params: unknown[] = opts.role ? [orgId, opts.role] : [orgId];
    const items = await this.sql.query<UserRow>(
      `SELECT ${COLS} FROM users WHERE ${where} ORDER BY username LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit, opts.offset],
    );
    const [c] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE ${where}`, params);
    return { items, total: c!.n };
  }

  async update(
    orgId: string,
    id: string,
    patch: {
      displayName?: string | undefined;
      role?: Role | undefined;
      disabled?: boolean | undefined;
      passwordHash?: string | undefined;
    },
  ): Promise<UserRow | undefined> {
    const [row] = await this.sql.query<UserRow>(
      `UPDATE users SET display_name = coalesce($3, display_name), role = coalesce($4, role),
         disabled = coalesce($5, disabled), password_hash = coalesce($6, password_hash), updated_at = now()
       WHERE org_id = $1 AND id = $2 RETURNING ${COLS}`,
      [orgId, id, patch.displayName ?? null, patch.role ?? null, patch.disabled ?? null, patch.passwordHash ?? null],
    );
    if (row?.role === 'agent') {
      await this.sql.query('INSERT INTO agents (user_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        row.id,
        orgId,
      ]);
    }
    return row;
  }
}
