import { PGlite } from '@electric-sql/pglite';
import type { Database, Sql } from './database.ts';

/**
 * Embedded PostgreSQL. PGlite is a single connection inside this process, so the
 * server, the importer and (later) the dialer share it; PGlite queues queries itself.
 * `dataDir` undefined means in-memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  const pg = dataDir ? new PGlite(dataDir) : new PGlite();
  await pg.waitReady;
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Sql => ({
    async query<R extends object>(text: string, params?: readonly unknown[]) {
      const res = await q.query<R>(text, params ? [...params] : undefined);
      return res.rows;
    },
    async exec(text: string) {
      await q.exec(text);
    },
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    ...base,
    transaction: <T>(fn: (tx: Sql) => Promise<T>) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}
