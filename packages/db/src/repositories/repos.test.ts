import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProjectRules } from '@outdial/domain/projects';
import type { Database } from '../database.ts';
import { Repositories } from '../repositories.ts';
import { testDatabases } from '../testing.ts';
import type { StagedRow } from './imports.ts';

function staged(n: number, phone: string, extra: Partial<StagedRow> = {}): StagedRow {
  return {
    rowNumber: n,
    outcome: 'accepted',
    code: null,
    message: null,
    phone,
    phones: [phone],
    name: `客户${n}`,
    timezone: 'Asia/Shanghai',
    region: 'CN',
    tags: ['vip'],
    externalId: null,
    custom: { premium: n },
    raw: null,
    ...extra,
  };
}

describe.each(testDatabases())('repositories on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let otherOrg: string;
  let projectId: string;

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Org A');
    otherOrg = await repos.users.createOrganisation('Org B');
    projectId = (
      await repos.projects.create(orgId, {
        code: 'P1',
        name: 'Renewals',
        description: '',
        defaultRegion: 'CN',
        defaultTimezone: 'Asia/Shanghai',
        rules: defaultProjectRules(),
        callerIds: [],
      })
    ).id;
  });
  afterAll(async () => cleanup?.());

  it('audit log is append-only', async () => {
    await repos.audit.append({ orgId, actorUserId: null, action: 'test.event', details: { a: 1 } });
    await expect(db.query('UPDATE audit_log SET action = $1', ['x'])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    const { items } = await repos.audit.list(orgId, { limit: 10, offset: 0 });
    expect(items.map((i) => i.action)).toEqual(['test.event']);
  });

  it('merges an import atomically: existing numbers and DNC set aside with reasons', async () => {
    const existing = await repos.imports.create({
      orgId,
      projectId,
      filename: 'first.csv',
      totalBytes: null,
      createdBy: null,
    });
    const first = repos.imports.writer(orgId, projectId, existing.id, new Date());
    await first.write([staged(2, '+8613800000001')]);
    await first.finish(new Date('2026-01-01T00:00:00Z'));

    const globalList = await repos.dnc.ensureList(orgId, null, 'global');
    await repos.dnc.addEntries(
      globalList,
      [
        { phone: '+8613800000003', reason: 'refused', source: 'test', expiresAt: null },
        { phone: '+8613800000009', reason: 'expired', source: 'test', expiresAt: new Date('2025-01-01T00:00:00Z') },
        { phone: '+8613900000005', reason: 'secondary', source: 'test', expiresAt: null },
      ],
      null,
    );

    // The same number on two lists: the reason quoted is the first list's by name, on both databases.
    const zList = await repos.dnc.ensureList(orgId, projectId, 'zz project list');
    await repos.dnc.addEntries(
      zList,
      [{ phone: '+8613800000003', reason: 'other', source: 'test', expiresAt: null }],
      null,
    );
    const imp = await repos.imports.create({
      orgId,
      projectId,
      filename: 'second.csv',
      totalBytes: 100,
      createdBy: null,
    });
    const writer = repos.imports.writer(orgId, projectId, imp.id, new Date());
    await writer.write([
      staged(2, '+8613800000001'),
      staged(3, '+8613800000002', {
        phones: ['+8613800000002', '+8613900000005'],
        tags: ['a,b', 'q"t'],
        custom: { note: 'tab\there\nnewline \\ back' },
      }),
      staged(4, '+8613800000003'),
      staged(5, '+8613800000009'),
      {
        ...staged(6, '+8613800000002'),
        outcome: 'duplicate_in_file',
        code: 'duplicate_in_file',
        message: 'same as row 3',
        phones: null,
        tags: null,
        custom: null,
        raw: { 手机: '13800000002' },
      },
    ]);
    // A second batch: merged in the same transaction on PostgreSQL, staged then merged on PGlite.
    await writer.write([
      {
        ...staged(7, ''),
        outcome: 'invalid',
        code: 'phone_invalid',
        message: 'bad',
        phone: null,
        phones: null,
        tags: null,
        custom: null,
        raw: { 手机: '1380000' },
      },
      staged(8, '+8613800000010'),
    ]);
    const done = await writer.finish(new Date('2026-01-01T00:00:00Z'));
    expect(done).toMatchObject({
      status: 'completed',
      imported: 3,
      duplicateExisting: 1,
      dnc: 1,
      duplicateInFile: 1,
      invalid: 1,
      rowsRead: 7,
    });

    const rejects = await repos.imports.rejects(imp.id, { limit: 10, offset: 0 });
    expect(rejects.items.map((r) => [r.rowNumber, r.outcome])).toEqual([
      [2, 'duplicate_existing'],
      [4, 'dnc'],
      [6, 'duplicate_in_file'],
      [7, 'invalid'],
    ]);
    expect(rejects.items[1]!.message).toBe('on do-not-call list "global": refused');
    expect(rejects.items[0]!.message).toBe('the project already has a contact with this number');
    expect(rejects.items[3]!.raw).toEqual({ 手机: '1380000' });

    const { items } = await repos.contacts.list(orgId, { projectId, importId: imp.id, limit: 10, offset: 0 });
    // Listed in the file's row order (time-ordered ids).
    expect(items.map((c) => c.phone)).toEqual(['+8613800000002', '+8613800000009', '+8613800000010']);
    const two = items.find((c) => c.phone === '+8613800000002')!;
    expect(two.phones).toEqual(['+8613800000002']); // blocked secondary dropped
    expect(two.tags).toEqual(['a,b', 'q"t']);
    expect(two.custom).toEqual({ note: 'tab\there\nnewline \\ back' });
  });

  it('an aborted import leaves nothing behind', async () => {
    const imp = await repos.imports.create({
      orgId,
      projectId,
      filename: 'cut.csv',
      totalBytes: null,
      createdBy: null,
    });
    const writer = repos.imports.writer(orgId, projectId, imp.id, new Date());
    await writer.write([
      staged(2, '+8613600000001'),
      {
        ...staged(3, ''),
        outcome: 'invalid',
        code: 'phone_invalid',
        message: 'bad',
        phone: null,
        phones: null,
        raw: { a: 'b' },
      },
    ]);
    await writer.abort(new Error('parser failed'));
    await repos.imports.fail(imp.id, { code: 'test', message: 'parser failed' }, new Date());
    expect(await repos.imports.get(orgId, imp.id)).toMatchObject({ status: 'failed', imported: 0 });
    expect((await repos.imports.rejects(imp.id, { limit: 10, offset: 0 })).total).toBe(0);
    expect((await repos.contacts.list(orgId, { phoneContains: '13600000001', limit: 10, offset: 0 })).total).toBe(0);
    // The project's import lock was released with the transaction: the next import completes.
    const next = await repos.imports.create({
      orgId,
      projectId,
      filename: 'next.csv',
      totalBytes: null,
      createdBy: null,
    });
    const w2 = repos.imports.writer(orgId, projectId, next.id, new Date());
    await w2.write([staged(2, '+8613600000001')]);
    expect(await w2.finish(new Date())).toMatchObject({ status: 'completed', imported: 1 });
  });

  it('a failed import leaves nothing behind and stale imports are failed', async () => {
    const imp = await repos.imports.create({
      orgId,
      projectId,
      filename: 'crash.csv',
      totalBytes: null,
      createdBy: null,
    });
    const writer = repos.imports.writer(orgId, projectId, imp.id, new Date());
    await writer.write([staged(2, '+8613700000001')]);
    const failed = await repos.imports.failStale(new Date(Date.now() + 60_000), new Date());
    await writer.abort(new Error('the process died'));
    expect(failed).toContain(imp.id);
    const after = await repos.imports.get(orgId, imp.id);
    expect(after).toMatchObject({ status: 'failed', imported: 0 });
    expect(after!.error!.code).toBe('import_interrupted');
    expect((await repos.imports.rejects(imp.id, { limit: 10, offset: 0 })).total).toBe(0);
    expect((await repos.contacts.list(orgId, { phoneContains: '13700000001', limit: 10, offset: 0 })).total).toBe(0);
  });

  it('merges a large import in steps with the same outcomes; two imports into one project take turns', async () => {
    const pid = (
      await repos.projects.create(orgId, {
        code: 'P-STEPS',
        name: 'steps',
        description: '',
        defaultRegion: 'CN',
        defaultTimezone: 'Asia/Shanghai',
        rules: defaultProjectRules(),
        callerIds: [],
      })
    ).id;
    const phone = (i: number) => `+86135${String(i).padStart(8, '0')}`;
    // 12,000 rows: more than one merge step on PGlite (ADR 0015), with existing numbers, DNC
    // numbers and blocked secondary numbers spread over every step.
    const seed = await repos.imports.create({
      orgId,
      projectId: pid,
      filename: 'seed.csv',
      totalBytes: null,
      createdBy: null,
    });
    const w0 = repos.imports.writer(orgId, pid, seed.id, new Date());
    await w0.write(Array.from({ length: 120 }, (_, k) => staged(k + 2, phone(k * 100))));
    await w0.finish(new Date());
    const list = await repos.dnc.ensureList(orgId, pid, 'project');
    await repos.dnc.addEntries(
      list,
      Array.from({ length: 120 }, (_, k) => ({
        phone: phone(k * 100 + 50),
        reason: '',
        source: 'test',
        expiresAt: null,
      })),
      null,
    );
    await repos.dnc.addEntries(list, [{ phone: '+8613999999999', reason: '', source: 'test', expiresAt: null }], null);
    const rows = Array.from({ length: 12_000 }, (_, i) =>
      staged(i + 2, phone(i), i % 1000 === 7 ? { phones: [phone(i), '+8613999999999', '+8613988888888'] } : {}),
    );
    const a = await repos.imports.create({
      orgId,
      projectId: pid,
      filename: 'a.csv',
      totalBytes: null,
      createdBy: null,
    });
    const b = await repos.imports.create({
      orgId,
      projectId: pid,
      filename: 'b.csv',
      totalBytes: null,
      createdBy: null,
    });
    const wa = repos.imports.writer(orgId, pid, a.id, new Date());
    const wb = repos.imports.writer(orgId, pid, b.id, new Date(Date.now() + 1));
    // b repeats a's last 3,000 numbers; the two run at once, and whichever takes the project's
    // lock second finds them existing (on PostgreSQL either may win the lock).
    const [ra, rb] = await Promise.all([
      wa.write(rows).then(() => wa.finish(new Date())),
      wb
        .write(rows.slice(9000).map((r) => ({ ...r, rowNumber: r.rowNumber - 9000 })))
        .then(() => wb.finish(new Date())),
    ]);
    expect([ra.status, rb.status]).toEqual(['completed', 'completed']);
    expect(ra.imported + rb.imported).toBe(11_760);
    expect(ra.duplicateExisting + rb.duplicateExisting).toBe(120 + 30 + 2940);
    expect(ra.dnc + rb.dnc).toBe(150);
    expect([ra.imported, rb.imported].sort((x, y) => x - y)).toEqual(
      ra.imported === 11_760 ? [0, 11_760] : [2940, 8820],
    );
    const withBlocked = await db.query<{ phones: string[] }>(
      `SELECT phones FROM contacts WHERE project_id = $1 AND phone = $2`,
      [pid, phone(7)],
    );
    expect(withBlocked[0]!.phones).toEqual([phone(7), '+8613988888888']);
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE project_id = $1', [
      pid,
    ])) as [{ n: number }];
    expect(n).toBe(120 + 11_760);
    expect((await repos.imports.rejects(a.id, { limit: 1, offset: 0 })).total).toBe(12_000 - ra.imported);
  });

  // PostgreSQL merges inside the one import transaction (the 'aborted import' test above).
  it.skipIf(engine.name !== 'pglite')(
    'a merge that fails in a later step, or is cut off, leaves none of its contacts',
    async () => {
      const pid = (
        await repos.projects.create(orgId, {
          code: 'P-UNDO',
          name: 'undo',
          description: '',
          defaultRegion: 'CN',
          defaultTimezone: 'Asia/Shanghai',
          rules: defaultProjectRules(),
          callerIds: [],
        })
      ).id;
      const imp = await repos.imports.create({
        orgId,
        projectId: pid,
        filename: 'x.csv',
        totalBytes: null,
        createdBy: null,
      });
      const w = repos.imports.writer(orgId, pid, imp.id, new Date());
      const rows = Array.from({ length: 9000 }, (_, i) => staged(i + 2, `+86134${String(i).padStart(8, '0')}`));
      rows[8000] = { ...rows[8000]!, phone: null }; // a row no contact can be made of: its step fails
      await w.write(rows);
      await expect(w.finish(new Date())).rejects.toThrow();
      const count = async () =>
        (
          (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE project_id = $1', [pid])) as [
            { n: number },
          ]
        )[0].n;
      expect(await count()).toBe(0);
      // Cut off: contacts of a 'merging' import are removed by the sweep at the next start.
      const cut = await repos.imports.create({
        orgId,
        projectId: pid,
        filename: 'y.csv',
        totalBytes: null,
        createdBy: null,
      });
      await db.query(`UPDATE imports SET status = 'merging' WHERE id = $1`, [cut.id]);
      await db.query(
        `INSERT INTO contacts (org_id, project_id, import_id, phone, phones) SELECT $1, $2, $3, '+86133' || lpad(g::text, 8, '0'), '{}' FROM generate_series(1, 7000) g`,
        [orgId, pid, cut.id],
      );
      expect(await count()).toBe(7000);
      expect(await repos.imports.failStale(new Date(Date.now() + 60_000), new Date())).toContain(cut.id);
      expect(await count()).toBe(0);
    },
  );

  it("never shows one organisation the other one's data", async () => {
    expect((await repos.contacts.list(otherOrg, { limit: 10, offset: 0 })).total).toBe(0);
    expect(await repos.projects.getByCode(otherOrg, 'P1')).toBeUndefined();
    const { items } = await repos.contacts.list(orgId, { limit: 1, offset: 0 });
    expect(await repos.contacts.get(otherOrg, items[0]!.id)).toBeUndefined();
  });

  it('dnc check honours scope and expiry', async () => {
    const projList = await repos.dnc.ensureList(orgId, projectId, 'project');
    await repos.dnc.addEntries(
      projList,
      [{ phone: '+8613600000001', reason: '', source: 'test', expiresAt: new Date('2030-01-01T00:00:00Z') }],
      null,
    );
    const now = new Date('2026-01-01T00:00:00Z');
    expect(await repos.dnc.check(orgId, projectId, '+8613600000001', now)).toHaveLength(1);
    expect(await repos.dnc.check(orgId, null, '+8613600000001', now)).toHaveLength(0);
    expect(await repos.dnc.check(orgId, projectId, '+8613600000001', new Date('2031-01-01T00:00:00Z'))).toHaveLength(0);
    expect(await repos.dnc.check(otherOrg, projectId, '+8613800000003', now)).toHaveLength(0);
  });
});
