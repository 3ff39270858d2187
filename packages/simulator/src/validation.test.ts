import { describe, expect, it } from 'vitest';
import { ErlangOpenLoopPolicy, ProgressivePolicy, erlangB } from '@outdial/domain/pacing';
import { parseScenario, type Scenario } from './scenario.ts';
import { simulateReplication } from './sim.ts';

/**
 * The simulator agrees with queueing theory (shared/bench/pacing/README.md, "Validating
 * the simulator"): with zero patience, no greeting and no wrap, Poisson dialing offers a
 * Poisson stream of answered calls to N agents with no waiting room — Erlang-B, whatever
 * the talk-time distribution; and progressive dialing matches its closed form.
 */
function scenario(patch: Record<string, unknown>): Scenario {
  return parseScenario({
    name: 'validation',
    agents: 10,
    shift: { days: 4, hoursPerDay: 24, startHour: 0 },
    replications: 1,
    seed: 7,
    answer: { human: 0.3, machine: 0 },
    ringToAnswerSeconds: { dist: 'uniform', min: 2, max: 12 },
    noAnswerTimeoutSeconds: 20,
    greetingSeconds: 0,
    connectWithinSeconds: 0,
    talkSeconds: { dist: 'lognormal', mean: 60, cv: 1.2 },
    wrapSeconds: { dist: 'constant', mean: 0 },
    amd: { enabled: false },
    ...patch,
  });
}

describe('simulator vs Erlang-B (Poisson dialing, zero patience)', () => {
  it.each([
    [5, 3, 'lognormal'],
    [20, 15, 'exponential'],
    [40, 38, 'constant'],
  ] as const)('N=%i agents, offered load %f erlangs, %s talk', (agents, load, dist) => {
    const talk = dist === 'lognormal' ? { dist, mean: 60, cv: 1.2 } : { dist, mean: 60 };
    // Few agents serve few calls: simulate longer so sampling noise stays inside the tolerance.
    const sc = scenario({
      agents,
      talkSeconds: talk,
      shift: { days: agents < 10 ? 24 : 3, hoursPerDay: 24, startHour: 0 },
    });
    const p = 0.3;
    const lambda = load / (p * 60); // dials per second
    const policy = new ErlangOpenLoopPolicy({ agents, answerRate: p, meanHandleS: 60, target: 0.03, dialRate: lambda });
    // Three independent replications pooled: blocking comes in busy periods, so the
    // effective sample is much smaller than the call count.
    const runs = [0, 1, 2].map((rep) => simulateReplication(sc, policy, rep));
    const humans = runs.reduce((a, r) => a + r.humans, 0);
    const abandons = runs.reduce((a, r) => a + r.abandons, 0);
    const occupancy = runs.reduce((a, r) => a + r.talkS, 0) / runs.reduce((a, r) => a + r.availableS, 0);
    const B = erlangB(agents, load);
    expect(Math.abs(abandons / humans - B)).toBeLessThan(0.003);
    expect(Math.abs(occupancy - (load * (1 - B)) / agents)).toBeLessThan(0.006);
  });
});

describe('simulator vs the progressive closed form', () => {
  it.each([
    [0.3, { dist: 'uniform', min: 2, max: 12 }, 60, 10],
    [0.12, { dist: 'lognormal', mean: 8, cv: 0.5 }, 120, 15],
  ] as const)('p=%f', (p, ring, T, W) => {
    const sc = scenario({
      agents: 10,
      answer: { human: p, machine: 0 },
      ringToAnswerSeconds: ring,
      talkSeconds: { dist: 'exponential', mean: T },
      wrapSeconds: { dist: 'constant', mean: W },
      greetingSeconds: 1,
      connectWithinSeconds: 2,
    });
    const r = simulateReplication(sc, new ProgressivePolicy(), 0, { agentBound: true });
    // Rings that would last past the no-answer timeout are no-answers: condition on < 20 s.
    const ringMean =
      ring.dist === 'uniform' ? (ring.min + ring.max) / 2 : truncatedLognormalMean(ring.mean, ring.cv, 20);
    const pEff = ring.dist === 'uniform' ? p : p * lognormalCdf(ring.mean, ring.cv, 20);
    const expected = T / (T + W + (1 / pEff - 1) * 20 + ringMean);
    expect(r.abandons).toBe(0);
    expect(Math.abs(r.talkS / r.availableS - expected)).toBeLessThan(0.01);
  });
});

function lognormalCdf(mean: number, cv: number, x: number): number {
  const s2 = Math.log(1 + cv * cv);
  const mu = Math.log(mean) - s2 / 2;
  return 0.5 * (1 + erf((Math.log(x) - mu) / Math.sqrt(2 * s2)));
}
function truncatedLognormalMean(mean: number, cv: number, x: number): number {
  const s2 = Math.log(1 + cv * cv);
  const mu = Math.log(mean) - s2 / 2;
  const s = Math.sqrt(s2);
  const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
  return (mean * phi((Math.log(x) - mu - s2) / s)) / phi((Math.log(x) - mu) / s);
}
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
