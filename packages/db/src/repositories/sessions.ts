import type { Sql } from '../database.ts';
import type { SessionPrincipal, SessionsStore } from '@outdial/engine/ports';
export type { SessionPrincipal };

export class SessionsRepo implements SessionsStore {
  constructor(private readonly sql: Sql) {}

  /**
   * A new session; with `ifPasswordHash`, only while that is still the user's password hash and
   * the user is enabled (else undefined) — so a login checked against an old password cannot
   * outlive a password change or a disable that committed meanwhile.
   */
  async create(s: {
    userId: string;
    tokenHash: string;
    expiresAt: Date;
    ip?: string | undefined;
    userAgent?: string | undefined;
    ifPasswordHash?: string | undefined;
  }): Promise<string | undefined> {
    const [row] = await this.sql.query<{ id: string }>(
      `INSERT INTO sessions (user_id, token_hash, expires_at, ip, user_agent)
       SELECT u.id, $2, $3, $4, $5 FROM users u
        WHERE u.id = $1 AND ($6::text IS NULL OR (u.password_hash = $6 AND NOT u.disabled))
       RETURNING id`,
      [s.userId, s.tokenHash, s.expiresAt, s.ip ?? null, s.userAgent ?? null, s.ifPasswordHash ?? null],
    );
    return row?.id;
  }

  /** The live session for a token: not expired at `now`, not revoked, user not disabled. */
  async findActive(tokenHash: string, now: Date): Promise<SessionPrincipal | undefined> {
    const [row] = await this.sql.query<SessionPrincipal>(
      `SELECT s.id AS "sessionId", u.id AS "userId", u.org_id AS "orgId", u.username, u.display_name AS "displayName",
              u.role, s.expires_at AS "expiresAt"
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND NOT u.disabled`,
      [tokenHash, now],
    );
    return row;
  }

  /** Which of these sessions are still live at `now` (not revoked, not expired, user not disabled). */
  async stillActive(sessionIds: readonly string[], now: Date): Promise<string[]> {
    if (sessionIds.length === 0) return [];
    const rows = await this.sql.query<{ id: string }>(
      `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ANY($1::uuid[]) AND s.revoked_at IS NULL AND s.expires_at > $2 AND NOT u.disabled`,
      [sessionIds, now],
    );
    return rows.map((r) => r.id);
  }

  async revoke(sessionId: string, now: Date): Promise<void> {
    await this.sql.query('UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [sessionId, now]);
  }

  async revokeAllForUser(userId: string, now: Date): Promise<number> {
    const rows = await this.sql.query(
      'UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
      [userId, now],
    );
    return rows.length;
  }
}
