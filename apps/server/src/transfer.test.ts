import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, type Database } from '@outdial/db';
import { seedList, seedProject, stagedContacts, testDatabases } from '@outdial/db/testing';
import { defaultCampaignSettings } from '@outdial/domain/campaigns';
import { defaultProjectRules } from '@outdial/domain/projects';
import { AttemptRecorder, CampaignService, Dialer, VirtualScheduler, type DialerEvent } from '@outdial/engine';
import { sfc32 as seeded } from '@outdial/simulator';
import { SimulatedCarrier, defaultSimulatedCarrier } from '@outdial/telephony/simulated';

const T0 = Date.parse('2026-03-02T02:00:00Z');

describe.each(testDatabases())('transfer and hold through the dialer on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let projectId: string;
  const agents: string[] = [];

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Xfer');
    projectId = await seedProject(repos, orgId, 'XFER', defaultProjectRules(), ['+861088880000']);
    await seedList(repos, orgId, projectId, stagedContacts(5, '+86136'), new Date(T0), 'x.csv');
    for (const n of ['a', 'b'])
      agents.push(
        (await repos.users.create({ orgId, username: `xfer-${n}`, role: 'agent', passwordHash: 'x', displayName: n }))
          .id,
      );
  });
  afterAll(async () => cleanup?.());

  it('moves a connected call to a ready agent: the first wraps up, the second talks and owns the attempt', async () => {
    const scheduler = new VirtualScheduler(T0);
    const clock = { now: () => new Date(scheduler.now()) };
    const carrier = new SimulatedCarrier(
      { ...defaultSimulatedCarrier, personRate: 1, machineRate: 0, busyRate: 0, failedRate: 0, meanTalkMs: 600_000 },
      scheduler,
      seeded(1),
    );
    const dialer = new Dialer({
      repos,
      telephony: carrier,
      scheduler,
      attempts: new AttemptRecorder(repos, clock),
      campaigns: new CampaignService(repos, clock),
    });
    const events: DialerEvent[] = [];
    dialer.bus.subscribe((e) => events.push(e));
    const [a, b] = agents as [string, string];
    dialer.agent(a, { type: 'login', at: T0 }, {}, orgId);
    dialer.agent(a, { type: 'ready', at: T0 });
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'x',
      settings: { ...defaultCampaignSettings(), dialMode: 'progressive' },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(T0));
    await dialer.sync();
    const step = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        scheduler.advance(100);
        await dialer.idle();
      }
    };
    await step(60_000);
    const connected = events.find((e) => e.type === 'CallConnected');
    if (connected?.type !== 'CallConnected') throw new Error(`no call connected: ${JSON.stringify(events.slice(-5))}`);
    expect(connected.agentId).toBe(a);
    // b is not ready yet: refused, nothing changes.
    expect(() => dialer.transfer(connected.attemptId, b, 'blind')).toThrow(/not ready/);
    dialer.agent(b, { type: 'login', at: scheduler.now() }, {}, orgId);
    dialer.agent(b, { type: 'ready', at: scheduler.now() });
    dialer.hold(connected.attemptId, true);
    dialer.transfer(connected.attemptId, b, 'attended');
    expect(dialer.desk.get(b)?.state.status).toBe('reserved');
    await step(1000);
    expect(dialer.desk.get(a)?.state.status).toBe('wrap_up');
    expect(dialer.desk.get(b)?.state).toMatchObject({ status: 'talking', callId: connected.attemptId });
    const pops = events.filter((e) => e.type === 'CallConnected' && e.attemptId === connected.attemptId);
    expect(pops.map((e) => e.type === 'CallConnected' && e.agentId)).toEqual([a, b]);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'paused', new Date(scheduler.now()));
    await dialer.sync();
    await step(2000);
    const [row] = await db.query<{ agent: string }>(`SELECT agent_user_id AS agent FROM call_attempts WHERE id = $1`, [
      connected.attemptId,
    ]);
    expect(row!.agent).toBe(b);
    await dialer.stop();
  });
});
