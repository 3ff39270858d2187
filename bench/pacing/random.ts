/**
 * The pacing benchmark on scenarios nobody chose: `count` scenarios generated from `seed` over
 * the spec's ranges (shared/bench/pacing/README.md, "Robustness"), every policy, quick runs
 * (3 replications × 5 days each; `--days 2` for a faster pass). Writes bench/pacing/random-results.json and prints the
 * summary, the misses with their seeds, and a markdown table.
 *
 *   npm run bench:pacing:random -- --count 60 --seed 11 --threads 2 [--days 2]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { formatRandomSummary, POLICY_NAMES, runRandomSet } from '@outdial/simulator';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const count = arg('--count', 60);
const seed = arg('--seed', 11);
const threads = arg('--threads', 2);
const days = arg('--days', 5);
/** Run only indexes `from` … count − 1 (to split a set over processes), into `random-results-<from>.json`. */
const from = arg('--from', 0);
/**
 * `--reuse-baselines FILE`: an earlier random-results.json of the same seed and days; its scenarios
 * run the predictive policy only and keep that run's best eligible baseline (valid while the
 * simulator and the baselines are unchanged: common random numbers give them the same results).
 */
const reuseAt = process.argv.indexOf('--reuse-baselines');
const known = new Map<number, { policy: string; occupancy: number } | null>();
let reusedFrom: string | undefined;
if (reuseAt >= 0) {
  reusedFrom = process.argv[reuseAt + 1]!;
  const prev = JSON.parse(readFileSync(reusedFrom, 'utf8')) as {
    seed: number;
    days: number;
    scenarios: { index: number; bestBaseline: { policy: string; occupancy: number } | null }[];
  };
  if (prev.seed !== seed || prev.days !== days)
    throw new Error(`${reusedFrom} is seed ${prev.seed}, ${prev.days} days; this run is seed ${seed}, ${days} days`);
  for (const sc of prev.scenarios) known.set(sc.index, sc.bestBaseline);
}

const r = await runRandomSet(
  seed,
  count,
  POLICY_NAMES,
  { quick: true, days, threads },
  (line) => process.stderr.write(`${line}\n`),
  from,
  known,
);
writeFileSync(
  join(here, from ? `random-results-${from}.json` : 'random-results.json'),
  JSON.stringify(
    {
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      quick: true,
      replications: 3,
      days,
      ...(reusedFrom ? { baselinesReusedFrom: reusedFrom } : {}),
      ...r,
    },
    null,
    1,
  ),
);
const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
console.log(formatRandomSummary(r));
console.log(
  '\n| scenario | agents | U1 | predictive | its abandon | best eligible baseline | its occupancy | verdict |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const s of r.scenarios)
  console.log(
    `| ${s.name} | ${s.agents} | ${pct(s.u1)} | ${pct(s.predictive.occupancy)} | ${pct(s.predictive.abandonMean, 2)} | ${s.bestBaseline?.policy ?? '—'} | ${s.bestBaseline ? pct(s.bestBaseline.occupancy) : '—'} | ${s.best ? 'best' : s.eligible ? 'eligible, not best' : 'not eligible'} |`,
  );
