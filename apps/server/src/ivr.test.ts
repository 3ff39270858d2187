import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, type Database } from '@outdial/db';
import { seedList, seedProject, stagedContacts, testDatabases } from '@outdial/db/testing';
import { defaultCampaignSettings, validateCampaignSettings } from '@outdial/domain/campaigns';
import { defaultProjectRules } from '@outdial/domain/projects';
import {
  AttemptRecorder,
  CampaignService,
  Dialer,
  SimulatedAgents,
  VirtualScheduler,
  type DialerEvent,
} from '@outdial/engine';
import { sfc32 as seeded } from '@outdial/simulator';
import { SimulatedCarrier, defaultSimulatedCarrier } from '@outdial/telephony/simulated';

const T0 = Date.parse('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai

describe.each(testDatabases())('agentless IVR campaigns on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let projectId: string;
  let agentId: string;

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Ivr');
    projectId = await seedProject(repos, orgId, 'IVR', defaultProjectRules(), ['+861088880000']);
    await seedList(repos, orgId, projectId, stagedContacts(120, '+86135'), new Date(T0), 'ivr.csv');
    agentId = (
      await repos.users.create({ orgId, username: 'ivr-agent', role: 'agent', passwordHash: 'x', displayName: 'I' })
    ).id;
  });
  afterAll(async () => cleanup?.());

  it('validates the menu', () => {
    const bad = validateCampaignSettings({
      ...defaultCampaignSettings(),
      dialMode: 'ivr',
      trunk: 'no spaces allowed',
      ivr: { lines: 0, prompt: 'Bad Name', agentKey: '1', dncKey: '1', keyTimeoutSeconds: 1 },
    });
    expect(bad.map((i) => i.path)).toEqual(['trunk', 'ivr.lines', 'ivr.prompt', 'ivr.dncKey', 'ivr.keyTimeoutSeconds']);
  });

  it('keeps its lines busy, puts the callers who press 9 on the do-not-call list and gives those who press 1 to an agent', async () => {
    const scheduler = new VirtualScheduler(T0);
    const clock = { now: () => new Date(scheduler.now()) };
    // Everyone answers in person; half press 9, half press 1.
    const carrier = new SimulatedCarrier(
      {
        ...defaultSimulatedCarrier,
        personRate: 1,
        machineRate: 0,
        busyRate: 0,
        failedRate: 0,
        meanRingMs: 2000,
        ivrDncKeyRate: 0.5,
        ivrAgentKeyRate: 0.5,
        meanTalkMs: 20_000,
      },
      scheduler,
      seeded(3),
    );
    const playing = new Set<string>();
    let maxInProgress = 0;
    carrier.subscribe(() => (maxInProgress = Math.max(maxInProgress, carrier.activeCalls)));
    const campaigns = new CampaignService(repos, clock);
    const dialer = new Dialer({
      repos,
      telephony: carrier,
      scheduler,
      attempts: new AttemptRecorder(repos, clock),
      campaigns,
      runner: { random: seeded(5) },
    });
    const events: DialerEvent[] = [];
    dialer.bus.subscribe((e) => events.push(e));
    const play = carrier.playPrompt.bind(carrier);
    carrier.playPrompt = (id: string) => {
      playing.add(id);
      play(id);
    };
    const agents = new SimulatedAgents(dialer, scheduler, () => 2000);
    agents.login([{ id: agentId, skills: {} }]);
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'ivr',
      settings: {
        ...defaultCampaignSettings(),
        dialMode: 'ivr',
        ivr: { lines: 4, prompt: 'ivr', agentKey: '1', dncKey: '9', keyTimeoutSeconds: 10 },
      },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(T0));
    await dialer.sync();
    for (let t = 0; t < 3 * 60_000; t += 250) {
      scheduler.advance(250);
      await dialer.idle();
    }
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'paused', new Date(scheduler.now()));
    await dialer.sync();
    for (let t = 0; t < 5 * 60_000 && carrier.activeCalls > 0; t += 250) {
      scheduler.advance(250);
      await dialer.idle();
    }
    await dialer.stop();
    agents.dispose();

    const attempts = await db.query<{ id: string; phone: string; outcome: string | null; connectedAt: Date | null }>(
      `SELECT id, phone, outcome, connected_at AS "connectedAt" FROM call_attempts WHERE campaign_id = $1`,
      [c.id],
    );
    expect(attempts.length).toBeGreaterThan(20);
    expect(attempts.every((a) => a.outcome !== null)).toBe(true);
    // IVR pacing: never more than the lines (plus nothing for agents: the one agent does not pace it).
    expect(maxInProgress).toBeLessThanOrEqual(4);
    // Every answered call heard the prompt first.
    expect(playing.size).toBe(attempts.length);
    const blocked = await repos.dnc.blocked(
      orgId,
      projectId,
      attempts.map((a) => a.phone),
      new Date(scheduler.now()),
    );
    const connected = attempts.filter((a) => a.connectedAt !== null);
    // Pressed 9: on the list and never connected; pressed 1: some reached the agent (one agent, so
    // others were abandoned with the message), and none of them is on the list.
    expect(blocked.size).toBeGreaterThan(5);
    expect(connected.length).toBeGreaterThan(3);
    for (const a of connected) expect(blocked.has(a.phone)).toBe(false);
    expect(blocked.size + connected.length).toBeLessThanOrEqual(attempts.length);
    expect(
      events
        .filter((e) => e.type === 'CallConnected')
        .every((e) => e.type === 'CallConnected' && e.agentId === agentId),
    ).toBe(true);
  });
});
