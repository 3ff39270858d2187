import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { DEMO_PROJECT } from '../demo.ts';
import { harness, multipart, waitForImport, type Harness } from './testing/harness.ts';

/**
 * Regression tests for what an attack on the API found (each fails on the code before the fix):
 * a crash on upload, changes without audit rows, unmasking by search, files left behind, 500s on
 * hostile input, formula injection, masking gaps, cross-organisation leaks, weak passwords and a
 * login limit that counted successes.
 */
describe.each(testDatabases())('the API under attack, on $name', (engine) => {
  let h: Harness;
  let admin: string;
  let agent: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const uploads = () => {
    try {
      return readdirSync(join(h.config.dataDir, 'uploads'));
    } catch {
      return [];
    }
  };
  const api = async (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    token: string,
    payload?: unknown,
  ) => {
    const res = await h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: auth(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json<Record<string, unknown>>() : {} };
  };
  const auditCount = async (action: string) =>
    (await api('GET', `/audit?action=${encodeURIComponent(action)}&pageSize=1`, admin)).body['total'] as number;

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
    agent = await h.login('agent01');
  }, 120_000);
  afterAll(async () => h?.close());

  it('refuses an upload it cannot read before reading it, and keeps no file (1, 5)', async () => {
    for (const name of ['list.exe', 'list.xls', 'list.numbers']) {
      const raw = await h.app.inject({
        method: 'POST',
        url: `/api/v1/projects/${DEMO_PROJECT}/imports?filename=${name}`,
        headers: { ...auth(admin), 'content-type': 'text/csv' },
        payload: '手机号\n13800138000\n',
      });
      expect(raw.statusCode).toBe(422);
      expect(raw.json()).toMatchObject({ error: { code: 'import_file_invalid' } });
      const form = multipart({ name, content: Buffer.from('手机号\n13800138000\n') });
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
        headers: { ...auth(admin), ...form.headers },
        payload: form.payload,
      });
      expect(res.statusCode).toBe(422);
    }
    // Refused for the role or the project: answered before the body is read, nothing spooled.
    const form = multipart({ name: 'ok.csv', content: Buffer.from('手机号\n13800138000\n') });
    const asAgent = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(agent), ...form.headers },
      payload: form.payload,
    });
    expect(asAgent.statusCode).toBe(403);
    const noProject = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/NOPE/imports?filename=a.csv`,
      headers: { ...auth(admin), 'content-type': 'text/csv' },
      payload: '手机号\n13800138000\n',
    });
    expect(noProject.statusCode).toBe(404);
    // A broken multipart body and one without a boundary are the client's fault.
    const truncated = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(admin), ...form.headers },
      payload: form.payload.subarray(0, form.payload.length - 30),
    });
    expect(truncated.statusCode).toBeGreaterThanOrEqual(400);
    expect(truncated.statusCode).toBeLessThan(500);
    const noBoundary = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(admin), 'content-type': 'multipart/form-data' },
      payload: form.payload,
    });
    expect(noBoundary.statusCode).toBeGreaterThanOrEqual(400);
    expect(noBoundary.statusCode).toBeLessThan(500);
    expect(noBoundary.json()).toHaveProperty('error.code');
    await Promise.allSettled([...h.background]);
    expect(uploads()).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('refuses text PostgreSQL cannot store before writing anything, and a change never lacks its audit row (2, 6)', async () => {
    const users = (await api('GET', '/users?role=agent&pageSize=1', admin)).body['items'] as { id: string }[];
    const id = users[0]!.id;
    const before = await auditCount('user.updated');
    for (const displayName of ['\ud800', 'a\u0000b', '\udfff tail']) {
      const r = await api('PATCH', `/users/${id}`, admin, { role: 'admin', displayName });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'validation_failed', details: { reason: 'unstorable_text' } } });
    }
    expect((await api('GET', '/users?role=admin', admin)).body['total']).toBe(1);
    expect(await auditCount('user.updated')).toBe(before);
    const c = await api('POST', '/campaigns', admin, { project: DEMO_PROJECT, name: 'x\u0000y' });
    expect(c.status).toBe(400);

    // An audit row that cannot be written takes its change with it.
    const { db } = h.platform;
    await db.exec(
      `ALTER TABLE audit_log ADD CONSTRAINT test_refuse_user_updated CHECK (action <> 'user.updated') NOT VALID`,
    );
    try {
      const r = await api('PATCH', `/users/${id}`, admin, { role: 'admin' });
      expect(r.status).toBe(500);
    } finally {
      await db.exec('ALTER TABLE audit_log DROP CONSTRAINT test_refuse_user_updated');
    }
    expect((await api('GET', '/users?role=admin', admin)).body['total']).toBe(1);
  });

  it('lets a masked role search by a complete number only; partial number search is for unmasking roles, audited (3)', async () => {
    const page = (await api('GET', `/projects/${DEMO_PROJECT}/contacts?pageSize=1`, agent)).body;
    const mine = (page['items'] as { id: string }[])[0]!;
    const full = (await api('GET', `/contacts/${mine.id}`, admin)).body['phone'] as string;
    const last4 = full.slice(-4);
    for (let d = 0; d <= 9; d++) {
      const r = await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=${d}${last4}`, agent);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { details: { reason: 'partial_number_search_not_allowed' } } });
    }
    const qa = await h.login('qa');
    expect((await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=${last4}`, qa)).status).toBe(400);
    const exact = await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=${encodeURIComponent(full)}`, agent);
    expect(exact.status).toBe(200);
    expect((exact.body['items'] as { id: string; masked: boolean }[]).map((c) => [c.id, c.masked])).toContainEqual([
      mine.id,
      true,
    ]);
    const searches = await auditCount('contacts.number_search');
    const partial = await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=${last4}`, admin);
    expect(partial.status).toBe(200);
    expect(await auditCount('contacts.number_search')).toBe(searches + 1);
  });

  it('neutralises formulas in every CSV export without changing the stored value (7)', async () => {
    const csv = '手机号,姓名,保单号\n13911112222,=1+1,P1\nnot-a-number,=HYPERLINK("x"),P2\n13911113333,+SUM(1+1),P3\n';
    const up = multipart({ name: 'formulas.csv', content: Buffer.from(csv) });
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(admin), ...up.headers },
      payload: up.payload,
    });
    expect(res.statusCode).toBe(202);
    const imp = await waitForImport(h, admin, res.json<{ id: string }>().id);
    expect(imp.status).toBe('completed');
    const rejects = await h.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${imp.id}/rejects.csv`,
      headers: auth(admin),
    });
    expect(rejects.body).toContain(`"'=HYPERLINK(""x"")"`);
    expect(rejects.body).not.toMatch(/,=HYPERLINK/);
    const contacts = await h.app.inject({
      method: 'GET',
      url: `/api/v1/projects/${DEMO_PROJECT}/contacts.csv`,
      headers: auth(admin),
    });
    expect(contacts.body).toContain(",'=1+1,");
    expect(contacts.body).toContain(",'+SUM(1+1),");
    expect(contacts.body).toContain(',+8613911112222,'); // a number is not a formula
    const stored = await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=${encodeURIComponent('+SUM')}`, admin);
    expect((stored.body['items'] as { name: string }[])[0]?.name).toBe('+SUM(1+1)');
  });

  it('masks numbers the same way in do-not-call lists and rejected rows, and audits full views (8)', async () => {
    const qa = await h.login('qa');
    const lists = (await api('GET', '/dnc/lists', qa)).body as unknown as { id: string; entries: number }[];
    const list = lists.find((l) => l.entries > 0)!;
    const masked = await api('GET', `/dnc/lists/${list.id}/entries`, qa);
    expect(masked.status).toBe(200);
    for (const e of masked.body['items'] as { phone: string; masked: boolean }[]) {
      expect(e.masked).toBe(true);
      expect(e.phone).toContain('*');
    }
    const before = await auditCount('dnc.unmasked_view');
    const full = await api('GET', `/dnc/lists/${list.id}/entries`, admin);
    expect((full.body['items'] as { phone: string }[])[0]!.phone).toMatch(/^\+\d+$/);
    expect(await auditCount('dnc.unmasked_view')).toBe(before + 1);

    const up = multipart({ name: 'bad.csv', content: Buffer.from('手机号,保单号\n1381234,P9\n') });
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(admin), ...up.headers },
      payload: up.payload,
    });
    const imp = await waitForImport(h, admin, res.json<{ id: string }>().id);
    const viewed = await auditCount('import.rejects_viewed');
    const raw = (await api('GET', `/imports/${imp.id}/rejects`, admin)).body['items'] as {
      raw: Record<string, string>;
    }[];
    expect(raw[0]!.raw['手机号']).toBe('1381234');
    expect(await auditCount('import.rejects_viewed')).toBe(viewed + 1);
  });

  it('keeps organisations apart: agents, usernames and lists (10)', async () => {
    const otherOrg = await h.platform.repos.users.createOrganisation('Elsewhere');
    await h.platform.services.users.create(null, otherOrg, {
      username: 'else-admin',
      role: 'admin',
      password: 'else-admin-pass-9',
    });
    const other = await h.login('else-admin', 'else-admin-pass-9');
    // A username taken in the first organisation is free here, and nothing names the other one.
    const dup = await api('POST', '/users', other, { username: 'agent01', role: 'agent', password: 'tiger-lily-42' });
    expect(dup.status).toBe(201);
    const again = await api('POST', '/users', other, { username: 'agent01', role: 'agent', password: 'tiger-lily-42' });
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).not.toContain('DEMO');
    // Both agent01 accounts log in, each naming its organisation now that the name is shared.
    const login = (payload: object) =>
      h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.7.7.7', payload });
    expect(
      (await login({ username: 'agent01', password: 'tiger-lily-42', organisation: 'Elsewhere' })).json(),
    ).toMatchObject({ user: { username: 'agent01' } });
    expect(
      (
        await login({
          username: 'agent01',
          password: 'demo-pass-123',
          organisation: '演示外呼中心 Demo Contact Centre',
        })
      ).statusCode,
    ).toBe(200);
    // Another organisation's list (or none at all) is not a campaign's list.
    const imports = (await api('GET', `/projects/${DEMO_PROJECT}/imports`, admin)).body['items'] as { id: string }[];
    await api('POST', '/projects', other, { code: 'ELSE', name: 'Else' });
    for (const list of [imports[0]!.id, '00000000-0000-4000-8000-000000000000']) {
      const r = await api('POST', '/campaigns', other, {
        project: 'ELSE',
        name: `c-${list}`,
        settings: { lists: [list] },
      });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain('settings.lists.0');
    }
    const skills = await api('POST', '/campaigns', admin, {
      project: DEMO_PROJECT,
      name: 'unknown skills',
      settings: { requiredSkills: { no_such_skill: 3 } },
    });
    expect(skills.status).toBe(400);
  });

  it('ends the sessions of a user who is disabled or changes role, so their live connections close (4)', async () => {
    const ended: { userId: string; reason: string }[] = [];
    const off = h.platform.services.events.subscribe((e) => {
      if (e.type === 'SessionsEnded') ended.push({ userId: e.userId, reason: e.reason });
    });
    try {
      const token = await h.login('agent05');
      const me = (await api('GET', '/auth/me', token)).body['id'] as string;
      expect((await api('PATCH', `/users/${me}`, admin, { displayName: 'renamed only' })).status).toBe(200);
      expect(ended).toEqual([]);
      expect((await api('PATCH', `/users/${me}`, admin, { role: 'qa' })).status).toBe(200);
      expect(ended).toEqual([{ userId: me, reason: 'role_changed' }]);
      expect((await api('GET', '/auth/me', token)).status).toBe(401);
      const again = await h.login('agent05');
      expect((await api('PATCH', `/users/${me}`, admin, { disabled: true })).status).toBe(200);
      expect(ended.at(-1)).toEqual({ userId: me, reason: 'disabled' });
      expect((await api('GET', '/auth/me', again)).status).toBe(401);
      const self = await h.login('agent06');
      await api('POST', '/auth/logout', self);
      expect(ended.at(-1)).toMatchObject({ reason: 'logged_out' });
    } finally {
      off();
    }
  });

  it('refuses weak passwords and says why (11)', async () => {
    for (const password of ['12345678', 'password', '        ', 'qwertyuiop']) {
      const r = await api('POST', '/users', admin, { username: `weak${password.length}x`, role: 'agent', password });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { details: { field: 'password' } } });
    }
  });

  it('throttles failed logins, not an office logging in (12)', async () => {
    for (let i = 0; i < 12; i++) {
      const agentName = `agent${String(i + 7).padStart(2, '0')}`;
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '10.6.6.6',
        payload: { username: agentName, password: 'demo-pass-123' },
      });
      expect(r.statusCode).toBe(200);
    }
    const codes: number[] = [];
    for (let i = 0; i < 12; i++)
      codes.push(
        (
          await h.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            remoteAddress: '10.6.6.6',
            payload: { username: 'supervisor', password: 'wrong-pass' },
          })
        ).statusCode,
      );
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    expect(codes.slice(10)).toEqual([429, 429]);
  });

  it('answers 4xx in the error shape to out-of-range and unknown input (6, 13)', async () => {
    const cases: [string, string, unknown][] = [
      ['GET', '/projects?page=99999999999999999999', undefined],
      ['GET', `/projects/${DEMO_PROJECT}/contacts?page=1e999`, undefined],
      ['POST', `/projects/${DEMO_PROJECT}/tasks/assign`, { strategy: 'even', limit: '1e999' }],
      ['POST', `/projects/${DEMO_PROJECT}/tasks/assign`, { strategy: 'even', limit: 1, typo: true }],
      ['POST', '/campaigns', { project: DEMO_PROJECT, name: 'n', settings: { dialMod: 'preview' } }],
      ['PATCH', '/users/00000000-0000-4000-8000-000000000000', { displayname: 'x' }],
    ];
    for (const [method, url, payload] of cases) {
      const r = await api(method as 'GET', url, admin, payload);
      expect(r.status, `${method} ${url}`).toBe(400);
      expect(r.body).toHaveProperty('error.code', 'validation_failed');
    }
  });
});

/**
 * The second attack (a hostile review of the fixes above): each test fails on the code it found
 * the hole in.
 */
describe.each(testDatabases())('the API under a second attack, on $name', (engine) => {
  let h: Harness;
  let admin: string;
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const api = async (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    token: string,
    payload?: unknown,
  ) => {
    const res = await h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: auth(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json<Record<string, unknown>>() : {} };
  };
  const auditCount = async (action: string) =>
    (await api('GET', `/audit?action=${encodeURIComponent(action)}&pageSize=1`, admin)).body['total'] as number;

  beforeAll(async () => {
    // Supervisors see masked numbers here, and may look up three complete numbers a day.
    h = await harness(engine, { OUTDIAL_UNMASK_ROLES: 'admin', OUTDIAL_MASKED_LOOKUPS_PER_DAY: '3' });
    admin = await h.login('admin');
  }, 120_000);
  afterAll(async () => h?.close());

  it('checks at most the allowed number of passwords when guesses arrive all at once (S1)', async () => {
    const burst = await Promise.all(
      Array.from({ length: 30 }, () =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.9.9.9',
          payload: { username: 'qa', password: 'guess-guess-1' },
        }),
      ),
    );
    const codes = burst.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(10);
    expect(codes.filter((c) => c === 429)).toHaveLength(20);
  });

  it('budgets and audits complete-number lookups by roles that see masked numbers (S2)', async () => {
    const sup = await h.login('supervisor');
    const before = await auditCount('pii.number_lookup');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(
        (await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=1360000${String(i).padStart(4, '0')}`, sup)).status,
      );
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect((await api('GET', '/dnc/check?phone=13600000000', sup)).status).toBe(429);
    expect(await auditCount('pii.number_lookup')).toBe(before + 3);
    // Readers who see full numbers are not budgeted (their searches are audited as such).
    expect((await api('GET', `/projects/${DEMO_PROJECT}/contacts?q=13600000009`, admin)).status).toBe(200);
  });

  it('lets only roles that see full numbers import, and masks numbers quoted in reasons (S3, S4)', async () => {
    const sup = await h.login('supervisor');
    const up = multipart({ name: 'probe.csv', content: Buffer.from('手机号,保单号\n13612349632,P1\n') });
    const refused = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(sup), ...up.headers },
      payload: up.payload,
    });
    expect(refused.statusCode).toBe(403);
    const bad = multipart({ name: 'ext.csv', content: Buffer.from('手机号,保单号\n13812345678 ext 99,P1\n') });
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(admin), ...bad.headers },
      payload: bad.payload,
    });
    const imp = await waitForImport(h, admin, res.json<{ id: string }>().id);
    const asSup = await api('GET', `/imports/${imp.id}/rejects`, sup);
    expect(JSON.stringify(asSup.body)).not.toContain('12345678');
    const csv = await h.app.inject({ method: 'GET', url: `/api/v1/imports/${imp.id}/rejects.csv`, headers: auth(sup) });
    expect(csv.body).not.toContain('12345678');
    const asAdmin = await api('GET', `/imports/${imp.id}/rejects`, admin);
    expect(JSON.stringify(asAdmin.body)).toContain('13812345678');
  });

  it('tells accounts with one username in several organisations apart by the organisation (S5)', async () => {
    for (const name of ['Org A', 'Org B', 'Org C']) {
      const org = await h.platform.repos.users.createOrganisation(name);
      await h.platform.services.users.create(null, org, {
        username: 'shared-name',
        role: 'admin',
        password: `${name.replace(' ', '-')}-pass-99`,
      });
    }
    const login = (body: object) =>
      h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.8.8.8', payload: body });
    const ambiguous = await login({ username: 'shared-name', password: 'Org-C-pass-99' });
    expect(ambiguous.statusCode).toBe(401);
    expect(ambiguous.json()).toMatchObject({ error: { details: { field: 'organisation' } } });
    for (const name of ['Org A', 'Org B', 'Org C'])
      expect(
        (await login({ username: 'shared-name', password: `${name.replace(' ', '-')}-pass-99`, organisation: name }))
          .statusCode,
      ).toBe(200);
    expect(
      (await login({ username: 'shared-name', password: 'Org-A-pass-99', organisation: 'Org B' })).statusCode,
    ).toBe(401);
  });

  it('never creates a session for a password that changed meanwhile (S6)', async () => {
    const { repos } = h.platform;
    const [user] = await repos.users.findByUsername('agent03');
    const created = await repos.sessions.create({
      userId: user!.id,
      tokenHash: 'x'.repeat(64),
      expiresAt: new Date(Date.now() + 60_000),
      ifPasswordHash: `${user!.passwordHash}-old`,
    });
    expect(created).toBeUndefined();
  });

  it('refuses a body nested thousands deep and duplicate skills with a 400, and audits new teams and skills (S9, S10, S12)', async () => {
    const deep = `{"a":${'['.repeat(20000)}${']'.repeat(20000)}}`;
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: deep,
    });
    expect(res.statusCode).toBe(400);
    const agents = (await api('GET', '/agents', admin)).body as unknown as { userId: string }[];
    const dup = await api('PATCH', `/agents/${agents[0]!.userId}`, admin, {
      skills: [
        { code: 'insurance', level: 1 },
        { code: 'insurance', level: 2 },
      ],
    });
    expect(dup.status).toBe(400);
    const teams = await auditCount('team.created');
    expect((await api('POST', '/teams', admin, { name: 'Audited team' })).status).toBe(201);
    expect(await auditCount('team.created')).toBe(teams + 1);
  });

  it('refuses a region whose numbers cannot be read and caller IDs that are not E.164 or repeat (S14)', async () => {
    const r = await api('POST', '/projects', admin, { code: 'ZZREG', name: 'x', defaultRegion: 'ZZ' });
    expect(r.status).toBe(400);
    const c = await api('POST', '/projects', admin, {
      code: 'CIDS',
      name: 'x',
      callerIds: ['a', '+8613800000000', '+8613800000000'],
    });
    expect(c.status).toBe(400);
    expect(JSON.stringify(c.body)).toContain('callerIds.0');
    expect(JSON.stringify(c.body)).toContain('callerIds.2');
  });

  it('adds a large batch of do-not-call numbers without stalling the server, and answers in bounded size (S8)', async () => {
    // Digits that are no number anywhere: each goes the whole way through the phone library
    // (40,000 of them held the event loop ~1 s in one block).
    const phones = Array.from({ length: 40_000 }, (_, i) => `+86 ${String(i).padStart(6, '0')}`);
    phones.push('13800138123');
    // Watches the event loop's turns while the request runs. In one unbroken block the
    // normalising is most of the request; in slices of 500 no turn waits more than a small part
    // of it (a ratio, so a loaded machine slows both sides alike).
    let longest = 0;
    let counting = true;
    let last = performance.now();
    const spin = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (counting) setImmediate(spin);
    };
    setImmediate(spin);
    const t0 = performance.now();
    const r = await api('POST', '/dnc/entries', admin, { phones, reason: 'S8' });
    const total = performance.now() - t0;
    counting = false;
    longest = Math.max(longest, performance.now() - last); // a block that lasted to the end counts too
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ added: 1, rejectedTotal: 40_000 });
    expect((r.body['rejected'] as unknown[]).length).toBe(1000);
    expect(longest / total).toBeLessThan(0.4);
  });
});

describe.each(testDatabases())('uploads past the form limits, on $name', (engine) => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await harness(engine, { OUTDIAL_MAX_UPLOAD_MB: '1', OUTDIAL_MAX_RUNNING_IMPORTS: '1' });
    admin = await h.login('admin');
  }, 120_000);
  afterAll(async () => h?.close());
  const upload = (form: { payload: Buffer; headers: Record<string, string> }) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { authorization: `Bearer ${admin}`, ...form.headers },
      payload: form.payload,
    });

  it('says which limit a form broke: the size with its limit (413), too many fields (400); keeps no file (Q3)', async () => {
    const big = await upload(multipart({ name: 'big.csv', content: Buffer.alloc(1024 * 1024 + 10, 0x31) }));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { code: 'payload_too_large', details: { limitBytes: 1024 * 1024 } } });
    expect(big.json<{ error: { message: string } }>().error.message).toContain('1 MB');
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, 'x']));
    const many = await upload(multipart({ name: 'a.csv', content: Buffer.from('手机号\n13800138000\n') }, fields));
    expect(many.statusCode).toBe(400);
    expect(many.json()).toMatchObject({ error: { code: 'validation_failed', details: { cause: 'FST_FIELDS_LIMIT' } } });
    await Promise.allSettled([...h.background]);
    let left: string[];
    try {
      left = readdirSync(join(h.config.dataDir, 'uploads'));
    } catch {
      left = [];
    }
    expect(left).toEqual([]);
  });

  it('runs a bounded number of imports at once and refuses one more with 429 before reading it (S7)', async () => {
    const rows = ['手机号,姓名,保单号'];
    for (let i = 0; i < 20_000; i++) rows.push(`139${String(i).padStart(8, '0')},n${i},P${i}`);
    const first = await upload(multipart({ name: 'first.csv', content: Buffer.from(rows.join('\n')) }));
    expect(first.statusCode).toBe(202);
    const second = await upload(multipart({ name: 'second.csv', content: Buffer.from('手机号\n13800138000\n') }));
    expect(second.statusCode).toBe(429);
    expect(second.json()).toMatchObject({ error: { code: 'rate_limited', details: { running: 1, limit: 1 } } });
    const done = await waitForImport(h, admin, first.json<{ id: string }>().id);
    expect(done.error).toBeNull();
    await Promise.allSettled([...h.background]); // its slot is free once its run has returned
    const third = await upload(
      multipart({ name: 'third.csv', content: Buffer.from('手机号,保单号\n13800138001,P\n') }),
    );
    expect(third.statusCode).toBe(202);
    await waitForImport(h, admin, third.json<{ id: string }>().id);
  });
});
