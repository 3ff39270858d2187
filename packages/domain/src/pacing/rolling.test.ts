import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RollingCounts } from './rolling.ts';

const MIN = 60_000;

describe('RollingCounts', () => {
  it('sums a window and forgets what is older than it keeps', () => {
    const r = new RollingCounts(['dial', 'abandon'] as const, MIN, 60 * MIN);
    r.add(0, 'dial');
    r.add(30 * MIN, 'dial', 2);
    r.add(59 * MIN, 'abandon');
    expect(r.sum(59 * MIN, 60 * MIN)).toEqual({ dial: 3, abandon: 1 });
    expect(r.sum(59 * MIN, 10 * MIN)).toEqual({ dial: 0, abandon: 1 });
    expect(r.sum(100 * MIN, 60 * MIN)).toEqual({ dial: 0, abandon: 1 });
    expect(r.sum(130 * MIN, 60 * MIN)).toEqual({ dial: 0, abandon: 0 });
    expect(r.size).toBe(0);
  });

  it('never counts less than the exact window, and at most one bucket more (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 600 * MIN }), fc.constantFrom('a', 'b')), { maxLength: 200 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 600 * MIN }),
        (events, windowMin, now) => {
          const r = new RollingCounts(['a', 'b'] as const, MIN, 600 * MIN);
          for (const [t, k] of events) r.add(t, k);
          const got = r.sum(now, windowMin * MIN);
          for (const k of ['a', 'b'] as const) {
            const exact = events.filter(([t, kk]) => kk === k && t >= now - windowMin * MIN && t <= now).length;
            const loose = events.filter(
              ([t, kk]) => kk === k && t >= now - windowMin * MIN - MIN && t < Math.floor(now / MIN) * MIN + MIN,
            ).length;
            if (got[k] < exact || got[k] > loose) return false;
          }
          return true;
        },
      ),
    );
  });

  it('starts from seeded history', () => {
    const r = new RollingCounts(['answered', 'abandoned'] as const, 3_600_000, 30 * 86_400_000);
    r.seed(0, { answered: 100, abandoned: 2 });
    r.add(3_600_000, 'abandoned');
    expect(r.sum(5 * 3_600_000, 30 * 86_400_000)).toEqual({ answered: 100, abandoned: 3 });
  });

  it('refuses a nonsensical bucket size', () => {
    expect(() => new RollingCounts(['a'] as const, 0, 10)).toThrow(RangeError);
  });
});
