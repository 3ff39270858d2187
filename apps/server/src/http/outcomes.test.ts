import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import type { ContactRow } from '@outdial/engine';
import { defaultDispositions } from '@outdial/domain/projects';
import { DEMO_PROJECT } from '../demo.ts';
import { endedCall, harness, type Harness } from './testing/harness.ts';

/** Disposition codes with effects, a product catalogue and orders (落单), through the API. */
const CODES = [
  ...defaultDispositions(),
  {
    code: 'sold',
    labelZh: '成交',
    labelEn: 'Sold',
    success: true,
    closes: true,
    addsToDnc: false,
    requiresAnswers: true,
  },
  {
    code: 'callback_any',
    labelZh: '回拨(任何人)',
    labelEn: 'Call back (anyone)',
    success: false,
    closes: false,
    addsToDnc: false,
    callback: 'anyone',
  },
  {
    code: 'later',
    labelZh: '明天再打',
    labelEn: 'Try tomorrow',
    success: false,
    closes: false,
    addsToDnc: false,
    retryAfterMinutes: 1440,
  },
  {
    code: 'complaint',
    labelZh: '投诉升级',
    labelEn: 'Escalate',
    success: false,
    closes: false,
    addsToDnc: false,
    escalateTo: 'vip',
  },
];

describe.each(testDatabases())('disposition effects, products and orders on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let agent: string;
  let agentId: string;
  let contacts: ContactRow[];
  let next = 0;
  const fresh = () => contacts[next++]!;
  const api = async (token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) => {
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
  const contact = async (id: string) => (await api(admin, 'GET', `/contacts/${id}`)).body;

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    agent = await h.login('agent01');
    const org = (await h.platform.repos.users.firstOrganisation())!;
    agentId = (await h.platform.repos.users.list(org.id, { role: 'agent', limit: 1, offset: 0 })).items[0]!.id;
    const project = (await h.platform.repos.projects.getByCode(org.id, DEMO_PROJECT))!;
    contacts = (await h.platform.repos.contacts.list(org.id, { projectId: project.id, limit: 100, offset: 0 })).items;
  });
  afterAll(async () => h?.close());

  it('codes carry their effects; contradictory or dangling ones are refused', async () => {
    const bad = await api(admin, 'PATCH', `/projects/${DEMO_PROJECT}`, {
      dispositions: [
        { code: 'x', labelZh: 'x', labelEn: 'x', success: false, closes: true, addsToDnc: false, callback: 'agent' },
        {
          code: 'y',
          labelZh: 'y',
          labelEn: 'y',
          success: false,
          closes: false,
          addsToDnc: false,
          escalateTo: 'nobody',
        },
      ],
    });
    expect(bad.status).toBe(400);
    const dangling = await api(admin, 'PATCH', `/projects/${DEMO_PROJECT}`, {
      dispositions: [
        {
          code: 'y',
          labelZh: 'y',
          labelEn: 'y',
          success: false,
          closes: false,
          addsToDnc: false,
          escalateTo: 'nobody',
        },
      ],
    });
    expect(dangling.body.error!.details!['issues']).toEqual([
      { path: 'dispositions.0.escalateTo', message: 'no skill group "nobody"' },
    ]);
    const ok = await api(admin, 'PATCH', `/projects/${DEMO_PROJECT}`, { dispositions: CODES });
    expect(ok.status).toBe(200);
    expect(ok.body['dispositions']).toEqual(CODES);
  });

  it('a product catalogue per project', async () => {
    expect(
      (
        await api(admin, 'POST', `/projects/${DEMO_PROJECT}/products`, {
          sku: 'TJQX',
          name: '交强险',
          priceCents: 95_000,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api(admin, 'POST', `/projects/${DEMO_PROJECT}/products`, {
          sku: 'TSYX',
          name: '商业险',
          priceCents: 312_050,
        })
      ).status,
    ).toBe(201);
    expect(
      (await api(admin, 'POST', `/projects/${DEMO_PROJECT}/products`, { sku: 'TJQX', name: 'again', priceCents: 1 }))
        .status,
    ).toBe(409);
    expect(
      (await api(agent, 'POST', `/projects/${DEMO_PROJECT}/products`, { sku: 'Z', name: 'z', priceCents: 1 })).status,
    ).toBe(403);
    expect(
      (await api(admin, 'POST', `/projects/${DEMO_PROJECT}/products`, { sku: 'N', name: 'n', priceCents: -1 })).status,
    ).toBe(400);
    const list = await api(agent, 'GET', `/projects/${DEMO_PROJECT}/products`);
    expect((list.body['items'] as { sku: string }[]).map((p) => p.sku)).toEqual(
      expect.arrayContaining(['TJQX', 'TSYX']),
    );
  });

  it('a sale needs the questionnaire answered to its end, then records the order with the disposition', async () => {
    const q = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires`, {
      format: 'outdial.questionnaire/1',
      code: 'SALE',
      title: { zh: '销售' },
      questions: [
        {
          key: 'confirm',
          type: 'single',
          text: { zh: '确认购买？' },
          required: true,
          options: [{ value: 'yes', label: { zh: '是' } }],
        },
      ],
    });
    await api(admin, 'POST', `/questionnaires/${String(q.body['id'])}/publish`);
    await api(admin, 'POST', `/questionnaires/${String(q.body['id'])}/activate`); // the demo's RENEW was the project's
    const c = fresh();
    const a = await endedCall(h, c, agentId);
    const unanswered = await api(agent, 'POST', `/attempts/${a}/disposition`, {
      code: 'sold',
      order: { lines: [{ sku: 'TJQX', quantity: 1 }] },
    });
    expect(unanswered.status).toBe(400);
    expect(unanswered.body.error!.details).toMatchObject({
      reason: 'answers_required',
      errors: [{ question: 'confirm' }],
    });
    const badOrder = await api(agent, 'POST', `/attempts/${a}/disposition`, {
      code: 'sold',
      answers: { confirm: 'yes' },
      order: { lines: [{ sku: 'NOPE', quantity: 1 }] },
    });
    expect(badOrder.body.error!.details).toMatchObject({ field: 'order', problems: [{ line: 1 }] });
    const notSold = await api(agent, 'POST', `/attempts/${a}/disposition`, {
      code: 'later',
      order: { lines: [{ sku: 'TJQX', quantity: 1 }] },
    });
    expect(notSold.body.error!.details).toMatchObject({ field: 'order' });
    const sold = await api(agent, 'POST', `/attempts/${a}/disposition`, {
      code: 'sold',
      answers: { confirm: 'yes' },
      order: {
        lines: [
          { sku: 'TJQX', quantity: 1 },
          { sku: 'TSYX', quantity: 2 },
        ],
      },
    });
    expect(sold.status).toBe(201);
    expect(sold.body).toMatchObject({
      next: { kind: 'closed' },
      order: { amountCents: 95_000 + 2 * 312_050, currency: 'CNY' },
    });
    expect((await contact(c.id))['status']).toBe('closed');
    expect((await api(agent, 'GET', `/attempts/${a}`)).body).toMatchObject({
      order: { lines: [{ sku: 'TJQX' }, { sku: 'TSYX', quantity: 2 }] },
    });
    // A later price change does not touch the order; the value is there for reports.
    const products = (await api(admin, 'GET', `/projects/${DEMO_PROJECT}/products`)).body['items'] as {
      id: string;
      sku: string;
    }[];
    await api(admin, 'PATCH', `/products/${products.find((p) => p.sku === 'TJQX')!.id}`, { priceCents: 1 });
    expect((await api(admin, 'GET', `/orders?project=${DEMO_PROJECT}`)).body).toMatchObject({
      total: 1,
      amountCents: 95_000 + 2 * 312_050,
    });
    expect((await api(await h.login('agent02'), 'GET', '/orders')).body).toMatchObject({ total: 0 });
  });

  it("callbacks: the agent's own, or anyone's; missed ones are visible", async () => {
    const mine = fresh();
    const anyone = fresh();
    const a1 = await endedCall(h, mine, agentId);
    expect((await api(agent, 'POST', `/attempts/${a1}/disposition`, { code: 'callback' })).body.error!.details).toEqual(
      { field: 'callbackAt' },
    );
    const at = new Date(Date.now() + 3600_000).toISOString();
    expect(
      (await api(agent, 'POST', `/attempts/${a1}/disposition`, { code: 'callback', callbackAt: at })).body,
    ).toMatchObject({ next: { kind: 'callback' } });
    expect(await contact(mine.id)).toMatchObject({ status: 'callback', callbackOwner: agentId, callbackAt: at });
    const a2 = await endedCall(h, anyone, agentId);
    await api(agent, 'POST', `/attempts/${a2}/disposition`, { code: 'callback_any', callbackAt: at });
    expect(await contact(anyone.id)).toMatchObject({ status: 'callback', callbackOwner: null });
    // The agent sees the callback they own, masked; a supervisor sees both.
    const own = await api(agent, 'GET', '/callbacks');
    expect(own.body).toMatchObject({
      total: 1,
      items: [{ owner: agentId, missed: false, contact: { id: mine.id, masked: true } }],
    });
    expect((await api(await h.login('supervisor'), 'GET', `/callbacks?project=${DEMO_PROJECT}`)).body['total']).toBe(2);
    // An hour late and still not called: missed.
    await h.platform.repos.db.query(`UPDATE contacts SET callback_at = now() - interval '1 hour' WHERE id = $1`, [
      mine.id,
    ]);
    expect((await api(admin, 'GET', '/callbacks?missed=true')).body).toMatchObject({
      total: 1,
      items: [{ missed: true, owner: agentId }],
    });
  });

  it("retry after the code's own delay; escalation moves the task to the skill queue; do-not-call", async () => {
    const c1 = fresh();
    const a1 = await endedCall(h, c1, agentId);
    const later = await api(agent, 'POST', `/attempts/${a1}/disposition`, { code: 'later' });
    const retryAt = Date.parse((later.body['next'] as { at: string }).at);
    expect(retryAt).toBeGreaterThan(Date.now() + 1439 * 60_000);
    expect(retryAt).toBeLessThan(Date.now() + 1441 * 60_000);

    const c2 = fresh();
    const a2 = await endedCall(h, c2, agentId);
    expect((await api(agent, 'POST', `/attempts/${a2}/disposition`, { code: 'complaint' })).body).toMatchObject({
      escalatedTo: 'vip',
    });
    const tasks = (await api(admin, 'GET', `/tasks?project=${DEMO_PROJECT}&status=open&pageSize=500`)).body[
      'items'
    ] as {
      contactId: string;
      assigneeUserId: string | null;
      skillGroupId: string | null;
      priority: number;
    }[];
    const t = tasks.find((x) => x.contactId === c2.id)!;
    const vip = (
      await h.platform.repos.org.listSkillGroups((await h.platform.repos.users.firstOrganisation())!.id)
    ).find((g) => g.code === 'vip')!;
    expect(t).toMatchObject({ assigneeUserId: null, skillGroupId: vip.id, priority: 100 });
    const audit = await api(admin, 'GET', '/audit?action=dispositions.recorded');
    expect(JSON.stringify(audit.body)).toContain('"escalatedTo":"vip"');

    const c3 = fresh();
    const a3 = await endedCall(h, c3, agentId);
    expect((await api(agent, 'POST', `/attempts/${a3}/disposition`, { code: 'refused' })).body).toMatchObject({
      addedToDnc: true,
      next: { kind: 'closed' },
    });
  });
});
