import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database, Sql } from './database.ts';

// int8 (count(*), sums) arrives as a string by default; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

interface ClientSql extends Sql {
  readonly client: pg.PoolClient;
}

/**
 * A real PostgreSQL server through a node-postgres pool. `schema`, when given, becomes
 * the search_path of every connection: tests use one schema per test file so they can
 * run side by side in one database.
 */
export async function openPostgres(
  url: string,
  opts: { schema?: string; max?: number; onIdleError?: (err: Error) => void } = {},
): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // Idle clients can error when the server restarts; without a listener that kills the process.
  // The pool drops such a client by itself; the caller is told (the server logs it).
  pool.on('error', opts.onIdleError ?? (() => undefined));
  if (opts.schema) {
    const c = await pool.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`);
    } finally {
      c.release();
    }
  }
  const run = async <R extends object>(q: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await q.query<R>(text, params ? [...params] : undefined)).rows;
  return {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params),
    async exec(text) {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx: ClientSql = {
        client,
        query: (text, params) => run(client, text, params),
        async exec(text) {
          await client.query(text);
        },
      };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // The transaction's own error is what matters and is rethrown; a ROLLBACK that fails too
        // means the connection is gone, and the server rolls back without it.
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async copyFrom(tx, table, columns, lines) {
      const client = (tx as Partial<ClientSql>).client;
      if (!client) throw new Error('copyFrom needs a transaction handle from this database');
      const stream = client.query(copyFromStdin(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
      await pipeline(Readable.from(lines), stream);
      return Number(stream.rowCount ?? 0);
    },
    async holdAdvisoryLock(key, onLost) {
      const client = await pool.connect();
      // If this connection alone breaks, the lock is gone (other nodes will close this node's
      // calls, and its own ends then find them closed): the caller says so; never crash the process.
      client.on('error', onLost);
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
      return async () => {
        try {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
          client.release();
        } catch (err) {
          // The connection is broken (onLost said so): the lock went with it; the client is discarded.
          client.release(err instanceof Error ? err : true);
        }
      };
    },
    close: () => pool.end(),
  };
}
