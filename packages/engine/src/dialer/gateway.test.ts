import { describe, expect, it, vi } from 'vitest';
import type { Repositories } from '@outdial/db';
import type { Principal } from '../auth.ts';
import type { DispositionService } from '../dispositions.ts';
import type { QuestionnaireService } from '../questionnaires/service.ts';
import type { Telephony, TelephonyEvent } from '../telephony.ts';
import { PersonalData } from '../pii.ts';
import { Dialer } from './dialer.ts';
import { AgentGateway, type ServerMessage } from './gateway.ts';
import { RecordingLogger } from '../testing.ts';
import { VirtualScheduler } from './virtual-scheduler.ts';

/** Sessions the store still holds as live (the tests revoke some behind the gateway's back). */
const liveSessions = new Set<string>([
  's-h1',
  's-h2',
  's-h3',
  's-h4',
  's-a1',
  's-a2',
  's-a3',
  's-a4',
  's-q1',
  's-a5',
  's-s1',
]);

/** Users of the organisation `org` (h1…h3) and of another one (x1). */
const users = ['h1', 'h2', 'h3', 'x1'].map((id) => ({
  id,
  orgId: id.startsWith('x') ? 'other' : 'org',
  username: `user-${id}`,
  displayName: `Agent ${id.toUpperCase()}`,
  role: 'agent',
  disabled: false,
  createdAt: new Date(0),
}));

/** Just what the gateway reads from the database for these cases: agent profiles, users, live sessions; a contact lookup that fails. */
const repos = {
  users: {
    get: (orgId: string, id: string) => Promise.resolve(users.find((u) => u.id === id && u.orgId === orgId)),
    findByUsername: (name: string) => Promise.resolve(users.filter((u) => u.username === name)),
  },
  org: { getAgent: () => Promise.resolve({ skills: [{ code: 'renewal', level: 3 }] }) },
  contacts: { get: () => Promise.reject(new Error('the database is away')) },
  sessions: { stillActive: (ids: readonly string[]) => Promise.resolve(ids.filter((id) => liveSessions.has(id))) },
} as unknown as Repositories;

const idleTelephony: Telephony = {
  originate: () => undefined,
  connect: () => undefined,
  abandon: () => undefined,
  hangup: () => undefined,
  subscribe: (_l: (e: TelephonyEvent) => void) => () => undefined,
  activeCalls: 0,
};

function setup(
  opts: { heartbeatTimeoutMs: number; reconnectGraceMs: number },
  logger = new RecordingLogger(),
  telephony: Telephony = idleTelephony,
) {
  const scheduler = new VirtualScheduler(Date.parse('2026-03-02T02:00:00Z'));
  const dialer = new Dialer({
    repos,
    telephony,
    scheduler,
    attempts: {} as never,
    campaigns: {} as never,
  });
  const gateway = new AgentGateway(
    {
      dialer,
      repos,
      dispositions: {} as DispositionService,
      questionnaires: {} as QuestionnaireService,
      pii: new PersonalData(repos, [], { now: () => new Date(scheduler.now()) }),
      scheduler,
      logger,
    },
    opts,
  );
  gateway.start();
  const principal = (userId: string, role: Principal['role'] = 'agent'): Principal =>
    ({ userId, orgId: 'org', username: userId, displayName: userId, role, sessionId: `s-${userId}` }) as Principal;
  const connect = (p: Principal) => {
    const sent: ServerMessage[] = [];
    const closes: string[] = [];
    const handle = gateway.open(p, { send: (m) => sent.push(m), close: (r) => closes.push(r) });
    return { sent, closes, handle };
  };
  return { scheduler, dialer, gateway, principal, connect };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('AgentGateway', () => {
  it('a silent client is dropped after the heartbeat timeout: no more calls, logged out after the grace period', async () => {
    const { scheduler, dialer, principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 });
    const c = connect(principal('a1'));
    await c.handle.receive({ type: 'login' });
    await c.handle.receive({ type: 'ready' });
    expect(dialer.desk.get('a1')?.state.status).toBe('ready');
    expect(dialer.desk.pool.readyCount).toBe(1);
    expect(dialer.desk.get('a1')?.skills).toEqual({ renewal: 3 });

    // Heartbeats keep it alive…
    for (let i = 0; i < 4; i++) {
      scheduler.advance(10_000);
      await c.handle.receive({ type: 'heartbeat' });
    }
    expect(dialer.desk.get('a1')?.state.status).toBe('ready');
    // …silence does not: within the timeout plus the 1-second sweep, the agent takes no more calls.
    scheduler.advance(16_000);
    expect(c.closes).toEqual(['heartbeat timeout']);
    expect(dialer.desk.get('a1')?.state).toMatchObject({ status: 'paused', pauseReason: 'connection_lost' });
    expect(dialer.desk.pool.readyCount).toBe(0);
    scheduler.advance(60_000);
    expect(dialer.desk.get('a1')).toBeUndefined();
  });

  it('a reconnect within the grace period finds the agent where they were', async () => {
    const { scheduler, dialer, principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 });
    const first = connect(principal('a2'));
    await first.handle.receive({ type: 'login' });
    await first.handle.receive({ type: 'ready' });
    first.handle.closed();
    expect(dialer.desk.get('a2')?.state.pauseReason).toBe('connection_lost');
    scheduler.advance(20_000);
    const again = connect(principal('a2'));
    await again.handle.receive({ type: 'login', id: 1 });
    expect(again.sent.find((m) => m.type === 'ack')).toMatchObject({
      result: { status: 'paused', pauseReason: 'connection_lost' },
    });
    // The old grace timer (due 60 s after the drop) must not log the returned agent out.
    for (let i = 0; i < 12; i++) {
      scheduler.advance(10_000);
      await again.handle.receive({ type: 'heartbeat' });
    }
    expect(again.closes).toEqual([]);
    expect(dialer.desk.get('a2')?.state.status).toBe('paused');
  });

  it('a second login of the same user replaces the first connection', async () => {
    const { dialer, principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 });
    const tab1 = connect(principal('a3'));
    await tab1.handle.receive({ type: 'login' });
    const tab2 = connect(principal('a3'));
    await tab2.handle.receive({ type: 'login' });
    expect(tab1.closes).toEqual(['replaced by a newer login']);
    await tab1.handle.receive({ type: 'ready', id: 'x' });
    expect(dialer.desk.get('a3')?.state.status).toBe('paused');
    await tab2.handle.receive({ type: 'ready' });
    expect(dialer.desk.get('a3')?.state.status).toBe('ready');
  });

  it('refuses agent commands before login and to roles that take no calls, with a reason', async () => {
    const { principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 });
    const c = connect(principal('a4'));
    await c.handle.receive({ type: 'ready', id: 1 });
    expect(c.sent.at(-1)).toMatchObject({
      type: 'error',
      id: 1,
      code: 'invalid_state',
      details: { reason: 'not_logged_in' },
    });
    const qa = connect(principal('q1', 'qa'));
    await qa.handle.receive({ type: 'login', id: 2 });
    expect(qa.sent.at(-1)).toMatchObject({ type: 'error', id: 2, code: 'forbidden' });
    await c.handle.receive({ type: 'login' });
    await c.handle.receive({ type: 'hangup', id: 3 });
    expect(c.sent.at(-1)).toMatchObject({ type: 'error', id: 3, details: { reason: 'not_talking' } });
    await flush();
  });

  it("handles a connection's messages in the order they came, even when the first waits on the database", async () => {
    const { dialer, principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 });
    const c = connect(principal('a5'));
    // Sent back to back, without waiting for the login's answer (what a quick client does).
    const login = c.handle.receive({ type: 'login', id: 1 });
    const ready = c.handle.receive({ type: 'ready', id: 2 });
    await Promise.all([login, ready]);
    expect(c.sent.filter((m) => m.type === 'error')).toEqual([]);
    expect(dialer.desk.get('a5')?.state.status).toBe('ready');
  });

  it('a screen pop that fails leaves a log line with the call, the agent and the cause', async () => {
    const log = new RecordingLogger();
    const { dialer, principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 }, log);
    const c = connect(principal('a6'));
    await c.handle.receive({ type: 'login' });
    dialer.bus.publish({
      type: 'CallConnected',
      at: 1,
      campaignId: 'c1',
      attemptId: 'att-1',
      contactId: 'k1',
      agentId: 'a6',
      waitMs: 300,
    });
    await flush();
    expect(c.sent.some((m) => m.type === 'call')).toBe(false);
    expect(log.at('error')).toMatchObject([
      {
        fields: { component: 'gateway', agentId: 'a6', attemptId: 'att-1', campaignId: 'c1', contactId: 'k1' },
      },
    ]);
    expect((log.at('error')[0]!.fields['err'] as Error).message).toBe('the database is away');
  });

  it('a disabled user (or a role change, or a logout elsewhere) loses their connections and leaves the dialer at once', async () => {
    const { dialer, principal, connect } = setup({ heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 });
    const c = connect(principal('a5'));
    await c.handle.receive({ type: 'login' });
    await c.handle.receive({ type: 'ready' });
    const other = connect(principal('s1', 'supervisor'));
    dialer.bus.publish({ type: 'SessionsEnded', at: 0, userId: 'a5', sessionId: null, reason: 'disabled' });
    expect(c.sent.at(-1)).toMatchObject({ type: 'error', code: 'session_ended' });
    expect(c.closes).toEqual(['session ended']);
    expect(dialer.desk.get('a5')).toBeUndefined();
    expect(dialer.desk.pool.readyCount).toBe(0);
    // Its messages are no longer heard; other users are untouched.
    await c.handle.receive({ type: 'ready', id: 9 });
    expect(dialer.desk.get('a5')).toBeUndefined();
    expect(other.closes).toEqual([]);
  });

  it('a session revoked where this node cannot hear it is closed at the next session check', async () => {
    const { scheduler, dialer, principal, connect, gateway } = setup({
      heartbeatTimeoutMs: 60_000,
      reconnectGraceMs: 60_000,
    });
    void gateway;
    const c = connect(principal('a1'));
    await c.handle.receive({ type: 'login' });
    await c.handle.receive({ type: 'ready' });
    liveSessions.delete('s-a1');
    try {
      for (let i = 0; i < 20 && c.closes.length === 0; i++) {
        scheduler.advance(1000);
        await flush();
      }
      expect(c.closes).toEqual(['session ended']);
      expect(dialer.desk.get('a1')).toBeUndefined();
    } finally {
      liveSessions.add('s-a1');
    }
  });

  describe('hold and transfer', () => {
    const opts = { heartbeatTimeoutMs: 15_000, reconnectGraceMs: 60_000 };
    const controls = () => {
      const held: [string, boolean][] = [];
      const telephony: Telephony = {
        ...idleTelephony,
        hold: (id, on) => held.push([id, on]),
        transfer: () => undefined,
      };
      return { telephony, held };
    };
    /** Agents logged in and ready (x1 logs in for the other organisation). */
    const agents = async (g: ReturnType<typeof setup>, ids: string[]) => {
      const conns: Record<string, ReturnType<ReturnType<typeof setup>['connect']>> = {};
      for (const id of ids) {
        const p = g.principal(id);
        conns[id] = g.connect(id.startsWith('x') ? { ...p, orgId: 'other' } : p);
        await conns[id].handle.receive({ type: 'login' });
        await conns[id].handle.receive({ type: 'ready' });
      }
      return conns;
    };
    /** A call connected to an agent, as the dialer announces it. */
    const onCall = (g: ReturnType<typeof setup>, agentId: string, attemptId: string) => {
      const at = g.scheduler.now();
      g.dialer.desk.apply(agentId, { type: 'reserve', at, callId: attemptId });
      g.dialer.desk.apply(agentId, { type: 'connect', at, callId: attemptId });
      g.dialer.bus.publish({
        type: 'CallConnected',
        at,
        campaignId: 'c1',
        attemptId,
        contactId: 'k1',
        agentId,
        waitMs: 0,
      });
    };
    const last = (sent: ServerMessage[]) => sent[sent.length - 1];

    it('says in the hello what the telephony can do', () => {
      const bare = setup(opts).connect(setup(opts).principal('h1'));
      expect(bare.sent[0]).toMatchObject({ type: 'hello', callControls: { hold: false, transfer: false } });
      const g = setup(opts, new RecordingLogger(), controls().telephony);
      expect(g.connect(g.principal('h1')).sent[0]).toMatchObject({ callControls: { hold: true, transfer: true } });
    });

    it('holds and resumes the call the agent is on, telling the workstation since when', async () => {
      const { telephony, held } = controls();
      const g = setup(opts, new RecordingLogger(), telephony);
      const { h1 } = await agents(g, ['h1']);
      onCall(g, 'h1', 'att-h');
      await h1!.handle.receive({ type: 'hold', id: 1, on: true });
      const since = g.scheduler.now();
      expect(held).toEqual([['att-h', true]]);
      expect(h1!.sent.slice(-2)).toEqual([
        { type: 'hold', attemptId: 'att-h', on: true, at: since },
        { type: 'ack', id: 1, request: 'hold', result: { attemptId: 'att-h', on: true, at: since } },
      ]);
      g.scheduler.advance(5000);
      // A second "on" keeps the first moment.
      await h1!.handle.receive({ type: 'hold', on: true });
      expect(last(h1!.sent)).toMatchObject({ type: 'ack', result: { on: true, at: since } });
      await h1!.handle.receive({ type: 'hold', id: 2, on: false });
      expect(held).toEqual([
        ['att-h', true],
        ['att-h', true],
        ['att-h', false],
      ]);
      expect(last(h1!.sent)).toEqual({
        type: 'ack',
        id: 2,
        request: 'hold',
        result: { attemptId: 'att-h', on: false, at: since + 5000 },
      });
    });

    it('refuses hold off a call, before login, and when the telephony cannot hold', async () => {
      const g = setup(opts);
      const early = g.connect(g.principal('h2'));
      await early.handle.receive({ type: 'hold', id: 'x', on: true });
      expect(last(early.sent)).toMatchObject({
        type: 'error',
        id: 'x',
        code: 'invalid_state',
        details: { reason: 'not_logged_in' },
      });
      const { h1 } = await agents(g, ['h1']);
      await h1!.handle.receive({ type: 'hold', id: 'a', on: true });
      expect(last(h1!.sent)).toMatchObject({
        type: 'error',
        id: 'a',
        code: 'invalid_state',
        details: { reason: 'no_call' },
      });
      onCall(g, 'h1', 'att-n');
      await h1!.handle.receive({ type: 'hold', id: 'b', on: true });
      expect(last(h1!.sent)).toMatchObject({ type: 'error', id: 'b', details: { reason: 'hold_unsupported' } });
      await h1!.handle.receive({ type: 'transfer', id: 'c', to: 'h2', mode: 'blind' });
      expect(last(h1!.sent)).toMatchObject({ type: 'error', id: 'c', details: { reason: 'transfer_unsupported' } });
    });

    it("passes the telephony's refusal to hold back as hold_failed, the call not held", async () => {
      const telephony: Telephony = {
        ...idleTelephony,
        hold: () => {
          throw new Error('call att-f is not connected to an agent');
        },
      };
      const g = setup(opts, new RecordingLogger(), telephony);
      const { h1 } = await agents(g, ['h1']);
      onCall(g, 'h1', 'att-f');
      await h1!.handle.receive({ type: 'hold', id: 1, on: true });
      expect(last(h1!.sent)).toMatchObject({
        type: 'error',
        id: 1,
        code: 'invalid_state',
        details: { reason: 'hold_failed' },
      });
      expect(h1!.sent.some((m) => m.type === 'hold')).toBe(false);
    });

    it('lists the ready agents of the organisation a call can go to', async () => {
      const g = setup(opts, new RecordingLogger(), controls().telephony);
      const c = await agents(g, ['h1', 'h2', 'h3', 'x1']);
      await c['h3']!.handle.receive({ type: 'pause', reason: 'break' });
      await c['h1']!.handle.receive({ type: 'transfer_targets', id: 1 });
      expect(last(c['h1']!.sent)).toMatchObject({ type: 'error', details: { reason: 'no_call' } });
      onCall(g, 'h1', 'att-l');
      await c['h1']!.handle.receive({ type: 'transfer_targets', id: 2 });
      expect(last(c['h1']!.sent)).toEqual({
        type: 'ack',
        id: 2,
        request: 'transfer_targets',
        result: { agents: [{ userId: 'h2', username: 'user-h2', displayName: 'Agent H2' }] },
      });
    });

    it('refuses a transfer to nobody, to another organisation, to an agent not ready, to oneself', async () => {
      const g = setup(opts, new RecordingLogger(), controls().telephony);
      const c = await agents(g, ['h1', 'h3', 'x1']);
      await c['h3']!.handle.receive({ type: 'pause', reason: 'break' });
      const h1 = c['h1']!;
      onCall(g, 'h1', 'att-r');
      const refusal = async (to: string) => {
        await h1.handle.receive({ type: 'transfer', id: to, to, mode: 'blind' });
        return last(h1.sent);
      };
      expect(await refusal('nobody')).toMatchObject({ code: 'not_found', details: { reason: 'target_not_found' } });
      expect(await refusal('x1')).toMatchObject({ code: 'forbidden', details: { reason: 'other_organisation' } });
      expect(await refusal('user-h3')).toMatchObject({
        code: 'invalid_state',
        details: { reason: 'target_not_ready' },
      });
      expect(await refusal('user-h1')).toMatchObject({ code: 'invalid_state', details: { reason: 'same_agent' } });
      // h2 exists but is not logged in on this node.
      expect(await refusal('user-h2')).toMatchObject({ details: { reason: 'target_not_ready' } });
      expect(g.dialer.desk.get('h1')?.state).toMatchObject({ status: 'talking', callId: 'att-r' });
    });

    it('moves the call to a ready agent: the first is told and wraps up, the second owns the attempt', async () => {
      const g = setup(opts, new RecordingLogger(), controls().telephony);
      const c = await agents(g, ['h1', 'h2']);
      onCall(g, 'h1', 'att-t');
      // No runner has this call on this node: the dialer's refusal comes back as the reason.
      await c['h1']!.handle.receive({ type: 'transfer', id: 1, to: 'user-h2', mode: 'blind' });
      expect(last(c['h1']!.sent)).toMatchObject({ type: 'error', details: { reason: 'transfer_failed' } });
      const moved = vi.spyOn(g.dialer, 'transfer').mockImplementation((attemptId, to) => {
        g.dialer.desk.apply(to, { type: 'reserve', at: g.scheduler.now(), callId: attemptId });
      });
      await c['h1']!.handle.receive({ type: 'transfer', id: 2, to: 'user-h2', mode: 'attended' });
      expect(moved).toHaveBeenCalledWith('att-t', 'h2', 'attended');
      const h2 = { userId: 'h2', username: 'user-h2', displayName: 'Agent H2' };
      expect(last(c['h1']!.sent)).toEqual({
        type: 'ack',
        id: 2,
        request: 'transfer',
        result: { attemptId: 'att-t', to: h2, mode: 'attended' },
      });
      // The second agent's phone answers: the dialer hangs the first agent up and connects the second.
      const at = g.scheduler.now();
      g.dialer.desk.apply('h1', { type: 'hangup', at, callId: 'att-t' });
      g.dialer.desk.apply('h2', { type: 'connect', at, callId: 'att-t' });
      g.dialer.bus.publish({
        type: 'CallConnected',
        at,
        campaignId: 'c1',
        attemptId: 'att-t',
        contactId: 'k1',
        agentId: 'h2',
        waitMs: 0,
      });
      await flush();
      expect(c['h1']!.sent).toContainEqual({ type: 'transferred', attemptId: 'att-t', to: h2, mode: 'attended' });
      expect(c['h1']!.sent).toContainEqual({
        type: 'state',
        state: expect.objectContaining({ status: 'wrap_up', callId: 'att-t' }),
      });
      expect(c['h2']!.sent).toContainEqual({
        type: 'state',
        state: expect.objectContaining({ status: 'talking', callId: 'att-t' }),
      });
      expect(c['h2']!.sent.some((m) => m.type === 'transferred')).toBe(false);
    });
  });
});
