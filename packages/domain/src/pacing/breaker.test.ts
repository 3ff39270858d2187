import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBreaker, defaultBreakerLimits } from './breaker.ts';

const limits = defaultBreakerLimits(0.03);
const quiet = { recent: { ended: 0, failed: 0 }, hour: { answered: 0, abandoned: 0 }, mode: 'progressive' as const };

describe('circuit breaker', () => {
  it('trips when most recent calls fail at the network, not on a small sample', () => {
    expect(checkBreaker({ ...quiet, recent: { ended: 49, failed: 49 } }, limits)).toBeNull();
    expect(checkBreaker({ ...quiet, recent: { ended: 50, failed: 24 } }, limits)).toBeNull();
    expect(checkBreaker({ ...quiet, recent: { ended: 50, failed: 25 } }, limits)).toMatchObject({
      reason: 'carrier_failures',
    });
  });

  it('trips when calls are still abandoned above the limit after the governor stepped down, with enough answers', () => {
    expect(checkBreaker({ ...quiet, hour: { answered: 29, abandoned: 20 } }, limits)).toBeNull();
    expect(checkBreaker({ ...quiet, hour: { answered: 1000, abandoned: 30 } }, limits)).toBeNull();
    // In predictive mode abandons are the governor's business (it steps down), not the breaker's.
    expect(checkBreaker({ ...quiet, mode: 'predictive', hour: { answered: 1000, abandoned: 100 } }, limits)).toBeNull();
    const trip = checkBreaker({ ...quiet, hour: { answered: 1000, abandoned: 31 } }, limits);
    expect(trip).toMatchObject({ reason: 'abandon_limit' });
    expect(trip?.detail).toContain('3.1%');
  });

  it('trips exactly when a limit is crossed (property)', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.nat(500), fc.nat(5000), fc.nat(5000), (ended, failed, answered, abandoned) => {
        const f = Math.min(failed, ended);
        const a = Math.min(abandoned, answered);
        const trip = checkBreaker({ ...quiet, recent: { ended, failed: f }, hour: { answered, abandoned: a } }, limits);
        const carrier = ended >= 50 && f / ended >= 0.5;
        const abandon = answered >= 30 && a / answered > 0.03;
        return (trip !== null) === (carrier || abandon) && (!carrier || trip?.reason === 'carrier_failures');
      }),
    );
  });
});
