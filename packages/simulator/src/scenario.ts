/**
 * Scenario files of the pacing benchmark (shared/bench/pacing/README.md). Any file of this
 * format is accepted; a bad one is refused with every problem and where it is.
 */
export type Dist =
  | { dist: 'constant'; mean: number }
  | { dist: 'exponential'; mean: number }
  | { dist: 'lognormal'; mean: number; cv: number }
  | { dist: 'uniform'; min: number; max: number };

export interface Scenario {
  name: string;
  agents: number;
  shift: { days: number; hoursPerDay: number; startHour: number };
  replications: number;
  seed: number;
  answer: {
    human?: number;
    humanByHour?: number[];
    machine: number;
    steps?: { atHour: number; durationMinutes: number; factor: number }[];
  };
  ringToAnswerSeconds: Dist;
  noAnswerTimeoutSeconds: number;
  greetingSeconds: number;
  connectWithinSeconds: number;
  talkSeconds: Dist;
  wrapSeconds: Dist;
  breaks?: { fractionOfAgents: number; minutes: number; everyMinutes: number; staggered?: boolean };
  amd: { enabled: boolean; decisionSeconds?: number; falsePositive?: number; falseNegative?: number };
}

export class ScenarioError extends Error {
  constructor(
    readonly problems: string[],
    source = 'scenario',
  ) {
    super(`${source} is not a valid pacing scenario:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseScenario(json: unknown, source = 'scenario'): Scenario {
  const problems: string[] = [];
  const num = (
    o: Obj,
    key: string,
    path: string,
    opts: { min?: number; max?: number; int?: boolean; optional?: boolean } = {},
  ): number => {
    const v = o[key];
    if (v === undefined && opts.optional) return NaN;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push(`${path}${key}: expected a number, got ${JSON.stringify(v)}`);
      return NaN;
    }
    if (opts.int && !Number.isInteger(v)) problems.push(`${path}${key}: expected a whole number`);
    if (opts.min !== undefined && v < opts.min) problems.push(`${path}${key}: must be ≥ ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) problems.push(`${path}${key}: must be ≤ ${opts.max}`);
    return v;
  };
  const dist = (o: Obj, key: string): Dist => {
    const d = o[key];
    if (!isObj(d)) {
      problems.push(`${key}: expected {"dist": …}`);
      return { dist: 'constant', mean: 1 };
    }
    switch (d['dist']) {
      case 'constant':
      case 'exponential':
        return { dist: d['dist'], mean: num(d, 'mean', `${key}.`, { min: 0 }) };
      case 'lognormal':
        return {
          dist: 'lognormal',
          mean: num(d, 'mean', `${key}.`, { min: 1e-9 }),
          cv: num(d, 'cv', `${key}.`, { min: 0 }),
        };
      case 'uniform': {
        const min = num(d, 'min', `${key}.`, { min: 0 });
        const max = num(d, 'max', `${key}.`, { min: 0 });
        if (max < min) problems.push(`${key}: max < min`);
        return { dist: 'uniform', min, max };
      }
      default:
        problems.push(
          `${key}.dist: one of constant, exponential, lognormal, uniform (got ${JSON.stringify(d['dist'])})`,
        );
        return { dist: 'constant', mean: 1 };
    }
  };
  if (!isObj(json)) throw new ScenarioError(['the file must hold a JSON object'], source);
  const j = json;
  const shift = isObj(j['shift']) ? j['shift'] : (problems.push('shift: expected an object'), {} as Obj);
  const answer = isObj(j['answer']) ? j['answer'] : (problems.push('answer: expected an object'), {} as Obj);
  const amd = isObj(j['amd']) ? j['amd'] : (problems.push('amd: expected an object'), {} as Obj);
  const s: Scenario = {
    name: typeof j['name'] === 'string' ? j['name'] : (problems.push('name: expected a string'), ''),
    agents: num(j, 'agents', '', { min: 1, max: 100_000, int: true }),
    shift: {
      days: num(shift, 'days', 'shift.', { min: 1, max: 366, int: true }),
      hoursPerDay: num(shift, 'hoursPerDay', 'shift.', { min: 0.1, max: 24 }),
      startHour: num(shift, 'startHour', 'shift.', { min: 0, max: 23.99 }),
    },
    replications: num(j, 'replications', '', { min: 1, max: 10_000, int: true }),
    seed: num(j, 'seed', '', { int: true }),
    answer: { machine: num(answer, 'machine', 'answer.', { min: 0, max: 1 }) },
    ringToAnswerSeconds: dist(j, 'ringToAnswerSeconds'),
    noAnswerTimeoutSeconds: num(j, 'noAnswerTimeoutSeconds', '', { min: 1 }),
    greetingSeconds: num(j, 'greetingSeconds', '', { min: 0 }),
    connectWithinSeconds: num(j, 'connectWithinSeconds', '', { min: 0 }),
    talkSeconds: dist(j, 'talkSeconds'),
    wrapSeconds: dist(j, 'wrapSeconds'),
    amd: { enabled: amd['enabled'] === true },
  };
  if (typeof amd['enabled'] !== 'boolean') problems.push('amd.enabled: expected true or false');
  if (s.amd.enabled) {
    s.amd.decisionSeconds = num(amd, 'decisionSeconds', 'amd.', { min: 0 });
    s.amd.falsePositive = num(amd, 'falsePositive', 'amd.', { min: 0, max: 1 });
    s.amd.falseNegative = num(amd, 'falseNegative', 'amd.', { min: 0, max: 1 });
  }
  if (answer['humanByHour'] !== undefined) {
    const h = answer['humanByHour'];
    if (!Array.isArray(h) || h.length === 0 || !h.every((x) => typeof x === 'number' && x >= 0 && x <= 1))
      problems.push('answer.humanByHour: a non-empty list of probabilities');
    else s.answer.humanByHour = h as number[];
  } else {
    s.answer.human = num(answer, 'human', 'answer.', { min: 0, max: 1 });
  }
  const maxHuman = s.answer.humanByHour ? Math.max(...s.answer.humanByHour) : (s.answer.human ?? 0);
  if (maxHuman + s.answer.machine > 1) problems.push('answer: human + machine must not exceed 1');
  if (answer['steps'] !== undefined) {
    if (!Array.isArray(answer['steps'])) problems.push('answer.steps: expected a list');
    else {
      s.answer.steps = answer['steps'].map((st: unknown, i: number) => {
        const o = isObj(st) ? st : (problems.push(`answer.steps.${i}: expected an object`), {} as Obj);
        return {
          atHour: num(o, 'atHour', `answer.steps.${i}.`, { min: 0 }),
          durationMinutes: num(o, 'durationMinutes', `answer.steps.${i}.`, { min: 0 }),
          factor: num(o, 'factor', `answer.steps.${i}.`, { min: 0 }),
        };
      });
    }
  }
  if (j['breaks'] !== undefined) {
    const b = isObj(j['breaks']) ? j['breaks'] : (problems.push('breaks: expected an object'), {} as Obj);
    s.breaks = {
      fractionOfAgents: num(b, 'fractionOfAgents', 'breaks.', { min: 0, max: 1 }),
      minutes: num(b, 'minutes', 'breaks.', { min: 0 }),
      everyMinutes: num(b, 'everyMinutes', 'breaks.', { min: 1 }),
      staggered: b['staggered'] !== false,
    };
    if (s.breaks.minutes >= s.breaks.everyMinutes) problems.push('breaks: minutes must be shorter than everyMinutes');
  }
  if (problems.length) throw new ScenarioError(problems, source);
  return s;
}

export function distMean(d: Dist): number {
  return d.dist === 'uniform' ? (d.min + d.max) / 2 : d.mean;
}
