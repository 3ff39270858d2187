import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, type Database } from '@outdial/db';
import { seedList, seedProject, stagedContact, testDatabases } from '@outdial/db/testing';
import { defaultDispositions } from '@outdial/domain/projects';
import { AttemptRecorder } from './attempts.ts';
import type { Principal } from './auth.ts';
import { EventBus, type DialerEvent } from './dialer/events.ts';
import { DispositionService } from './dispositions.ts';
import { QuestionnaireService } from './questionnaires/service.ts';

const T0 = new Date('2026-03-02T02:00:00Z');

describe.each(testDatabases())('dispositions (落单) on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let projectId: string;
  let agent: Principal;
  let other: Principal;
  let contacts: { id: string; phone: string }[];
  const clock = { now: () => new Date(T0.getTime() + 3_600_000) };
  const events: DialerEvent[] = [];
  let service: DispositionService;
  let recorder: AttemptRecorder;

  const principal = (userId: string, role: Principal['role']): Principal => ({
    sessionId: 's',
    userId,
    orgId,
    username: userId,
    displayName: userId,
    role,
    expiresAt: new Date(T0.getTime() + 86_400_000),
  });

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Org');
    projectId = await seedProject(repos, orgId, 'D1');
    await repos.projects.replaceDispositions(projectId, defaultDispositions());
    await seedList(
      repos,
      orgId,
      projectId,
      [1, 2, 3].map((n) => stagedContact(n, `+861390000000${n}`)),
      T0,
    );
    contacts = (await repos.contacts.list(orgId, { projectId, limit: 10, offset: 0 })).items.map((c) => ({
      id: c.id,
      phone: c.phone,
    }));
    agent = principal(
      (await repos.users.create({ orgId, username: 'a1', role: 'agent', passwordHash: 'x', displayName: 'A1' })).id,
      'agent',
    );
    other = principal(
      (await repos.users.create({ orgId, username: 'a2', role: 'agent', passwordHash: 'x', displayName: 'A2' })).id,
      'agent',
    );
    const bus = new EventBus();
    bus.subscribe((e) => events.push(e));
    service = new DispositionService(repos, clock, bus, new QuestionnaireService(repos, clock, bus));
    recorder = new AttemptRecorder(repos, clock);
  });
  afterAll(async () => cleanup?.());

  /** A call to contact `i` that reached `agentId` and ended (or not, if `end` is false). */
  const call = async (i: number, agentId: string, end = true) => {
    const c = contacts[i]!;
    const id = await recorder.placed({
      orgId,
      projectId,
      campaignId: null,
      contactId: c.id,
      phone: c.phone,
      callerId: null,
      dialMode: 'predictive',
      placedAt: T0,
    });
    await recorder.progress(id, {
      answeredAt: new Date(T0.getTime() + 5000),
      connectedAt: new Date(T0.getTime() + 6000),
      agentUserId: agentId,
    });
    if (end) {
      await recorder.ended(id, {
        outcome: 'person',
        endedAt: new Date(T0.getTime() + 60_000),
        answeredAt: new Date(T0.getTime() + 5000),
        connectedAt: new Date(T0.getTime() + 6000),
        agentUserId: agentId,
        hangupSide: 'customer',
        sipCause: 200,
        amdResult: null,
        abandoned: false,
      });
    }
    return id;
  };

  it('a refusal closes the contact and blocks the number, once; a second submission changes nothing', async () => {
    const id = await call(0, agent.userId);
    const r = await service.record(agent, id, { code: 'refused', notes: '不要再打' });
    expect(r).toMatchObject({ next: { kind: 'closed', reason: 'disposition' }, addedToDnc: true });
    expect([...(await repos.dnc.blocked(orgId, projectId, [contacts[0]!.phone], clock.now()))]).toEqual([
      contacts[0]!.phone,
    ]);
    const row = (await db.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [contacts[0]!.id]))[0];
    expect(row?.status).toBe('closed');
    await expect(service.record(agent, id, { code: 'success' })).rejects.toMatchObject({ code: 'conflict' });
    expect((await repos.dispositions.forAttempt(id))?.code).toBe('refused');
    expect(events.filter((e) => e.type === 'DispositionRecorded')).toHaveLength(1);
  });

  it("refuses what is not the agent's to record, a call still in progress, an unknown code and a past callback", async () => {
    const theirs = await call(1, other.userId);
    // Another agent's call is as invisible as another organisation's (ADR 0004): 404, not 403.
    await expect(service.record(agent, theirs, { code: 'success' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      service.record(
        agent,
        theirs.replace(/.$/, (d) => (d === '0' ? '1' : '0')),
        { code: 'success' },
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    const live = await call(2, agent.userId, false);
    await expect(service.record(agent, live, { code: 'success' })).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(service.record(other, theirs, { code: 'nope' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { allowed: expect.arrayContaining(['callback']) },
    });
    await expect(
      service.record(other, theirs, { code: 'callback', callbackAt: new Date(T0.getTime()) }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    // Nothing was blocked by the refused attempts.
    expect((await repos.dnc.blocked(orgId, projectId, [contacts[1]!.phone], clock.now())).size).toBe(0);
    const ok = await service.record(other, theirs, {
      code: 'callback',
      callbackAt: new Date(clock.now().getTime() + 86_400_000),
    });
    expect(ok.next).toEqual({ kind: 'callback', at: clock.now().getTime() + 86_400_000 });
  });
});
