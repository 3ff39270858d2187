import type { AgentRow, Channel, ContactRow, Repositories } from './ports/index.ts';
import { AppError, invalid, notFound } from './errors.ts';
import { present, type ContactView } from './contacts.ts';
import type { PersonalData } from './pii.ts';

const presentContact = (c: ContactRow, unmasked: boolean, pii: PersonalData | undefined): ContactView =>
  pii ? present(c, unmasked, pii) : { ...c, masked: false };
import { assertCan, type Principal } from './auth.ts';

export interface AssignRequest {
  projectCode: string;
  channel: Channel;
  /**
   * `even`: split across eligible agents by current workload; `manual`: all to one agent;
   * `queue`: to a skill group's queue; `rules`: the admin's rules, first match wins (a list or a
   * tag → a skill group's queue, or evenly to that group's agents of at least a level — good lists
   * to the most skilled), the rest evenly.
   */
  strategy: 'even' | 'manual' | 'queue' | 'rules';
  rules?: AssignRule[] | undefined;
  /** Only agents with this skill (even), or the queue (queue). */
  skill?: string | undefined;
  agentUserId?: string | undefined;
  /** Only contacts with this tag. */
  tag?: string | undefined;
  limit: number;
}

/** One of the admin's assignment rules (seed 002: list quality → the most skilled group). */
export interface AssignRule {
  /** Contacts of this list (import)… */
  list?: string | undefined;
  /** …or with this tag (both: both). */
  tag?: string | undefined;
  /** …go to this skill group: */
  skill: string;
  /** `queue`: its queue; `agents`: evenly to its agents with at least `minLevel`. */
  to: 'queue' | 'agents';
  minLevel?: number | undefined;
}

/**
 * Puts contacts into a channel and onto agents (任务分配). The even split gives each next
 * contact to the eligible agent with the fewest open tasks, so agents who already hold
 * work get less of the new batch.
 */
export class TasksService {
  constructor(
    private readonly repos: Repositories,
    private readonly pii?: PersonalData,
  ) {}

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
      const g = (await this.repos.org.listSkillGroups(actor.orgId)).find((x) => x.code === req.skill);
      if (!g) throw invalid(`no skill group "${req.skill}"`, { field: 'skill' });
      skillGroupId = g.id;
    }
    const perAgent: Record<string, number> = {};
    let rows: { contactId: string; assigneeUserId: string | null; skillGroupId: string | null }[];
    const groups = await this.repos.org.listSkillGroups(actor.orgId);
    /** Even split over `agents` by their open tasks (those who hold more get less of this batch). */
    const evenly = async (agents: AgentRow[]) => {
      const load = await this.repos.tasks.openLoad(
        actor.orgId,
        agents.map((a) => a.userId),
      );
      const queue = agents.map((a) => ({ a, load: load.get(a.userId) ?? 0 }));
      return (contactId: string, skillGroupId: string | null) => {
        // Few agents (tens to thousands): a linear scan per contact is simple and fast enough.
        let best = queue[0]!;
        for (const q of queue)
          if (q.load < best.load || (q.load === best.load && q.a.username < best.a.username)) best = q;
        best.load++;
        perAgent[best.a.username] = (perAgent[best.a.username] ?? 0) + 1;
        return { contactId, assigneeUserId: best.a.userId, skillGroupId };
      };
    };
    if (req.strategy === 'queue' || req.channel !== 'agent_call') {
      rows = contacts.map((c) => ({ contactId: c.id, assigneeUserId: null, skillGroupId }));
    } else if (req.strategy === 'manual') {
      if (!req.agentUserId) throw invalid('manual assignment names an agent', { field: 'agentUserId' });
      const agents = await this.repos.org.listAgents(actor.orgId);
      const agent = agents.find((a) => a.userId === req.agentUserId);
      if (!agent) throw invalid('no such agent in this organisation', { field: 'agentUserId' });
      rows = contacts.map((c) => ({ contactId: c.id, assigneeUserId: agent.userId, skillGroupId }));
      perAgent[agent.username] = rows.length;
    } else if (req.strategy === 'rules') {
      const rules = req.rules ?? [];
      if (rules.length === 0) throw invalid('rules assignment lists its rules', { field: 'rules' });
      const targets = await Promise.all(
        rules.map(async (r, i) => {
          const g = groups.find((x) => x.code === r.skill);
          if (!g) throw invalid(`rule ${i + 1}: no skill group "${r.skill}"`, { field: `rules.${i}.skill` });
          if (r.to === 'queue') return { g, pick: null };
          const agents = (await this.repos.org.listAgents(actor.orgId, { skill: r.skill })).filter(
            (a) => (a.skills.find((k) => k.code === r.skill)?.level ?? 0) >= (r.minLevel ?? 1),
          );
          if (agents.length === 0)
            throw invalid(`rule ${i + 1}: no active agent has "${r.skill}" at level ${r.minLevel ?? 1} or more`, {
              field: `rules.${i}`,
            });
          return { g, pick: await evenly(agents) };
        }),
      );
      const all = await this.repos.org.listAgents(actor.orgId, { skill: req.skill });
      const rest = all.length ? await evenly(all) : null;
      rows = contacts.map((c) => {
        const i = rules.findIndex((r) => (!r.list || c.importId === r.list) && (!r.tag || c.tags.includes(r.tag)));
        const t = i >= 0 ? targets[i]! : null;
        if (t) return t.pick ? t.pick(c.id, t.g.id) : { contactId: c.id, assigneeUserId: null, skillGroupId: t.g.id };
        if (!rest) return { contactId: c.id, assigneeUserId: null, skillGroupId };
        return rest(c.id, skillGroupId);
      });
    } else {
      const agents = await this.repos.org.listAgents(actor.orgId, { skill: req.skill });
      if (agents.length === 0)
        throw invalid(req.skill ? `no active agent has skill "${req.skill}"` : 'the organisation has no active agents');
      const pick = await evenly(agents);
      rows = contacts.map((c) => pick(c.id, skillGroupId));
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

  /** Moves an open task to an agent or a skill group's queue, or to neither (the campaign's). Audited. */
  async reassign(actor: Principal, id: string, to: { agentUserId?: string | undefined; skill?: string | undefined }) {
    assertCan(actor, 'tasks:assign');
    // Another organisation's task is not found before anything about the target is said.
    if (!(await this.repos.tasks.get(actor.orgId, id))) throw notFound('task');
    let assigneeUserId: string | null = null;
    let skillGroupId: string | null = null;
    if (to.agentUserId) {
      const agent = await this.repos.org.getAgent(actor.orgId, to.agentUserId);
      if (!agent) throw invalid('no such agent in this organisation', { field: 'agentUserId' });
      assigneeUserId = agent.userId;
    }
    if (to.skill) {
      const g = (await this.repos.org.listSkillGroups(actor.orgId)).find((x) => x.code === to.skill);
      if (!g) throw invalid(`no skill group "${to.skill}"`, { field: 'skill' });
      skillGroupId = g.id;
    }
    return this.repos.transaction(async (tx) => {
      const before = await tx.tasks.get(actor.orgId, id);
      if (!before) throw notFound('task');
      const row = await tx.tasks.reassign(actor.orgId, id, { assigneeUserId, skillGroupId });
      if (!row)
        throw new AppError('invalid_state', `the task is ${before.status}: only open tasks move`, {
          status: before.status,
        });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'tasks.reassigned',
        subjectType: 'task',
        subjectId: id,
        details: {
          from: { agent: before.assigneeUserId, skillGroup: before.skillGroupId },
          to: { agent: assigneeUserId, skillGroup: skillGroupId },
        },
      });
      return row;
    });
  }

  /** Cancels an open task: its contact follows the campaign again. Audited. */
  async cancel(actor: Principal, id: string) {
    assertCan(actor, 'tasks:assign');
    return this.repos.transaction(async (tx) => {
      const before = await tx.tasks.get(actor.orgId, id);
      if (!before) throw notFound('task');
      const row = await tx.tasks.cancel(actor.orgId, id);
      if (!row) throw new AppError('invalid_state', `the task is ${before.status} already`, { status: before.status });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'tasks.cancelled',
        subjectType: 'task',
        subjectId: id,
        details: { contactId: before.contactId, agent: before.assigneeUserId },
      });
      return row;
    });
  }

  /**
   * The agent's own queue, what they dial themselves (手工发呼): the callbacks they own, due first,
   * then the contacts of their open tasks by priority. Numbers are masked by the caller.
   */
  async myQueue(actor: Principal, limit: number): Promise<{ kind: 'callback' | 'task'; contact: ContactView }[]> {
    assertCan(actor, 'tasks:read_own');
    const out: { kind: 'callback' | 'task'; contact: ContactRow }[] = [];
    const callbacks = await this.repos.contacts.callbacks(actor.orgId, { ownerUserId: actor.userId, limit, offset: 0 });
    for (const c of callbacks.items) out.push({ kind: 'callback', contact: c });
    const seen = new Set(out.map((x) => x.contact.id));
    const tasks = await this.repos.tasks.list(actor.orgId, {
      assigneeUserId: actor.userId,
      status: 'open',
      limit,
      offset: 0,
    });
    for (const t of tasks.items) {
      if (out.length >= limit) break;
      if (seen.has(t.contactId)) continue;
      const c = await this.repos.contacts.get(actor.orgId, t.contactId);
      if (c && c.status !== 'closed') out.push({ kind: 'task', contact: c });
    }
    const unmasked = this.pii?.unmasked(actor) ?? false;
    if (unmasked && out.length)
      await this.pii?.shown(actor, {
        action: 'contacts.unmasked_view',
        subjectType: 'queue',
        details: { count: out.length },
      });
    return out.slice(0, limit).map((x) => ({ kind: x.kind, contact: presentContact(x.contact, unmasked, this.pii) }));
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
