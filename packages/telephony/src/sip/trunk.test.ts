import { VirtualScheduler } from '@outdial/engine';
import { describe, expect, it } from 'vitest';
import { Trunk, validateTrunk, type TrunkConfig } from './trunk.ts';
import { failureOutcome } from './carrier.ts';

const cfg: TrunkConfig = { name: 't1', uri: 'sip:127.0.0.1:5090', transport: 'udp', maxChannels: 3, callsPerSecond: 2 };

describe('trunk limits', () => {
  it('lists every configuration problem', () => {
    expect(
      validateTrunk({ ...cfg, name: 'bad name', uri: 'http://x', maxChannels: 0, callsPerSecond: 0, username: 'u' }),
    ).toHaveLength(5);
    expect(validateTrunk(cfg)).toEqual([]);
  });

  it('refuses a channel beyond maxChannels and frees it on release', () => {
    const t = new Trunk(cfg, new VirtualScheduler(0));
    expect([t.seize(), t.seize(), t.seize(), t.seize()]).toEqual([true, true, true, false]);
    t.release();
    expect(t.seize()).toBe(true);
  });

  it('lets calls out at callsPerSecond (a burst of one second), later ones wait their turn, too long a wait is refused', async () => {
    const s = new VirtualScheduler(0);
    const t = new Trunk(cfg, s, 3000);
    const sent: number[] = [];
    const refused: number[] = [];
    const all = Array.from({ length: 10 }, () => t.turn().then((ok) => (ok ? sent : refused).push(s.now())));
    const flush = async () => {
      for (let k = 0; k < 5; k++) await Promise.resolve();
    };
    for (let i = 0; i < 100; i++) {
      await flush();
      s.advance(50);
    }
    await Promise.all(all);
    // 2 at once, then one every 500 ms while the waits last (≤ 3 s): 2 + 6, the rest refused.
    expect(sent.slice(0, 2)).toEqual([0, 0]);
    for (let i = 2; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(450);
    expect(sent.length + refused.length).toBe(10);
    expect(refused.length).toBeGreaterThan(0);
    // Over any second, no more than the rate (plus the initial burst).
    for (const a of sent) expect(sent.filter((b) => b > a && b <= a + 1000).length).toBeLessThanOrEqual(2);
  });
});

describe('SIP failures → outcomes the dialer records', () => {
  const r = (status: number) => ({ kind: 'response' as const, status, reason: '', retryAfterS: null });
  it.each([
    [486, 'busy', 'busy'],
    [600, 'busy', 'busy'],
    [603, 'busy', 'declined'],
    [404, 'failed', 'not_found'],
    [484, 'failed', 'not_found'],
    [480, 'no_answer', 'unavailable'],
    [503, 'failed', 'congestion'],
    [488, 'failed', 'rejected'],
  ] as const)('%i → %s (%s)', (status, cause, reason) => {
    expect(failureOutcome(r(status), null)).toEqual({ cause, sip: status, reason });
  });

  it('487 after our ring timeout is no_answer, after a withdrawal cancelled; no response and transport errors fail', () => {
    expect(failureOutcome(r(487), 'no_answer').cause).toBe('no_answer');
    expect(failureOutcome(r(487), 'cancelled').cause).toBe('cancelled');
    expect(failureOutcome({ kind: 'timeout' }, null)).toEqual({ cause: 'failed', sip: 408, reason: 'timeout' });
    expect(failureOutcome({ kind: 'transport', message: 'x' }, null)).toEqual({
      cause: 'failed',
      sip: 503,
      reason: 'transport_error',
    });
  });
});
