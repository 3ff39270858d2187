import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import type { Principal } from '@outdial/engine';
import { consolePrincipal } from '../console-principal.ts';
import { endedCall, harness, type Harness } from './testing/harness.ts';

/** Tasks decide who calls whom: what a campaign may lease, what attempts record, when tasks close. */
describe.each(testDatabases())('tasks drive the dialer on $name', (engine) => {
  let h: Harness;
  let admin: Principal;
  let ids: string[];
  let agent01: string;
  let projectId: string;

  beforeAll(async () => {
    h = await harness(engine);
    const { services, repos } = h.platform;
    admin = await consolePrincipal(repos, 'admin');
    agent01 = (await consolePrincipal(repos, 'agent01')).userId;
    await services.projects.create(admin, { code: 'TASKS', name: 'tasks' });
    projectId = (await repos.projects.getByCode(admin.orgId, 'TASKS'))!.id;
    const r = await services.contactsApi.create(
      admin,
      'TASKS',
      Array.from({ length: 8 }, (_, i) => ({ phone: `1380000000${i}`, tags: i === 5 ? ['优质'] : [] })),
    );
    ids = r.verdicts.map((v) => v.contactId!);
  });
  afterAll(async () => h?.close());

  const lease = (skills: string[]) =>
    h.platform.repos.campaigns.lease({
      orgId: admin.orgId,
      projectId,
      campaignId: '00000000-0000-4000-8000-000000000001',
      tags: [],
      limit: 100,
      now: new Date(),
      ttlMs: 1,
      skills,
    });

  it("a campaign leases only what is not an agent's own and not another skill group's", async () => {
    const { services, repos } = h.platform;
    const vip = (await repos.org.listSkillGroups(admin.orgId)).find((g) => g.code === 'vip')!;
    const insurance = (await repos.org.listSkillGroups(admin.orgId)).find((g) => g.code === 'insurance')!;
    await repos.tasks.createMany(admin.orgId, projectId, 'agent_call', [
      { contactId: ids[0]!, assigneeUserId: agent01, skillGroupId: null },
      { contactId: ids[1]!, assigneeUserId: null, skillGroupId: vip.id },
      { contactId: ids[2]!, assigneeUserId: null, skillGroupId: insurance.id },
    ]);
    await repos.db.query(
      `UPDATE contacts SET status = 'callback', callback_at = now(), callback_owner = $2 WHERE id = $1`,
      [ids[3], agent01],
    );
    const leased = new Set((await lease(['insurance'])).map((k) => k.id));
    expect(leased.has(ids[0]!)).toBe(false); // agent01's task
    expect(leased.has(ids[1]!)).toBe(false); // the vip queue's
    expect(leased.has(ids[2]!)).toBe(true); // the insurance queue's: this campaign's skill
    expect(leased.has(ids[3]!)).toBe(false); // agent01's callback
    expect(leased.has(ids[4]!)).toBe(true); // no task: the campaign's
    // agent01's own queue: the callback first, then the task.
    const queue = await services.tasks.myQueue(await consolePrincipal(repos, 'agent01'), 200);
    expect(queue.filter((q) => q.contact.projectId === projectId).map((q) => [q.kind, q.contact.id])).toEqual([
      ['callback', ids[3]],
      ['task', ids[0]],
    ]);
    expect(queue[0]!.contact.masked).toBe(true);
  });

  it('reassign and cancel are audited; an attempt records its task; the task closes with its contact', async () => {
    const { services, repos } = h.platform;
    const task = (await repos.tasks.list(admin.orgId, { projectId, status: 'open', limit: 10, offset: 0 })).items.find(
      (t) => t.contactId === ids[1],
    )!;
    const moved = await services.tasks.reassign(admin, task.id, { agentUserId: agent01 });
    expect(moved).toMatchObject({ assigneeUserId: agent01, skillGroupId: null });
    const cancelled = await services.tasks.cancel(admin, task.id);
    expect(cancelled.status).toBe('cancelled');
    await expect(services.tasks.cancel(admin, task.id)).rejects.toMatchObject({ code: 'invalid_state' });
    expect((await services.audit.list(admin, { action: 'tasks.reassigned', limit: 5, offset: 0 })).total).toBe(1);
    expect((await services.audit.list(admin, { action: 'tasks.cancelled', limit: 5, offset: 0 })).total).toBe(1);

    const c = (await repos.contacts.get(admin.orgId, ids[0]!))!;
    const attempt = await endedCall(h, c, agent01);
    const [row] = await repos.db.query<{ taskId: string | null }>(
      'SELECT task_id AS "taskId" FROM call_attempts WHERE id = $1',
      [attempt],
    );
    const open = (
      await repos.tasks.list(admin.orgId, { assigneeUserId: agent01, projectId, limit: 10, offset: 0 })
    ).items.find((t) => t.contactId === c.id)!;
    expect(row!.taskId).toBe(open.id);
    await services.dispositions.record(await consolePrincipal(repos, 'agent01'), attempt, { code: 'success' });
    expect((await repos.tasks.get(admin.orgId, open.id))!.status).toBe('done');
  });

  it('assignment by rules: a good list or tag to the most skilled agents or a queue, the rest evenly', async () => {
    const { services, repos } = h.platform;
    const r = await services.tasks.assign(admin, {
      projectCode: 'TASKS',
      channel: 'agent_call',
      strategy: 'rules',
      rules: [{ tag: '优质', skill: 'vip', to: 'agents', minLevel: 8 }],
      limit: 100,
    });
    expect(r.created).toBe(6); // all but the one with an open task (ids[2]) and the closed one (ids[0])
    const tasks = (await repos.tasks.list(admin.orgId, { projectId, status: 'open', limit: 100, offset: 0 })).items;
    const vipAgents = (await repos.org.listAgents(admin.orgId, { skill: 'vip' })).filter(
      (a) => a.skills.find((s) => s.code === 'vip')!.level >= 8,
    );
    const t5 = tasks.find((t) => t.contactId === ids[5])!;
    expect(vipAgents.map((a) => a.userId)).toContain(t5.assigneeUserId);
    await expect(
      services.tasks.assign(admin, {
        projectCode: 'TASKS',
        channel: 'agent_call',
        strategy: 'rules',
        rules: [{ skill: 'nope', to: 'queue' }],
        limit: 1,
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
