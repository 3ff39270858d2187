import { describe, expect, it } from 'vitest';
import { defaultCampaignSettings, type CampaignSettings } from '@outdial/domain/campaigns';
import type { PacingEvent } from '@outdial/domain/pacing';
import { PacingMonitor, pacingKey, pacingSnapshot, type PacedAgent } from './pacing-monitor.ts';

const T0 = Date.parse('2026-03-02T02:00:00Z');
const settings = (s: Partial<CampaignSettings> = {}): CampaignSettings => ({
  ...defaultCampaignSettings(),
  dialMode: 'predictive',
  ...s,
});
const agents = (status: string, n: number, since = T0): PacedAgent[] =>
  Array.from({ length: n }, () => ({ state: { status, since } }));
const repeat = (n: number, f: (i: number) => void) => {
  for (let i = 0; i < n; i++) f(i);
};

describe('PacingMonitor', () => {
  it('starts in the configured mode, and a clean start changes nothing', () => {
    const m = new PacingMonitor(settings());
    expect(m.mode).toBe('predictive');
    expect(m.explain()).toBe('predictive, as configured');
    expect(m.updateGovernor(T0)).toBeNull();
    expect(m.breakerTrip(T0)).toBeNull();
    expect(new PacingMonitor(settings({ dialMode: 'progressive' })).mode).toBe('progressive');
    expect(new PacingMonitor(settings({ dialMode: 'preview' })).mode).toBe('preview');
  });

  it('keeps its rates across a restart: a 30-day abandon rate above the target steps down at the first look', () => {
    const m = new PacingMonitor(settings({ abandonTarget: 0.03 }));
    // Two days ago: 100 persons answered, 5 abandoned (5%); nothing in the last hour or today.
    m.seed([{ start: new Date(T0 - 2 * 86_400_000), dials: 400, resolved: 400, person: 100, abandons: 5 }], []);
    const step = m.updateGovernor(T0);
    expect(step).toMatchObject({ from: 'predictive', to: 'progressive', reason: 'abandon_rate' });
    expect(step?.detail).toMatch(/over 30 days/);
    expect(m.mode).toBe('progressive');
    expect(m.explain()).toMatch(/^progressive instead of predictive: abandon rate 5\.00% over 30 days/);
  });

  it("the last hour's minute buckets are seeded too, and live counts add to them", () => {
    const m = new PacingMonitor(settings());
    m.seed([], [{ start: new Date(T0 - 10 * 60_000), dials: 100, resolved: 100, person: 20, abandons: 0 }]);
    expect(m.updateGovernor(T0)).toBeNull();
    // Twenty more persons now, two of them abandoned: 2 of 40 = 5% in the hour.
    repeat(20, () => m.count(T0, 'person'));
    repeat(2, () => m.count(T0, 'abandon'));
    expect(m.updateGovernor(T0 + 1000)).toMatchObject({ reason: 'abandon_rate', to: 'progressive' });
  });

  it('judges the answer rate only over dials whose fate is known (calls still ringing do not count)', () => {
    const m = new PacingMonitor(settings());
    repeat(400, () => m.count(T0, 'dial'));
    repeat(2, () => m.count(T0, 'person'));
    expect(m.updateGovernor(T0)).toBeNull(); // 400 dials out, none resolved: no verdict yet
    repeat(300, () => m.count(T0, 'resolved'));
    expect(m.updateGovernor(T0 + 1000)).toMatchObject({ reason: 'answer_rate', to: 'progressive' });
  });

  it('steps down when answered callees wait too long for an agent (p90 of the last waits, from ten on)', () => {
    const m = new PacingMonitor(settings());
    repeat(9, () => m.connectWait(3000));
    expect(m.updateGovernor(T0)).toBeNull();
    m.connectWait(3000);
    expect(m.updateGovernor(T0 + 1000)).toMatchObject({ reason: 'connect_latency', from: 'predictive' });
  });

  it('trips the breaker when most recent calls fail at the network; a resume starts it afresh', () => {
    const m = new PacingMonitor(settings());
    repeat(60, (i) => {
      m.count(T0, 'ended');
      if (i % 3 !== 0) m.count(T0, 'failed');
    });
    expect(m.breakerTrip(T0)).toMatchObject({ reason: 'carrier_failures' });
    // Older than the breaker's five minutes: no longer judged.
    expect(m.breakerTrip(T0 + 6 * 60_000)).toBeNull();
    m.resetBreaker();
    expect(m.breakerTrip(T0)).toBeNull();
  });

  it('a pacing change rebuilds the governor from the configured mode, and the counts stay', () => {
    const m = new PacingMonitor(settings());
    repeat(40, () => m.count(T0, 'person'));
    repeat(2, () => m.count(T0, 'abandon'));
    expect(m.updateGovernor(T0)).toMatchObject({ to: 'progressive' });
    expect(m.configure(settings({ abandonTarget: 0.03, linesPerAgent: 3 }))).toBe('predictive');
    expect(m.mode).toBe('predictive');
    expect(m.updateGovernor(T0 + 1000)).toMatchObject({ to: 'progressive' }); // the same 5% is still there
    expect(pacingKey(settings())).not.toBe(pacingKey(settings({ maxCallsPerSecond: 7 })));
    expect(pacingKey(settings())).toBe(pacingKey(settings({ tags: ['x'] })));
  });

  it("an agent's 'answering machine' disposition reaches the policies with the call's talk time", () => {
    const m = new PacingMonitor(settings());
    const seen: PacingEvent[] = [];
    const spy = { observe: (e: PacingEvent) => seen.push(e) };
    // Every policy hears every event: watch through the one the monitor runs now.
    const policy = m.policy();
    const observe = policy.observe.bind(policy);
    policy.observe = (e) => {
      spy.observe(e);
      observe(e);
    };
    m.talkEnded('a1', T0 + 12_000, 9.5);
    m.talkEnded('a2', T0 + 20_000, 95);
    expect(m.machineAtAgent('a1', T0 + 15_000)).toBe(true);
    expect(m.machineAtAgent('a1', T0 + 16_000)).toBe(false); // once
    expect(m.machineAtAgent('unknown', T0 + 16_000)).toBe(false);
    expect(seen).toEqual([
      { type: 'talk_end', t: (T0 + 12_000) / 1000, talkS: 9.5 },
      { type: 'talk_end', t: (T0 + 20_000) / 1000, talkS: 95 },
      { type: 'machine_reached_agent', t: (T0 + 15_000) / 1000, talkS: 9.5 },
    ]);
  });

  it('places what the policy asks, no more than the calls-per-second cap', () => {
    const m = new PacingMonitor(settings({ dialMode: 'power', linesPerAgent: 3, maxCallsPerSecond: 5 }));
    const snap = pacingSnapshot(T0, agents('ready', 10), []);
    const random = () => 0.5;
    expect(m.dials(snap, random, T0)).toBe(5); // power wants 30
    expect(m.dials(snap, random, T0)).toBe(0); // the second's tokens are spent
    expect(m.dials(snap, random, T0 + 1000)).toBe(5);
    expect(m.tickMs()).toBe(1000); // power decides every 2.5 s; the runner looks at most a second apart
  });
});

describe('pacingSnapshot', () => {
  it('counts agents by state and calls by stage, with elapsed times in seconds', () => {
    const t = T0 + 10_000;
    const snap = pacingSnapshot(
      t,
      [
        ...agents('ready', 2, T0),
        ...agents('talking', 1, T0 + 5000),
        ...agents('reserved', 1),
        ...agents('wrap_up', 1),
        ...agents('paused', 1),
      ],
      [
        { placedAt: T0, answeredAt: null, connectedAt: null, abandoned: false },
        { placedAt: T0, answeredAt: T0 + 8000, connectedAt: null, abandoned: false },
        { placedAt: T0, answeredAt: T0 + 8000, connectedAt: null, abandoned: true },
        { placedAt: T0, answeredAt: T0 + 1000, connectedAt: T0 + 2000, abandoned: false },
      ],
    );
    expect(snap).toEqual({
      now: t / 1000,
      agentsActive: 5,
      agentsReady: 2,
      agentsTalking: 2,
      agentsWrap: 1,
      agentsOnBreak: 1,
      readyIdle: [10, 10],
      talkElapsed: [5, 10],
      wrapElapsed: [10],
      callsRinging: 1,
      ringingElapsed: [10],
      callsWaiting: 1,
      callsInAmd: 0,
      callsInProgress: 4,
    });
  });
});
