import { describe, expect, it } from 'vitest';
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
const liveSessions = new Set<string>(['s-a1', 's-a2', 's-a3', 's-a4', 's-q1', 's-a5', 's-s1']);

/** Just what the gateway reads from the database for these cases: agent profiles, live sessions; a contact lookup that fails. */
const repos = {
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

function setup(opts: { heartbeatTimeoutMs: number; reconnectGraceMs: number }, logger = new RecordingLogger()) {
  const scheduler = new VirtualScheduler(Date.parse('2026-03-02T02:00:00Z'));
  const dialer = new Dialer({
    repos,
    telephony: idleTelephony,
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
});
