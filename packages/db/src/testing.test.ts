import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Test fixtures (`@outdial/db/testing`, `@outdial/engine/testing`, any `testing.ts` or
 * `testing/` folder) exist for tests only: no production module imports them, so none of
 * them can reach a running server. This test reads every workspace's sources.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    if (f === 'node_modules') return [];
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const isTestSupport = (file: string) =>
  file.endsWith('.test.ts') || file.endsWith(`${sep}testing.ts`) || file.split(sep).includes('testing');

const IMPORTS_FIXTURES = /from ['"](@outdial\/[a-z-]+\/testing|\.{1,2}\/(?:[\w.-]+\/)*testing(?:\.ts|\/[\w./-]+))['"]/;

describe('test fixtures stay out of production code', () => {
  const roots = ['apps', 'packages'].flatMap((top) =>
    readdirSync(join(repo, top)).map((w) => join(repo, top, w, 'src')),
  );
  const production = [...roots, join(repo, 'bench')]
    .filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory())
    .flatMap(sources)
    .filter((f) => !isTestSupport(f));

  it('has production sources to check', () => expect(production.length).toBeGreaterThan(50));

  it('the fixture rule recognises what it must', () => {
    for (const s of [
      "from '@outdial/db/testing'",
      "from '@outdial/engine/testing'",
      "from './testing.ts'",
      "from '../dialer/testing.ts'",
      "from './http/testing/harness.ts'",
    ])
      expect(IMPORTS_FIXTURES.test(s), s).toBe(true);
    expect(IMPORTS_FIXTURES.test("from '@outdial/db'")).toBe(false);
  });

  it.each(production.map((f) => [relative(repo, f), f]))('%s imports no test fixture', (_name, file) => {
    expect(IMPORTS_FIXTURES.exec(readFileSync(file, 'utf8'))?.[1] ?? null).toBeNull();
  });
});
