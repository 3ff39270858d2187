import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import type { ContactRow } from '@outdial/engine';
import { DEMO_PROJECT } from '../demo.ts';
import { harness, type Harness } from './testing/harness.ts';

/** A branching questionnaire on the demo project: identity check from the bank, a tag condition, a field condition. */
const RENEWAL = {
  format: 'outdial.questionnaire/1',
  code: 'RENEW_T',
  title: { zh: '续保回访', en: 'Renewal' },
  start: 'id',
  questions: [
    { key: 'id', bank: 'ID_T', next: [{ if: { answer: 'id', eq: 'no' }, goto: 'end' }] },
    {
      key: 'intent',
      type: 'single',
      text: { zh: '您考虑续保吗？', en: 'Will you renew?' },
      required: true,
      options: [
        { value: 'yes', label: { zh: '是', en: 'Yes' } },
        { value: 'no', label: { zh: '否', en: 'No' } },
      ],
      next: [{ if: { answer: 'intent', eq: 'no' }, goto: 'why' }, { goto: 'vip' }],
    },
    { key: 'why', type: 'text', text: { zh: '原因？', en: 'Why not?' }, next: [{ goto: 'end' }] },
    {
      key: 'vip',
      type: 'script',
      text: { zh: '{name}，作为高价值客户您可享受九折。', en: '{name}, as a valued customer you get 10% off.' },
      showIf: { tag: '高价值' },
    },
    {
      key: 'premium_ok',
      type: 'rating',
      text: { zh: '对保费 {premium} 元满意吗？', en: 'Happy with the premium of {premium}?' },
      showIf: { field: 'premium', op: '>', value: 0 },
    },
  ],
};

const CYCLIC = {
  format: 'outdial.questionnaire/1',
  code: 'LOOP',
  title: { en: 'Loop' },
  questions: [
    { key: 'a', type: 'text', text: { en: 'A' } },
    {
      key: 'b',
      type: 'single',
      text: { en: 'B' },
      options: [
        { value: 'y', label: { en: 'y' } },
        { value: 'n', label: { en: 'n' } },
      ],
      next: [{ if: { answer: 'b', eq: 'n' }, goto: 'a' }],
    },
  ],
};

describe.each(testDatabases())('questionnaires through the API on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let agent: string;
  let agentId: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const api = async (token: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: auth(token),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return {
      status: res.statusCode,
      body: res.json<Record<string, unknown> & { error?: { code: string; details?: { errors?: unknown[] } } }>(),
    };
  };

  /** An ended call to `contact` that reached agent01 (what the dialer would have recorded). */
  const call = async (contact: ContactRow) => {
    const at = new Date();
    const s = h.platform.services.attempts;
    const id = await s.placed({
      orgId: (await h.platform.repos.users.firstOrganisation())!.id,
      projectId: contact.projectId,
      campaignId: null,
      contactId: contact.id,
      phone: contact.phone,
      callerId: null,
      dialMode: 'manual',
      placedAt: new Date(at.getTime() - 60_000),
    });
    await s.progress(id, {
      answeredAt: new Date(at.getTime() - 50_000),
      connectedAt: new Date(at.getTime() - 49_000),
      agentUserId: agentId,
    });
    await s.ended(id, {
      outcome: 'person',
      endedAt: at,
      answeredAt: new Date(at.getTime() - 50_000),
      connectedAt: new Date(at.getTime() - 49_000),
      agentUserId: agentId,
      hangupSide: 'customer',
      sipCause: 16,
      amdResult: null,
      abandoned: false,
    });
    return id;
  };

  let vip: ContactRow;
  let plain: ContactRow;

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    agent = await h.login('agent01');
    const org = (await h.platform.repos.users.firstOrganisation())!;
    agentId = (await h.platform.repos.users.list(org.id, { role: 'agent', limit: 1, offset: 0 })).items[0]!.id;
    const project = (await h.platform.repos.projects.getByCode(org.id, DEMO_PROJECT))!;
    const all = (await h.platform.repos.contacts.list(org.id, { projectId: project.id, limit: 1000, offset: 0 })).items;
    vip = all.find((c) => c.tags.includes('高价值') && typeof c.custom['premium'] === 'number')!;
    plain = all.find((c) => !c.tags.includes('高价值') && typeof c.custom['premium'] === 'number')!;
  });
  afterAll(async () => h?.close());

  it('the bank holds reusable questions; a bad one is refused', async () => {
    const created = await api(admin, 'POST', '/question-bank', {
      code: 'ID_T',
      category: '核身',
      type: 'single',
      text: { zh: '请问您是{name}本人吗？', en: 'Am I speaking to {name}?' },
      options: [
        { value: 'yes', label: { zh: '是', en: 'Yes' } },
        { value: 'no', label: { zh: '否', en: 'No' } },
      ],
      required: true,
    });
    expect(created.status).toBe(201);
    expect((await api(admin, 'POST', '/question-bank', { code: 'ID_T', type: 'text', text: { en: 'x' } })).status).toBe(
      409,
    );
    const bad = await api(admin, 'POST', '/question-bank', { code: 'BAD', type: 'single', text: { en: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.details!.errors).toEqual([expect.objectContaining({ code: 'missing_options' })]);
    expect((await api(agent, 'POST', '/question-bank', { code: 'X', type: 'text', text: { en: 'x' } })).status).toBe(
      403,
    );
    const bank = (await api(agent, 'GET', '/question-bank?category=核身')).body['items'] as {
      code: string;
      category: string;
    }[];
    expect(bank.map((b) => b.code).sort()).toEqual(['ID_CHECK', 'ID_T']); // the demo's and this test's
    expect(bank.every((b) => b.category === '核身')).toBe(true);
  });

  it('check refuses a cyclic questionnaire naming the question; publish refuses it too', async () => {
    const check = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires/check`, CYCLIC);
    expect(check).toEqual({
      status: 200,
      body: {
        valid: false,
        errors: [{ question: 'a', code: 'cycle', message: expect.stringContaining('a → b → a') as string }],
      },
    });
    const imported = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires`, CYCLIC);
    expect(imported.status).toBe(201);
    expect(imported.body['check']).toMatchObject({ valid: false });
    const pub = await api(admin, 'POST', `/questionnaires/${String(imported.body['id'])}/publish`);
    expect(pub.status).toBe(400);
    expect(pub.body.error!.details!.errors).toEqual([expect.objectContaining({ question: 'a', code: 'cycle' })]);
    // Not even the format's shape: refused at import, naming the question.
    const shapeless = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires`, {
      ...CYCLIC,
      questions: [{ key: 'a', type: 'essay', text: { en: 'A' } }],
    });
    expect(shapeless.status).toBe(400);
    expect(shapeless.body.error!.details!.errors).toEqual([
      expect.objectContaining({ question: 'a', code: 'invalid_document' }),
    ]);
    // An unknown field is known only against the project: check names it.
    const unknownField = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires/check`, {
      ...RENEWAL,
      questions: [
        ...RENEWAL.questions.slice(0, 4),
        { ...RENEWAL.questions[4], showIf: { field: 'age', op: '>', value: 1 } },
      ],
    });
    expect(unknownField.body).toMatchObject({
      valid: false,
      errors: [{ question: 'premium_ok', code: 'unknown_field' }],
    });
  });

  let qid = '';
  it("publishes a branching questionnaire as immutable version 1; activated, it becomes the project's", async () => {
    const imported = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires`, RENEWAL);
    expect(imported.status).toBe(201);
    expect(imported.body['check']).toEqual({ valid: true, errors: [] });
    qid = String(imported.body['id']);
    const pub = await api(admin, 'POST', `/questionnaires/${qid}/publish`);
    // The demo project's own questionnaire is its active one: a newly published one does not displace it…
    expect(pub).toMatchObject({ status: 201, body: { version: 1, active: false } });
    // …until it is activated.
    expect((await api(admin, 'POST', `/questionnaires/${qid}/activate`)).body).toMatchObject({ active: true });
    // The version is a complete copy: the bank question is filled in, and a later bank edit does not reach it.
    await api(admin, 'PUT', '/question-bank/ID_T', {
      category: '核身',
      type: 'single',
      text: { zh: '改了' },
      options: [
        { value: 'yes', label: { zh: '是' } },
        { value: 'no', label: { zh: '否' } },
      ],
    });
    const v1 = await api(admin, 'GET', `/questionnaires/${qid}/versions/1`);
    expect((v1.body['document'] as { questions: unknown[] }).questions[0]).toMatchObject({
      key: 'id',
      type: 'single',
      text: { zh: '请问您是{name}本人吗？' },
      category: '核身',
    });
    const exported = await api(admin, 'GET', `/questionnaires/${qid}/document?version=1`);
    expect(exported.body).toMatchObject({ format: 'outdial.questionnaire/1', code: 'RENEW_T' });
    const draft = await api(admin, 'GET', `/questionnaires/${qid}/document`);
    expect(draft.body).toEqual(RENEWAL);
    // The table refuses any change to a published version.
    await expect(h.platform.repos.db.query('UPDATE questionnaire_versions SET version = 9')).rejects.toThrow(
      /immutable/,
    );
    expect((await api(agent, 'GET', `/projects/${DEMO_PROJECT}/questionnaires`)).body).toMatchObject({
      items: [
        { code: 'LOOP', active: false },
        { code: 'RENEW', active: false, latestVersion: 1 },
        { code: 'RENEW_T', active: true, latestVersion: 1 },
      ],
    });
  });

  it('runs it for two contacts with different tags: different paths; answers validated and stored per call', async () => {
    const a1 = await call(vip);
    const a2 = await call(plain);
    const s1 = await api(agent, 'GET', `/attempts/${a1}/script`);
    expect(s1.body).toMatchObject({
      questionnaire: { code: 'RENEW_T', version: 1 },
      next: { key: 'id', text: { zh: `请问您是${vip.name}本人吗？` } },
      path: [],
      ended: false,
    });
    const vipAnswers = await api(agent, 'PUT', `/attempts/${a1}/answers`, { answers: { id: 'yes', intent: 'yes' } });
    expect(vipAnswers.body).toMatchObject({
      path: ['id', 'intent', 'vip'],
      next: { key: 'premium_ok', text: { zh: `对保费 ${String(vip.custom['premium'])} 元满意吗？` } },
      scripts: [{ key: 'vip', text: { zh: `${vip.name}，作为高价值客户您可享受九折。` } }],
      complete: true, // the rating is optional
    });
    const plainAnswers = await api(agent, 'PUT', `/attempts/${a2}/answers`, { answers: { id: 'yes', intent: 'yes' } });
    expect(plainAnswers.body).toMatchObject({ path: ['id', 'intent'], next: { key: 'premium_ok' }, scripts: [] });
    // Wrong answers are refused, each naming its question; an answer off the path too.
    const wrong = await api(agent, 'PUT', `/attempts/${a2}/answers`, {
      answers: { id: 'perhaps', intent: 'no', premium_ok: 9 },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error!.details!.errors).toEqual([
      expect.objectContaining({ question: 'id', code: 'invalid_answer' }),
      expect.objectContaining({ question: 'premium_ok', code: 'invalid_answer' }),
    ]);
    const offPath = await api(agent, 'PUT', `/attempts/${a2}/answers`, {
      answers: { id: 'yes', intent: 'no', premium_ok: 4 },
    });
    expect(offPath.body.error!.details!.errors).toEqual([
      expect.objectContaining({ question: 'premium_ok', code: 'not_on_path' }),
    ]);
    // The disposition brings the final answers; GET /attempts/{id} returns them with their version.
    const d = await api(agent, 'POST', `/attempts/${a1}/disposition`, {
      code: 'renewed',
      answers: { id: 'yes', intent: 'yes', premium_ok: 5 },
    });
    expect(d.status).toBe(201);
    const got = await api(agent, 'GET', `/attempts/${a1}`);
    expect(got.body['answers']).toMatchObject({
      code: 'RENEW_T',
      version: 1,
      values: { id: 'yes', intent: 'yes', premium_ok: 5 },
      complete: true,
    });
    expect(got.body['disposition']).toMatchObject({ code: 'renewed' });
    // Another agent does not see the call; another organisation's id is as unknown.
    const other = await h.login('agent02');
    expect((await api(other, 'GET', `/attempts/${a1}/script`)).status).toBe(404);
  });

  it('a call keeps its version; later calls take the newer one; old answers stay readable', async () => {
    const a = await call(plain);
    await api(agent, 'PUT', `/attempts/${a}/answers`, { answers: { id: 'no' } });
    const v2doc = {
      ...RENEWAL,
      questions: RENEWAL.questions.map((q) => (q.key === 'why' ? { ...q, text: { zh: '为什么？', en: 'Why?' } } : q)),
    };
    await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires`, v2doc);
    expect((await api(admin, 'POST', `/questionnaires/${qid}/publish`)).body).toMatchObject({ version: 2 });
    expect((await api(agent, 'GET', `/attempts/${a}/script`)).body).toMatchObject({
      questionnaire: { version: 1 },
      ended: true,
    });
    const b = await call(plain);
    expect((await api(agent, 'GET', `/attempts/${b}/script`)).body).toMatchObject({ questionnaire: { version: 2 } });
    expect((await api(agent, 'GET', `/attempts/${a}`)).body['answers']).toMatchObject({
      version: 1,
      values: { id: 'no' },
    });
  });

  it('knowledge prompts: keyword rules matched against a transcript line', async () => {
    const rules = [
      {
        keywords: ['退款', 'refund'],
        title: { zh: '退款政策', en: 'Refund policy' },
        body: { zh: '七天无理由退款；可提供九折挽留。' },
      },
    ];
    expect((await api(agent, 'PUT', `/projects/${DEMO_PROJECT}/knowledge`, { rules })).status).toBe(403);
    expect((await api(admin, 'PUT', `/projects/${DEMO_PROJECT}/knowledge`, { rules })).body).toEqual({ rules });
    const a = await call(vip);
    const events: unknown[] = [];
    const stop = h.platform.services.events.subscribe((e) => events.push(e));
    expect((await api(agent, 'POST', `/attempts/${a}/transcript`, { text: '我想要退款可以吗' })).body).toMatchObject({
      matched: [{ title: { zh: '退款政策' } }],
      pushed: true,
    });
    expect((await api(agent, 'POST', `/attempts/${a}/transcript`, { text: 'REFUND please' })).body).toMatchObject({
      pushed: false,
    });
    stop();
    expect(events).toEqual([expect.objectContaining({ type: 'KnowledgeMatched', attemptId: a, agentId })]);
  });

  it('refuses text PostgreSQL cannot store, and unknown properties in requests', async () => {
    const nul = await api(admin, 'POST', `/projects/${DEMO_PROJECT}/questionnaires`, {
      ...RENEWAL,
      title: { en: 'a\u0000b' },
    });
    expect(nul.status).toBe(400);
    expect((await api(admin, 'PUT', `/projects/${DEMO_PROJECT}/knowledge`, { rules: [], extra: 1 })).status).toBe(400);
    expect((await api(admin, 'GET', `/questionnaires/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });
});
