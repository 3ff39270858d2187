import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { defaultProjectRules, type ProjectRules } from '../projects/types.ts';
import { checkDial, nextWindowStart, type AttemptOutcome, type AttemptRecord, type DialCandidate } from './index.ts';

const SH = 'Asia/Shanghai';
const at = (iso: string, zone = SH) => DateTime.fromISO(iso, { zone }).toMillis();
const base = (patch: Partial<DialCandidate> = {}): DialCandidate => ({
  contactStatus: 'new',
  callbackAt: null,
  contactTimeZone: null,
  numberTimeZone: SH,
  phone: '+8613800000001',
  attempts: [],
  onDncList: false,
  agentGuaranteed: false,
  ...patch,
});
const rules = defaultProjectRules(); // Mon–Sat 09:00–21:00, 3 in 10 days, 72 h after abandon, 2 per number per day

describe('checkDial', () => {
  it('allows a fresh contact inside the window (Monday 10:00 Shanghai)', () => {
    expect(checkDial(base(), rules, at('2026-03-02T10:00'))).toEqual({ allowed: true });
  });

  it("uses the callee's local time, not the server's", () => {
    // 10:00 in Shanghai is 21:00 the day before in New York: outside New York's window.
    const ny = checkDial(base({ contactTimeZone: 'America/New_York' }), rules, at('2026-03-03T10:00'));
    expect(ny).toMatchObject({ allowed: false, code: 'outside_calling_window' });
    if (!ny.allowed)
      expect(DateTime.fromMillis(ny.retryAt!, { zone: 'America/New_York' }).toFormat('HH:mm')).toBe('09:00');
    expect(checkDial(base(), rules, at('2026-03-02T08:59'))).toMatchObject({ code: 'outside_calling_window' });
    expect(checkDial(base(), rules, at('2026-03-02T21:00'))).toMatchObject({ code: 'outside_calling_window' });
    expect(checkDial(base(), rules, at('2026-03-08T10:00'))).toMatchObject({ code: 'outside_calling_window' }); // Sunday
    expect(checkDial(base({ numberTimeZone: null }), rules, at('2026-03-02T10:00'))).toMatchObject({
      code: 'no_time_zone',
    });
  });

  it('refuses holidays, DNC and closed contacts', () => {
    const r: ProjectRules = { ...rules, holidays: ['2026-10-01'] };
    expect(checkDial(base(), r, at('2026-10-01T10:00'))).toMatchObject({ code: 'holiday' });
    expect(checkDial(base({ onDncList: true }), rules, at('2026-03-02T10:00'))).toMatchObject({ code: 'dnc' });
    expect(checkDial(base({ contactStatus: 'closed' }), rules, at('2026-03-02T10:00'))).toMatchObject({
      code: 'contact_closed',
    });
  });

  it('closes after 3 attempts in 10 days, whatever the results', () => {
    const attempts: AttemptRecord[] = ['2026-03-02T10:00', '2026-03-04T10:00', '2026-03-06T10:00'].map((t) => ({
      phone: '+8613800000001',
      placedAt: at(t),
      outcome: 'no_answer',
    }));
    expect(checkDial(base({ attempts }), rules, at('2026-03-09T10:00'))).toMatchObject({
      code: 'max_attempts_reached',
      closeContact: true,
    });
    expect(checkDial(base({ attempts }), rules, at('2026-03-12T10:01'))).toEqual({ allowed: true }); // the first fell out of the window
  });

  it('waits the retry delay of the last outcome, and 72 h after an abandoned call unless an agent is guaranteed', () => {
    const busy = [{ phone: '+8613800000001', placedAt: at('2026-03-02T10:00'), outcome: 'busy' as const }];
    expect(checkDial(base({ attempts: busy }), rules, at('2026-03-02T10:29'))).toMatchObject({
      code: 'retry_too_soon',
      retryAt: at('2026-03-02T10:30'),
    });
    expect(checkDial(base({ attempts: busy }), rules, at('2026-03-02T10:30'))).toEqual({ allowed: true });
    const dropped = [{ phone: '+8613800000001', placedAt: at('2026-03-02T10:00'), outcome: 'abandoned' as const }];
    expect(checkDial(base({ attempts: dropped }), rules, at('2026-03-04T12:00'))).toMatchObject({
      code: 'abandon_cooldown',
    });
    expect(checkDial(base({ attempts: dropped, agentGuaranteed: true }), rules, at('2026-03-04T12:00'))).toEqual({
      allowed: true,
    });
    expect(checkDial(base({ attempts: dropped }), rules, at('2026-03-05T10:00'))).toEqual({ allowed: true });
  });

  it('honours callbacks and the per-number daily cap', () => {
    expect(
      checkDial(base({ contactStatus: 'callback', callbackAt: at('2026-03-02T15:00') }), rules, at('2026-03-02T10:00')),
    ).toMatchObject({ code: 'callback_not_due' });
    // a due callback may be placed inside the ordinary retry delay
    const recent = [{ phone: '+8613800000001', placedAt: at('2026-03-02T14:00'), outcome: 'person' as const }];
    expect(
      checkDial(
        base({ contactStatus: 'callback', callbackAt: at('2026-03-02T15:00'), attempts: recent }),
        rules,
        at('2026-03-02T15:00'),
      ),
    ).toEqual({ allowed: true });
    const two = ['2026-03-02T09:00', '2026-03-02T12:00'].map((t) => ({
      phone: '+8613800000001',
      placedAt: at(t),
      outcome: 'no_answer' as const,
    }));
    const r: ProjectRules = { ...rules, closing: { ...rules.closing, maxAttempts: 10 } };
    expect(checkDial(base({ attempts: two }), r, at('2026-03-02T18:00'))).toMatchObject({ code: 'daily_number_cap' });
    expect(checkDial(base({ attempts: two, phone: '+8613800000002' }), r, at('2026-03-02T18:00'))).toEqual({
      allowed: true,
    });
  });

  it('nextWindowStart skips Sundays and holidays', () => {
    const r: ProjectRules = { ...rules, holidays: ['2026-03-09'] };
    const next = nextWindowStart(r, SH, at('2026-03-07T22:00'))!; // Saturday night
    expect(DateTime.fromMillis(next, { zone: SH }).toISO()).toBe('2026-03-10T09:00:00.000+08:00');
  });
});

/**
 * Whatever happens — any rules, time zones, outcomes, DNC changes and timing — no dial the
 * gate allows breaks a rule. The dialer is simulated as greedily as possible: at every
 * step it tries to dial and the gate alone decides.
 */
describe('no sequence of events makes the gate allow a forbidden dial (property)', () => {
  const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Australia/Sydney'];
  const hhmm = fc
    .integer({ min: 0, max: 23 * 60 })
    .map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  const range = fc.tuple(hhmm, fc.integer({ min: 60, max: 900 })).map(([s, len]) => {
    const end = Math.min(24 * 60, Number(s.slice(0, 2)) * 60 + Number(s.slice(3)) + len);
    return { start: s, end: `${String(Math.floor(end / 60)).padStart(2, '0')}:${String(end % 60).padStart(2, '0')}` };
  });
  const rulesArb: fc.Arbitrary<ProjectRules> = fc.record({
    closing: fc.record({
      maxAttempts: fc.integer({ min: 1, max: 5 }),
      windowDays: fc.integer({ min: 1, max: 14 }),
      closeOnSuccess: fc.boolean(),
    }),
    // Most days have windows (so plenty of dials get through); some have none.
    callingWindows: fc.record({
      '1': fc.array(range, { minLength: 1, maxLength: 2 }),
      '2': fc.array(range, { minLength: 1, maxLength: 2 }),
      '3': fc.array(range, { maxLength: 2 }),
      '4': fc.array(range, { minLength: 1, maxLength: 2 }),
      '5': fc.array(range, { maxLength: 2 }),
      '6': fc.array(range, { maxLength: 1 }),
      '7': fc.array(range, { maxLength: 1 }),
    }),
    holidays: fc.array(
      fc.integer({ min: 0, max: 40 }).map((d) => DateTime.fromISO('2026-03-01').plus({ days: d }).toISODate()!),
      { maxLength: 5 },
    ),
    retryDelaysMinutes: fc.record({
      busy: fc.integer({ min: 0, max: 120 }),
      noAnswer: fc.integer({ min: 0, max: 240 }),
      machine: fc.integer({ min: 0, max: 240 }),
      abandoned: fc.integer({ min: 0, max: 5000 }),
      failed: fc.integer({ min: 0, max: 120 }),
    }),
    dailyNumberCap: fc.integer({ min: 1, max: 4 }),
    maxAbandonRate: fc.constant(0.03),
  });
  const step = fc.record({
    advanceMin: fc.integer({ min: 1, max: 600 }),
    outcome: fc.constantFrom<AttemptOutcome>('person', 'machine', 'no_answer', 'busy', 'failed', 'abandoned'),
    dnc: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    guaranteed: fc.boolean(),
    phone: fc.constantFrom('+8613800000001', '+8613800000002'),
  });

  it('holds for random rules and event sequences', () => {
    let allowed = 0;
    fc.assert(
      fc.property(
        rulesArb,
        fc.constantFrom(...zones),
        fc.array(step, { minLength: 30, maxLength: 120 }),
        (r, zone, steps) => {
          let now = DateTime.fromISO('2026-03-01T00:00', { zone: 'UTC' }).toMillis();
          const attempts: (AttemptRecord & { guaranteed: boolean })[] = [];
          for (const s of steps) {
            now += s.advanceMin * 60_000;
            const d = checkDial(
              {
                contactStatus: 'new',
                callbackAt: null,
                contactTimeZone: zone,
                numberTimeZone: null,
                phone: s.phone,
                attempts,
                onDncList: s.dnc,
                agentGuaranteed: s.guaranteed,
              },
              r,
              now,
            );
            if (!d.allowed) continue;
            // --- the oracle: every rule, checked from scratch for this allowed dial ---
            if (s.dnc) return false;
            const local = DateTime.fromMillis(now, { zone });
            if (r.holidays.includes(local.toISODate()!)) return false;
            const m = local.hour * 60 + local.minute;
            const ok = (r.callingWindows[String(local.weekday) as '1'] ?? []).some(
              (w) =>
                m >= Number(w.start.slice(0, 2)) * 60 + Number(w.start.slice(3)) &&
                m < Number(w.end.slice(0, 2)) * 60 + Number(w.end.slice(3)),
            );
            if (!ok) return false;
            if (
              attempts.filter((a) => a.placedAt > now - r.closing.windowDays * 86_400_000).length >=
              r.closing.maxAttempts
            )
              return false;
            const prev = attempts[attempts.length - 1];
            if (prev) {
              const key = { busy: 'busy', no_answer: 'noAnswer', machine: 'machine', failed: 'failed' } as const;
              const k = prev.outcome && prev.outcome in key ? key[prev.outcome as keyof typeof key] : undefined;
              if (k && now < prev.placedAt + r.retryDelaysMinutes[k] * 60_000) return false;
            }
            if (
              !s.guaranteed &&
              attempts.some(
                (a) => a.outcome === 'abandoned' && now < a.placedAt + r.retryDelaysMinutes.abandoned * 60_000,
              )
            )
              return false;
            if (
              attempts.filter(
                (a) =>
                  a.phone === s.phone && DateTime.fromMillis(a.placedAt, { zone }).toISODate() === local.toISODate(),
              ).length >= r.dailyNumberCap
            )
              return false;
            attempts.push({ phone: s.phone, placedAt: now, outcome: s.outcome, guaranteed: s.guaranteed });
            allowed++;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
    // The property is only worth something if the gate lets plenty of dials through.
    expect(allowed).toBeGreaterThan(1000);
  });

  it('an open attempt always blocks another dial of the same contact', () => {
    fc.assert(
      fc.property(rulesArb, fc.integer({ min: 0, max: 60 * 24 * 30 }), (r, minute) => {
        const now = DateTime.fromISO('2026-03-01T00:00', { zone: 'UTC' }).toMillis() + minute * 60_000;
        const d = checkDial(
          {
            contactStatus: 'new',
            callbackAt: null,
            contactTimeZone: SH,
            numberTimeZone: null,
            phone: '+8613800000001',
            attempts: [{ phone: '+8613800000002', placedAt: now - 1000, outcome: null }],
            onDncList: false,
            agentGuaranteed: true,
          },
          r,
          now,
        );
        return !d.allowed;
      }),
    );
  });
});
