import { describe, expect, it } from 'vitest';
import { ProgressivePolicy, type PacingPolicy } from '@outdial/domain/pacing';
import { parseScenario, type Scenario } from './scenario.ts';
import { simulateReplication } from './sim.ts';

/** The spec's rules the simulator must follow (shared/bench/pacing/README.md, "The model"). */
function scenario(patch: Record<string, unknown>): Scenario {
  return parseScenario({
    name: 'rules',
    agents: 4,
    shift: { days: 2, hoursPerDay: 2, startHour: 9 },
    replications: 1,
    seed: 3,
    answer: { human: 0.5, machine: 0.2 },
    ringToAnswerSeconds: { dist: 'constant', mean: 5 },
    noAnswerTimeoutSeconds: 20,
    greetingSeconds: 1,
    connectWithinSeconds: 2,
    talkSeconds: { dist: 'constant', mean: 60 },
    wrapSeconds: { dist: 'constant', mean: 5 },
    amd: { enabled: true, decisionSeconds: 3, falsePositive: 0, falseNegative: 0 },
    ...patch,
  });
}

describe('the simulator follows the spec', () => {
  it('the 2-second clock runs from answer + greeting whether or not AMD is on: a later verdict abandons every person', () => {
    const inTime = simulateReplication(scenario({}), new ProgressivePolicy(), 0, { agentBound: true });
    expect(inTime.abandons).toBe(0);
    expect(inTime.connects).toBeGreaterThan(0);
    const late = scenario({ amd: { enabled: true, decisionSeconds: 3.5, falsePositive: 0, falseNegative: 0 } });
    const r = simulateReplication(late, new ProgressivePolicy(), 0, { agentBound: true });
    expect(r.humans).toBeGreaterThan(0);
    expect(r.abandons).toBe(r.humans);
    expect(r.connects).toBe(0);
  });

  it('counts talk inside the shift window only, so occupancy never exceeds 100%', () => {
    // Every call lasts longer than the shift: each agent talks from its first connect to the end.
    const sc = scenario({ talkSeconds: { dist: 'constant', mean: 3 * 3600 }, amd: { enabled: false } });
    const r = simulateReplication(sc, new ProgressivePolicy(), 0, { agentBound: true });
    expect(r.talkS).toBeGreaterThan(0.9 * r.availableS);
    expect(r.talkS).toBeLessThanOrEqual(r.availableS);
  });

  it('starts every working day afresh: a new policy per day when asked, no call carried over', () => {
    const made: number[] = [];
    const sc = scenario({ shift: { days: 3, hoursPerDay: 24, startHour: 0 }, amd: { enabled: false } });
    const r = simulateReplication(sc, new ProgressivePolicy(), 0, {
      agentBound: true,
      policyForDay: (d): PacingPolicy => {
        made.push(d);
        return new ProgressivePolicy();
      },
    });
    expect(made).toEqual([1, 2]);
    expect(r.dayHumans.every((h) => h > 0)).toBe(true);
    expect(r.talkS).toBeLessThanOrEqual(r.availableS);
  });
});
