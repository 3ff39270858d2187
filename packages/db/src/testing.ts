import { randomBytes } from 'node:crypto';
import { defaultProjectRules, type ProjectRules } from '@outdial/domain/projects';
import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Repositories } from './repositories.ts';
import type { StagedRow } from './repositories/imports.ts';

/**
 * The databases repository and route tests run against: always an in-memory PGlite, and a
 * real PostgreSQL when OUTDIAL_TEST_DATABASE_URL is set (CI sets it). Each opened database
 * is a fresh schema, so test files can run side by side in one server.
 */
export interface TestDatabase {
  name: 'pglite' | 'postgres';
  open(): Promise<{ db: Database; cleanup: () => Promise<void> }>;
}

export function testDatabases(): TestDatabase[] {
  const out: TestDatabase[] = [
    {
      name: 'pglite',
      async open() {
        const db = await openPglite();
        await migrate(db);
        return { db, cleanup: () => db.close() };
      },
    },
  ];
  const url = process.env['OUTDIAL_TEST_DATABASE_URL'];
  if (url) {
    out.push({
      name: 'postgres',
      async open() {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const db = await openPostgres(url, { schema, max: 4 });
        await migrate(db);
        return {
          db,
          async cleanup() {
            await db.exec(`DROP SCHEMA "${schema}" CASCADE`);
            await db.close();
          },
        };
      },
    });
  }
  return out;
}

/** A contact as the importer stages it, accepted, in Shanghai (tests): row `n`, number `phone`. */
export function stagedContact(n: number, phone: string, extra: Partial<StagedRow> = {}): StagedRow {
  return {
    rowNumber: n + 1,
    outcome: 'accepted',
    code: null,
    message: null,
    phone,
    phones: [phone],
    name: `客户${n}`,
    timezone: 'Asia/Shanghai',
    region: 'CN',
    tags: [],
    externalId: null,
    custom: {},
    raw: null,
    ...extra,
  };
}

/** `count` staged contacts numbered from `prefix` (e.g. '+86137' → +8613700000000, +8613700000001 …). */
export function stagedContacts(
  count: number,
  prefix: string,
  extra: (i: number) => Partial<StagedRow> = () => ({}),
): StagedRow[] {
  return Array.from({ length: count }, (_, i) =>
    stagedContact(i, `${prefix}${String(i).padStart(14 - prefix.length, '0')}`, extra(i)),
  );
}

/** A project in Shanghai with the default rules (or `rules`) in the organisation (tests). */
export async function seedProject(
  repos: Repositories,
  orgId: string,
  code: string,
  rules: ProjectRules = defaultProjectRules(),
  callerIds: string[] = [],
): Promise<string> {
  return (
    await repos.projects.create(orgId, {
      code,
      name: code,
      description: '',
      defaultRegion: 'CN',
      defaultTimezone: 'Asia/Shanghai',
      rules,
      callerIds,
    })
  ).id;
}

/** Imports `rows` into the project as one list at `at`, as the import pipeline's merge would; returns the list (import) id. */
export async function seedList(
  repos: Repositories,
  orgId: string,
  projectId: string,
  rows: readonly StagedRow[],
  at: Date,
  filename = 'list.csv',
): Promise<string> {
  const imp = await repos.imports.create({ orgId, projectId, filename, totalBytes: null, createdBy: null });
  const w = repos.imports.writer(orgId, projectId, imp.id, at);
  await w.write([...rows]);
  await w.finish(at);
  return imp.id;
}
