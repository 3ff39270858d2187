import type { Sql } from '../database.ts';
import type { CallerIdHealthRow, RecordingRow, TelephonyStore, TrunkInput, TrunkRow } from '@outdial/engine/ports';

const TRUNK = `id, org_id AS "orgId", name, uri, transport, username, password, max_channels AS "maxChannels",
  calls_per_second AS "callsPerSecond", created_at AS "createdAt", updated_at AS "updatedAt"`;
const REC = `attempt_id AS "attemptId", org_id AS "orgId", project_id AS "projectId", agent_user_id AS "agentUserId",
  path, duration_ms AS "durationMs", created_at AS "createdAt", expires_at AS "expiresAt"`;

const uniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export class TelephonyRepo implements TelephonyStore {
  constructor(private readonly sql: Sql) {}

  listTrunks(orgId: string): Promise<TrunkRow[]> {
    return this.sql.query<TrunkRow>(`SELECT ${TRUNK} FROM trunks WHERE org_id = $1 ORDER BY lower(name)`, [orgId]);
  }

  allTrunks(): Promise<TrunkRow[]> {
    return this.sql.query<TrunkRow>(`SELECT ${TRUNK} FROM trunks ORDER BY org_id, lower(name)`);
  }

  async getTrunk(orgId: string, id: string): Promise<TrunkRow | undefined> {
    const [row] = await this.sql.query<TrunkRow>(`SELECT ${TRUNK} FROM trunks WHERE org_id = $1 AND id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async createTrunk(orgId: string, t: TrunkInput): Promise<TrunkRow | null> {
    try {
      const [row] = await this.sql.query<TrunkRow>(
        `INSERT INTO trunks (org_id, name, uri, transport, username, password, max_channels, calls_per_second)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${TRUNK}`,
        [orgId, t.name, t.uri, t.transport, t.username, t.password, t.maxChannels, t.callsPerSecond],
      );
      return row!;
    } catch (err) {
      if (uniqueViolation(err)) return null;
      throw err;
    }
  }

  async updateTrunk(orgId: string, id: string, t: Partial<TrunkInput>, at: Date): Promise<TrunkRow | undefined | null> {
    const cur = await this.getTrunk(orgId, id);
    if (!cur) return undefined;
    const n = { ...cur, ...t };
    try {
      const [row] = await this.sql.query<TrunkRow>(
        `UPDATE trunks SET name = $3, uri = $4, transport = $5, username = $6, password = $7, max_channels = $8,
                calls_per_second = $9, updated_at = $10
          WHERE org_id = $1 AND id = $2 RETURNING ${TRUNK}`,
        [orgId, id, n.name, n.uri, n.transport, n.username, n.password, n.maxChannels, n.callsPerSecond, at],
      );
      return row;
    } catch (err) {
      if (uniqueViolation(err)) return null;
      throw err;
    }
  }

  async deleteTrunk(orgId: string, id: string): Promise<boolean> {
    const rows = await this.sql.query(`DELETE FROM trunks WHERE org_id = $1 AND id = $2 RETURNING id`, [orgId, id]);
    return rows.length > 0;
  }

  async saveRecording(r: Omit<RecordingRow, 'createdAt'>): Promise<void> {
    await this.sql.query(
      `INSERT INTO call_recordings (attempt_id, org_id, project_id, agent_user_id, path, duration_ms, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (attempt_id) DO UPDATE SET path = excluded.path, duration_ms = excluded.duration_ms`,
      [r.attemptId, r.orgId, r.projectId, r.agentUserId, r.path, r.durationMs, r.expiresAt],
    );
  }

  async getRecording(orgId: string, attemptId: string): Promise<RecordingRow | undefined> {
    const [row] = await this.sql.query<RecordingRow>(
      `SELECT ${REC} FROM call_recordings WHERE org_id = $1 AND attempt_id = $2`,
      [orgId, attemptId],
    );
    return row;
  }

  expiredRecordings(now: Date, limit: number): Promise<RecordingRow[]> {
    return this.sql.query<RecordingRow>(
      `SELECT ${REC} FROM call_recordings WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
  }

  async deleteRecordings(attemptIds: readonly string[]): Promise<void> {
    if (attemptIds.length === 0) return;
    await this.sql.query(`DELETE FROM call_recordings WHERE attempt_id = ANY($1::uuid[])`, [attemptIds]);
  }

  async setAmdMs(attemptId: string, ms: number): Promise<void> {
    await this.sql.query(`UPDATE call_attempts SET amd_ms = $2 WHERE id = $1`, [attemptId, Math.round(ms)]);
  }

  callerIdHealth(orgId: string, since: Date, projectId: string | null): Promise<CallerIdHealthRow[]> {
    return this.sql.query<CallerIdHealthRow>(
      `SELECT a.caller_id AS "callerId",
              count(*)::int AS dials,
              count(*) FILTER (WHERE a.answered_at IS NOT NULL)::int AS answered,
              count(*) FILTER (WHERE a.outcome = 'person')::int AS person,
              count(*) FILTER (WHERE a.abandoned)::int AS abandoned,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                 WHERE l.org_id = a.org_id AND e.phone = a.phone AND e.created_at >= a.placed_at
                   AND e.source IN ('ivr', 'disposition')))::int AS complaints,
              max(a.placed_at) AS "lastUsedAt"
         FROM call_attempts a
        WHERE a.org_id = $1 AND a.placed_at >= $2 AND a.caller_id IS NOT NULL AND a.caller_id <> ''
          AND ($3::uuid IS NULL OR a.project_id = $3)
        GROUP BY a.caller_id
        ORDER BY dials DESC, a.caller_id`,
      [orgId, since, projectId],
    );
  }
}
