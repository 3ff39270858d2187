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
