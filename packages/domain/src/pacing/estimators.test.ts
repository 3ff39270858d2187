import { describe, expect, it } from 'vitest';
import { AnswerRateByDialTime, DecayedShare, DurationModel, planningRate } from './estimators.ts';

/** Ring times of answered calls: uniform over 0–8 s. */
const uniformRing = (a: number) => Math.min(1, Math.max(0, a / 8));
/** Every answer comes after exactly 8 s of ringing. */
const ringCdf = (a: number) => (a < 8 ? 0 : 1);

describe('AnswerRateByDialTime', () => {
  it('after a burst, the estimate does not swing with the order outcomes arrive in', () => {
    const e = new AnswerRateByDialTime(25, 0.25);
    // 2,000 dials at t=0; 5% are answered at 8 s, the rest end unanswered at 25 s.
    for (let i = 0; i < 2000; i++) e.dial(0);
    const at = (t: number) => e.estimate(t, ringCdf).slow.p;
    // Before the answers come the calls are censored: no evidence either way, the prior stands.
    expect(at(1)).toBeGreaterThan(0.05);
    for (let i = 0; i < 100; i++) e.answer(8, 8);
    // A running average in arrival order would now read 100%; here: answers over dials that could have answered.
    expect(at(9)).toBeCloseTo(0.05, 2);
    // The no-answers land at 25 s: an arrival-order average would collapse towards 0; this one stays.
    expect(at(30)).toBeCloseTo(0.05, 2);
    expect(e.estimate(30, ringCdf).slow.sd).toBeLessThan(0.01);
  });

  it('hands on ring times only when every call dialed in their second has its outcome', () => {
    const rings: number[] = [];
    const e = new AnswerRateByDialTime(25, 0.25, 4, 600, 90, (r) => rings.push(r));
    for (let i = 0; i < 100; i++) e.dial(0);
    e.answer(3, 3);
    e.answer(20, 20);
    // At 21 s the quick answer is in and the slow one too, but calls of that second may still
    // answer: a window fed now would hold the quick answers of every burst first.
    expect(e.settled(21, 1)).toBe(false);
    expect(rings).toEqual([]);
    e.dial(26);
    expect(rings).toEqual([3, 20]);
    // Settled: a timeout since the first dial and enough complete answers (2 here).
    expect(e.settled(26, 2)).toBe(true);
    expect(e.settled(26, 3)).toBe(false);
  });

  it('counts a call still ringing only by the chance it would have been answered by now', () => {
    const e = new AnswerRateByDialTime(25, 0.5, 0.001);
    for (let i = 0; i < 100; i++) e.dial(0);
    for (let i = 0; i < 10; i++) e.answer(4, 4);
    // At 4.5 s half the eventual answers are in (ring uniform over 8 s): 10 answers of 100·0.5 trials.
    expect(e.estimate(4.5, uniformRing).slow.p).toBeCloseTo(0.2, 1);
  });

  it('a night between shifts keeps what was learned, but less surely', () => {
    const e = new AnswerRateByDialTime(25, 0.5);
    for (let t = 0; t < 600; t++) {
      for (let i = 0; i < 10; i++) e.dial(t);
      if (t >= 8) e.answer(t, 8);
    }
    const evening = e.estimate(630, uniformRing).slow;
    const morning = e.estimate(630 + 16 * 3600, uniformRing).slow;
    expect(Math.abs(morning.p - evening.p)).toBeLessThan(0.02);
    expect(evening.n).toBeGreaterThan(1000);
    expect(morning.n).toBeLessThanOrEqual(101);
    expect(morning.sd).toBeGreaterThan(2 * evening.sd);
  });
});

describe('planningRate', () => {
  it('plans with the slow estimate unless the fast one is significantly higher', () => {
    const slow = { p: 0.05, sd: 0.005, n: 2000 };
    expect(planningRate({ slow, fast: { p: 0.06, sd: 0.01, n: 300 } }).p).toBe(0.05);
    expect(planningRate({ slow, fast: { p: 0.15, sd: 0.02, n: 300 } }).p).toBe(0.15);
  });
});

describe('DurationModel', () => {
  it('counts calls still running as censored durations (Kaplan–Meier)', () => {
    // Minutes after a start: ten calls ended within 10 s, ninety are still running at 100 s.
    const m = new DurationModel(500);
    for (let i = 1; i <= 10; i++) m.add(i);
    const running = Array.from({ length: 90 }, () => 100);
    // Completed calls alone say every call ends within 10 s.
    expect(m.survival(10)).toBe(0);
    const curve = m.withRunning(running);
    // With the running ones: 90% last beyond 50 s, and a call at 5 s is unlikely to end within 10 s.
    expect(curve.survival(50)).toBeCloseTo(0.9, 5);
    expect(curve.endsWithin(5, 10)).toBeLessThan(0.1);
    // Without running calls the curve is the empirical one.
    const plain = m.withRunning([]);
    expect(plain.survival(5)).toBeCloseTo(m.survival(5), 10);
    expect(plain.endsWithin(2, 3)).toBeCloseTo(m.endsWithin(2, 3), 10);
  });

  it('past the samples it does not assume "frees at once": remaining time grows with time spent', () => {
    const m = new DurationModel(500);
    for (let i = 1; i <= 200; i++) m.add(i); // 1…200 s
    expect(m.endsWithin(50, 10)).toBeCloseTo(10 / 150, 2); // empirical where data are plenty
    const beyond = m.endsWithin(400, 10);
    expect(beyond).toBeLessThan(0.1);
    expect(m.endsWithin(800, 10)).toBeLessThan(beyond);
  });
});

describe('DecayedShare', () => {
  it('starts at its prior and follows the data', () => {
    const s = new DecayedShare(0.5, 2, 100);
    expect(s.share).toBe(0.5);
    for (let i = 0; i < 300; i++) s.add(i % 10 === 0);
    expect(s.share).toBeCloseTo(0.1, 1);
  });
});
