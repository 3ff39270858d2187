import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, type Database } from '@outdial/db';
import { seedList, seedProject, stagedContacts, testDatabases } from '@outdial/db/testing';
import { defaultCampaignSettings } from '@outdial/domain/campaigns';
import { checkDial, type AttemptRecord } from '@outdial/domain/compliance';
import { defaultProjectRules } from '@outdial/domain/projects';
import {
  AttemptRecorder,
  CampaignService,
  Dialer,
  SimulatedAgents,
  HISTORY_UNAVAILABLE,
  VirtualScheduler,
  type DialerEvent,
} from '@outdial/engine';
import { RecordingLogger } from '@outdial/engine/testing';
import { sfc32 as seeded } from '@outdial/simulator';
import { SimulatedCarrier, defaultSimulatedCarrier, type SimulatedCarrierConfig } from '@outdial/telephony/simulated';

const T0 = Date.parse('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai, inside the default windows

describe.each(testDatabases())('the live dialer with the simulated carrier on $name', (engine) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  let orgId: string;
  let projectId: string;
  const agentIds: string[] = [];

  beforeAll(async () => {
    ({ db, cleanup } = await engine.open());
    repos = new Repositories(db);
    orgId = await repos.users.createOrganisation('Dial');
    projectId = await seedProject(repos, orgId, 'LIVE', defaultProjectRules(), ['+861088880000']);
    await seedList(repos, orgId, projectId, stagedContacts(400, '+86137'), new Date(T0), 'live.csv');
    const dnc = await repos.dnc.ensureList(orgId, null, 'global');
    await repos.dnc.addEntries(
      dnc,
      [{ phone: '+8613700000003', reason: 'refused', source: 'test', expiresAt: null }],
      null,
    );
    for (let i = 0; i < 8; i++) {
      agentIds.push(
        (
          await repos.users.create({
            orgId,
            username: `live-agent-${i}`,
            role: 'agent',
            passwordHash: 'x',
            displayName: `A${i}`,
          })
        ).id,
      );
    }
  });
  afterAll(async () => cleanup?.());

  /**
   * One dialer on virtual time over this test's database: the carrier, simulated agents (all of
   * `agentIds` unless told otherwise), the event log; `run` advances time, `drain` lets the calls
   * in flight end, `close` stops it all.
   */
  const rig = (
    at: number,
    carrierCfg: Partial<SimulatedCarrierConfig>,
    seeds: [number, number],
    crew: {
      wrapMs?: number;
      preview?: ConstructorParameters<typeof SimulatedAgents>[3];
      agents?: { id: string; skills: Record<string, number> }[];
      logger?: RecordingLogger;
    } = {},
  ) => {
    const scheduler = new VirtualScheduler(at);
    const clock = { now: () => new Date(scheduler.now()) };
    const carrier = new SimulatedCarrier({ ...defaultSimulatedCarrier, ...carrierCfg }, scheduler, seeded(seeds[0]));
    const campaigns = new CampaignService(repos, clock);
    const dialer = new Dialer({
      repos,
      telephony: carrier,
      scheduler,
      attempts: new AttemptRecorder(repos, clock),
      campaigns,
      runner: { random: seeded(seeds[1]) },
      ...(crew.logger ? { logger: crew.logger } : {}),
    });
    const events: DialerEvent[] = [];
    dialer.bus.subscribe((e) => events.push(e));
    const agents = new SimulatedAgents(dialer, scheduler, () => crew.wrapMs ?? 5000, crew.preview);
    agents.login(crew.agents ?? agentIds.map((id) => ({ id, skills: { insurance: 5 } })));
    const run = async (ms: number, opts: { sync?: boolean; until?: () => boolean } = {}) => {
      for (let t = 0; t < ms; t += 250) {
        scheduler.advance(250);
        if (opts.sync && t % 2000 === 0) await dialer.sync();
        await dialer.idle();
        if (opts.until?.()) break;
      }
    };
    const drain = async () => {
      for (let t = 0; t < 10 * 60_000 && carrier.activeCalls > 0; t += 250) {
        scheduler.advance(250);
        await dialer.idle();
      }
    };
    const close = async () => {
      await dialer.stop();
      agents.dispose();
    };
    return { scheduler, clock, carrier, campaigns, dialer, events, agents, run, drain, close };
  };

  it('runs a predictive campaign: every attempt recorded once, routed or abandoned, next steps set, no rule broken', async () => {
    const {
      scheduler,
      dialer,
      events,
      run: step,
      close,
    } = rig(T0, { meanTalkMs: 60_000 }, [7, 11], { wrapMs: 10_000 });

    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'live',
      settings: { ...defaultCampaignSettings(), dialMode: 'predictive', requiredSkills: { insurance: 1 } },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(T0));
    await dialer.sync();

    await step(20 * 60_000); // twenty minutes of calling
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'paused', new Date(scheduler.now()));
    await dialer.sync(); // the runner stops dialing; calls in progress finish
    await step(10 * 60_000);
    if (process.env['OUTDIAL_TEST_VERBOSE']) console.log(JSON.stringify(dialer.stats(c.id)));
    await close();

    const attempts = await db.query<{
      id: string;
      contactId: string;
      phone: string;
      placedAt: Date;
      endedAt: Date | null;
      outcome: string | null;
      agent: string | null;
      connectedAt: Date | null;
      abandoned: boolean;
    }>(
      `SELECT id, contact_id AS "contactId", phone, placed_at AS "placedAt", ended_at AS "endedAt", outcome, agent_user_id AS agent, connected_at AS "connectedAt", abandoned
         FROM call_attempts WHERE campaign_id = $1 ORDER BY placed_at`,
      [c.id],
    );
    const placed = events.filter((e) => e.type === 'CallPlaced').length;
    const ended = events.filter((e) => e.type === 'CallEnded');
    expect(placed).toBeGreaterThan(100);
    expect(attempts).toHaveLength(placed);
    // Exactly one outcome per attempt, none left open.
    expect(attempts.every((a) => a.endedAt !== null && a.outcome !== null)).toBe(true);
    expect(ended).toHaveLength(placed);
    expect(new Set(ended.map((e) => e.type === 'CallEnded' && e.attemptId)).size).toBe(placed);
    // Connected calls reached one of our agents; abandons are flagged and counted.
    const connected = attempts.filter((a) => a.connectedAt !== null);
    expect(connected.length).toBeGreaterThan(20);
    expect(connected.every((a) => a.agent !== null && agentIds.includes(a.agent))).toBe(true);
    const stats = events.filter((e) => e.type === 'CallConnected').length;
    expect(stats).toBe(connected.length);
    expect(attempts.filter((a) => a.abandoned).every((a) => a.outcome === 'abandoned' && a.connectedAt === null)).toBe(
      true,
    );
    // The number on the do-not-call list was never dialed, and the refusal was counted.
    expect(attempts.some((a) => a.phone === '+8613700000003')).toBe(false);
    expect(events.some((e) => e.type === 'DialRefused' && e.code === 'dnc')).toBe(true);
    // Every dial was allowed by the compliance gate given the history before it.
    const rules = defaultProjectRules();
    const byContact = new Map<string, AttemptRecord[]>();
    for (const a of attempts) {
      const before = byContact.get(a.contactId) ?? [];
      const gate = checkDial(
        {
          contactStatus: 'in_progress',
          callbackAt: null,
          contactTimeZone: 'Asia/Shanghai',
          numberTimeZone: 'Asia/Shanghai',
          phone: a.phone,
          attempts: before,
          onDncList: false,
          agentGuaranteed: false,
        },
        rules,
        a.placedAt.getTime(),
      );
      expect(gate, `attempt ${a.id}`).toEqual({ allowed: true });
      byContact.set(a.contactId, [
        ...before,
        { phone: a.phone, placedAt: a.placedAt.getTime(), outcome: a.outcome as AttemptRecord['outcome'] },
      ]);
    }
    // Each dialed contact has its next step and no lease left.
    const contacts = await db.query<{ status: string; attempts: number; next: Date | null; lease: string | null }>(
      `SELECT status, attempts, next_attempt_at AS next, lease_owner AS lease FROM contacts WHERE id = ANY($1::uuid[])`,
      [[...byContact.keys()]],
    );
    expect(
      contacts.every((k) => k.attempts >= 1 && k.lease === null && (k.status === 'closed' || k.next !== null)),
    ).toBe(true);
    // Agents are all back (ready, or still wrapping the last call).
    expect(
      dialer.desk
        .all()
        .filter((a) => a.state.status !== 'ready' && a.state.status !== 'wrap_up')
        .map((a) => a.state),
    ).toEqual([]);
  });

  it('the circuit breaker pauses a campaign whose calls fail at the network, saying why; a resume starts afresh', async () => {
    // A broken trunk: nine calls in ten fail.
    const { scheduler, campaigns, dialer, events, run, drain, close } = rig(
      T0 + 86_400_000,
      { personRate: 0.05, machineRate: 0, busyRate: 0, failedRate: 0.9 },
      [3, 5],
      { wrapMs: 10_000 },
    );
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'broken trunk',
      settings: { ...defaultCampaignSettings(), dialMode: 'progressive' },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(scheduler.now()));
    await dialer.sync();
    await run(10 * 60_000, { until: () => events.some((e) => e.type === 'CircuitBreakerTripped') });
    const trip = events.find((e) => e.type === 'CircuitBreakerTripped');
    expect(trip).toMatchObject({ reason: 'carrier_failures' });
    const row = await repos.campaigns.get(orgId, c.id);
    expect(row).toMatchObject({ status: 'paused' });
    expect(row?.statusReason).toMatch(/^carrier_failures: \d+ of the last \d+ calls failed/);
    // No new dial after the trip.
    const placedAt = events.filter((e) => e.type === 'CallPlaced').length;
    await run(60_000);
    expect(events.filter((e) => e.type === 'CallPlaced').length).toBe(placedAt);
    // A person resumes it (the trunk was fixed): the breaker judges only what happens from then on.
    await campaigns.act(
      { orgId, userId: agentIds[0]!, role: 'admin' } as Parameters<CampaignService['act']>[0],
      c.id,
      'resume',
    );
    expect((await repos.campaigns.get(orgId, c.id))?.statusReason).toBeNull();
    await dialer.sync();
    scheduler.advance(2000);
    await dialer.idle();
    expect(events.filter((e) => e.type === 'CallPlaced').length).toBeGreaterThan(placedAt);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(scheduler.now()), 'stopped');
    await dialer.sync();
    await drain();
    await close();
  });

  it('preview mode: agents see each contact first, dial or skip it (counted by reason), and get the calls they dialed', async () => {
    const skip = seeded(23);
    const { scheduler, dialer, events, run, close } = rig(T0 + 2 * 86_400_000, { meanTalkMs: 30_000 }, [17, 19], {
      preview: { thinkMs: () => 4000, skip: () => skip() < 0.25 },
      agents: agentIds.slice(0, 4).map((id) => ({ id, skills: { insurance: 5 } })),
    });
    // One agent logs in but never acts on what they are shown: their offers time out.
    const idle = agentIds[7]!;
    dialer.agent(idle, { type: 'login', at: scheduler.now() }, { insurance: 5 });
    dialer.agent(idle, { type: 'ready', at: scheduler.now() });
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'preview',
      settings: { ...defaultCampaignSettings(), dialMode: 'preview', previewTimeoutSeconds: 30 },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(scheduler.now()));
    await dialer.sync();
    await run(10 * 60_000);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'paused', new Date(scheduler.now()));
    await dialer.sync();
    await run(5 * 60_000);
    const stats = dialer.stats(c.id) ?? null;
    await close();

    const offered = events.filter((e) => e.type === 'PreviewOffered');
    const decided = events.filter((e) => e.type === 'PreviewDecided');
    expect(offered.length).toBeGreaterThan(20);
    // Every offer was decided exactly once.
    expect(new Set(decided.map((e) => e.type === 'PreviewDecided' && e.previewId)).size).toBe(offered.length);
    expect(decided).toHaveLength(offered.length);
    const reasons = decided
      .filter((e) => e.type === 'PreviewDecided' && e.decision === 'skip')
      .map((e) => e.type === 'PreviewDecided' && e.reason);
    expect(reasons).toContain('not_suitable');
    expect(reasons).toContain('timeout');
    // The idle agent never dialed; each of their offers timed out.
    expect(
      decided
        .filter((e) => e.type === 'PreviewDecided' && e.agentId === idle)
        .every(
          (e) =>
            e.type === 'PreviewDecided' &&
            e.decision === 'skip' &&
            (e.reason === 'timeout' || e.reason === 'campaign_stopped'),
        ),
    ).toBe(true);
    // Each call went to the agent who chose to dial that contact; preview never abandons.
    const dialedBy = new Map(
      decided
        .filter((e) => e.type === 'PreviewDecided' && e.decision === 'dial')
        .map((e) => [e.type === 'PreviewDecided' ? e.contactId : '', e.type === 'PreviewDecided' ? e.agentId : '']),
    );
    const placedContact = new Map(
      events
        .filter((e) => e.type === 'CallPlaced')
        .map((e) => [e.type === 'CallPlaced' ? e.attemptId : '', e.type === 'CallPlaced' ? e.contactId : '']),
    );
    const connected = events.filter((e) => e.type === 'CallConnected');
    expect(connected.length).toBeGreaterThan(3);
    for (const e of connected)
      if (e.type === 'CallConnected') expect(e.agentId).toBe(dialedBy.get(placedContact.get(e.attemptId)!));
    const attempts = await db.query<{ dialMode: string; abandoned: boolean; endedAt: Date | null }>(
      `SELECT dial_mode AS "dialMode", abandoned, ended_at AS "endedAt" FROM call_attempts WHERE campaign_id = $1`,
      [c.id],
    );
    expect(attempts.length).toBe(dialedBy.size);
    expect(attempts.every((a) => a.dialMode === 'preview' && !a.abandoned && a.endedAt !== null)).toBe(true);
    // The decisions are persisted, and the live figures agree with them.
    const figures = await repos.campaigns.previewFigures(c.id, new Date(0));
    expect(figures.decided).toBe(decided.length);
    expect(figures.dialed).toBe(dialedBy.size);
    expect(stats?.previews.offered).toBe(offered.length);
    expect(stats?.previews.dialed).toBe(figures.dialed);
  });

  it('a large team starting a campaign is not mistaken for a low answer rate while its first calls still ring', async () => {
    const team: string[] = [];
    for (let i = 0; i < 60; i++)
      team.push(
        (
          await repos.users.create({
            orgId,
            username: `big-team-${i}`,
            role: 'agent',
            passwordHash: 'x',
            displayName: `B${i}`,
          })
        ).id,
      );
    const { scheduler, dialer, events, run, drain, close } = rig(
      T0 + 3 * 86_400_000,
      { meanRingMs: 12_000 },
      [29, 31],
      { agents: team.map((id) => ({ id, skills: {} })) },
    );
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'big team',
      settings: { ...defaultCampaignSettings(), dialMode: 'predictive', maxCallsPerSecond: 100 },
      createdBy: null,
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(scheduler.now()));
    await dialer.sync();
    await run(60_000);
    expect(events.filter((e) => e.type === 'CallPlaced').length).toBeGreaterThan(60);
    expect(events.filter((e) => e.type === 'ModeChanged')).toEqual([]);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(scheduler.now()), 'stopped');
    await dialer.sync();
    await drain();
    await close();
  });

  it('dials only the lists asked for, and no more of a list per day than its cap', async () => {
    const { scheduler, dialer, run, drain, close } = rig(T0 + 4 * 86_400_000, {}, [37, 41], {
      agents: agentIds.map((id, i) => ({ id, skills: { insurance: 1 + i } })),
    });
    const list = await seedList(
      repos,
      orgId,
      projectId,
      stagedContacts(30, '+86136', () => ({ custom: { tier: 3 } })),
      new Date(scheduler.now()),
      'vip.csv',
    );
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'vip list',
      createdBy: null,
      settings: {
        ...defaultCampaignSettings(),
        dialMode: 'predictive',
        lists: [list],
        listDailyCaps: { [list]: 7 },
        routing: { kind: 'score', levelWeight: 1, idleWeight: 0.01, tierWeight: 10 },
        valueTierField: 'tier',
        requiredSkills: { insurance: 1 },
      },
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(scheduler.now()));
    await dialer.sync();
    await run(20 * 60_000);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(scheduler.now()), 'stopped');
    await dialer.sync();
    await drain();
    await close();
    const rows = await db.query<{ list: string | null; agent: string | null }>(
      `SELECT k.import_id AS list, a.agent_user_id AS agent FROM call_attempts a JOIN contacts k ON k.id = a.contact_id WHERE a.campaign_id = $1`,
      [c.id],
    );
    expect(rows).toHaveLength(7);
    expect(rows.every((r) => r.list === list)).toBe(true);
    // Every connected top-tier call went to one of the two most skilled agents (levels 8 and 7 of 1–8) when they were free.
    const connected = rows.filter((r) => r.agent !== null);
    expect(connected.length).toBeGreaterThan(0);
    expect(connected.filter((r) => r.agent === agentIds[7] || r.agent === agentIds[6]).length).toBeGreaterThan(
      connected.length / 2,
    );
    // No lease left behind by the cap.
    expect((await db.query(`SELECT 1 FROM contacts WHERE lease_owner = $1`, [c.id])).length).toBe(0);
  });

  it("two nodes running one campaign share a list's daily cap: together they dial it no further", async () => {
    // Two dialers over the same database, each with half the agents, as two server processes would be.
    const at = T0 + 7 * 86_400_000; // the next Monday, inside the windows
    const nodeA = rig(at, { meanRingMs: 3000 }, [53, 59], {
      agents: agentIds.slice(0, 4).map((id) => ({ id, skills: { insurance: 5 } })),
    });
    const nodeB = rig(at, { meanRingMs: 3000 }, [61, 67], {
      agents: agentIds.slice(4).map((id) => ({ id, skills: { insurance: 5 } })),
    });
    const list = await seedList(repos, orgId, projectId, stagedContacts(60, '+86135'), new Date(at), 'shared-cap.csv');
    // Two of its numbers are blocked: the gate refuses them after their dials were claimed, and the dials go back.
    const dnc = await repos.dnc.ensureList(orgId, null, 'global');
    await repos.dnc.addEntries(
      dnc,
      ['+8613500000000', '+8613500000001'].map((phone) => ({
        phone,
        reason: 'refused',
        source: 'test',
        expiresAt: null,
      })),
      null,
    );
    const CAP = 9;
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'shared cap',
      createdBy: null,
      settings: {
        ...defaultCampaignSettings(),
        dialMode: 'power',
        linesPerAgent: 3,
        maxCallsPerSecond: 2,
        lists: [list],
        listDailyCaps: { [list]: CAP },
      },
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(at));
    await Promise.all([nodeA.dialer.sync(), nodeB.dialer.sync()]);
    for (let t = 0; t < 15 * 60_000; t += 250) {
      nodeA.scheduler.advance(250);
      nodeB.scheduler.advance(250);
      await Promise.all([nodeA.dialer.idle(), nodeB.dialer.idle()]);
    }
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(nodeA.scheduler.now()), 'stopped');
    await Promise.all([nodeA.dialer.sync(), nodeB.dialer.sync()]);
    await Promise.all([nodeA.drain(), nodeB.drain()]);
    await Promise.all([nodeA.close(), nodeB.close()]);
    const byNode = [nodeA, nodeB].map(
      (n) => n.events.filter((e) => e.type === 'CallPlaced' && e.campaignId === c.id).length,
    );
    // Both nodes dialed (two calls a second each at most), and together exactly the cap.
    expect(
      byNode.every((n) => n > 0),
      JSON.stringify({ byNode, a: nodeA.dialer.stats(c.id), b: nodeB.dialer.stats(c.id) }),
    ).toBe(true);
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM call_attempts WHERE campaign_id = $1', [
      c.id,
    ]);
    expect(rows[0]!.n).toBe(CAP);
    expect(byNode[0]! + byNode[1]!).toBe(CAP);
    // The shared count agrees with the attempts: nothing claimed and left unused.
    const used = await db.query<{ used: number }>('SELECT used FROM campaign_list_days WHERE campaign_id = $1', [c.id]);
    expect(used.map((u) => u.used)).toEqual([CAP]);
    expect((await db.query('SELECT 1 FROM contacts WHERE lease_owner = $1', [c.id])).length).toBe(0);
  });

  it("a failed write gives the dials it claimed back to the list's cap", async () => {
    const at = T0 + 9 * 86_400_000; // a Wednesday
    const { scheduler, dialer, drain, close } = rig(at, { meanRingMs: 3000 }, [79, 83]);
    const list = await seedList(repos, orgId, projectId, stagedContacts(20, '+86133'), new Date(at), 'fails.csv');
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'write fails',
      createdBy: null,
      settings: { ...defaultCampaignSettings(), dialMode: 'power', lists: [list], listDailyCaps: { [list]: 5 } },
    });
    // The first group commit of placed attempts fails (the database went away for a moment).
    const openMany = repos.attempts.openMany.bind(repos.attempts);
    let failures = 0;
    repos.attempts.openMany = async (rows) => {
      if (failures++ === 0) throw new Error('connection reset');
      return openMany(rows);
    };
    try {
      await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(at));
      await dialer.sync();
      // Past the failed contacts' lease (10 minutes), so they can be dialed again.
      for (let t = 0; t < 15 * 60_000; t += 250) {
        scheduler.advance(250);
        await dialer.idle();
      }
    } finally {
      repos.attempts.openMany = openMany;
    }
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(scheduler.now()), 'stopped');
    await dialer.sync();
    await drain();
    await close();
    expect(failures).toBeGreaterThan(1);
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM call_attempts WHERE campaign_id = $1', [
      c.id,
    ]);
    expect(rows[0]!.n).toBe(5);
    expect(
      (await db.query<{ used: number }>('SELECT used FROM campaign_list_days WHERE campaign_id = $1', [c.id])).map(
        (u) => u.used,
      ),
    ).toEqual([5]);
  });

  it('takes settings and project rules changed while the campaign runs: tags, dial mode, a holiday added', async () => {
    const at = T0 + 8 * 86_400_000; // a Tuesday, inside the windows
    const { scheduler, dialer, events, run, drain, close } = rig(at, { meanRingMs: 3000 }, [71, 73]);
    const project = await seedProject(repos, orgId, 'LIVE-CHANGES');
    await seedList(repos, orgId, project, stagedContacts(80, '+86134'), new Date(at), 'changes.csv');
    const c = await repos.campaigns.create({
      orgId,
      projectId: project,
      name: 'changes',
      createdBy: null,
      settings: { ...defaultCampaignSettings(), dialMode: 'predictive', tags: ['nobody-has-this'] },
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(at));
    const placed = () => events.filter((e) => e.type === 'CallPlaced' && e.campaignId === c.id).length;
    await run(30_000, { sync: true });
    expect(placed()).toBe(0); // no contact has the tag

    // The tag filter is dropped and the mode set to progressive: the running campaign dials, progressively.
    await repos.campaigns.updateSettings(
      orgId,
      c.id,
      { ...c.settings, tags: [], dialMode: 'progressive' },
      new Date(scheduler.now()),
    );
    await run(30_000, { sync: true });
    expect(placed()).toBeGreaterThan(0);
    expect(dialer.stats(c.id)).toMatchObject({ mode: 'progressive' });

    // Today becomes a holiday in the project's rules: within the refresh (10 s) and a sync, no new dial.
    const today = new Date(scheduler.now() + 8 * 3_600_000).toISOString().slice(0, 10); // Shanghai date
    await repos.projects.update(orgId, project, { rules: { ...defaultProjectRules(), holidays: [today] } });
    await run(15_000, { sync: true });
    const before = placed();
    await run(60_000, { sync: true });
    expect(placed()).toBe(before);
    expect(dialer.stats(c.id)?.refusals['holiday']).toBeGreaterThan(0);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(scheduler.now()), 'stopped');
    await dialer.sync();
    await drain();
    await close();
  });

  it('a campaign finishes by itself at its end time', async () => {
    const { scheduler, events, run, drain, close } = rig(T0 + 5 * 86_400_000, {}, [43, 47]);
    const endAt = scheduler.now() + 2 * 60_000;
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'ends',
      createdBy: null,
      settings: { ...defaultCampaignSettings(), dialMode: 'progressive', endAt: new Date(endAt).toISOString() },
    });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(scheduler.now()));
    await run(5 * 60_000, { sync: true });
    expect(await repos.campaigns.get(orgId, c.id)).toMatchObject({ status: 'finished', finishReason: 'end_time' });
    const placed = events.filter((e) => e.type === 'CallPlaced');
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.every((e) => e.at <= endAt + 2000)).toBe(true);
    expect(events.some((e) => e.type === 'CampaignFinished' && e.reason === 'end_time')).toBe(true);
    await drain();
    await close();
  });
  it('a campaign whose history cannot be read is paused with the reason, not dialed blind; resumed, it dials', async () => {
    const at = T0 + 14 * 86_400_000; // two Mondays on
    const logger = new RecordingLogger();
    const { scheduler, campaigns, events, run, drain, close } = rig(at, { meanRingMs: 3000 }, [89, 97], { logger });
    const c = await repos.campaigns.create({
      orgId,
      projectId,
      name: 'no history',
      createdBy: null,
      settings: { ...defaultCampaignSettings(), dialMode: 'progressive' },
    });
    const buckets = repos.attempts.campaignBuckets.bind(repos.attempts);
    repos.attempts.campaignBuckets = () => Promise.reject(new Error('connection terminated unexpectedly'));
    try {
      await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(at));
      await run(10_000, { sync: true });
    } finally {
      repos.attempts.campaignBuckets = buckets;
    }
    const row = await repos.campaigns.get(orgId, c.id);
    expect(row).toMatchObject({ status: 'paused', statusReason: HISTORY_UNAVAILABLE });
    expect(events.filter((e) => e.type === 'CallPlaced' && e.campaignId === c.id)).toEqual([]);
    expect(logger.at('error')).toMatchObject([
      { fields: { component: 'runner', campaignId: c.id, err: { message: 'connection terminated unexpectedly' } } },
    ]);
    // The database is back and a person resumes the campaign: its history is read and it dials.
    await campaigns.act(
      { orgId, userId: agentIds[0]!, role: 'admin' } as Parameters<CampaignService['act']>[0],
      c.id,
      'resume',
    );
    await run(10_000, { sync: true });
    expect(events.filter((e) => e.type === 'CallPlaced' && e.campaignId === c.id).length).toBeGreaterThan(0);
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'finished', new Date(scheduler.now()), 'stopped');
    await run(2000, { sync: true });
    await drain();
    await close();
  });

  it('CampaignFinished is published only once its write succeeded, and a failed write is tried again', async () => {
    const at = T0 + 15 * 86_400_000; // a Tuesday
    const logger = new RecordingLogger();
    const { campaigns, events, run, drain, close } = rig(at, { meanRingMs: 2000 }, [101, 103], { logger });
    // A project of its own with three contacts: the campaign runs out of them.
    const project = await seedProject(repos, orgId, 'LIVE-EXHAUST');
    await seedList(repos, orgId, project, stagedContacts(3, '+86132'), new Date(at), 'three.csv');
    const rules = { ...defaultProjectRules(), closing: { maxAttempts: 1, windowDays: 10, closeOnSuccess: true } };
    await repos.projects.update(orgId, project, { rules });
    const c = await repos.campaigns.create({
      orgId,
      projectId: project,
      name: 'runs out',
      createdBy: null,
      settings: { ...defaultCampaignSettings(), dialMode: 'progressive' },
    });
    // The first finish write fails (the database blinked): no event until a later sync writes it.
    const system = campaigns.system.bind(campaigns);
    let refused = 0;
    campaigns.system = (o, id, action, ...rest) => {
      if (action === 'finish' && refused++ === 0) return Promise.reject(new Error('connection reset'));
      return system(o, id, action, ...rest);
    };
    const finished = () => events.filter((e) => e.type === 'CampaignFinished' && e.campaignId === c.id);
    try {
      await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(at));
      await run(5 * 60_000, { sync: true, until: () => refused > 0 });
      expect(refused).toBe(1);
      expect(finished()).toEqual([]);
      expect(logger.at('error').map((e) => e.msg)).toContain(
        'finishing a campaign failed; tried again at the next sync',
      );
      await run(5000, { sync: true });
    } finally {
      campaigns.system = system;
    }
    expect(await repos.campaigns.get(orgId, c.id)).toMatchObject({
      status: 'finished',
      finishReason: 'list_exhausted',
    });
    expect(finished()).toMatchObject([{ reason: 'list_exhausted' }]);
    expect(events.filter((e) => e.type === 'CallPlaced' && e.campaignId === c.id)).toHaveLength(3);
    await drain();
    await close();
  });
});
