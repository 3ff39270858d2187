import { mkdirSync } from 'node:fs';
import type { Database } from './database.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export interface DatabaseConfig {
  /** `postgres://…` selects a real server; absent means embedded PGlite in `dataDir`. */
  url?: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL: an idle pooled connection failed (the server restarted…); the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

/** The one place that chooses the SQL adapter. */
export async function openDatabase(cfg: DatabaseConfig): Promise<Database> {
  if (cfg.url)
    return openPostgres(cfg.url, {
      max: cfg.poolSize ?? 10,
      ...(cfg.onIdleError ? { onIdleError: cfg.onIdleError } : {}),
    });
  mkdirSync(cfg.dataDir, { recursive: true });
  return openPglite(cfg.dataDir);
}
