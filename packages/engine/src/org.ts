import type { Repositories } from './ports/index.ts';
import { AppError, invalid, isUniqueViolation, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';

const CODE = /^[a-z][a-z0-9_-]{0,39}$/;

/** Teams, skill groups and agents' skills (configuration business staff change without a release). */
export class OrgService {
  constructor(private readonly repos: Repositories) {}

  async createSkillGroup(actor: Principal, code: string, name: string) {
    assertCan(actor, 'org:manage');
    if (!CODE.test(code))
      throw invalid('a skill code is lower-case letters, digits, - and _, starting with a letter', { field: 'code' });
    try {
      return await this.repos.transaction(async (tx) => {
        const group = await tx.org.createSkillGroup(actor.orgId, code, name);
        await tx.audit.append({
          orgId: actor.orgId,
          actorUserId: actor.userId,
          action: 'skill_group.created',
          subjectType: 'skill_group',
          subjectId: group.id,
          details: { code, name },
        });
        return group;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict', `skill group "${code}" exists`);
      throw err;
    }
  }

  async createTeam(actor: Principal, name: string) {
    assertCan(actor, 'org:manage');
    try {
      return await this.repos.transaction(async (tx) => {
        const team = await tx.org.createTeam(actor.orgId, name);
        await tx.audit.append({
          orgId: actor.orgId,
          actorUserId: actor.userId,
          action: 'team.created',
          subjectType: 'team',
          subjectId: team.id,
          details: { name },
        });
        return team;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict', `team "${name}" exists`);
      throw err;
    }
  }

  skillGroups(actor: Principal) {
    assertCan(actor, 'projects:read');
    return this.repos.org.listSkillGroups(actor.orgId);
  }

  teams(actor: Principal) {
    assertCan(actor, 'projects:read');
    return this.repos.org.listTeams(actor.orgId);
  }

  agents(actor: Principal, skill?: string) {
    assertCan(actor, 'org:manage');
    return this.repos.org.listAgents(actor.orgId, { skill });
  }

  async setAgent(
    actor: Principal,
    userId: string,
    p: {
      teamId?: string | null | undefined;
      extension?: string | null | undefined;
      skills?: { code: string; level: number }[] | undefined;
    },
  ) {
    assertCan(actor, 'org:manage');
    const codes = (p.skills ?? []).map((k) => k.code);
    const twice = codes.filter((c, k) => codes.indexOf(c) !== k);
    if (twice.length > 0)
      throw invalid(`a skill is listed twice: ${[...new Set(twice)].join(', ')}`, {
        field: 'skills',
        duplicates: twice,
      });
    if (p.teamId && !(await this.repos.org.listTeams(actor.orgId)).some((t) => t.id === p.teamId))
      throw invalid('no such team', { field: 'teamId' });
    // All or nothing: an unknown skill rolls back the team and extension too.
    await this.repos.transaction(async (tx) => {
      const exists = await tx.org.setAgent(actor.orgId, userId, p);
      if (!exists) throw notFound('agent');
      if (p.skills) {
        const { unknown } = await tx.org.replaceAgentSkills(actor.orgId, userId, p.skills);
        if (unknown.length > 0)
          throw invalid(`unknown skill groups: ${unknown.join(', ')}`, { field: 'skills', unknown });
      }
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'agent.updated',
        subjectType: 'user',
        subjectId: userId,
        details: p,
      });
    });
    return (await this.repos.org.listAgents(actor.orgId)).find((a) => a.userId === userId)!;
  }
}
