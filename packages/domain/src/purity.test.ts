import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The domain is pure so that the simulator and the live dialer run the same code: no I/O,
 * no clock, no randomness, no environment, no database or HTTP. This test reads the sources.
 */
const root = dirname(fileURLToPath(import.meta.url));
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const FORBIDDEN: [RegExp, string][] = [
  [/from ['"]node:/, 'a Node.js built-in module (I/O)'],
  [
    /from ['"](pg|fastify|@electric-sql\/pglite|@outdial\/(db|engine|server|telephony|simulator|importer))/,
    'the database, HTTP or an outer layer',
  ],
  [/Date\.now\(|new Date\(\)/, 'the clock'],
  [/Math\.random/, 'randomness'],
  [/process\./, 'the environment'],
  [/DateTime\.(now|local)\(/, 'the clock (luxon)'],
];

describe('packages/domain is pure', () => {
  const files = sources(root);
  it('has sources to check', () => expect(files.length).toBeGreaterThan(10));
  it.each(files.map((f) => [f.slice(root.length + 1), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const [re, what] of FORBIDDEN) expect(re.test(text), `uses ${what}`).toBe(false);
  });
});
