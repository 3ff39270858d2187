import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repositories, testDatabases, type Database } from '@outdial/db';
import { defaultCampaignSettings } from '@outdial/domain/campaigns';
import { checkDial, type AttemptRecord } from '@outdial/domain/compliance';
import { defaultProjectRules } from '@outdial/domain/projects';
import { AttemptRecorder, CampaignService, Dialer, SimulatedAgents, VirtualScheduler, type DialerEvent } from '@outdial/engine';
import { SimulatedCarrier, defaultSimulatedCarrier } from '@outdial/telephony/simulated';

/** mulberry32: the run is the same every time. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    projectId = (await repos.projects.create(orgId, {
      code: 'LIVE', name: 'Live dialer', description: '', defaultRegion: 'CN', defaultTimezone: 'Asia/Shanghai',
      rules: defaultProjectRules(), callerIds: ['+861088880000'],
    })).id;
    const imp = await repos.imports.create({ orgId, projectId, filename: 'live.csv', totalBytes: null, createdBy: null });
    const w = repos.imports.writer(orgId, projectId, imp.id, new Date(T0));
    await w.write(Array.from({ length: 400 }, (_, i) => {
      const phone = `+86137${String(i).padStart(8, '0')}`;
      return { rowNumber: i + 2, outcome: 'accepted' as const, code: null, message: null, phone, phones: [phone], name: `客户${i}`, timezone: 'Asia/Shanghai', region: 'CN', tags: [], externalId: null, custom: {}, raw: null };
    }));
    await w.finish(new Date(T0));
    const dnc = await repos.dnc.ensureList(orgId, null, 'global');
    await repos.dnc.addEntries(dnc, [{ phone: '+8613700000003', reason: 'refused', source: 'test', expiresAt: null }], null);
    for (let i = 0; i < 8; i++) {
      agentIds.push((await repos.users.create({ orgId, username: `live-agent-${i}`, role: 'agent', passwordHash: 'x', displayName: `A${i}` })).id);
    }
  });
  afterAll(async () => cleanup?.());

  it('runs a predictive campaign: every attempt recorded once, routed or abandoned, next steps set, no rule broken', async () => {
    const scheduler = new VirtualScheduler(T0);
    const clock = { now: () => new Date(scheduler.now()) };
    const carrier = new SimulatedCarrier({ ...defaultSimulatedCarrier, meanTalkMs: 60_000 }, scheduler, seeded(7));
    const campaigns = new CampaignService(repos, clock);
    const dialer = new Dialer({ repos, telephony: carrier, scheduler, attempts: new AttemptRecorder(repos, clock), campaigns, runner: { random: seeded(11) } });
    const events: DialerEvent[] = [];
    dialer.bus.subscribe((e) => events.push(e));
    const agents = new SimulatedAgents(dialer, scheduler, () => 10_000);
    agents.login(agentIds.map((id) => ({ id, skills: { insurance: 5 } })));

    const c = await repos.campaigns.create({ orgId, projectId, name: 'live', settings: { ...defaultCampaignSettings(), dialMode: 'predictive', requiredSkills: { insurance: 1 } }, createdBy: null });
    await repos.campaigns.setStatus(orgId, c.id, 'draft', 'running', new Date(T0));
    await dialer.sync();

    const step = async (ms: number) => {
      for (let t = 0; t < ms; t += 250) {
        scheduler.advance(250);
        await dialer.idle();
      }
    };
    await step(20 * 60_000); // twenty minutes of calling
    await repos.campaigns.setStatus(orgId, c.id, 'running', 'paused', new Date(scheduler.now()));
    await dialer.sync(); // the runner stops dialing; calls in progress finish
    await step(10 * 60_000);
    if (process.env['OUTDIAL_TEST_VERBOSE']) console.log(JSON.stringify(dialer.stats(c.id)));
    await dialer.stop();
    agents.dispose();

    const attempts = await db.query<{ id: string; contactId: string; phone: string; placedAt: Date; endedAt: Date | null; outcome: string | null; agent: string | null; connectedAt: Date | null; abandoned: boolean }>(
      `SELECT id, contact_id AS "contactId", phone, placed_at AS "placedAt", ended_at AS "endedAt", outcome, agent_user_id AS agent, connected_at AS "connectedAt", abandoned
         FROM call_attempts WHERE campaign_id = $1 ORDER BY placed_at`, [c.id]);
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
    expect(attempts.filter((a) => a.abandoned).every((a) => a.outcome === 'abandoned' && a.connectedAt === null)).toBe(true);
    // The number on the do-not-call list was never dialed, and the refusal was counted.
    expect(attempts.some((a) => a.phone === '+8613700000003')).toBe(false);
    expect(events.some((e) => e.type === 'DialRefused' && e.code === 'dnc')).toBe(true);
    // Every dial was allowed by the compliance gate given the history before it.
    const rules = defaultProjectRules();
    const byContact = new Map<string, AttemptRecord[]>();
    for (const a of attempts) {
      const before = byContact.get(a.contactId) ?? [];
      const gate = checkDial({ contactStatus: 'in_progress', callbackAt: null, contactTimeZone: 'Asia/Shanghai', numberTimeZone: 'Asia/Shanghai', phone: a.phone, attempts: before, onDncList: false, agentGuaranteed: false }, rules, a.placedAt.getTime());
      expect(gate, `attempt ${a.id}`).toEqual({ allowed: true });
      byContact.set(a.contactId, [...before, { phone: a.phone, placedAt: a.placedAt.getTime(), outcome: a.outcome as AttemptRecord['outcome'] }]);
    }
    // Each dialed contact has its next step and no lease left.
    const contacts = await db.query<{ status: string; attempts: number; next: Date | null; lease: string | null }>(
      `SELECT status, attempts, next_attempt_at AS next, lease_owner AS lease FROM contacts WHERE id = ANY($1::uuid[])`, [[...byContact.keys()]]);
    expect(contacts.every((k) => k.attempts >= 1 && k.lease === null && (k.status === 'closed' || k.next !== null))).toBe(true);
    // Agents are all back (ready, or still wrapping the last call).
    expect(dialer.desk.all().filter((a) => a.state.status !== 'ready' && a.state.status !== 'wrap_up').map((a) => a.state)).toEqual([]);
  });
});
