/**
 * The live dialer on real SIP (npm run test:telephony): campaigns in the database (PGlite),
 * the SIP carrier, baresip customers behind a Kamailio carrier stand-in, a baresip desk phone
 * behind the agents' Kamailio. A progressive campaign rings a real endpoint and bridges it to
 * the agent's phone; an IVR campaign's callee presses 9 and lands on the do-not-call list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, type Database } from '@outdial/db';
import { seedList, seedProject, stagedContact, testDatabases } from '@outdial/db/testing';
import { defaultCampaignSettings, type CampaignSettings } from '@outdial/domain/campaigns';
import { defaultProjectRules, type ProjectRules } from '@outdial/domain/projects';
import {
  AttemptRecorder,
  CampaignService,
  Dialer,
  SimulatedAgents,
  realScheduler,
  type DialerEvent,
} from '@outdial/engine';
import type { SipCarrier } from '@outdial/telephony/sip';
import { EventLog, NUMBERS, missingBinaries, startRig, type Rig } from '@outdial/telephony/peers';

const missing = missingBinaries(['baresip', 'rtpengine', 'kamailio', 'sox']);
if (missing.length) console.warn(`live SIP dialer tests skipped: missing ${missing.join(', ')}`);

const allDay = [{ start: '00:00', end: '23:59' }];
const rules: ProjectRules = {
  ...defaultProjectRules(),
  callingWindows: { '1': allDay, '2': allDay, '3': allDay, '4': allDay, '5': allDay, '6': allDay, '7': allDay },
};

describe.skipIf(missing.length > 0)('the live dialer on real SIP', () => {
  const engine = testDatabases()[0]!;
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let rig: Rig;
  let carrier: SipCarrier;
  let log: EventLog;
  let orgId: string;
  let agentId: string;

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Sip');
    agentId = (
      await repos.users.create({ orgId, username: 'agent1', role: 'agent', passwordHash: 'x', displayName: 'A1' })
    ).id;
    rig = await startRig();
    // The agent's phone: their username at the agents' registrar.
    carrier = await rig.carrier({
      agents: { uri: (id) => (id === agentId ? 'sip:agent1@127.0.0.1' : null), proxy: 'sip:127.0.0.1:15060' },
    });
    log = new EventLog(carrier);
  }, 90_000);
  afterAll(async () => {
    await rig?.stop();
    await cleanup?.();
  });

  /** A project with one contact and a running campaign on it; the dialer syncs until `done`. */
  async function run(
    code: string,
    phone: string,
    settings: Partial<CampaignSettings>,
    during: (events: DialerEvent[]) => Promise<void>,
  ): Promise<{ campaignId: string; events: DialerEvent[] }> {
    const clock = { now: () => new Date() };
    const projectId = await seedProject(repos, orgId, code, rules, ['+861088880000']);
    await seedList(repos, orgId, projectId, [stagedContact(1, phone)], new Date(), `${code}.csv`);
    const dialer = new Dialer({
      repos,
      telephony: carrier,
      scheduler: realScheduler,
      attempts: new AttemptRecorder(repos, clock),
      campaigns: new CampaignService(repos, clock),
    });
    const events: DialerEvent[] = [];
    dialer.bus.subscribe((e) => events.push(e));
    const agents = new SimulatedAgents(dialer, realScheduler, () => 500);
    agents.login([{ id: agentId, skills: {} }]);
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: code,
      settings: { ...defaultCampaignSettings(), ...settings },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date());
    await dialer.sync();
    try {
      await during(events);
    } finally {
      await repos.campaigns.setStatus(orgId, c.id, 'running', 'paused', new Date()).catch(() => undefined);
      await dialer.sync();
      await dialer.stop();
      agents.dispose();
    }
    return { campaignId: c.id, events };
  }

  const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; carrier saw ${JSON.stringify(log.events.slice(-8))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('a progressive campaign rings a real endpoint, bridges it to the agent desk phone, and closes the attempt once', async () => {
    const { campaignId, events } = await run('SIPPROG', NUMBERS.answers, { dialMode: 'progressive' }, async (ev) => {
      await until('the call to connect', () => ev.some((e) => e.type === 'CallConnected'));
      await new Promise((r) => setTimeout(r, 1500));
      await rig.customers.answers.command('hangup');
      await until('the call to end', () => ev.some((e) => e.type === 'CallEnded'));
    });
    const attempts = await db.query<{ outcome: string; agent: string | null; sip: number; side: string }>(
      `SELECT outcome, agent_user_id AS agent, sip_cause AS sip, hangup_side AS side FROM call_attempts WHERE campaign_id = $1`,
      [campaignId],
    );
    expect(attempts).toEqual([{ outcome: 'person', agent: agentId, sip: 200, side: 'customer' }]);
    expect(events.filter((e) => e.type === 'CallEnded')).toHaveLength(1);
  });

  it('an IVR campaign plays its prompt; the callee presses 9 and the number is on the do-not-call list', async () => {
    const phone = NUMBERS.answers;
    const { campaignId } = await run(
      'SIPIVR',
      phone,
      { dialMode: 'ivr', ivr: { lines: 1, prompt: 'ivr', agentKey: '1', dncKey: '9', keyTimeoutSeconds: 15 } },
      async (ev) => {
        await until('the answer', () => ev.some((e) => e.type === 'CallAnswered'));
        await new Promise((r) => setTimeout(r, 700));
        await rig.customers.answers.command('sndcode', '9');
        await until('the call to end', () => ev.some((e) => e.type === 'CallEnded'));
      },
    );
    const [project] = await db.query<{ projectId: string }>(
      `SELECT project_id AS "projectId" FROM campaigns WHERE id = $1`,
      [campaignId],
    );
    const blocked = await repos.dnc.blocked(orgId, project!.projectId, [phone], new Date());
    expect([...blocked]).toEqual([phone]);
    const dtmf = log.events.filter((e) => e.type === 'dtmf');
    expect(dtmf.some((e) => e.type === 'dtmf' && e.digit === '9')).toBe(true);
  });
});
