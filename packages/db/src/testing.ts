import { randomBytes } from 'node:crypto';
import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

/**
 * The databases repository and route tests run against: always an in-memory PGlite, and a
 * real PostgreSQL when OUTDIAL_TEST_DATABASE_URL is set (CI sets it). Each opened database
 * is a fresh schema, so test files can run side by side in one server.
 */
export interface TestDatabase {
  name: 'pglite' | 'postgres';
  open(): Promise<{ db: Database; cleanup(): Promise<void> }>;
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
