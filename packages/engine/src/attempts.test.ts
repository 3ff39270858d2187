import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, type AttemptEnd, type Database } from '@outdial/db';
import { seedList, seedProject, stagedContact, testDatabases } from '@outdial/db/testing';
import { AttemptRecorder } from './attempts.ts';

const T0 = new Date('2026-03-02T02:00:00Z');
const MIN = 60_000;

describe.each(testDatabases())('attempt outcomes and next steps on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let projectId: string;
  let contacts: { id: string; phone: string }[];
  let now = T0;
  const clock = { now: () => now };

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Org');
    projectId = await seedProject(repos, orgId, 'A1');
    await seedList(
      repos,
      orgId,
      projectId,
      [1, 2, 3, 4].map((n) => stagedContact(n, `+861380000000${n}`)),
      T0,
    );
    contacts = (await repos.contacts.list(orgId, { projectId, limit: 10, offset: 0 })).items.map((c) => ({
      id: c.id,
      phone: c.phone,
    }));
  });
  afterAll(async () => cleanup?.());

  const end = (outcome: AttemptEnd['outcome'], at: Date, extra: Partial<AttemptEnd> = {}): AttemptEnd => ({
    outcome,
    endedAt: at,
    answeredAt: null,
    connectedAt: null,
    agentUserId: null,
    hangupSide: 'system',
    sipCause: 486,
    amdResult: null,
    abandoned: false,
    ...extra,
  });
  const place = (rec: AttemptRecorder, c: { id: string; phone: string }, at: Date) =>
    rec.placed({
      orgId,
      projectId,
      campaignId: null,
      contactId: c.id,
      phone: c.phone,
      callerId: '+861012345678',
      dialMode: 'predictive',
      placedAt: at,
    });
  const contact = async (id: string) =>
    (
      await db.query<{ status: string; attempts: number; next: Date | null; reason: string | null }>(
        'SELECT status, attempts, next_attempt_at AS next, close_reason AS reason FROM contacts WHERE id = $1',
        [id],
      )
    )[0]!;

  it("records each end exactly once and schedules the retry from the project's delays", async () => {
    const rec = new AttemptRecorder(repos, clock);
    const c = contacts[0]!;
    const id = await place(rec, c, T0);
    expect(await contact(c.id)).toMatchObject({ status: 'in_progress', attempts: 0 });
    const first = await rec.ended(id, end('busy', new Date(T0.getTime() + 20_000)));
    expect(first).toEqual({ recorded: true, next: { kind: 'retry', at: T0.getTime() + 30 * MIN } });
    // The same end event delivered twice changes nothing.
    expect(await rec.ended(id, end('no_answer', new Date(T0.getTime() + 40_000)))).toEqual({
      recorded: false,
      next: null,
    });
    expect(await contact(c.id)).toMatchObject({
      status: 'in_progress',
      attempts: 1,
      next: new Date(T0.getTime() + 30 * MIN),
    });
    expect(await repos.attempts.get(id)).toMatchObject({ outcome: 'busy', sipCause: 486 });
  });

  it('closes the contact on the third attempt in ten days, and on a closing disposition', async () => {
    const rec = new AttemptRecorder(repos, clock);
    const c = contacts[1]!;
    for (let d = 0; d < 3; d++) {
      const at = new Date(T0.getTime() + d * 86_400_000);
      const r = await rec.ended(await place(rec, c, at), end('no_answer', new Date(at.getTime() + 25_000)));
      expect(r.next?.kind).toBe(d < 2 ? 'retry' : 'closed');
    }
    expect(await contact(c.id)).toMatchObject({ status: 'closed', attempts: 3, reason: 'max_attempts' });

    const d = contacts[2]!;
    const id = await place(rec, d, T0);
    await rec.ended(
      id,
      end('person', new Date(T0.getTime() + 200_000), {
        connectedAt: new Date(T0.getTime() + 10_000),
        hangupSide: 'customer',
        sipCause: 200,
      }),
      { code: 'WRONG_NUMBER', success: false, closes: true, callbackAt: null },
    );
    expect(await contact(d.id)).toMatchObject({ status: 'closed', reason: 'disposition' });
  });

  it('after a crash, closes attempts left open by how far they got: answered-unconnected is an abandon', async () => {
    const rec = new AttemptRecorder(repos, clock);
    const c = contacts[3]!;
    now = T0;
    const id = await place(rec, c, T0);
    await repos.attempts.progressMany([{ id, answeredAt: new Date(T0.getTime() + 15_000) }]);
    now = new Date(T0.getTime() + 30_000);
    expect(await rec.recover(60_000)).toBe(0); // not stale yet: its process may still be alive
    now = new Date(T0.getTime() + 5 * MIN);
    expect(await rec.recover(60_000)).toBe(1);
    expect(await repos.attempts.get(id)).toMatchObject({ outcome: 'abandoned', abandoned: true, hangupSide: 'system' });
    // Ofcom: no redial within 72 h of an abandoned call.
    expect((await contact(c.id)).next).toEqual(new Date(T0.getTime() + 72 * 60 * MIN));
    expect(await repos.attempts.openBefore(now)).toEqual([]);
    expect(await rec.recover(60_000)).toBe(0);
  });

  it.runIf(engine.name === 'postgres')("closes a dead node's attempts at once, never a live node's", async () => {
    const c = contacts[0]!;
    now = new Date(T0.getTime() + 10 * 86_400_000);
    const placedAt = new Date(now.getTime() - 1000);
    // Two other "nodes": one alive (holds its lock), one dead (holds none).
    // The lock's connection is not broken in this test; a failure would fail the assertions below.
    const release = await db.holdAdvisoryLock!('outdial-node:11111111-1111-4111-8111-111111111111', () => undefined);
    const alive = new AttemptRecorder(repos, clock, '11111111-1111-4111-8111-111111111111');
    const dead = new AttemptRecorder(repos, clock, '22222222-2222-4222-8222-222222222222');
    const me = new AttemptRecorder(repos, clock, '33333333-3333-4333-8333-333333333333');
    const a = await place(alive, c, placedAt);
    const d = await place(dead, contacts[1]!, placedAt);
    const m = await place(me, contacts[2]!, placedAt);
    try {
      // Four hours of staleness would spare all three; the dead node's call is closed anyway.
      expect(await me.recover(4 * 3_600_000)).toBe(1);
      expect(await repos.attempts.get(d)).toMatchObject({ outcome: 'failed' });
      expect(await repos.attempts.get(a)).toMatchObject({
        endedAt: null,
        nodeId: '11111111-1111-4111-8111-111111111111',
      });
      expect(await repos.attempts.get(m)).toMatchObject({ endedAt: null });
    } finally {
      await release();
    }
    // The live node stops: its call is closed by the next sweep of another node.
    expect(await dead.recover(4 * 3_600_000)).toBe(2);
    expect(await repos.attempts.openBefore(new Date(now.getTime() + 1))).toEqual([]);
  });
});
