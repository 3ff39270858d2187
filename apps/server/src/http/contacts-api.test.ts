import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { DEMO_PROJECT } from '../demo.ts';
import { endedCall, harness, type Harness } from './testing/harness.ts';

describe.each(testDatabases())('contacts by API on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let orgId: string;
  const api = async (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const res = await h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return {
      status: res.statusCode,
      body: res.json<Record<string, unknown> & { error?: { code: string; details?: Record<string, unknown> } }>(),
    };
  };

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    orgId = (await h.platform.repos.users.firstOrganisation())!.id;
  });
  afterAll(async () => h?.close());

  it('creates a batch with a verdict per row, as a file import would judge them', async () => {
    const project = (await h.platform.repos.projects.getByCode(orgId, DEMO_PROJECT))!;
    const existing = (await h.platform.repos.contacts.list(orgId, { projectId: project.id, limit: 1, offset: 0 }))
      .items[0]!;
    const lists = await h.platform.repos.dnc.listLists(orgId);
    const blocked = (await h.platform.repos.dnc.entries(lists[0]!.id, { limit: 1, offset: 0 })).items[0]!.phone;
    const r = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/contacts/batch`, {
      contacts: [
        {
          phone: '139 1234 5678',
          name: '赵敏',
          externalId: 'CRM-1',
          tags: ['上海', 'API'],
          custom: { policy_no: 'P-1', premium: 1200.5, has_claim: false },
        },
        { phone: '12345', externalId: 'CRM-2', custom: { policy_no: 'P-2' } },
        { phone: '+86 139-1234-5678', externalId: 'CRM-3', custom: { policy_no: 'P-3' } },
        { phone: existing.phone, custom: { policy_no: 'P-4' } },
        { phone: blocked, custom: { policy_no: 'P-5' } },
        { phone: '13711112222', custom: { policy_no: 'P-6', premium: 'lots' } },
        { phone: '13711113333' },
      ],
    });
    expect(r.status).toBe(200);
    expect((r.body['verdicts'] as { outcome: string; code: string | null }[]).map((v) => [v.outcome, v.code])).toEqual([
      ['created', null],
      ['invalid', expect.stringMatching(/^phone_/)],
      ['duplicate_in_batch', expect.anything()],
      ['duplicate_existing', expect.anything()],
      ['dnc', expect.anything()],
      ['invalid', 'number_invalid'],
      ['invalid', 'required_missing'],
    ]);
    expect(r.body['created']).toBe(1);
    const id = (r.body['verdicts'] as { contactId: string }[])[0]!.contactId;
    expect((await api(admin, 'GET', `/contacts/${id}`)).body).toMatchObject({
      phone: '+8613912345678',
      name: '赵敏',
      externalId: 'CRM-1',
      tags: ['上海', 'API'],
      custom: { policy_no: 'P-1', premium: 1200.5, has_claim: false },
    });
    // Looked up by the business system's id; an agent without a task on it does not see it.
    expect((await api(admin, 'GET', `/projects/${DEMO_PROJECT}/contacts/by-external-id/CRM-1`)).body).toMatchObject({
      id,
    });
    expect(
      (await api(await h.login('agent01'), 'GET', `/projects/${DEMO_PROJECT}/contacts/by-external-id/CRM-1`)).status,
    ).toBe(404);
    expect((await api(admin, 'GET', `/projects/${DEMO_PROJECT}/contacts/by-external-id/nope`)).status).toBe(404);
  });

  it('one contact: 201, 409 for a number the project has, 400 with the verdict; limits and unknown fields', async () => {
    const one = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/contacts`, {
      phone: '13688889999',
      custom: { policy_no: 'P-9' },
    });
    expect(one).toMatchObject({ status: 201, body: { phone: '+8613688889999', masked: false } });
    const again = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/contacts`, {
      phone: '136 8888 9999',
      custom: { policy_no: 'P-9' },
    });
    expect(again.status).toBe(409);
    const bad = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/contacts`, {
      phone: 'call me',
      custom: { policy_no: 'P' },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { details: { verdict: { outcome: 'invalid' } } } } });
    const unknown = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/contacts`, {
      phone: '13688887777',
      custom: { colour: 'red' },
    });
    expect(unknown.status).toBe(400);
    const many = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/contacts/batch`, {
      contacts: Array.from({ length: 1001 }, (_, i) => ({ phone: `1370000${String(i).padStart(4, '0')}` })),
    });
    expect(many.status).toBe(400);
    expect(
      (await api(await h.login('agent01'), 'POST', `/projects/${DEMO_PROJECT}/contacts`, { phone: '13688886666' }))
        .status,
    ).toBe(403);
  });

  it('updates fields and tags (audited); an agent only the contact they are talking to', async () => {
    const project = (await h.platform.repos.projects.getByCode(orgId, DEMO_PROJECT))!;
    const c = (await h.platform.repos.contacts.list(orgId, { projectId: project.id, limit: 1, offset: 5 })).items[0]!;
    const r = await api(admin, 'PATCH', `/contacts/${c.id}`, {
      addTags: ['回访'],
      custom: { premium: 999 },
      externalId: 'CRM-X',
    });
    expect(r.body).toMatchObject({ externalId: 'CRM-X', custom: { premium: 999, policy_no: c.custom['policy_no'] } });
    expect(r.body['tags']).toContain('回访');
    expect((await api(admin, 'PATCH', `/contacts/${c.id}`, { custom: { premium: 'many' } })).status).toBe(400);
    const agent = await h.login('agent01');
    expect((await api(agent, 'PATCH', `/contacts/${c.id}`, { removeTags: ['回访'] })).status).toBe(404);
    const agentId = (await h.platform.repos.users.list(orgId, { role: 'agent', limit: 1, offset: 0 })).items[0]!.id;
    const attempt = await endedCall(h, c, agentId);
    const onCall = await api(agent, 'PATCH', `/contacts/${c.id}`, { removeTags: ['回访'], name: '新名字' });
    expect(onCall.status).toBe(200);
    expect(onCall.body).toMatchObject({ name: '新名字', masked: true });
    expect(onCall.body['tags']).not.toContain('回访');
    await api(agent, 'POST', `/attempts/${attempt}/disposition`, { code: 'wrong_number' });
    expect((await api(agent, 'PATCH', `/contacts/${c.id}`, { name: 'again' })).status).toBe(404); // the call is over
    const audit = JSON.stringify((await api(admin, 'GET', '/audit?action=contact.updated')).body);
    expect(audit).toContain('agent_on_call');
  });
});
