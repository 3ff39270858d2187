import { describe, expect, it } from 'vitest';
import type { CampaignSettings } from '@outdial/domain/campaigns';
import { defaultProjectRules } from '@outdial/domain/projects';
import { RecordingLogger } from '../testing.ts';
import { AgentDesk } from './desk.ts';
import { EventBus, type DialerEvent } from './events.ts';
import { CampaignRunner, HISTORY_UNAVAILABLE, type Halt } from './runner.ts';
import { FakeTelephony, MemoryAttempts, MemoryDialerStore, campaignRow, contact } from './testing.ts';
import { VirtualScheduler } from './virtual-scheduler.ts';

const T0 = Date.parse('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai, inside the default windows

/**
 * One runner over fakes of every port, on virtual time: `agents` logged in and ready,
 * `contacts` waiting in the list. `run(ms)` advances time in quarter seconds and lets the
 * runner's work settle after each step, as the server's event loop would.
 */
function setup(settings: Partial<CampaignSettings>, opts: { agents?: number; contacts?: number } = {}) {
  const scheduler = new VirtualScheduler(T0);
  const store = new MemoryDialerStore(Array.from({ length: opts.contacts ?? 20 }, (_, i) => contact(i)));
  const attempts = new MemoryAttempts();
  const telephony = new FakeTelephony();
  const bus = new EventBus();
  const events: DialerEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const desk = new AgentDesk(bus);
  const agentIds = Array.from({ length: opts.agents ?? 2 }, (_, i) => `agent-${i}`);
  for (const id of agentIds) {
    desk.apply(id, { type: 'login', at: T0 }, {}, 'org-1');
    desk.apply(id, { type: 'ready', at: T0 });
  }
  const log = new RecordingLogger();
  const halts: Halt[] = [];
  const runner = new CampaignRunner(
    campaignRow(settings),
    defaultProjectRules(),
    ['+861088880000'],
    {
      repos: store.repos,
      telephony,
      scheduler,
      desk,
      bus,
      attempts,
      onHalt: (h) => halts.push(h),
      projectZone: 'Asia/Shanghai',
      logger: log,
    },
    { random: () => 0.5 },
  );
  const run = async (ms: number) => {
    await runner.idle();
    for (let t = 0; t < ms; t += 250) {
      scheduler.advance(Math.min(250, ms - t));
      await runner.idle();
    }
  };
  /** What the carrier says happened to a call, then the runner's work on it settled. */
  const say = async (e: Parameters<FakeTelephony['emit']>[0]) => {
    telephony.emit(e);
    await runner.idle();
  };
  const of = <K extends DialerEvent['type']>(type: K) =>
    events.filter((e): e is Extract<DialerEvent, { type: K }> => e.type === type);
  return { scheduler, store, attempts, telephony, events, desk, log, halts, runner, run, say, of, agentIds };
}

describe('CampaignRunner', () => {
  it('progressive: one call per ready agent, each attempt recorded before its call is placed', async () => {
    const { runner, run, attempts, telephony, of, store } = setup({ dialMode: 'progressive' });
    const recordedWhenPlaced: number[] = [];
    const originate = telephony.originate.bind(telephony);
    telephony.originate = (req) => {
      recordedWhenPlaced.push(attempts.placedRows.filter((_, i) => `attempt-${i + 1}` === req.callId).length);
      originate(req);
    };
    runner.start();
    await run(3000);
    expect(telephony.originated.map((r) => r.to)).toEqual([contact(0).phone, contact(1).phone]);
    expect(recordedWhenPlaced).toEqual([1, 1]);
    expect(attempts.placedRows).toMatchObject([
      { contactId: 'contact-0', dialMode: 'progressive', callerId: '+861088880000', campaignId: 'campaign-1' },
      { contactId: 'contact-1', dialMode: 'progressive', callerId: '+861088880000' },
    ]);
    expect(telephony.originated[0]).toMatchObject({ ringTimeoutMs: 25_000, amd: false });
    expect(of('CallPlaced').map((e) => e.attemptId)).toEqual(['attempt-1', 'attempt-2']);
    // Nobody is free for a third call while two ring.
    expect(store.leased.size).toBe(2);
    expect(runner.snapshotStats()).toMatchObject({ dials: 2, mode: 'progressive' });
  });

  it('an answered person goes to the ready agent; the end is recorded once with the next step', async () => {
    const { runner, run, say, telephony, desk, attempts, of, agentIds } = setup(
      { dialMode: 'progressive' },
      { agents: 1 },
    );
    runner.start();
    await run(1000);
    await say({ type: 'answered', callId: 'attempt-1', at: T0 + 4000, amd: 'unknown' });
    expect(telephony.connected).toEqual([{ callId: 'attempt-1', agentId: agentIds[0] }]);
    expect(desk.get(agentIds[0]!)?.state).toMatchObject({ status: 'talking', callId: 'attempt-1' });
    expect(of('CallConnected')).toMatchObject([
      { attemptId: 'attempt-1', agentId: agentIds[0], contactId: 'contact-0' },
    ]);
    expect(attempts.progressed.map((p) => Object.keys(p.p).sort())).toEqual([
      ['amdResult', 'answeredAt'],
      ['agentUserId', 'connectedAt'],
    ]);
    await say({ type: 'ended', callId: 'attempt-1', at: T0 + 64_000, cause: 'customer_hangup', sipCode: 200 });
    expect(attempts.ends.get('attempt-1')).toMatchObject({
      outcome: 'person',
      hangupSide: 'customer',
      abandoned: false,
    });
    expect(of('CallEnded')).toMatchObject([{ attemptId: 'attempt-1', outcome: 'person', next: 'retry' }]);
    expect(desk.get(agentIds[0]!)?.state.status).toBe('wrap_up');
    expect(runner.liveCalls).toBe(0);
    expect(runner.snapshotStats()).toMatchObject({ answered: { person: 1, machine: 0 }, connects: 1, abandons: 0 });
  });

  it('with no agent within the 2-second rule the call is abandoned; an agent freed in time takes the other', async () => {
    const { runner, run, say, telephony, desk, attempts, of, agentIds, scheduler } = setup(
      { dialMode: 'power', linesPerAgent: 3 },
      { agents: 1 },
    );
    runner.start();
    await run(500);
    expect(telephony.originated).toHaveLength(3);
    const agent = agentIds[0]!;
    await say({ type: 'answered', callId: 'attempt-1', at: scheduler.now(), amd: 'unknown' }); // to the agent
    await say({ type: 'answered', callId: 'attempt-2', at: scheduler.now(), amd: 'unknown' }); // waits
    await run(1900);
    expect(telephony.abandoned).toEqual([]);
    await run(100);
    expect(telephony.abandoned).toEqual(['attempt-2']);
    await say({ type: 'ended', callId: 'attempt-2', at: scheduler.now() + 4000, cause: 'abandoned', sipCode: 200 });
    expect(attempts.ends.get('attempt-2')).toMatchObject({ outcome: 'abandoned', abandoned: true, connectedAt: null });
    // The third is answered; the agent hangs up the first and is ready again a second later, inside the rule.
    await say({ type: 'answered', callId: 'attempt-3', at: scheduler.now(), amd: 'unknown' });
    await say({ type: 'ended', callId: 'attempt-1', at: scheduler.now(), cause: 'agent_hangup', sipCode: 200 });
    await run(1000);
    desk.apply(agent, { type: 'wrap_done', at: scheduler.now(), callId: 'attempt-1' });
    const [waiting] = runner.waitingCalls();
    expect(waiting?.attemptId).toBe('attempt-3');
    expect(runner.route(waiting!)).toBe(true); // what the dialer does when an agent becomes ready
    expect(of('CallConnected').at(-1)).toMatchObject({ attemptId: 'attempt-3', agentId: agent, waitMs: 1000 });
    await run(3000);
    expect(telephony.abandoned).toEqual(['attempt-2']);
    expect(runner.snapshotStats()).toMatchObject({ connects: 2, abandons: 1, answered: { person: 3 } });
  });

  it('at the end of the 2-second wait an agent who became free meanwhile still gets the call', async () => {
    const { runner, run, say, telephony, desk, agentIds, scheduler, of } = setup(
      { dialMode: 'power', linesPerAgent: 2 },
      { agents: 1 },
    );
    runner.start();
    await run(500);
    const agent = agentIds[0]!;
    await say({ type: 'answered', callId: 'attempt-1', at: scheduler.now(), amd: 'unknown' });
    await say({ type: 'ended', callId: 'attempt-1', at: scheduler.now(), cause: 'customer_hangup', sipCode: 200 });
    await say({ type: 'answered', callId: 'attempt-2', at: scheduler.now(), amd: 'unknown' }); // waits: the agent wraps up
    await run(1500);
    desk.apply(agent, { type: 'wrap_done', at: scheduler.now(), callId: 'attempt-1' }); // nobody routes now
    await run(500);
    expect(telephony.abandoned).toEqual([]);
    expect(of('CallConnected').at(-1)).toMatchObject({ attemptId: 'attempt-2', agentId: agent, waitMs: 2000 });
  });

  it('a routed call that went away meanwhile sends the agent back to ready', async () => {
    const { runner, run, say, telephony, desk, agentIds, scheduler } = setup(
      { dialMode: 'progressive' },
      { agents: 1 },
    );
    runner.start();
    await run(500);
    telephony.gone.add('attempt-1');
    await say({ type: 'answered', callId: 'attempt-1', at: scheduler.now(), amd: 'unknown' });
    expect(desk.get(agentIds[0]!)?.state.status).toBe('ready');
    expect(telephony.connected).toEqual([]);
  });

  it('a call the agent disposes of as an answering machine reaches the pacing once, with its talk time', async () => {
    const { runner, run, say, scheduler } = setup({ dialMode: 'progressive' }, { agents: 1 });
    runner.start();
    await run(1000);
    await say({ type: 'answered', callId: 'attempt-1', at: scheduler.now(), amd: 'unknown' });
    await say({ type: 'ended', callId: 'attempt-1', at: scheduler.now() + 8000, cause: 'agent_hangup', sipCode: 200 });
    expect(runner.machineAtAgent('attempt-1', scheduler.now() + 12_000)).toBe(true);
    expect(runner.machineAtAgent('attempt-1', scheduler.now() + 13_000)).toBe(false);
    expect(runner.machineAtAgent('attempt-9', scheduler.now() + 13_000)).toBe(false);
  });

  it('a machine answer (AMD) is released, not routed', async () => {
    const { runner, run, say, telephony, desk, agentIds, scheduler } = setup(
      { dialMode: 'progressive', amd: true },
      { agents: 1 },
    );
    runner.start();
    await run(500);
    expect(telephony.originated[0]?.amd).toBe(true);
    await say({ type: 'answered', callId: 'attempt-1', at: scheduler.now(), amd: 'machine' });
    expect(telephony.hungUp).toEqual([{ callId: 'attempt-1', cause: 'machine_released' }]);
    expect(desk.get(agentIds[0]!)?.state.status).toBe('ready');
    expect(runner.snapshotStats().answered).toEqual({ person: 0, machine: 1 });
  });

  it("a call's end whose write fails is retried with backoff, logged, and recorded once", async () => {
    const { runner, run, telephony, attempts, log, of, scheduler } = setup({ dialMode: 'progressive' }, { agents: 1 });
    runner.start();
    await run(500);
    runner.stop(); // no new dials: only the end's retries run below
    attempts.failEnds = 2;
    // `idle` would wait for the retries, which wait for (virtual) time: step time by hand instead.
    const step = async (ms: number) => {
      scheduler.advance(ms);
      await new Promise((r) => setImmediate(r));
    };
    telephony.emit({ type: 'ended', callId: 'attempt-1', at: scheduler.now(), cause: 'no_answer', sipCode: 487 });
    await step(0);
    expect(of('CallEnded')).toEqual([]);
    await step(499);
    expect(of('CallEnded')).toEqual([]);
    await step(1); // first retry after 0.5 s: fails again
    await step(999);
    expect(of('CallEnded')).toEqual([]);
    await step(1); // second retry 1 s later
    expect(of('CallEnded')).toMatchObject([{ attemptId: 'attempt-1', outcome: 'no_answer' }]);
    expect(attempts.ends.size).toBe(1);
    expect(log.at('warn').map((e) => [e.fields['attemptId'], e.fields['attempt'], e.fields['campaignId']])).toEqual([
      ['attempt-1', 1, 'campaign-1'],
      ['attempt-1', 2, 'campaign-1'],
    ]);
    await runner.idle();
  });

  it('does not dial blind when the history cannot be read: it halts for a pause with the reason until a person resumes', async () => {
    const { runner, run, store, telephony, halts, log, scheduler } = setup({ dialMode: 'progressive' });
    store.historyFails = new Error('connection refused');
    runner.start();
    await run(5000);
    expect(store.leases).toBe(0);
    expect(telephony.originated).toEqual([]);
    expect(halts).toEqual([{ action: 'pause', reason: 'history_unavailable', detail: HISTORY_UNAVAILABLE, at: T0 }]);
    expect(runner.halted).toEqual(halts[0]);
    expect(log.at('error')).toMatchObject([
      { fields: { component: 'runner', campaignId: 'campaign-1', err: { message: 'connection refused' } } },
    ]);
    // A sync that read the campaign before the pause was written does not restart it.
    store.historyFails = null;
    runner.resume(new Date(T0));
    await run(2000);
    expect(telephony.originated).toEqual([]);
    // A person resumed it (the row changed since): the history is read, then it dials.
    runner.resume(new Date(scheduler.now()));
    await run(1000);
    expect(runner.halted).toBeNull();
    expect(telephony.originated).toHaveLength(2);
  });

  it('the circuit breaker stops dialing and halts for a pause with its finding; a resume starts afresh', async () => {
    const { runner, run, say, telephony, store, halts, of, scheduler } = setup(
      { dialMode: 'power', linesPerAgent: 3, maxCallsPerSecond: 100 },
      { agents: 20, contacts: 200 },
    );
    runner.start();
    await run(500);
    expect(telephony.originated).toHaveLength(60);
    for (const r of telephony.originated)
      await say({ type: 'ended', callId: r.callId, at: scheduler.now(), cause: 'failed', sipCode: 503 });
    await run(1500);
    expect(of('CircuitBreakerTripped')).toMatchObject([{ reason: 'carrier_failures', campaignId: 'campaign-1' }]);
    expect(halts).toMatchObject([{ action: 'pause', reason: 'circuit_breaker' }]);
    expect(halts[0]?.action === 'pause' && halts[0].detail).toMatch(
      /^carrier_failures: 60 of the last 60 calls failed/,
    );
    expect(runner.snapshotStats().breaker).toMatch(/^carrier_failures/);
    const leases = store.leases;
    await run(5000);
    expect(store.leases).toBe(leases);
    runner.resume(new Date(scheduler.now()));
    await run(1000);
    expect(store.leases).toBeGreaterThan(leases);
    expect(runner.snapshotStats().breaker).toBeUndefined();
    expect(halts).toHaveLength(1);
  });

  it('halts to finish the campaign after two empty looks with nothing in flight; publishing is left to whoever writes it', async () => {
    const { runner, run, store, halts, of } = setup({ dialMode: 'progressive' }, { contacts: 0 });
    store.open = 0;
    runner.start();
    await run(500); // the first empty look
    expect(halts).toEqual([]);
    await run(500); // the second, a second later
    expect(halts).toMatchObject([{ action: 'finish', reason: 'list_exhausted' }]);
    expect(of('CampaignFinished')).toEqual([]);
  });

  it('contacts still open elsewhere (retries due later) do not finish the campaign', async () => {
    const { runner, run, store, halts } = setup({ dialMode: 'progressive' }, { contacts: 0 });
    store.open = 3;
    runner.start();
    await run(5000);
    expect(halts).toEqual([]);
  });

  it('a failed attempt write is logged, gives the claimed dials back, and the next tick dials', async () => {
    const { runner, run, store, attempts, log, telephony } = setup({
      dialMode: 'progressive',
      listDailyCaps: { L1: 5 },
    });
    for (const k of store.contacts) k.importId = 'L1';
    attempts.failPlaced = new Error('connection reset');
    runner.start();
    await run(500);
    expect(telephony.originated).toEqual([]);
    expect(log.at('error')).toMatchObject([
      { msg: 'a dialing decision failed; the next tick tries again', fields: { err: { message: 'connection reset' } } },
    ]);
    expect([...store.quota.values()]).toEqual([0]);
    attempts.failPlaced = null;
    await run(1000);
    expect(telephony.originated).toHaveLength(2);
    expect([...store.quota.values()]).toEqual([2]);
  });

  it('stop ends dialing, resume after a person’s pause dials again; calls in flight still end and are recorded', async () => {
    const { runner, run, say, store, attempts, scheduler } = setup({ dialMode: 'progressive' }, { agents: 1 });
    runner.start();
    await run(500);
    runner.stop();
    await say({ type: 'ended', callId: 'attempt-1', at: scheduler.now(), cause: 'busy', sipCode: 486 });
    await run(5000);
    expect(store.leases).toBe(1);
    expect(attempts.ends.get('attempt-1')).toMatchObject({ outcome: 'busy' });
    runner.resume();
    await run(500);
    expect(store.leases).toBe(2);
  });

  it('preview mode offers the contacts to agents instead of dialing them', async () => {
    const { runner, run, telephony, of } = setup({ dialMode: 'preview' });
    runner.start();
    await run(1000);
    expect(telephony.originated).toEqual([]);
    expect(of('PreviewOffered').map((e) => e.agentId)).toEqual(['agent-0', 'agent-1']);
    const offer = runner.previewOf('agent-0')!;
    expect(await runner.decidePreview(offer.id, 'dial')).toEqual({ attemptId: 'attempt-1', refused: null });
    expect(telephony.originated).toMatchObject([{ callId: 'attempt-1', amd: false }]);
    runner.dispose();
  });

  it('a change of the caps raises their counts again; a change of the pacing rebuilds it', async () => {
    const { runner, run, store } = setup({ dialMode: 'progressive' });
    runner.start();
    await run(500);
    expect(store.reconciled).toEqual([]); // no capped list
    runner.reconfigure(campaignRow({ dialMode: 'power', listDailyCaps: { L1: 3 } }, new Date(T0 + 1000)));
    await run(0);
    expect(store.reconciled).toEqual([{ lists: ['L1'], day: '2026-03-02' }]);
    expect(runner.snapshotStats().mode).toBe('predictive'); // power runs under the governor's predictive level
    // An older row (a sync that read it before) changes nothing.
    runner.reconfigure(campaignRow({ dialMode: 'progressive' }, new Date(T0)));
    expect(runner.settings.dialMode).toBe('power');
  });

  it('agent-directed dialing: the chosen contact, for that agent, through the compliance gate', async () => {
    const { runner, run, telephony, store, desk, say } = setup({ dialMode: 'preview' }, { agents: 2, contacts: 6 });
    await run(0); // not started: nothing is offered, the agents stay ready
    // A contact of the agent's list: dialed for agent-1 (not whoever is free); answered, the call is theirs.
    expect(await runner.manualDial('agent-1', contact(4).id)).toEqual({ attemptId: 'attempt-1', refused: null });
    expect(telephony.originated).toMatchObject([{ callId: 'attempt-1', to: contact(4).phone }]);
    expect(desk.get('agent-1')!.state).toMatchObject({ status: 'reserved', callId: 'attempt-1' });
    expect(desk.get('agent-0')!.state.status).toBe('ready');
    await say({ type: 'answered', callId: 'attempt-1', at: T0 + 3000, amd: 'unknown' });
    expect(desk.get('agent-1')!.state).toMatchObject({ status: 'talking', callId: 'attempt-1' });
    // On a do-not-call list: refused with the gate's code, nothing dialed, the agent ready again.
    store.blocked.add(contact(5).phone);
    expect(await runner.manualDial('agent-0', contact(5).id)).toEqual({ attemptId: null, refused: 'dnc' });
    expect(telephony.originated).toHaveLength(1);
    expect(desk.get('agent-0')!.state.status).toBe('ready');
    // An agent on a call cannot dial; a contact leased by the campaign is busy.
    expect(await runner.manualDial('agent-1', contact(2).id)).toMatchObject({ attemptId: null, reason: 'not_ready' });
    store.leased.add(contact(3).id);
    expect(await runner.manualDial('agent-0', contact(3).id)).toMatchObject({ attemptId: null, reason: 'busy' });
    runner.dispose();
  });
});
