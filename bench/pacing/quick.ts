/**
 * A development run: some scenarios, some policies, on one or two threads, printing one line per
 * scenario and policy. Quick by default (3 replications × 5 days).
 *
 *   node --import tsx bench/pacing/quick.ts [--full] [--threads 2] [--policy a,b] file.json …
 */
import { loadScenario, POLICY_NAMES, runBenchParallel, type PolicyName } from '@outdial/simulator';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const full = args.includes('--full');
const threads = Number(flag('--threads') ?? 1);
const policies = (flag('--policy')?.split(',') ?? [...POLICY_NAMES]) as PolicyName[];
const days = flag('--days');
const reps = flag('--reps');
for (const f of args.filter((a) => !a.startsWith('--'))) {
  const sc = await loadScenario(f);
  const r = await runBenchParallel(sc, policies, {
    quick: !full,
    threads,
    ...(days ? { days: Number(days) } : {}),
    ...(reps ? { replications: Number(reps) } : {}),
  });
  const pct = (x: number) => (x * 100).toFixed(1).padStart(5);
  console.log(`${r.scenario}  U1 ${pct(r.bounds.u1)}  winner ${r.winner}  ${r.seconds.toFixed(0)} s`);
  for (const p of r.results)
    console.log(
      `  ${p.policy.padEnd(17)} occ ${pct(p.occupancy)}  aband ${(p.abandon.mean * 100).toFixed(2)}%  P>3% ${pct(p.abandon.shareOver3pct)}`,
    );
}
