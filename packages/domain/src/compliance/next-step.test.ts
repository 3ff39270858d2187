import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultProjectRules, type ProjectRules } from '../projects/types.ts';
import { checkDial, nextStep, type AttemptOutcome, type AttemptRecord } from './index.ts';

const T0 = Date.parse('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai
const MIN = 60_000;
const rules = defaultProjectRules();

describe('next step after an attempt', () => {
  const one = (outcome: AttemptOutcome): AttemptRecord[] => [{ phone: '+8613800000001', placedAt: T0, outcome }];

  it.each([
    ['busy', 30],
    ['no_answer', 120],
    ['machine', 240],
    ['failed', 60],
    ['abandoned', 72 * 60],
    ['person', 120],
  ] as const)("%s → retry after the project's delay (%i min)", (outcome, minutes) => {
    expect(nextStep(rules, one(outcome), { placedAt: T0, outcome, endedAt: T0 + 30_000 }, null)).toEqual({
      kind: 'retry',
      at: T0 + minutes * MIN,
    });
  });

  it('a withdrawn call may be retried at once', () => {
    expect(nextStep(rules, one('cancelled'), { placedAt: T0, outcome: 'cancelled', endedAt: T0 + 5000 }, null)).toEqual(
      { kind: 'retry', at: T0 + 5000 },
    );
  });

  it('closes on the third attempt in ten days whatever the result', () => {
    const h: AttemptRecord[] = [0, 1, 2].map((d) => ({
      phone: '+8613800000001',
      placedAt: T0 + d * 86_400_000,
      outcome: 'no_answer',
    }));
    expect(
      nextStep(rules, h, { placedAt: h[2]!.placedAt, outcome: 'no_answer', endedAt: h[2]!.placedAt + 20_000 }, null),
    ).toEqual({ kind: 'closed', reason: 'max_attempts' });
    // Attempts older than the window do not count.
    const spread = h.map((a, i) => ({ ...a, placedAt: T0 + i * 6 * 86_400_000 }));
    expect(
      nextStep(
        rules,
        spread,
        { placedAt: spread[2]!.placedAt, outcome: 'busy', endedAt: spread[2]!.placedAt + 1000 },
        null,
      ).kind,
    ).toBe('retry');
  });

  it("a code's own retry delay replaces the outcome's, but never shortens an abandoned call's cool-down", () => {
    const end = { placedAt: T0, outcome: 'person' as const, endedAt: T0 + 300_000 };
    const later = { code: 'LATER', success: false, closes: false, callbackAt: null, retryAfterMinutes: 24 * 60 };
    expect(nextStep(rules, one('person'), end, later)).toEqual({ kind: 'retry', at: T0 + 300_000 + 24 * 60 * MIN });
    const abandonedBefore: AttemptRecord[] = [
      { phone: '+8613800000001', placedAt: T0 - 3600_000, outcome: 'abandoned' },
      ...one('person'),
    ];
    expect(nextStep(rules, abandonedBefore, end, { ...later, retryAfterMinutes: 5 })).toEqual({
      kind: 'retry',
      at: T0 - 3600_000 + 72 * 60 * MIN,
    });
  });

  it('follows the disposition: closing codes, success, callbacks', () => {
    const end = { placedAt: T0, outcome: 'person' as const, endedAt: T0 + 300_000 };
    expect(
      nextStep(rules, one('person'), end, { code: 'WRONG', success: false, closes: true, callbackAt: null }),
    ).toEqual({ kind: 'closed', reason: 'disposition' });
    expect(
      nextStep(rules, one('person'), end, { code: 'SOLD', success: true, closes: false, callbackAt: null }),
    ).toEqual({ kind: 'closed', reason: 'success' });
    const noCloseOnSuccess: ProjectRules = { ...rules, closing: { ...rules.closing, closeOnSuccess: false } };
    expect(
      nextStep(noCloseOnSuccess, one('person'), end, { code: 'SOLD', success: true, closes: false, callbackAt: null })
        .kind,
    ).toBe('retry');
    expect(
      nextStep(rules, one('person'), end, { code: 'CB', success: false, closes: false, callbackAt: T0 + 86_400_000 }),
    ).toEqual({ kind: 'callback', at: T0 + 86_400_000 });
  });

  it('never schedules a retry the compliance gate would refuse as too soon, and closes exactly when the gate would', () => {
    const outcome = fc.constantFrom<AttemptOutcome>(
      'person',
      'machine',
      'no_answer',
      'busy',
      'failed',
      'abandoned',
      'cancelled',
    );
    const rulesArb = fc
      .record({
        maxAttempts: fc.integer({ min: 1, max: 6 }),
        windowDays: fc.integer({ min: 1, max: 14 }),
        busy: fc.integer({ min: 0, max: 240 }),
        noAnswer: fc.integer({ min: 0, max: 600 }),
        machine: fc.integer({ min: 0, max: 600 }),
        abandoned: fc.integer({ min: 0, max: 6000 }),
        failed: fc.integer({ min: 0, max: 240 }),
      })
      .map((r): ProjectRules => ({
        ...rules,
        // Every hour of every day is callable, so only the delays and the closing rule can refuse.
        callingWindows: Object.fromEntries(
          ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]),
        ),
        dailyNumberCap: 1000,
        closing: { maxAttempts: r.maxAttempts, windowDays: r.windowDays, closeOnSuccess: true },
        retryDelaysMinutes: {
          busy: r.busy,
          noAnswer: r.noAnswer,
          machine: r.machine,
          abandoned: r.abandoned,
          failed: r.failed,
        },
      }));
    const history = fc.array(fc.record({ gapMin: fc.integer({ min: 1, max: 5000 }), outcome }), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(rulesArb, history, fc.integer({ min: 0, max: 600_000 }), (r, steps, talkMs) => {
        let t = T0;
        const attempts: AttemptRecord[] = steps.map((s) => ({
          phone: '+8613800000001',
          placedAt: (t += s.gapMin * MIN),
          outcome: s.outcome,
        }));
        const last = attempts[attempts.length - 1]!;
        const ended = { placedAt: last.placedAt, outcome: last.outcome!, endedAt: last.placedAt + talkMs };
        const step = nextStep(r, attempts, ended, null);
        const candidate = (at: number) =>
          checkDial(
            {
              contactStatus: 'in_progress',
              callbackAt: null,
              contactTimeZone: 'Asia/Shanghai',
              numberTimeZone: 'Asia/Shanghai',
              phone: '+8613800000001',
              attempts,
              onDncList: false,
              agentGuaranteed: false,
            },
            r,
            at,
          );
        if (step.kind === 'retry') {
          const g = candidate(step.at);
          if (!g.allowed) expect(['retry_too_soon', 'abandon_cooldown', 'max_attempts_reached']).not.toContain(g.code);
        } else {
          expect(step).toEqual({ kind: 'closed', reason: 'max_attempts' });
          const g = candidate(ended.endedAt);
          expect(g.allowed).toBe(false);
          if (!g.allowed) expect(g.code).toBe('max_attempts_reached');
        }
      }),
      { numRuns: 500 },
    );
  });
});
