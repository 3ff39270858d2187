import { describe, expect, it } from 'vitest';
import { defaultDispositions, defaultProjectRules, validateDispositions, validateProjectRules } from './index.ts';

describe('validateProjectRules', () => {
  it('accepts the defaults', () => {
    expect(validateProjectRules(defaultProjectRules())).toEqual([]);
    expect(validateDispositions(defaultDispositions())).toEqual([]);
  });

  it('reports every problem with its path', () => {
    const r = defaultProjectRules();
    r.closing.maxAttempts = 0;
    r.callingWindows['1'] = [
      { start: '21:00', end: '09:00' },
      { start: '9:00', end: '10:00' },
    ];
    r.holidays = ['2026-13-40', '2026-10-01'];
    r.maxAbandonRate = 0.05;
    expect(validateProjectRules(r).map((i) => i.path)).toEqual([
      'closing.maxAttempts',
      'callingWindows.1.0',
      'callingWindows.1.1',
      'holidays.0',
      'maxAbandonRate',
    ]);
  });

  it('rejects duplicate and malformed disposition codes', () => {
    const d = defaultDispositions();
    d.push({ ...d[0]! });
    d.push({ ...d[1]!, code: 'Bad Code' });
    expect(validateDispositions(d).map((i) => i.message)).toEqual([
      '"success" appears twice',
      expect.stringContaining('lower-case'),
    ]);
  });
});

describe('disposition effects', () => {
  const base = { labelZh: 'x', labelEn: 'x', success: false, closes: false, addsToDnc: false };
  it('one next step per code, sane delays, escalations that go somewhere', () => {
    expect(
      validateDispositions([
        { ...base, code: 'a', closes: true, callback: 'agent' },
        { ...base, code: 'b', retryAfterMinutes: -1 },
        { ...base, code: 'c', retryAfterMinutes: 1.5 },
        { ...base, code: 'd', callback: 'anyone', retryAfterMinutes: 10 },
        { ...base, code: 'e', closes: true, escalateTo: 'vip' },
        { ...base, code: 'f', escalateTo: 'VIP!' },
        { ...base, code: 'g', callback: 'agent', escalateTo: 'vip', requiresAnswers: true },
      ]).map((i) => i.path),
    ).toEqual([
      'dispositions.0',
      'dispositions.1.retryAfterMinutes',
      'dispositions.2.retryAfterMinutes',
      'dispositions.3',
      'dispositions.4.escalateTo',
      'dispositions.5.escalateTo',
    ]);
  });
});
