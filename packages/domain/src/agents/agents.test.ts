import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOGGED_OUT, applyAgentEvent, isAvailable, isStale, type AgentEvent, type AgentState } from './index.ts';

function run(events: AgentEvent[]): AgentState {
  let s = LOGGED_OUT;
  for (const e of events) {
    const t = applyAgentEvent(s, e);
    if (!t.ok) throw new Error(`${e.type}: ${t.error}`);
    s = t.state;
  }
  return s;
}

describe('agent state', () => {
  it('walks a call: login → ready → reserved → talking → wrap-up → ready', () => {
    const s = run([
      { type: 'login', at: 0 },
      { type: 'ready', at: 10 },
      { type: 'reserve', at: 20, callId: 'c1' },
      { type: 'connect', at: 21, callId: 'c1' },
      { type: 'hangup', at: 100, callId: 'c1' },
      { type: 'wrap_done', at: 130, callId: 'c1' },
    ]);
    expect(s).toMatchObject({ status: 'ready', since: 130, callId: null });
  });

  it('starts paused after login and can pause after wrap-up', () => {
    expect(run([{ type: 'login', at: 5 }])).toMatchObject({ status: 'paused', pauseReason: 'login' });
    const s = run([
      { type: 'login', at: 0 },
      { type: 'ready', at: 1 },
      { type: 'reserve', at: 2, callId: 'c' },
      { type: 'connect', at: 3, callId: 'c' },
      { type: 'hangup', at: 4, callId: 'c' },
      { type: 'wrap_done', at: 5, callId: 'c', thenPause: 'lunch' },
    ]);
    expect(s).toMatchObject({ status: 'paused', pauseReason: 'lunch' });
  });

  it('refuses what makes no sense, with a reason', () => {
    const ready = run([
      { type: 'login', at: 0 },
      { type: 'ready', at: 1 },
    ]);
    const reserved = run([
      { type: 'login', at: 0 },
      { type: 'ready', at: 1 },
      { type: 'reserve', at: 2, callId: 'c' },
    ]);
    expect(applyAgentEvent(LOGGED_OUT, { type: 'ready', at: 1 })).toMatchObject({ ok: false, error: 'not_logged_in' });
    expect(applyAgentEvent(ready, { type: 'login', at: 3 })).toMatchObject({ ok: false, error: 'already_logged_in' });
    expect(applyAgentEvent(reserved, { type: 'reserve', at: 3, callId: 'd' })).toMatchObject({
      ok: false,
      error: 'not_ready',
    });
    expect(applyAgentEvent(reserved, { type: 'connect', at: 3, callId: 'd' })).toMatchObject({
      ok: false,
      error: 'wrong_call',
    });
    expect(applyAgentEvent(reserved, { type: 'logout', at: 3 })).toMatchObject({ ok: false, error: 'busy_with_call' });
    expect(applyAgentEvent(reserved, { type: 'pause', at: 3, reason: 'x' })).toMatchObject({
      ok: false,
      error: 'busy_with_call',
    });
    expect(applyAgentEvent(ready, { type: 'hangup', at: 3, callId: 'c' })).toMatchObject({
      ok: false,
      error: 'not_talking',
    });
  });

  it('a lost client stops receiving calls, but keeps a live call', () => {
    const ready = run([
      { type: 'login', at: 0 },
      { type: 'ready', at: 1 },
    ]);
    expect(isStale(ready, 20_000, 15_000)).toBe(true);
    const lost = applyAgentEvent(ready, { type: 'lost', at: 20_000 });
    expect(lost.ok && lost.state).toMatchObject({ status: 'paused', pauseReason: 'connection_lost' });
    const talking = run([
      { type: 'login', at: 0 },
      { type: 'ready', at: 1 },
      { type: 'reserve', at: 2, callId: 'c' },
      { type: 'connect', at: 3, callId: 'c' },
    ]);
    expect(applyAgentEvent(talking, { type: 'lost', at: 9 })).toMatchObject({
      ok: true,
      changed: false,
      state: { status: 'talking' },
    });
  });

  it('whatever happens, only a ready agent is available, and an agent holds at most one call (property)', () => {
    const ev = fc.oneof(
      fc.constant<AgentEvent['type']>('login'),
      fc.constant('ready'),
      fc.constant('pause'),
      fc.constant('reserve'),
      fc.constant('release'),
      fc.constant('connect'),
      fc.constant('hangup'),
      fc.constant('wrap_done'),
      fc.constant('heartbeat'),
      fc.constant('logout'),
      fc.constant('lost'),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(ev, fc.constantFrom('a', 'b')), { maxLength: 80 }), (steps) => {
        let s = LOGGED_OUT;
        let t = 0;
        for (const [type, callId] of steps) {
          t += 1;
          const e = { type, at: t, callId, reason: 'r' } as AgentEvent;
          const before = s;
          const r = applyAgentEvent(s, e);
          s = r.state;
          if (!r.ok && r.state !== before) return false;
          if (isAvailable(s) !== (s.status === 'ready')) return false;
          if ((s.status === 'reserved' || s.status === 'talking' || s.status === 'wrap_up') !== (s.callId !== null))
            return false;
          // a call is only connected if the agent was reserved for that very call
          if (
            r.ok &&
            r.changed &&
            s.status === 'talking' &&
            !(before.status === 'reserved' && before.callId === s.callId)
          )
            return false;
        }
        return true;
      }),
    );
  });
});
