import type { Channel, Repositories } from './ports/index.ts';
import { invalid, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';

export interface AssignRequest {
  projectCode: string;
  channel: Channel;
  /** `even`: split across eligible agents by current workload; `manual`: all to one agent. */
  strategy: 'even' | 'manual' | 'queue';
  /** Only agents with this skill (even), or the queue (queue). */
  skill?: string | undefined;
  agentUserId?: string | undefined;
  /** Only contacts with this tag. */
  tag?: string | undefined;
  limit: number;
}

/**
 * Puts contacts into a channel and onto agents (任务分配). The even split gives each next
 * contact to the eligible agent with the fewest open tasks, so agents who already hold
 * work get less of the new batch.
 */
export class TasksService {
  constructor(private readonly repos: Repositories) {}

  async assign(actor: Principal, req: AssignRequest): Promise<{ created: number; perAgent: Record<string, number> }> {
    assertCan(actor, 'tasks:assign');
    const project = await this.repos.projects.getByCode(actor.orgId, req.projectCode);
    if (!project) throw notFound(`project "${req.projectCode}"`);
    const contacts = await this.repos.tasks.unassignedContacts(actor.orgId, project.id, req.channel, {
      tag: req.tag,
      limit: req.limit,
    });
    let skillGroupId: string | null = null;
    if (req.skill) {
      const g = (await this.repos.org.listSkillGroups(actor.orgId)).find((s) => s.code === req.skill);
      if (!g) throw invalid(`no skill group "${req.skill}"`, { field: 'skill' });
      skillGroupId = g.id;
    }
    const perAgent: Record<string, number> = {};
    let rows: { contactId: string; assigneeUserId: string | null; skillGroupId: string | null }[];
    if (req.strategy === 'queue' || req.channel !== 'agent_call') {
      rows = contacts.map((c) => ({ contactId: c.id, assigneeUserId: null, skillGroupId }));
    } else if (req.strategy === 'manual') {
      if (!req.agentUserId) throw invalid('manual assignment names an agent', { field: 'agentUserId' });
      const agents = await this.repos.org.listAgents(actor.orgId);
      const agent = agents.find((a) => a.userId === req.agentUserId);
      if (!agent) throw invalid('no such agent in this organisation', { field: 'agentUserId' });
      rows = contacts.map((c) => ({ contactId: c.id, assigneeUserId: agent.userId, skillGroupId }));
      perAgent[agent.username] = rows.length;
    } else {
      const agents = await this.repos.org.listAgents(actor.orgId, { skill: req.skill });
      if (agents.length === 0)
        throw invalid(req.skill ? `no active agent has skill "${req.skill}"` : 'the organisation has no active agents');
      const load = await this.repos.tasks.openLoad(
        actor.orgId,
        agents.map((a) => a.userId),
      );
      const queue = agents.map((a) => ({ a, load: load.get(a.userId) ?? 0 }));
      rows = contacts.map((c) => {
        // Few agents (tens to thousands): a linear scan per contact is simple and fast enough.
        let best = queue[0]!;
        for (const q of queue)
          if (q.load < best.load || (q.load === best.load && q.a.username < best.a.username)) best = q;
        best.load++;
        perAgent[best.a.username] = (perAgent[best.a.username] ?? 0) + 1;
        return { contactId: c.id, assigneeUserId: best.a.userId, skillGroupId };
      });
    }
    const created = await this.repos.transaction(async (tx) => {
      let n = 0;
      for (let i = 0; i < rows.length; i += 5000)
        n += await tx.tasks.createMany(actor.orgId, project.id, req.channel, rows.slice(i, i + 5000));
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'tasks.assigned',
        subjectType: 'project',
        subjectId: project.id,
        details: { ...req, created: n },
      });
      return n;
    });
    return { created, perAgent };
  }

  async list(
    actor: Principal,
    q: {
      projectCode?: string | undefined;
      mine?: boolean | undefined;
      status?: 'open' | 'done' | 'cancelled' | undefined;
      limit: number;
      offset: number;
    },
  ) {
    const onlyMine = q.mine || actor.role === 'agent';
    if (!onlyMine) assertCan(actor, 'tasks:assign');
    else assertCan(actor, 'tasks:read_own');
    let projectId: string | undefined;
    if (q.projectCode) {
      const p = await this.repos.projects.getByCode(actor.orgId, q.projectCode);
      if (!p) throw notFound(`project "${q.projectCode}"`);
      projectId = p.id;
    }
    return this.repos.tasks.list(actor.orgId, {
      projectId,
      assigneeUserId: onlyMine ? actor.userId : undefined,
      status: q.status,
      limit: q.limit,
      offset: q.offset,
    });
  }
}
