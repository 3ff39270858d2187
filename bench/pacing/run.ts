/**
 * The full pacing benchmark: every public scenario (shared/bench/pacing/S*.json) and the
 * extra scenarios in bench/pacing/scenarios/ that no policy was tuned on, all policies.
 * Writes bench/pacing/results.json, bench/pacing/occupancy.svg and prints a markdown table.
 *
 *   npm run bench:pacing:all            (full)      npm run bench:pacing:all -- --quick
 *   npm run bench:pacing:all -- --threads 2    (worker threads; default one per core)
 *   npm run bench:pacing:all -- --replications 5 --public-only   (at most 5 replications, S* only)
 * Results and the chart are rewritten after each scenario, so a long run keeps what it finished.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { loadScenario, POLICY_NAMES, runBenchParallel, type BenchResult } from '@outdial/simulator';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(process.argv[threadsArg + 1]) : undefined;
const repsArg = process.argv.indexOf('--replications');
/** At most this many replications per scenario (the scenario's own count when fewer), for a shorter full run. */
const maxReps = repsArg >= 0 ? Number(process.argv[repsArg + 1]) : undefined;
const publicOnly = process.argv.includes('--public-only');
// The public scenarios sit beside the repository (shared/bench/pacing); elsewhere, say where.
const publicDir = process.env['OUTDIAL_PACING_SCENARIOS'] ?? resolve(here, '../../../shared/bench/pacing');
const files = [
  ...readdirSync(publicDir)
    .filter((f) => /^S\d.*\.json$/.test(f))
    .sort()
    .map((f) => join(publicDir, f)),
  ...(publicOnly ? [] : readdirSync(join(here, 'scenarios')))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(here, 'scenarios', f)),
];

/**
 * `--reuse-baselines`: scenarios already in bench/pacing/results.json (same replications and days)
 * run the predictive policy only and keep that file's baselines — valid while the simulator and the
 * baselines are unchanged (common random numbers: they would produce the same figures again).
 */
const reuse = process.argv.includes('--reuse-baselines');
const previous = new Map<string, BenchResult>();
if (reuse) {
  const prev = JSON.parse(readFileSync(join(here, 'results.json'), 'utf8')) as { results: BenchResult[] };
  for (const b of prev.results) previous.set(b.scenario, b);
}

const t0 = performance.now();
const all: BenchResult[] = [];
for (const f of files) {
  const sc = await loadScenario(f);
  const stored = previous.get(sc.name);
  const reps = maxReps ? Math.min(maxReps, sc.replications) : quick ? undefined : sc.replications;
  const usable =
    stored !== undefined && !quick && stored.results.every((x) => x.replications === reps && x.days === sc.shift.days);
  let r = await runBenchParallel(sc, usable ? ['predictive'] : POLICY_NAMES, {
    quick,
    ...(threads ? { threads } : {}),
    ...(maxReps ? { replications: Math.min(maxReps, sc.replications) } : {}),
  });
  if (usable) {
    const results = [...stored.results.filter((x) => x.policy !== 'predictive'), ...r.results];
    const eligible = results.filter((x) => x.abandon.shareOver3pct <= 0.05);
    const winner = eligible.length ? eligible.reduce((a, b) => (b.occupancy > a.occupancy ? b : a)).policy : null;
    r = { ...r, results, winner, baselinesReused: true } as BenchResult;
  }
  all.push(r);
  process.stderr.write(`${r.scenario}: ${r.seconds.toFixed(1)} s, winner ${r.winner}\n`);
  report(false);
}
report(true);
function report(final: boolean): void {
  const seconds = (performance.now() - t0) / 1000;

  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines: string[] = [];
  lines.push(
    `| scenario | U1 | predictive occupancy | its P(30-day abandon > 3%) | its mean abandon | best eligible baseline | its occupancy | gain (points) | predictive − U1 |`,
  );
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const b of all) {
    const pred = b.results.find((r) => r.policy === 'predictive')!;
    const base = b.results
      .filter((r) => r.policy !== 'predictive' && r.abandon.shareOver3pct <= 0.05)
      .sort((x, y) => y.occupancy - x.occupancy)[0];
    lines.push(
      `| ${b.scenario} | ${pct(b.bounds.u1)} | ${pct(pred.occupancy)} | ${pct(pred.abandon.shareOver3pct)} | ${(pred.abandon.mean * 100).toFixed(2)}% | ${base?.policy ?? '—'} | ${base ? pct(base.occupancy) : '—'} | ${base ? ((pred.occupancy - base.occupancy) * 100).toFixed(1) : '—'} | ${((pred.occupancy - b.bounds.u1) * 100).toFixed(1)} |`,
    );
  }
  const detail: string[] = [];
  for (const b of all) {
    detail.push(
      `\n#### ${b.scenario} (U1 ${pct(b.bounds.u1)}, U2 ≈ ${pct(b.bounds.u2)}; ${b.results[0]!.replications} replications × ${b.results[0]!.days} days)\n`,
    );
    detail.push(
      '| policy | occupancy | talk min/agent-h | abandon mean | p95 | P(>3%) | worst day | Ofcom (incl. AMD) | idle s/connect | connects/agent-h | dials/h |',
    );
    detail.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of b.results) {
      detail.push(
        `| ${r.policy === b.winner ? `**${r.policy}**` : r.policy} | ${pct(r.occupancy)} | ${r.talkMinutesPerAgentHour.toFixed(1)} | ${(r.abandon.mean * 100).toFixed(2)}% | ${(r.abandon.p95 * 100).toFixed(2)}% | ${pct(r.abandon.shareOver3pct)} | ${pct(r.abandon.worstDay)} | ${(r.abandon.ofcomMean * 100).toFixed(2)}% | ${r.idleWaitPerConnectS.toFixed(1)} | ${r.connectsPerAgentHour.toFixed(1)} | ${r.dialsPerHour.toFixed(0)} |`,
      );
    }
  }

  // A grouped bar chart: occupancy per policy per scenario; policies over the abandon limit hatched grey.
  const W = 1100,
    H = 60 + all.length * 160,
    left = 170;
  const colors: Record<string, string> = {
    predictive: '#d9480f',
    erlang: '#5c7cfa',
    progressive: '#37b24d',
    preview: '#74b816',
  };
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Occupancy by policy (bars, %) and mean 30-day abandon rate (ab); grey = breaks the 3% rule (P(30-day &gt; 3%) &gt; 5%); dashed line = U1</text>`,
  ];
  all.forEach((b, si) => {
    const y0 = 40 + si * 160;
    svg.push(`<text x="10" y="${y0 + 12}" font-weight="bold">${b.scenario}</text>`);
    const bw = (W - left - 20) / b.results.length;
    b.results.forEach((r, i) => {
      const h = r.occupancy * 110;
      const x = left + i * bw;
      const ok = r.abandon.shareOver3pct <= 0.05;
      svg.push(
        `<rect x="${x.toFixed(1)}" y="${(y0 + 120 - h).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${ok ? (colors[r.policy] ?? '#868e96') : '#dee2e6'}"/>`,
      );
      svg.push(
        `<text x="${(x + bw / 2 - 2).toFixed(1)}" y="${(y0 + 116 - h).toFixed(1)}" text-anchor="middle">${(r.occupancy * 100).toFixed(0)}</text>`,
      );
      svg.push(
        `<text x="${(x + bw / 2 - 2).toFixed(1)}" y="${y0 + 134}" text-anchor="middle" font-size="9">${r.policy.replace('vicidial-', 'vd-')}</text>`,
      );
      svg.push(
        `<text x="${(x + bw / 2 - 2).toFixed(1)}" y="${y0 + 145}" text-anchor="middle" font-size="9" fill="${ok ? '#495057' : '#c92a2a'}">ab ${(r.abandon.mean * 100).toFixed(1)}%</text>`,
      );
    });
    const uy = y0 + 120 - b.bounds.u1 * 110;
    svg.push(
      `<line x1="${left}" x2="${W - 20}" y1="${uy.toFixed(1)}" y2="${uy.toFixed(1)}" stroke="#000" stroke-dasharray="4 3"/>`,
    );
    svg.push(
      `<text x="${left - 6}" y="${(uy + 4).toFixed(1)}" text-anchor="end">U1 ${(b.bounds.u1 * 100).toFixed(0)}%</text>`,
    );
  });
  svg.push('</svg>');

  if (!quick) {
    writeFileSync(
      join(here, 'results.json'),
      JSON.stringify({ machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, seconds, results: all }, null, 1),
    );
    writeFileSync(join(here, 'occupancy.svg'), svg.join('\n'));
  }
  if (!final) return;
  console.log(`Total ${seconds.toFixed(0)} s on ${cpus().length} cores${quick ? ' (--quick)' : ''}.\n`);
  console.log(lines.join('\n'));
  console.log(detail.join('\n'));
}
