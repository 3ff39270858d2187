/**
 * Routing benchmark (target: decision p99 ≤ 1 ms with 5,000 agents and 50 skills;
 * the seed asks ≤ 200 ms). Agents hold 3–8 skills; 70% of agents are READY at any time;
 * each decision needs 1–2 skills, sometimes a minimum level; the chosen agent goes busy
 * and a random busy agent comes back, so the index is exercised as in production.
 *
 *   npm run bench:routing -- [--agents 5000] [--skills 50] [--decisions 200000]
 */
import { RoutingPool, type RoutingAgent } from '@outdial/domain/routing';

const args = process.argv.slice(2);
const num = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const AGENTS = num('agents', 5000);
const SKILLS = num('skills', 50);
const DECISIONS = num('decisions', 200_000);

let seed = 12345;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

for (const strategy of [
  { kind: 'longest_idle' } as const,
  { kind: 'score', levelWeight: 10, idleWeight: 1, tierWeight: 5 } as const,
]) {
  const agents: RoutingAgent[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const skills: Record<string, number> = {};
    const n = 3 + Math.floor(rand() * 6);
    // Skewed popularity: low-numbered skills are common, high-numbered rare.
    for (let k = 0; k < n; k++) skills[`s${Math.floor(SKILLS * rand() * rand())}`] = 1 + Math.floor(rand() * 10);
    agents.push({ id: `a${i}`, skills });
  }
  const pool = new RoutingPool(strategy);
  let now = 0;
  const busy: RoutingAgent[] = [];
  for (const a of agents) {
    if (rand() < 0.7) pool.setReady(a, now++);
    else busy.push(a);
  }
  const times = new Float64Array(DECISIONS);
  let found = 0;
  let considered = 0;
  for (let i = 0; i < DECISIONS; i++) {
    now += 5;
    const skills = [`s${Math.floor(SKILLS * rand() * rand())}`];
    if (rand() < 0.3) skills.push(`s${Math.floor(SKILLS * rand() * rand())}`);
    const needs = { skills, minLevel: rand() < 0.2 ? 6 : 1, valueTier: Math.floor(rand() * 4) };
    const t0 = performance.now();
    const d = pool.pick(needs, now);
    if (d) pool.setBusy(d.agentId);
    times[i] = performance.now() - t0;
    if (d) {
      found++;
      considered += d.considered;
      busy.push(agents[Number(d.agentId.slice(1))]!);
    }
    if (busy.length) {
      const j = Math.floor(rand() * busy.length);
      pool.setReady(busy[j]!, now);
      busy[j] = busy[busy.length - 1]!;
      busy.pop();
    }
  }
  const sorted = Array.from(times).sort((x, y) => x - y);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const result = {
    strategy: strategy.kind,
    agents: AGENTS,
    skills: SKILLS,
    decisions: DECISIONS,
    routed: found,
    meanConsidered: Math.round(considered / Math.max(1, found)),
    p50ms: +q(0.5).toFixed(4),
    p99ms: +q(0.99).toFixed(4),
    p999ms: +q(0.999).toFixed(4),
    maxms: +sorted[sorted.length - 1]!.toFixed(3),
  };
  console.log(JSON.stringify(result));
}
