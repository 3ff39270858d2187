import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { DEMO_CAMPAIGN, DEMO_PROJECT } from '../demo.ts';
import { consolePrincipal } from '../console-principal.ts';
import { endedCall, harness, multipart, type Harness } from './testing/harness.ts';

/** The endpoints the web app needed: the import wizard's preview, a contact's history, a campaign's series. */
describe.each(testDatabases())('web app endpoints on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let agent: string;
  const get = async (token: string, url: string) =>
    h.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    agent = await h.login('agent01');
  }, 120_000);
  afterAll(async () => h?.close());

  const gbk = iconv.encode(
    '姓名,手机号,标签,保单号\n张三,138 1234 5678,vip,P1\n李四,12345,,P2\n王五,+86 13812345678,,P3\n',
    'gbk',
  );
  const preview = (token: string, query = '', fields: Record<string, string> = {}) => {
    const form = multipart({ name: '名单.csv', content: gbk }, fields);
    return h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports/preview${query}`,
      headers: { authorization: `Bearer ${token}`, ...form.headers },
      payload: form.payload,
    });
  };

  it('previews a GBK CSV: header, suggested mapping, each first row verdict; nothing kept', async () => {
    const before = (await get(admin, `/projects/${DEMO_PROJECT}/imports`)).json<{ total: number }>().total;
    const r = await preview(admin);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{
      format: string;
      encoding: string;
      columns: string[];
      mapping: Record<string, string>;
      fields: { key: string; custom: boolean }[];
      rows: { rowNumber: number; outcome: string; code: string | null; name: string | null; phone: string | null }[];
    }>();
    expect(body.format).toBe('csv');
    expect(body.encoding).toBe('gb18030');
    expect(body.columns).toEqual(['姓名', '手机号', '标签', '保单号']);
    expect(body.mapping).toMatchObject({ name: '姓名', phone: '手机号', tags: '标签' });
    expect(body.fields.some((f) => f.key === 'phone' && !f.custom)).toBe(true);
    expect(body.rows.map((x) => [x.rowNumber, x.outcome])).toEqual([
      [2, 'ok'],
      [3, 'invalid'],
      [4, 'duplicate_in_file'],
    ]);
    expect(body.rows[0]).toMatchObject({ name: '张三', phone: '+8613812345678' });
    expect(body.rows[1]!.code).toMatch(/^phone_/);
    expect((await get(admin, `/projects/${DEMO_PROJECT}/imports`)).json<{ total: number }>().total).toBe(before);
    const left = await readdir(join(h.config.dataDir, 'uploads')).catch(() => []);
    expect(left).toEqual([]);
  });

  it('takes an explicit mapping and a row limit; a mapping to a missing column is a 400', async () => {
    const one = await preview(admin, '?rows=1', { mapping: JSON.stringify({ phone: '手机号', policy_no: '保单号' }) });
    expect(one.json<{ rows: unknown[] }>().rows).toHaveLength(1);
    const bad = await preview(admin, '', { mapping: JSON.stringify({ phone: '电话' }) });
    expect(bad.statusCode).toBe(400);
  });

  it('refuses roles that may not import (they see masked numbers)', async () => {
    expect((await preview(agent)).statusCode).toBe(403);
    expect((await preview(await h.login('qa'))).statusCode).toBe(403);
  });

  it("gives a contact's attempts and dispositions newest first; agents only for their own calls", async () => {
    const { repos, services } = h.platform;
    const adminP = await consolePrincipal(repos, 'admin');
    const agentP = await consolePrincipal(repos, 'agent01');
    const project = (await repos.projects.getByCode(adminP.orgId, DEMO_PROJECT))!;
    const [c, other] = (await repos.contacts.list(adminP.orgId, { projectId: project.id, limit: 2, offset: 700 }))
      .items;
    const first = await endedCall(h, c!, agentP.userId, new Date(Date.now() - 3_600_000));
    await services.dispositions.record(agentP, first, { code: 'wrong_number', notes: '不需要' });
    const second = await endedCall(h, c!, agentP.userId);
    const r = await get(agent, `/contacts/${c!.id}/history`);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ attempts: { id: string }[]; dispositions: { code: string; notes: string }[] }>();
    expect(body.attempts.map((a) => a.id)).toEqual([second, first]);
    expect(body.dispositions).toMatchObject([{ code: 'wrong_number', notes: '不需要', attemptId: first }]);
    expect((await get(admin, `/contacts/${c!.id}/history`)).statusCode).toBe(200);
    // A contact not assigned to agent01 and never routed to them: not found.
    const own = await repos.tasks.list(adminP.orgId, {
      status: 'open',
      assigneeUserId: agentP.userId,
      limit: 1000,
      offset: 0,
    });
    const mine = new Set(own.items.map((t) => t.contactId));
    const some = (await repos.contacts.list(adminP.orgId, { projectId: project.id, limit: 50, offset: 710 })).items;
    const stranger = some.find((x) => !mine.has(x.id) && x.id !== other!.id)!;
    expect((await get(agent, `/contacts/${stranger.id}/history`)).statusCode).toBe(404);
  });

  it("gives a campaign's recent dials, answers and abandons by minute, oldest first", async () => {
    const { repos, services } = h.platform;
    const adminP = await consolePrincipal(repos, 'admin');
    const campaigns = (await get(admin, '/campaigns')).json<{ items: { id: string; name: string }[] }>().items;
    const campaign = campaigns.find((x) => x.name === DEMO_CAMPAIGN)!;
    const project = (await repos.projects.getByCode(adminP.orgId, DEMO_PROJECT))!;
    const [c] = (await repos.contacts.list(adminP.orgId, { projectId: project.id, limit: 1, offset: 800 })).items;
    for (const ago of [90, 30])
      await services.attempts.placed({
        orgId: adminP.orgId,
        projectId: project.id,
        campaignId: campaign.id,
        contactId: c!.id,
        phone: c!.phone,
        callerId: null,
        dialMode: 'predictive',
        placedAt: new Date(Date.now() - ago * 60_000),
      });
    const r = await get(admin, `/campaigns/${campaign.id}/series?hours=2`);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ unit: string; buckets: { start: string; dials: number }[] }>();
    expect(body.unit).toBe('minute');
    expect(body.buckets.reduce((n, b) => n + b.dials, 0)).toBe(2);
    expect(body.buckets.map((b) => b.start)).toEqual([...body.buckets.map((b) => b.start)].sort());
    expect((await get(admin, `/campaigns/${campaign.id}/series?hours=24`)).json<{ unit: string }>().unit).toBe('hour');
    expect((await get(agent, `/campaigns/${campaign.id}/series`)).statusCode).toBe(403);
  });
});
