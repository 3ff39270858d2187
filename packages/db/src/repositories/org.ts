import type { Sql } from '../database.ts';
import type { SkillGroupRow, TeamRow, AgentRow, OrgStore } from '@outdial/engine/ports';
export type { SkillGroupRow, TeamRow, AgentRow };

/** Teams, skill groups and agents' skills: the organisation's routing vocabulary. */
export class OrgRepo implements OrgStore {
  constructor(private readonly sql: Sql) {}

  async createSkillGroup(orgId: string, code: string, name: string): Promise<SkillGroupRow> {
    const [row] = await this.sql.query<SkillGroupRow>(
      'INSERT INTO skill_groups (org_id, code, name) VALUES ($1, $2, $3) RETURNING id, code, name',
      [orgId, code, name],
    );
    return row!;
  }

  listSkillGroups(orgId: string): Promise<SkillGroupRow[]> {
    return this.sql.query<SkillGroupRow>('SELECT id, code, name FROM skill_groups WHERE org_id = $1 ORDER BY code', [
      orgId,
    ]);
  }

  async createTeam(orgId: string, name: string): Promise<TeamRow> {
    const [row] = await this.sql.query<TeamRow>('INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING id, name', [
      orgId,
      name,
    ]);
    return row!;
  }

  listTeams(orgId: string): Promise<TeamRow[]> {
    return this.sql.query<TeamRow>('SELECT id, name FROM teams WHERE org_id = $1 ORDER BY name', [orgId]);
  }

  async listAgents(
    orgId: string,
    opts: { skill?: string | undefined; userId?: string | undefined } = {},
  ): Promise<AgentRow[]> {
    const params: unknown[] = [orgId];
    let filter = '';
    if (opts.skill) {
      params.push(opts.skill);
      filter = `AND EXISTS (SELECT 1 FROM agent_skills s2 JOIN skill_groups g2 ON g2.id = s2.skill_group_id
                             WHERE s2.user_id = a.user_id AND g2.code = $${params.length})`;
    }
    if (opts.userId) {
      params.push(opts.userId);
      filter += ` AND a.user_id = $${params.length}`;
    }
    return this.sql.query<AgentRow>(
      `SELECT a.user_id AS "userId", u.username, u.display_name AS "displayName", a.team_id AS "teamId", t.name AS "teamName",
              a.extension,
              coalesce((SELECT json_agg(json_build_object('code', g.code, 'level', s.level) ORDER BY g.code)
                          FROM agent_skills s JOIN skill_groups g ON g.id = s.skill_group_id WHERE s.user_id = a.user_id), '[]'::json) AS skills
         FROM agents a JOIN users u ON u.id = a.user_id LEFT JOIN teams t ON t.id = a.team_id
        WHERE a.org_id = $1 AND NOT u.disabled ${filter}
        ORDER BY u.username`,
      params,
    );
  }

  /** One agent's profile and skills, or undefined if the user is no (enabled) agent. */
  async getAgent(orgId: string, userId: string): Promise<AgentRow | undefined> {
    return (await this.listAgents(orgId, { userId }))[0];
  }

  async setAgent(
    orgId: string,
    userId: string,
    p: { teamId?: string | null | undefined; extension?: string | null | undefined },
  ): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE agents SET team_id = CASE WHEN $3 THEN $4::uuid ELSE team_id END,
                         extension = CASE WHEN $5 THEN $6 ELSE extension END
        WHERE org_id = $1 AND user_id = $2 RETURNING user_id`,
      [orgId, userId, p.teamId !== undefined, p.teamId ?? null, p.extension !== undefined, p.extension ?? null],
    );
    return rows.length > 0;
  }

  /** Replaces an agent's skills; unknown skill codes are reported back, nothing is half-applied. */
  async replaceAgentSkills(
    orgId: string,
    userId: string,
    skills: readonly { code: string; level: number }[],
  ): Promise<{ unknown: string[] }> {
    const groups = await this.listSkillGroups(orgId);
    const byCode = new Map(groups.map((g) => [g.code, g.id]));
    const unknown = skills.filter((s) => !byCode.has(s.code)).map((s) => s.code);
    if (unknown.length > 0) return { unknown };
    await this.sql.query('DELETE FROM agent_skills WHERE user_id = $1', [userId]);
    for (const s of skills) {
      await this.sql.query('INSERT INTO agent_skills (user_id, skill_group_id, level) VALUES ($1, $2, $3)', [
        userId,
        byCode.get(s.code),
        s.level,
      ]);
    }
    return { unknown: [] };
  }
}
