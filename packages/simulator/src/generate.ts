import { sfc32 } from './random.ts';
import { parseScenario, type Scenario } from './scenario.ts';

/**
 * Scenarios nobody chose (shared/bench/pacing/README.md, "Robustness"): drawn at random from a
 * seed over the ranges real operations see — 2–500 agents (log-uniform: small teams are as
 * common as large ones); person answer rates 2–60% (log-uniform), flat or by hour (drifting up
 * or down, with noise); machines 0–30% with AMD on or off and its error rates 0–30%; talk means
 * 30–900 s (log-uniform) with cv 0.3–2; wrap 0–120 s; breaks; a sudden step of the answer rate
 * by ×0.3–×3 lasting 15–120 minutes. The same (seed, index) always gives the same scenario, so a
 * miss is reproduced from the two numbers its name carries.
 */
export function randomScenario(seed: number, index: number): Scenario {
  const rnd = sfc32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) | 0);
  const uniform = (a: number, b: number) => a + (b - a) * rnd();
  const logUniform = (a: number, b: number) => Math.exp(uniform(Math.log(a), Math.log(b)));
  const chance = (p: number) => rnd() < p;
  const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

  const agents = Math.max(2, Math.min(500, Math.round(logUniform(2, 500))));
  const hoursPerDay = Math.round(uniform(4, 10));
  const machine = round(uniform(0, 0.3));
  const maxHuman = Math.min(0.6, 1 - machine);
  const human = round(logUniform(0.02, maxHuman));
  const answer: Record<string, unknown> = { machine };
  if (chance(0.5)) {
    answer['human'] = human;
  } else {
    // Drifting through the shift: from `human` to a level up to ×2.5 away, with some noise.
    const end = Math.min(maxHuman, Math.max(0.02, human * logUniform(0.4, 2.5)));
    answer['humanByHour'] = Array.from({ length: hoursPerDay }, (_, h) => {
      const x = human + ((end - human) * h) / Math.max(1, hoursPerDay - 1);
      return round(Math.min(maxHuman, Math.max(0.02, x * uniform(0.85, 1.15))));
    });
  }
  if (chance(0.6)) {
    const durationMinutes = Math.round(uniform(15, 120));
    answer['steps'] = [
      {
        atHour: round(uniform(0.5, Math.max(0.6, hoursPerDay - durationMinutes / 60)), 2),
        durationMinutes,
        factor: round(logUniform(0.3, 3), 2),
      },
    ];
  }
  const amdOn = chance(0.5);
  const greetingSeconds = round(uniform(0.5, 2), 1);
  const talkMean = round(logUniform(30, 900), 0);
  const wrapMean = round(uniform(0, 120), 0);
  const json: Record<string, unknown> = {
    name: `R-${seed}-${index}`,
    agents,
    shift: { days: 22, hoursPerDay, startHour: Math.round(uniform(8, 12)) },
    replications: 5,
    seed: seed * 1000 + index,
    answer,
    ringToAnswerSeconds: { dist: 'lognormal', mean: round(uniform(5, 12), 1), cv: round(uniform(0.3, 0.8), 2) },
    noAnswerTimeoutSeconds: Math.round(uniform(18, 35)),
    greetingSeconds,
    connectWithinSeconds: 2,
    talkSeconds: { dist: 'lognormal', mean: talkMean, cv: round(uniform(0.3, 2), 2) },
    wrapSeconds: chance(0.5)
      ? { dist: 'constant', mean: wrapMean }
      : { dist: 'uniform', min: round(wrapMean * 0.5, 0), max: round(wrapMean * 1.5, 0) },
    amd: amdOn
      ? {
          enabled: true,
          // A verdict later than greeting + 2 s would leave no call in time: sites configure it within.
          decisionSeconds: round(uniform(Math.min(1, greetingSeconds), greetingSeconds + 2), 1),
          falsePositive: round(uniform(0, 0.3)),
          falseNegative: round(uniform(0, 0.3)),
        }
      : { enabled: false },
  };
  if (chance(0.5)) {
    const everyMinutes = Math.round(uniform(60, 150));
    json['breaks'] = {
      fractionOfAgents: round(uniform(0.05, 0.5), 2),
      minutes: Math.round(uniform(5, 20)),
      everyMinutes,
      staggered: chance(0.8),
    };
  }
  return parseScenario(json, `random scenario ${seed}/${index}`);
}
