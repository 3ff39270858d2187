import type { Repositories } from '@outdial/db';
import { AppError, type Principal } from '@outdial/engine';

/**
 * The CLI acts as a named admin of the organisation (the first admin unless --as says
 * otherwise), so its actions pass the same permission checks and land in the audit log
 * under a real user.
 */
export async function consolePrincipal(repos: Repositories, username?: string): Promise<Principal> {
  const rows = username
    ? await repos.db.query<{
        id: string;
        orgId: string;
        username: string;
        displayName: string;
        role: Principal['role'];
      }>(
        `SELECT id, org_id AS "orgId", username, display_name AS "displayName", role FROM users WHERE lower(username) = lower($1) AND NOT disabled`,
        [username],
      )
    : await repos.db.query<{
        id: string;
        orgId: string;
        username: string;
        displayName: string;
        role: Principal['role'];
      }>(
        `SELECT id, org_id AS "orgId", username, display_name AS "displayName", role FROM users WHERE role = 'admin' AND NOT disabled ORDER BY created_at LIMIT 1`,
      );
  const u = rows[0];
  if (!u) {
    throw new AppError(
      'not_found',
      username
        ? `no active user "${username}"`
        : 'no admin user yet: run `outdial serve --demo` once, or `outdial users add --username admin --role admin --password …`',
    );
  }
  return {
    sessionId: 'console',
    userId: u.id,
    orgId: u.orgId,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    expiresAt: new Date(8.64e15),
  };
}
