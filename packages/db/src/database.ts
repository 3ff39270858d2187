/**
 * The one port through which Outdial talks SQL. Two adapters implement it — PGlite
 * (embedded PostgreSQL in WebAssembly, the default) and node-postgres (a real server,
 * chosen by DATABASE_URL) — and every repository and migration runs unchanged on both.
 */
export interface Sql {
  /** One parameterised statement; rows come back as plain objects. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations, scripts). */
  exec(text: string): Promise<void>;
}

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database extends Sql {
  readonly kind: DatabaseKind;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Bulk load with COPY … FROM STDIN (text format) where the engine supports streaming it;
   * `undefined` on PGlite, whose callers fall back to batched INSERTs.
   */
  readonly copyFrom?: (
    tx: Sql,
    table: string,
    columns: readonly string[],
    lines: AsyncIterable<string>,
  ) => Promise<number>;
  /**
   * Holds a session-level advisory lock on its own connection until the returned function is
   * called — or the process dies, when the server releases it at once. Other sessions can test
   * it (`pg_try_advisory_xact_lock`) to tell whether the holder is alive. `undefined` on PGlite,
   * where only one process can use the database anyway. `onLost`: the lock's connection failed
   * (the lock is gone with it).
   */
  readonly holdAdvisoryLock?: (key: string, onLost: (err: Error) => void) => Promise<() => Promise<void>>;
  close(): Promise<void>;
}
