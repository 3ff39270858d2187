/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`) of the dialer benchmark: self time by
 * function and by package/file, and inclusive time of chosen functions.
 *
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/dialer/run.ts --duration 60
 *   node --import tsx bench/dialer/profile.ts .tmp/prof/CPU.*.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: profile.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const ti = args.indexOf('--top');
const TOP = ti >= 0 ? Number(args[ti + 1]) : 30;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// Self time per node from samples × deltas (µs).
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++)
  self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
const totalUs = p.endTime - p.startTime;

const short = (url: string) => {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const w = u.indexOf('/work/main/');
  return w >= 0 ? u.slice(w + 11) : u || '(native)';
};
const label = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${short(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

const fnSelf = new Map<string, number>();
const fileSelf = new Map<string, number>();
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame;
  fnSelf.set(label(f), (fnSelf.get(label(f)) ?? 0) + us);
  const k = f.url ? short(f.url) : f.functionName;
  fileSelf.set(k, (fileSelf.get(k) ?? 0) + us);
}
// Inclusive time: a sample counts once for every distinct function on its stack.
const incl = new Map<string, number>();
for (let i = 0; i < p.samples.length; i++) {
  const seen = new Set<string>();
  for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id)!.callFrame);
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
}

const sec = totalUs / 1e6;
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title} (ms per wall-second over ${sec.toFixed(1)} s; % of the profile)`);
  for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(
      `${(us / 1000 / sec).toFixed(1).padStart(8)} ms/s ${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${k}`,
    );
  }
};
show('self time by package / file', fileSelf, TOP);
show('self time by function', fnSelf, TOP);
show(
  'inclusive time by function',
  new Map([...incl.entries()].filter(([k]) => !k.startsWith('(root)') && !k.startsWith('(program)'))),
  TOP,
);
