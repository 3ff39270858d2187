/**
 * What each screen of the web app downloads: the static import graph from index.html (the shell),
 * then each lazy chunk's own static graph on top of what is already loaded. Reads apps/web/dist
 * (run `npm run build:web` first); minified bytes as built and gzip -9 by Node's zlib.
 *
 *   npm run build:web && node --import tsx bench/web/bundle.ts
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const DIST = fileURLToPath(new URL('../../apps/web/dist', import.meta.url));
if (!existsSync(join(DIST, 'index.html'))) throw new Error('build the web app first: npm run build:web');
const assets = readdirSync(join(DIST, 'assets'));
const text = (file: string) => readFileSync(join(DIST, 'assets', file), 'utf8');

/** Files a chunk imports statically (`import … from "./x.js"`, `import "./x.js"`). */
function staticImports(file: string): string[] {
  if (!file.endsWith('.js')) return [];
  const src = text(file);
  const out = new Set<string>();
  for (const m of src.matchAll(/(?:import|export)\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) out.add(m[1]!);
  return [...out];
}

function closure(roots: string[], loaded: Set<string>): string[] {
  const out: string[] = [];
  const todo = [...roots];
  while (todo.length) {
    const f = todo.pop()!;
    if (loaded.has(f) || out.includes(f)) continue;
    out.push(f);
    todo.push(...staticImports(f));
  }
  return out;
}

const size = (files: string[]) =>
  files.reduce(
    (acc, f) => {
      const buf = readFileSync(join(DIST, 'assets', f));
      return { min: acc.min + buf.length, gz: acc.gz + gzipSync(buf, { level: 9 }).length };
    },
    { min: 0, gz: 0 },
  );
const kb = (n: number) => `${Math.round(n / 1024)} KB`;
const chunk = (prefix: string) => {
  const f = assets.find((a) => a.startsWith(`${prefix}-`) && a.endsWith('.js'));
  if (!f) throw new Error(`no ${prefix} chunk in dist/assets`);
  return f;
};

const html = readFileSync(join(DIST, 'index.html'), 'utf8');
const entries = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
const shell = closure(entries, new Set());
const rows: [string, string[]][] = [['login / shell (index.html and its imports)', shell]];
const loaded = new Set(shell);
const workstation = closure([chunk('Workstation')], loaded);
rows.push(['+ workstation (first visit, on top of the shell)', workstation]);
for (const f of workstation) loaded.add(f);
rows.push([
  '+ browser softphone (JsSIP; only when GET /me/phone says "browser")',
  closure([chunk('softphone')], loaded),
]);
console.log('| what is loaded | files | minified | gzip |\n|---|---|---|---|');
for (const [what, files] of rows) {
  const s = size(files);
  console.log(`| ${what} | ${files.length} | ${kb(s.min)} | ${kb(s.gz)} |`);
}
const all = size([...shell, ...workstation]);
console.log(
  `| = workstation first load without a browser phone | ${shell.length + workstation.length} | ${kb(all.min)} | ${kb(all.gz)} |`,
);
