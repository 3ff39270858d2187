import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, openDatabase, Repositories, type Database } from '@outdial/db';
import {
  argon2Hasher,
  createServices,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type Services,
} from '@outdial/engine';
import type { Config } from './config.ts';

/**
 * The composition root below HTTP: database adapter → migrations → repositories →
 * services. The server and every CLI command start here, so they share one wiring.
 */
export interface Platform {
  config: Readonly<Config>;
  db: Database;
  repos: Repositories;
  services: Services;
  clock: Clock;
  /** The process's logger (the root; components take children). */
  logger: Logger;
  close(): Promise<void>;
}

/** An import that has not reported progress for this long has lost its worker (PostgreSQL, several nodes). */
const STALE_IMPORT_MS = 5 * 60_000;
/**
 * A call attempt open this long on a shared PostgreSQL belongs to a node that died (no call
 * lasts four hours). Embedded, this process is the only dialer, so anything open at start is.
 */
const STALE_ATTEMPT_MS = 4 * 3_600_000;
/** How often a node on PostgreSQL looks for imports and calls that a dead node left behind. */
const SWEEP_MS = 10_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one process's database: a second process opening the same folder would
 * corrupt it. A pid file turns that mistake into a clear message.
 */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'outdial.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && pidAlive(pid)) {
      throw new Error(
        `another Outdial process (pid ${pid}) is using ${dataDir}. Stop it first, or do this through its API; the embedded database serves one process at a time (set DATABASE_URL to use PostgreSQL from several).`,
      );
    }
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

export async function openPlatform(
  config: Readonly<Config>,
  opts: { clock?: Clock; logger?: Logger; db?: Database } = {},
): Promise<Platform> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const log = logger.child({ component: 'platform' });
  const embedded = opts.db ? opts.db.kind === 'pglite' : !config.databaseUrl;
  let unlock = () => undefined as void;
  if (embedded && !opts.db) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(config.dataDir, { recursive: true });
    unlock = lockDataDir(config.dataDir);
  }
  let db: Database;
  try {
    db =
      opts.db ??
      (await openDatabase({
        url: config.databaseUrl,
        dataDir: join(config.dataDir, 'pg'),
        onIdleError: (err) => log.warn({ err }, 'an idle database connection failed; the pool replaces it'),
      }));
    const applied = await migrate(db);
    if (applied.length) log.info({ migrations: applied }, `database migrated: ${applied.join(', ')}`);
  } catch (err) {
    unlock();
    throw err;
  }
  const repos = new Repositories(db);
  // Embedded: this process is the only worker, so any unfinished import was cut off.
  const now = clock.now();
  const failed = await repos.imports.failStale(
    embedded ? new Date(now.getTime() + 1) : new Date(now.getTime() - STALE_IMPORT_MS),
    now,
  );
  if (failed.length)
    log.warn(
      { imports: failed.length },
      `marked ${failed.length} interrupted import(s) as failed; nothing of them was imported`,
    );
  // This process's identity as a dialer node. On PostgreSQL it holds a lock for as long as it
  // lives, so other nodes can tell at once that it died and close the calls it left open.
  const nodeId = randomUUID();
  // If the lock's connection alone breaks, the lock is gone: other nodes will close this node's
  // calls, and its own ends then find them closed. Said loudly; the process carries on.
  const releaseNode = db.holdAdvisoryLock
    ? await db.holdAdvisoryLock(`outdial-node:${nodeId}`, (err) =>
        log.error({ err, nodeId }, "the node lock's connection failed: other nodes may close this node's calls"),
      )
    : undefined;
  const services = createServices(repos, clock, argon2Hasher, {
    sessionTtlMs: config.sessionTtlHours * 3_600_000,
    maxCustomFields: config.maxCustomFields,
    unmaskRoles: config.unmaskRoles,
    loginFailuresPerMinute: config.loginRateLimitPerMinute,
    maskedLookupsPerDay: config.maskedLookupsPerDay,
    maxRunningImports: config.maxRunningImports,
    nodeId,
    ...(config.telephony.carrier === 'sip'
      ? { recordingRetentionDays: config.telephony.recordings.retentionDays }
      : {}),
    logger,
  });
  // Webhook deliveries a killed process was making are tried again at once (same webhook-id).
  if (embedded) {
    const released = await repos.webhooks.releaseLeases();
    if (released)
      log.warn(
        { messages: released },
        `${released} webhook delivery(ies) cut off by the last stop will be tried again`,
      );
  }
  const closedAttempts = await services.attempts.recover(embedded ? 0 : STALE_ATTEMPT_MS);
  if (closedAttempts)
    log.warn(
      { attempts: closedAttempts },
      `closed ${closedAttempts} call attempt(s) a previous run left open; their contacts were rescheduled`,
    );
  // Several nodes on one PostgreSQL: any of them cleans up after one that died.
  const sweeps = logger.child({ component: 'sweeps' });
  const sweep = (what: string, task: () => Promise<void>) =>
    task().catch((err: unknown) => sweeps.error({ err }, `${what} failed; tried again in ${SWEEP_MS / 1000} s`));
  const sweeper = embedded
    ? undefined
    : setInterval(() => {
        const t = clock.now();
        void sweep('failing imports whose worker died', async () => {
          const ids = await repos.imports.failStale(new Date(t.getTime() - STALE_IMPORT_MS), t);
          if (ids.length) sweeps.warn({ imports: ids }, 'failed imports whose worker stopped reporting');
        });
        void sweep("closing dead nodes' call attempts", async () => {
          const n = await services.attempts.recover(STALE_ATTEMPT_MS);
          if (n) sweeps.warn({ attempts: n }, 'closed call attempts a dead node left open');
        });
      }, SWEEP_MS);
  sweeper?.unref();
  return {
    config,
    db,
    repos,
    services,
    clock,
    logger,
    async close() {
      if (sweeper) clearInterval(sweeper);
      await releaseNode?.();
      // A database handed in (tests) belongs to the caller, who closes it.
      if (!opts.db) await db.close();
      unlock();
    },
  };
}
