import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { harness, type Harness } from './testing/harness.ts';
import { DEMO_PROJECT } from '../demo.ts';

describe.each(testDatabases())('campaign lifecycle over the API on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let agent: string;
  let qa: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    h = await harness(engine);
    [admin, agent, qa] = await Promise.all([h.login('admin'), h.login('agent01'), h.login('qa')]);
  });
  afterAll(async () => h?.close());

  it('creates a draft with defaults, lists it, and walks start → pause → resume → stop', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: auth(admin),
      payload: {
        project: DEMO_PROJECT,
        name: '续保外呼 12月',
        settings: { dialMode: 'progressive', requiredSkills: { insurance: 2 } },
      },
    });
    expect(created.statusCode).toBe(201);
    const c = created.json<{
      id: string;
      status: string;
      settings: { dialMode: string; abandonTarget: number; ringTimeoutSeconds: number };
      actions: string[];
    }>();
    expect(c).toMatchObject({
      status: 'draft',
      settings: { dialMode: 'progressive', abandonTarget: 0.03, ringTimeoutSeconds: 25 },
    });
    expect(c.actions).toEqual(['schedule', 'start', 'stop']);

    const listed = await h.app.inject({
      method: 'GET',
      url: `/api/v1/campaigns?project=${DEMO_PROJECT}`,
      headers: auth(qa),
    });
    expect(listed.json<{ items: { id: string }[] }>().items.map((x) => x.id)).toContain(c.id);

    const step = async (action: string) =>
      h.app.inject({ method: 'POST', url: `/api/v1/campaigns/${c.id}/${action}`, headers: auth(admin) });
    expect((await step('start')).json()).toMatchObject({ status: 'running', actions: ['pause', 'stop'] });
    expect((await step('pause')).json()).toMatchObject({ status: 'paused' });
    expect((await step('resume')).json()).toMatchObject({ status: 'running' });
    const stopped = (await step('stop')).json<{ status: string; finishReason: string; finishedAt: string }>();
    expect(stopped).toMatchObject({ status: 'finished', finishReason: 'stopped' });
    expect(stopped.finishedAt).toBeTruthy();

    const again = await step('start');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      error: { code: 'invalid_state', details: { status: 'finished', allowed: [] } },
    });

    const audit = await h.app.inject({ method: 'GET', url: '/api/v1/audit?pageSize=50', headers: auth(admin) });
    const actions = audit
      .json<{ items: { action: string; subjectId: string | null }[] }>()
      .items.filter((a) => a.subjectId === c.id)
      .map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'campaign.created',
        'campaign.start',
        'campaign.pause',
        'campaign.resume',
        'campaign.stop',
      ]),
    );
  });

  it('lists every bad setting at once, refuses duplicates and scheduling without a start time', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: auth(admin),
      payload: {
        project: DEMO_PROJECT,
        name: 'bad',
        settings: { abandonTarget: 0.1, ringTimeoutSeconds: 5, callerIds: ['12345'] },
      },
    });
    expect(bad.statusCode).toBe(400);
    const paths = bad
      .json<{ error: { details: { issues: { path: string }[] } } }>()
      .error.details.issues.map((i) => i.path);
    expect(paths).toEqual(['settings.abandonTarget', 'settings.ringTimeoutSeconds', 'settings.callerIds.0']);

    const ok = await h.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: auth(admin),
      payload: { project: DEMO_PROJECT, name: 'dup' },
    });
    expect(ok.statusCode).toBe(201);
    const dup = await h.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: auth(admin),
      payload: { project: DEMO_PROJECT, name: 'dup' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ error: { code: 'conflict' } });

    const id = ok.json<{ id: string }>().id;
    const sched = await h.app.inject({ method: 'POST', url: `/api/v1/campaigns/${id}/schedule`, headers: auth(admin) });
    expect(sched.statusCode).toBe(400);
    const patched = await h.app.inject({
      method: 'PATCH',
      url: `/api/v1/campaigns/${id}`,
      headers: auth(admin),
      payload: { startAt: '2026-12-24T01:00:00Z' },
    });
    expect(patched.json()).toMatchObject({ settings: { startAt: '2026-12-24T01:00:00Z' } });
    expect(
      (await h.app.inject({ method: 'POST', url: `/api/v1/campaigns/${id}/schedule`, headers: auth(admin) })).json(),
    ).toMatchObject({ status: 'scheduled' });

    const missing = await h.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: auth(admin),
      payload: { project: 'NOPE', name: 'x' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('reports live figures from the recorded attempts, with the abandon rate against the limit', async () => {
    const created = (
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/campaigns',
        headers: auth(admin),
        payload: { project: DEMO_PROJECT, name: 'figures' },
      })
    ).json<{ id: string; projectId: string }>();
    const org = (await h.platform.repos.users.firstOrganisation())!;
    const [a, b] = (await h.platform.repos.contacts.list(org.id, { projectId: created.projectId, limit: 2, offset: 0 }))
      .items;
    const now = new Date();
    const place = (c: { id: string; phone: string }) =>
      h.platform.services.attempts.placed({
        orgId: org.id,
        projectId: created.projectId,
        campaignId: created.id,
        contactId: c.id,
        phone: c.phone,
        callerId: null,
        dialMode: 'predictive',
        placedAt: now,
      });
    const end = {
      endedAt: new Date(now.getTime() + 30_000),
      agentUserId: null,
      sipCause: 200,
      amdResult: 'human' as const,
    };
    await h.platform.services.attempts.ended(await place(a!), {
      ...end,
      outcome: 'abandoned',
      answeredAt: now,
      connectedAt: null,
      hangupSide: 'system',
      abandoned: true,
    });
    await h.platform.services.attempts.ended(await place(b!), {
      ...end,
      outcome: 'person',
      answeredAt: now,
      connectedAt: now,
      hangupSide: 'customer',
      abandoned: false,
    });
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/campaigns/${created.id}/stats`, headers: auth(qa) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      campaignId: created.id,
      status: 'draft',
      abandonLimit: 0.03,
      dialer: null,
      today: { dials: 2, answeredPerson: 2, connects: 1, abandons: 1, abandonRate: 0.5, live: 0 },
      period30d: { dials: 2, abandons: 1 },
    });
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/v1/campaigns/${created.id}/stats`, headers: auth(agent) }))
        .statusCode,
    ).toBe(403);
  });

  it('agents cannot see or run campaigns; QA may read but not act', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: auth(agent) })).statusCode).toBe(
      403,
    );
    const create = await h.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: auth(qa),
      payload: { project: DEMO_PROJECT, name: 'qa try' },
    });
    expect(create.statusCode).toBe(403);
  });
});
