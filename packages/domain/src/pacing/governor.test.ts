import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CallRateLimiter,
  IvrPolicy,
  SafetyGovernor,
  defaultGovernorLimits,
  type GovernedMode,
  type GovernorInput,
} from './index.ts';
import type { PacingSnapshot } from './types.ts';

const clean = (t: number, extra: Partial<GovernorInput> = {}): GovernorInput => ({
  t,
  abandon: {
    hour: { abandoned: 1, answered: 200 },
    today: { abandoned: 5, answered: 1000 },
    days30: { abandoned: 50, answered: 10000 },
  },
  answer: { dialed: 1000, answered: 300 },
  connectLatencyP90S: 0.8,
  ...extra,
});
const limits = defaultGovernorLimits();

describe('safety governor', () => {
  it('steps predictive → progressive on an abandon breach, says why, and comes back only after a clean, margined stretch', () => {
    const g = new SafetyGovernor('predictive', limits);
    expect(g.update(clean(0))).toBeNull();
    const step = g.update(
      clean(60, {
        abandon: {
          hour: { abandoned: 9, answered: 200 },
          today: { abandoned: 12, answered: 1000 },
          days30: { abandoned: 60, answered: 10000 },
        },
      }),
    );
    expect(step).toMatchObject({ from: 'predictive', to: 'progressive', reason: 'abandon_rate' });
    expect(step!.detail).toContain('4.50% over the last hour (limit 3.00%)');
    expect(g.explain()).toContain('progressive instead of predictive');
    // Under the limit but not by the margin (2.5% > 0.67 × 3%): stays down.
    for (let t = 120; t < 3000; t += 60)
      expect(
        g.update(
          clean(t, {
            abandon: {
              hour: { abandoned: 5, answered: 200 },
              today: { abandoned: 10, answered: 1000 },
              days30: { abandoned: 60, answered: 10000 },
            },
          }),
        ),
      ).toBeNull();
    // Clean with margin: back up after recoverAfterS, not before.
    let up = null;
    let t = 3000;
    for (; t < 3000 + limits.recoverAfterS + 120 && !up; t += 60) up = g.update(clean(t));
    expect(up).toMatchObject({ from: 'progressive', to: 'predictive', reason: 'recovered' });
    expect(t - 60 - 3000).toBeGreaterThanOrEqual(limits.recoverAfterS);
    expect(g.history.map((s) => s.to)).toEqual(['progressive', 'predictive']);
  });

  it('ignores windows too small to judge, steps down on a collapsed answer rate, and on slow agents down to preview', () => {
    const g = new SafetyGovernor('predictive', limits);
    expect(
      g.update(
        clean(0, {
          abandon: {
            hour: { abandoned: 3, answered: 10 },
            today: { abandoned: 3, answered: 10 },
            days30: { abandoned: 3, answered: 10 },
          },
        }),
      ),
    ).toBeNull();
    expect(g.update(clean(10, { answer: { dialed: 500, answered: 4 } }))).toMatchObject({
      to: 'progressive',
      reason: 'answer_rate',
    });
    expect(g.update(clean(20, { connectLatencyP90S: 4.2 }))).toMatchObject({
      from: 'progressive',
      to: 'preview',
      reason: 'connect_latency',
    });
    expect(g.update(clean(30, { connectLatencyP90S: 5 }))).toBeNull(); // nothing below preview
    expect(g.mode).toBe('preview');
  });

  it('never goes above the configured mode', () => {
    const g = new SafetyGovernor('progressive', limits);
    for (let t = 0; t < 10_000; t += 60) g.update(clean(t));
    expect(g.mode).toBe('progressive');
    expect(g.history).toEqual([]);
  });

  it('under any sequence of measurements: never predictive while a judged abandon window is over the limit, never above configured, no step up within recoverAfterS of a change', () => {
    const win = fc.record({ abandoned: fc.integer({ min: 0, max: 40 }), answered: fc.integer({ min: 0, max: 600 }) });
    const input = fc.record({
      dt: fc.integer({ min: 1, max: 600 }),
      abandon: fc.record({ hour: win, today: win, days30: win }),
      answer: fc.record({ dialed: fc.integer({ min: 0, max: 2000 }), answered: fc.integer({ min: 0, max: 600 }) }),
      connectLatencyP90S: fc.option(fc.double({ min: 0, max: 8, noNaN: true }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom<GovernedMode>('predictive', 'progressive', 'preview'),
        fc.array(input, { maxLength: 80 }),
        (configured, seq) => {
          const order = ['preview', 'progressive', 'predictive'];
          const g = new SafetyGovernor(configured, limits);
          let t = 0;
          for (const s of seq) {
            t += s.dt;
            const m: GovernorInput = {
              t,
              abandon: s.abandon,
              answer: s.answer,
              connectLatencyP90S: s.connectLatencyP90S,
            };
            const before = g.history.length;
            g.update(m);
            expect(order.indexOf(g.mode)).toBeLessThanOrEqual(order.indexOf(configured));
            const breached = [s.abandon.hour, s.abandon.today, s.abandon.days30].some(
              (w) => w.answered >= limits.minSample && w.abandoned / w.answered > limits.maxAbandonRate,
            );
            if (breached) expect(g.mode).not.toBe('predictive');
            if (g.history.length > before) {
              const step = g.history.at(-1)!;
              expect(step.detail.length).toBeGreaterThan(0);
              if (step.reason === 'recovered') {
                const prev = g.history.at(-2);
                if (prev) expect(step.t - prev.t).toBeGreaterThanOrEqual(limits.recoverAfterS);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('calls-per-second cap', () => {
  it("allows a second's burst, then the rate", () => {
    const cap = new CallRateLimiter(10);
    expect(cap.take(0, 25)).toBe(10);
    expect(cap.take(0, 5)).toBe(0);
    expect(cap.waitS()).toBeCloseTo(0.1);
    expect(cap.take(0.5, 10)).toBe(5);
    expect(cap.take(10, 100)).toBe(10); // never more than one second's worth saved up
  });

  it('over any sequence never exceeds rate × elapsed + one second of burst', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(
          fc.record({ dt: fc.double({ min: 0, max: 3, noNaN: true }), want: fc.integer({ min: 0, max: 200 }) }),
          { maxLength: 100 },
        ),
        (rate, seq) => {
          const cap = new CallRateLimiter(rate);
          let t = 0;
          let total = 0;
          for (const s of seq) {
            t += s.dt;
            total += cap.take(t, s.want);
            expect(total).toBeLessThanOrEqual(rate * t + rate + 1e-9);
          }
        },
      ),
    );
  });
});

describe('IVR pacing', () => {
  it('keeps the IVR lines full and no more', () => {
    const p = new IvrPolicy(30);
    const snap = (callsInProgress: number) => ({ callsInProgress }) as unknown as PacingSnapshot;
    expect(p.decide(snap(0)).dials).toBe(30);
    expect(p.decide(snap(25)).dials).toBe(5);
    expect(p.decide(snap(31)).dials).toBe(0);
    expect(p.status()).toMatchObject({ mode: 'ivr', level: 30 });
  });
});
