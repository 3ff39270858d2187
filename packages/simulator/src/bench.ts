import { readFile } from 'node:fs/promises';
import { isPolicyName, POLICY_NAMES, type PolicyName } from './policies.ts';
import { distMean, parseScenario, ScenarioError, type Scenario } from './scenario.ts';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReplicationResult } from './sim.ts';
import { runTask, type Task } from './task.ts';
import { randomScenario } from './generate.ts';

export interface PolicyResult {
  policy: string;
  occupancy: number;
  talkMinutesPerAgentHour: number;
  abandon: { mean: number; p95: number; shareOver3pct: number; worstDay: number; worstHour: number; ofcomMean: number };
  idleWaitPerConnectS: number;
  connectsPerAgentHour: number;
  dialsPerHour: number;
  peakLines: number;
  leadsPerReplication: number;
  waitP95S: number;
  replications: number;
  days: number;
}

export interface BenchResult {
  scenario: string;
  results: PolicyResult[];
  bounds: { u1: number; u2: number };
  /** The best policy among those with P(30-day abandon > 3%) ≤ 5%. */
  winner: string | null;
  seconds: number;
}

export interface PacingBenchOptions {
  /** A scenario file; or, with `random`, none. */
  scenario?: string;
  /** Generate this many scenarios at random from `seed` instead (README, "Robustness"). */
  random?: number;
  /** With `random`: fail (throw) if predictive is not the best eligible policy on every scenario. */
  strict?: boolean;
  threads?: number;
  policies?: string[];
  quick?: boolean;
  json?: boolean;
  replications?: number;
  days?: number;
  seed?: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

export function aggregate(policy: string, reps: ReplicationResult[], sc: Scenario, days: number): PolicyResult {
  const n = reps.length;
  const sum = (f: (r: ReplicationResult) => number) => reps.reduce((a, r) => a + f(r), 0);
  const rates = reps.map((r) => (r.humans ? r.abandons / r.humans : 0));
  const worstDay = Math.max(
    ...reps.map((r) => Math.max(0, ...r.dayHumans.map((h, i) => (h >= 20 ? r.dayAbandons[i]! / h : 0)))),
  );
  const agentHours = sum((r) => r.agentHours);
  return {
    policy,
    occupancy: sum((r) => r.talkS / r.availableS) / n,
    talkMinutesPerAgentHour: sum((r) => r.talkS) / 60 / agentHours,
    abandon: {
      mean: rates.reduce((a, b) => a + b, 0) / n,
      p95: quantile(rates, 0.95),
      shareOver3pct: rates.filter((x) => x > 0.03).length / n,
      worstDay,
      worstHour: Math.max(...reps.map((r) => r.worstHourRate)),
      ofcomMean: sum((r) => (r.humans ? (r.abandons + r.amdDrops) / r.humans : 0)) / n,
    },
    idleWaitPerConnectS:
      sum((r) => r.idleS) /
      Math.max(
        1,
        sum((r) => r.connects),
      ),
    connectsPerAgentHour: sum((r) => r.connects) / agentHours,
    dialsPerHour: sum((r) => r.dials) / (n * days * sc.shift.hoursPerDay),
    peakLines: Math.max(...reps.map((r) => r.peakLines)),
    leadsPerReplication: sum((r) => r.dials) / n,
    waitP95S: quantile(
      reps.map((r) => r.waitP95),
      0.95,
    ),
    replications: n,
    days,
  };
}

export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`cannot read scenario file ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError([`not JSON: ${(err as Error).message}`], path);
  }
  return parseScenario(json, path);
}

function plan(
  sc: Scenario,
  opts: { replications?: number | undefined; days?: number | undefined; quick?: boolean | undefined },
) {
  return {
    reps: opts.replications ?? (opts.quick ? Math.min(3, sc.replications) : sc.replications),
    days: opts.days ?? (opts.quick ? Math.min(5, sc.shift.days) : sc.shift.days),
  };
}

function summarise(
  sc: Scenario,
  policies: readonly PolicyName[],
  runs: Map<PolicyName, ReplicationResult[]>,
  days: number,
  t0: number,
): BenchResult {
  const results = policies.map((name) => aggregate(name, runs.get(name)!, sc, days));
  const T = distMean(sc.talkSeconds);
  const W = distMean(sc.wrapSeconds);
  const u1 = T / (T + W);
  // A clairvoyant dialer still waits for the first answer of each shift (one ring); beyond
  // that it lands every answer as an agent frees up, so U2 is U1 less that ramp-up.
  const ramp = distMean(sc.ringToAnswerSeconds) / (sc.shift.hoursPerDay * 3600);
  const eligible = results.filter((r) => r.abandon.shareOver3pct <= 0.05);
  const winner = eligible.length ? eligible.reduce((a, b) => (b.occupancy > a.occupancy ? b : a)).policy : null;
  return {
    scenario: sc.name,
    results,
    bounds: { u1, u2: u1 * (1 - ramp) },
    winner,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** In this thread: for tests and small runs. */
export function runBench(
  sc: Scenario,
  policies: readonly PolicyName[],
  opts: { replications?: number; days?: number; quick?: boolean } = {},
): BenchResult {
  const t0 = performance.now();
  const { reps, days } = plan(sc, opts);
  const runs = new Map<PolicyName, ReplicationResult[]>();
  for (const policy of policies) {
    runs.set(
      policy,
      Array.from({ length: reps }, (_, rep) => runTask({ scenario: sc, policy, rep, days })),
    );
  }
  return summarise(sc, policies, runs, days, t0);
}

/** Across worker threads, one per core: replications are independent, so they spread perfectly. */
export async function runBenchParallel(
  sc: Scenario,
  policies: readonly PolicyName[],
  opts: {
    replications?: number | undefined;
    days?: number | undefined;
    quick?: boolean | undefined;
    threads?: number;
  } = {},
): Promise<BenchResult> {
  const t0 = performance.now();
  const { reps, days } = plan(sc, opts);
  const tasks: Task[] = [];
  // The costliest policies first, so no thread is left with a long tail.
  const order = [...policies].sort((a, b) => (b === 'predictive' ? 1 : 0) - (a === 'predictive' ? 1 : 0));
  for (const policy of order) for (let rep = 0; rep < reps; rep++) tasks.push({ scenario: sc, policy, rep, days });
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), tasks.length));
  const results = new Array<ReplicationResult>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL('./worker.mjs', import.meta.url));
          const send = () => {
            if (next >= tasks.length) {
              void w.terminate().then(() => resolve());
              return;
            }
            const id = next++;
            w.postMessage({ id, task: tasks[id] });
          };
          w.on('message', (m: { id: number; result?: ReplicationResult; error?: string }) => {
            if (m.error) {
              void w.terminate();
              reject(new Error(m.error));
              return;
            }
            results[m.id] = m.result!;
            send();
          });
          w.on('error', reject);
          send();
        }),
    ),
  );
  const runs = new Map<PolicyName, ReplicationResult[]>();
  tasks.forEach((t, i) => {
    const list = runs.get(t.policy) ?? [];
    list[t.rep] = results[i]!;
    runs.set(t.policy, list);
  });
  return summarise(sc, policies, runs, days, t0);
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

export function formatTable(b: BenchResult): string {
  const head = [
    'policy',
    'occupancy',
    'talk min/agent-h',
    'abandon mean',
    'p95',
    'P(>3%)',
    'worst day',
    'Ofcom',
    'idle s/connect',
    'connects/agent-h',
    'dials/h',
  ];
  const rows = b.results.map((r) => [
    r.policy + (r.policy === b.winner ? ' *' : ''),
    pct(r.occupancy),
    r.talkMinutesPerAgentHour.toFixed(1),
    pct(r.abandon.mean, 2),
    pct(r.abandon.p95, 2),
    pct(r.abandon.shareOver3pct, 0),
    pct(r.abandon.worstDay, 1),
    pct(r.abandon.ofcomMean, 2),
    r.idleWaitPerConnectS.toFixed(1),
    r.connectsPerAgentHour.toFixed(1),
    r.dialsPerHour.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `${b.scenario}: U1 = ${pct(b.bounds.u1)}, U2 ≈ ${pct(b.bounds.u2)}; * = highest occupancy with P(30-day abandon > 3%) ≤ 5%  (${b.seconds.toFixed(1)} s)`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}

export interface RandomSetResult {
  seed: number;
  scenarios: {
    name: string;
    index: number;
    agents: number;
    u1: number;
    predictive: { occupancy: number; abandonMean: number; shareOver3pct: number };
    bestBaseline: { policy: string; occupancy: number } | null;
    eligible: boolean;
    best: boolean;
    winner: string | null;
    /** The baselines' figures were taken from an earlier run (`knownBaselines`), only predictive ran. */
    baselinesReused?: boolean;
  }[];
  eligible: number;
  best: number;
  seconds: number;
}

/** Runs `count` generated scenarios (seed `seed`); predictive must be eligible and best. */
export async function runRandomSet(
  seed: number,
  count: number,
  names: readonly PolicyName[],
  opts: { replications?: number | undefined; days?: number | undefined; quick?: boolean | undefined; threads?: number },
  progress: (line: string) => void = () => undefined,
  /** Start at this index (a set split across processes: `from` … `count` − 1). */
  from = 0,
  /**
   * The best eligible baseline per scenario index from an earlier run of the same set, same
   * replications and days, with the same simulator and baselines: those scenarios run the
   * predictive policy only (the baselines' results would be identical: common random numbers).
   */
  knownBaselines: ReadonlyMap<number, { policy: string; occupancy: number } | null> = new Map(),
): Promise<RandomSetResult> {
  const t0 = performance.now();
  const out: RandomSetResult['scenarios'] = [];
  for (let i = from; i < count; i++) {
    const sc = randomScenario(seed, i);
    const known = knownBaselines.has(i);
    const b = await runBenchParallel(sc, known ? names.filter((n) => n === 'predictive') : names, opts);
    const pred = b.results.find((r) => r.policy === 'predictive');
    const base = known
      ? (knownBaselines.get(i) ?? undefined)
      : b.results
          .filter((r) => r.policy !== 'predictive' && r.abandon.shareOver3pct <= 0.05)
          .sort((x, y) => y.occupancy - x.occupancy)[0];
    const eligible = pred !== undefined && pred.abandon.shareOver3pct <= 0.05;
    const row = {
      name: sc.name,
      index: i,
      agents: sc.agents,
      u1: b.bounds.u1,
      predictive: {
        occupancy: pred?.occupancy ?? 0,
        abandonMean: pred?.abandon.mean ?? 0,
        shareOver3pct: pred?.abandon.shareOver3pct ?? 1,
      },
      bestBaseline: base ? { policy: base.policy, occupancy: base.occupancy } : null,
      eligible,
      best: eligible && (!base || pred.occupancy >= base.occupancy),
      winner: known
        ? eligible && (!base || pred.occupancy >= base.occupancy)
          ? 'predictive'
          : (base?.policy ?? null)
        : b.winner,
      baselinesReused: known,
    };
    out.push(row);
    progress(formatRandomRow(row));
  }
  return {
    seed,
    scenarios: out,
    eligible: out.filter((r) => r.eligible).length,
    best: out.filter((r) => r.best).length,
    seconds: (performance.now() - t0) / 1000,
  };
}

function formatRandomRow(r: RandomSetResult['scenarios'][number]): string {
  const base = r.bestBaseline ? `${r.bestBaseline.policy} ${pct(r.bestBaseline.occupancy)}` : '—';
  return `${r.name.padEnd(12)} ${String(r.agents).padStart(3)} agents  U1 ${pct(r.u1)}  predictive ${pct(r.predictive.occupancy)} (abandon ${pct(r.predictive.abandonMean, 2)}, P(>3%) ${pct(r.predictive.shareOver3pct, 0)})  best baseline ${base}  ${r.best ? 'ok' : r.eligible ? 'MISS: not best' : 'MISS: not eligible'}`;
}

export function formatRandomSummary(r: RandomSetResult): string {
  const n = r.scenarios.length;
  const misses = r.scenarios.filter((x) => !x.best);
  return [
    `random set seed ${r.seed}: ${n} scenarios; predictive eligible on ${r.eligible}/${n}, best eligible on ${r.best}/${n} (${pct(r.best / Math.max(1, n))})  (${r.seconds.toFixed(0)} s)`,
    ...misses.map(
      (m) => `  miss: ${m.name} (--random ${m.index + 1} --seed ${r.seed}, index ${m.index}) ${formatRandomRow(m)}`,
    ),
  ].join('\n');
}

/** `outdial bench pacing`: one scenario file (or a random set), some or all policies, a table or one JSON object. */
export async function runPacingBenchCli(opts: PacingBenchOptions, out: (text: string) => void): Promise<void> {
  const names = opts.policies?.length ? opts.policies : [...POLICY_NAMES];
  const unknown = names.filter((n) => !isPolicyName(n));
  if (unknown.length) throw new Error(`unknown policy ${unknown.join(', ')}; known: ${POLICY_NAMES.join(', ')}`);
  const runOpts = {
    replications: opts.replications,
    days: opts.days,
    quick: opts.quick,
    ...(opts.threads ? { threads: opts.threads } : {}),
  };
  if (opts.random !== undefined) {
    if (!names.includes('predictive')) throw new Error('a random set judges the predictive policy: include it');
    const r = await runRandomSet(opts.seed ?? 1, opts.random, names as PolicyName[], runOpts, (line) => {
      if (!opts.json) out(line);
    });
    out(opts.json ? JSON.stringify(r) : formatRandomSummary(r));
    if (opts.strict && r.best < r.scenarios.length)
      throw new Error(
        `predictive missed on ${r.scenarios.length - r.best} of ${r.scenarios.length} generated scenarios`,
      );
    return;
  }
  if (!opts.scenario) throw new Error('give --scenario <file> or --random <n>');
  let sc = await loadScenario(opts.scenario);
  if (opts.seed !== undefined) sc = { ...sc, seed: opts.seed };
  const result = await runBenchParallel(sc, names as PolicyName[], runOpts);
  out(opts.json ? JSON.stringify(result) : formatTable(result));
}
