import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allowedActions,
  CAMPAIGN_STATUSES,
  defaultCampaignSettings,
  transition,
  validateCampaignSettings,
  type CampaignAction,
  type CampaignStatus,
} from './index.ts';

const ACTIONS: CampaignAction[] = ['schedule', 'start', 'pause', 'resume', 'stop', 'finish'];

describe('campaign lifecycle', () => {
  it.each([
    ['draft', 'start', 'running'],
    ['draft', 'schedule', 'scheduled'],
    ['scheduled', 'start', 'running'],
    ['running', 'pause', 'paused'],
    ['paused', 'resume', 'running'],
    ['paused', 'stop', 'finished'],
    ['running', 'finish', 'finished'],
  ] as const)('%s --%s--> %s', (from, action, to) => {
    expect(transition(from, action)).toEqual({ ok: true, to });
  });

  it.each([
    ['finished', 'start'],
    ['finished', 'resume'],
    ['running', 'start'],
    ['draft', 'pause'],
    ['running', 'resume'],
    ['draft', 'finish'],
  ] as const)('refuses %s --%s-->, saying from where it is allowed', (from, action) => {
    const r = transition(from, action);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(`cannot ${action} a ${from} campaign`);
  });

  it('finished is final and every sequence of actions stays within the known statuses', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ACTIONS), { maxLength: 30 }), (actions) => {
        let s: CampaignStatus = 'draft';
        let finished = false;
        for (const a of actions) {
          const r = transition(s, a);
          if (finished) expect(r.ok).toBe(false);
          if (r.ok) s = r.to;
          if (s === 'finished') finished = true;
          expect(CAMPAIGN_STATUSES).toContain(s);
        }
      }),
    );
  });

  it('offers exactly the actions that succeed', () => {
    for (const s of CAMPAIGN_STATUSES) {
      for (const a of ACTIONS.filter((x) => x !== 'finish')) {
        expect(allowedActions(s).includes(a)).toBe(transition(s, a).ok);
      }
    }
  });
});

describe('campaign settings', () => {
  it('accepts the defaults', () => {
    expect(validateCampaignSettings(defaultCampaignSettings())).toEqual([]);
  });

  it('reports every problem with its path', () => {
    const issues = validateCampaignSettings({
      ...defaultCampaignSettings(),
      linesPerAgent: 9,
      abandonTarget: 0.05,
      ringTimeoutSeconds: 10,
      requiredSkills: { sales: 0 },
      callerIds: ['+8610123456789', '010-1234'],
      startAt: '2026-12-01T10:00:00Z',
      endAt: '2026-12-01T09:00:00Z',
    });
    expect(issues.map((i) => i.path)).toEqual([
      'linesPerAgent',
      'abandonTarget',
      'ringTimeoutSeconds',
      'requiredSkills.sales',
      'callerIds.1',
      'endAt',
    ]);
  });
});
