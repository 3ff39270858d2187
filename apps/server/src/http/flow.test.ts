import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { DEMO_PROJECT } from '../demo.ts';
import { harness, multipart, type Harness } from './testing/harness.ts';

interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}
interface Contact {
  id: string;
  phone: string;
  phones: string[];
  masked: boolean;
  name: string | null;
  custom: Record<string, unknown>;
}
interface Import {
  id: string;
  status: string;
  imported: number;
  duplicateInFile: number;
  duplicateExisting: number;
  dnc: number;
  invalid: number;
  rowsRead: number;
  progress: number;
  error: { code: string; message: string } | null;
}
interface Reject {
  rowNumber: number;
  outcome: string;
  code: string | null;
  message: string | null;
  raw: Record<string, string> | null;
}

async function waitForImport(h: Harness, token: string, id: string): Promise<Import> {
  for (let i = 0; i < 600; i++) {
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const imp = res.json<Import>();
    if (imp.status === 'completed' || imp.status === 'failed') return imp;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('import did not finish');
}

describe.each(testDatabases())("the new user's walk through the API on $name", (engine) => {
  let h: Harness;
  let admin: string;
  let agent: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    agent = await h.login('agent01');
  });
  afterAll(async () => h?.close());

  it('answers health and serves OpenAPI', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    const spec = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/projects',
        '/api/v1/projects/{code}/imports',
        '/api/v1/imports/{id}/rejects',
      ]),
    );
    expect((await h.app.inject({ method: 'GET', url: '/api/docs' })).statusCode).toBeLessThan(400);
  });

  it('refuses bad logins and requests without a session, with the error shape', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'wrong-password' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual({ error: { code: 'invalid_credentials', message: expect.any(String) } });
    const anon = await h.app.inject({ method: 'GET', url: '/api/v1/projects' });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('unauthenticated');
    const badBody = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin' } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().error.code).toBe('validation_failed');
  });

  it('creates a project with two custom fields; bad configuration gets every problem listed', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: auth(admin),
      payload: {
        code: 'BAD',
        name: 'x',
        rules: {
          closing: { maxAttempts: 3, windowDays: 10, closeOnSuccess: true },
          callingWindows: { '1': [{ start: '21:00', end: '09:00' }] },
          holidays: [],
          retryDelaysMinutes: { busy: 1, noAnswer: 1, machine: 1, abandoned: 1, failed: 1 },
          dailyNumberCap: 1,
          maxAbandonRate: 0.03,
        },
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues[0].path).toBe('rules.callingWindows.1.0');

    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: auth(admin),
      payload: {
        code: 'GBK-TEST',
        name: '测试专案',
        fields: [
          { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
          { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
        ],
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().fields).toHaveLength(2);
    expect(res.json().rules.closing).toEqual({ maxAttempts: 3, windowDays: 10, closeOnSuccess: true });
    const dup = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: auth(admin),
      payload: { code: 'GBK-TEST', name: 'again' },
    });
    expect(dup.statusCode).toBe(409);
    const asAgent = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: auth(agent),
      payload: { code: 'NOPE', name: 'x' },
    });
    expect(asAgent.statusCode).toBe(403);
  });

  it('imports a messy GBK CSV and says exactly why each rejected row was rejected', async () => {
    const dnc = await h.app.inject({
      method: 'POST',
      url: '/api/v1/dnc/entries',
      headers: auth(admin),
      payload: { phones: ['13900001111', 'not-a-number'], reason: '投诉' },
    });
    expect(dnc.json()).toMatchObject({ added: 1, rejected: [{ input: 'not-a-number' }] });

    const first = multipart({ name: 'first.csv', content: Buffer.from('手机号,保单号\n13700002222,P0\n') });
    const r1 = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects/GBK-TEST/imports',
      headers: { ...auth(admin), ...first.headers },
      payload: first.payload,
    });
    expect(r1.statusCode).toBe(202);
    expect((await waitForImport(h, admin, r1.json().id)).imported).toBe(1);

    const csv = [
      '姓名,手机号码,保单号,保费',
      '张三,138 1234 5678,P001,1200',
      '李四,+86 139-1234-5678,P002,"1,500.50"',
      '王五,1381234567,P003,900',
      '赵六,0086-138-1234-5678,P004,800',
      '孙八,13812340000,,100',
      '周九,139 0000 1111,P007,100',
      '吴十,137-0000-2222,P008,100',
      '"郑,十一",１３６１２３４５６７８,P009,abc',
    ].join('\r\n');
    const up = multipart({ name: '名单.csv', content: iconv.encode(csv, 'gbk') });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects/GBK-TEST/imports',
      headers: { ...auth(admin), ...up.headers },
      payload: up.payload,
    });
    expect(res.statusCode).toBe(202);
    const imp = await waitForImport(h, admin, res.json().id);
    expect(imp).toMatchObject({
      status: 'completed',
      rowsRead: 8,
      imported: 2,
      duplicateInFile: 1,
      duplicateExisting: 1,
      dnc: 1,
      invalid: 3,
      progress: 1,
    });

    const rej = (
      await h.app.inject({ method: 'GET', url: `/api/v1/imports/${imp.id}/rejects`, headers: auth(admin) })
    ).json<Page<Reject>>();
    const byRow = Object.fromEntries(rej.items.map((r) => [r.rowNumber, r]));
    expect(Object.keys(byRow).map(Number)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(byRow[4]).toMatchObject({ outcome: 'invalid', code: expect.stringMatching(/^phone_/) });
    expect(byRow[4]!.raw).toMatchObject({ 姓名: '王五', 手机号码: '1381234567' });
    expect(byRow[5]).toMatchObject({ outcome: 'duplicate_in_file', message: expect.stringContaining('row 2') });
    expect(byRow[6]).toMatchObject({ outcome: 'invalid' });
    expect(byRow[6]!.message).toMatch(/policy_no|保单号/);
    expect(byRow[7]).toMatchObject({ outcome: 'dnc', message: expect.stringContaining('投诉') });
    expect(byRow[8]).toMatchObject({ outcome: 'duplicate_existing' });
    expect(byRow[9]).toMatchObject({ outcome: 'invalid' });
    expect(byRow[9]!.message).toMatch(/premium|保费/);

    const file = await h.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${imp.id}/rejects.csv`,
      headers: auth(admin),
    });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('text/csv');
    const lines = file.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^row,outcome,code,reason,/);
    expect(lines[1]).toContain('王五');

    const contacts = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/projects/GBK-TEST/contacts?importId=${imp.id}`,
        headers: auth(admin),
      })
    ).json<Page<Contact>>();
    expect(contacts.items.map((c) => c.phone).sort()).toEqual(['+8613812345678', '+8613912345678']);
    expect(contacts.items.find((c) => c.phone === '+8613912345678')!.custom).toMatchObject({
      policy_no: 'P002',
      premium: 1500.5,
    });
  });

  it('a file that cannot be imported fails as a whole with a reason, and nothing is imported', async () => {
    const up = multipart({ name: 'nophone.csv', content: Buffer.from('姓名,备注\n张三,x\n') });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/projects/GBK-TEST/imports',
      headers: { ...auth(admin), ...up.headers },
      payload: up.payload,
    });
    const imp = await waitForImport(h, admin, res.json().id);
    expect(imp.status).toBe('failed');
    expect(imp.error!.message.length).toBeGreaterThan(5);
    expect(imp.imported).toBe(0);
  });

  it('shows agents only their own contacts, masked; admins see full numbers and that is audited', async () => {
    const mine = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/projects/${DEMO_PROJECT}/contacts?pageSize=500`,
        headers: auth(agent),
      })
    ).json<Page<Contact>>();
    expect(mine.total).toBe(10); // an agent's own list: 200 demo contacts split evenly over 20 agents (the rest is queued)
    for (const c of mine.items) {
      expect(c.masked).toBe(true);
      expect(c.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
    }
    const all = (
      await h.app.inject({ method: 'GET', url: `/api/v1/projects/${DEMO_PROJECT}/contacts`, headers: auth(admin) })
    ).json<Page<Contact>>();
    expect(all.total).toBe(1000);
    expect(all.items[0]!.phone).toMatch(/^\+861\d{10}$/);

    const someoneElses = all.items.find((c) => !mine.items.some((m) => m.id === c.id))!;
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/v1/contacts/${someoneElses.id}`, headers: auth(agent) }))
        .statusCode,
    ).toBe(404);

    const audit = (
      await h.app.inject({ method: 'GET', url: '/api/v1/audit?action=contacts.unmasked_view', headers: auth(admin) })
    ).json<Page<{ actorUsername: string }>>();
    expect(audit.total).toBeGreaterThan(0);
    expect(audit.items[0]!.actorUsername).toBe('admin');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/audit', headers: auth(agent) })).statusCode).toBe(403);
  });

  it('exports contacts as CSV for admins only, and audits it', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/v1/projects/${DEMO_PROJECT}/contacts.csv`,
      headers: auth(admin),
    });
    expect(res.statusCode).toBe(200);
    const lines = res.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toContain('保单号');
    expect(lines[1]).toMatch(/,\+861\d{10},/);
    expect(
      (
        await h.app.inject({
          method: 'GET',
          url: `/api/v1/projects/${DEMO_PROJECT}/contacts.csv`,
          headers: auth(agent),
        })
      ).statusCode,
    ).toBe(403);
    const audit = (
      await h.app.inject({ method: 'GET', url: '/api/v1/audit?action=contacts.exported', headers: auth(admin) })
    ).json<Page<{ details: { rows: number } }>>();
    expect(audit.items[0]!.details.rows).toBe(1000);
  });

  it('sessions can be revoked', async () => {
    const t = await h.login('qa');
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth(t) })).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth(t) })).statusCode).toBe(401);
  });

  it('never shows another organisation anything', async () => {
    const { platform } = h;
    const otherOrg = await platform.repos.users.createOrganisation('Other');
    await platform.services.users.create(null, otherOrg, {
      username: 'other-admin',
      role: 'admin',
      password: 'other-pass-1',
    });
    const other = await h.login('other-admin', 'other-pass-1');
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/projects', headers: auth(other) });
    expect(list.json().total).toBe(0);
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/v1/projects/${DEMO_PROJECT}/contacts`, headers: auth(other) }))
        .statusCode,
    ).toBe(404);
    const anyContact = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/projects/${DEMO_PROJECT}/contacts?pageSize=1`,
        headers: auth(admin),
      })
    ).json<Page<Contact>>();
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/v1/contacts/${anyContact.items[0]!.id}`, headers: auth(other) }))
        .statusCode,
    ).toBe(404);
  });
});

describe('login rate limit', () => {
  it('answers 429 after too many attempts', async () => {
    const [engine] = testDatabases();
    const h = await harness(engine!, { OUTDIAL_LOGIN_RATE_LIMIT: '3' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        codes.push(
          (
            await h.app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              payload: { username: 'admin', password: 'nope-nope' },
            })
          ).statusCode,
        );
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await h.close();
    }
  });
});
