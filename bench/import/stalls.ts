/**
 * Where does an import block the event loop? Runs one import in this process, through the
 * same ImportService the API uses, on PGlite (file-backed, as the server runs it) or
 * PostgreSQL, and reports the longest single statements (on PGlite a statement runs in
 * WebAssembly on this thread: its duration is a stall), the event loop's lag (max and p99)
 * and how long a `SELECT 1` (what /healthz runs) waited, over the import.
 *
 *   node --import tsx bench/import/stalls.ts [--db pglite|postgres] [--format csv|xlsx] [--rows 200000]
 *
 * Uses the files of bench/import/healthz.ts (generate them with it first).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openPglite, openPostgres, Repositories, type Database, type Sql } from '@outdial/db';
import { argon2Hasher, createServices, systemClock } from '@outdial/engine';
import { consolePrincipal } from '../../apps/server/src/console-principal.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const DB = arg('db', 'pglite');
const FORMAT = arg('format', 'csv');
const ROWS = Number(arg('rows', '200000'));
const URL = arg('url', 'postgres://postgres@127.0.0.1:5432/test');
const FILE = join(process.cwd(), '.tmp', `bench-healthz-${ROWS}.${FORMAT}`);

type Stat = { sql: string; count: number; total: number; max: number };
/** Statements over 250 ms and lags over 250 ms, with their time from the start (s). */
const slow: { at: number; what: string; ms: number }[] = [];
let origin = performance.now();

function timed(db: Database, stats: Map<string, Stat>): Database {
  const note = (text: string, ms: number) => {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    if (ms > 250) slow.push({ at: +((performance.now() - origin) / 1000).toFixed(1), what: key, ms: Math.round(ms) });
    let s = stats.get(key);
    if (!s) stats.set(key, (s = { sql: key, count: 0, total: 0, max: 0 }));
    s.count++;
    s.total += ms;
    s.max = Math.max(s.max, ms);
  };
  const wrap = <T extends Sql>(s: T): T =>
    new Proxy(s, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop === 'query' || prop === 'exec')
          return async (text: string, params?: readonly unknown[]) => {
            const t = performance.now();
            try {
              return await (v as (a: string, b?: readonly unknown[]) => Promise<unknown>).call(target, text, params);
            } finally {
              note(text, performance.now() - t);
            }
          };
        if (prop === 'transaction')
          return <R>(fn: (tx: Sql) => Promise<R>) => (target as unknown as Database).transaction((tx) => fn(wrap(tx)));
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return wrap(db);
}

async function main() {
  if (!existsSync(FILE))
    throw new Error(`${FILE} is missing: run bench/import/healthz.ts --rows ${ROWS} --format ${FORMAT} first`);
  const dir = mkdtempSync(join(tmpdir(), 'outdial-stalls-'));
  const schema = `bench_stalls_${Date.now()}`;
  const db = DB === 'postgres' ? await openPostgres(URL, { schema, max: 4 }) : await openPglite(dir);
  try {
    await migrate(db);
    const stats = new Map<string, Stat>();
    const repos = new Repositories(timed(db, stats));
    const services = createServices(repos, systemClock, argon2Hasher, {
      sessionTtlMs: 3_600_000,
      maxCustomFields: 20,
      unmaskRoles: ['admin'],
    });
    const orgId = await repos.users.createOrganisation('bench');
    await services.users.create(null, orgId, { username: 'bench', role: 'admin', password: 'bench-pass-1' });
    const admin = await consolePrincipal(repos, 'bench');
    await services.projects.create(admin, {
      code: 'BENCH',
      name: 'bench',
      fields: [
        { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
        { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
        { key: 'expiry', labelZh: '到期日', labelEn: 'Expiry', type: 'date', required: false },
      ],
    });
    stats.clear();
    // Event-loop lag as a 10 ms timer sees it (the longest gap between two ticks, less 10 ms).
    const lags: number[] = [];
    let last = performance.now();
    const ticker = setInterval(() => {
      const t = performance.now();
      lags.push(t - last - 10);
      if (t - last - 10 > 250)
        slow.push({ at: +((t - origin) / 1000).toFixed(1), what: 'event-loop lag', ms: Math.round(t - last - 10) });
      last = t;
    }, 10);
    // What /healthz does, from this process: how long a `SELECT 1` waits behind the import.
    const probes: number[] = [];
    let probing = true;
    const probe = (async () => {
      const inflight: Promise<unknown>[] = [];
      while (probing) {
        const t = performance.now();
        inflight.push(db.query('SELECT 1').then(() => probes.push(performance.now() - t)));
        await new Promise((res) => setTimeout(res, 50));
      }
      await Promise.all(inflight);
    })();
    const t0 = performance.now();
    origin = t0;
    const { done } = await services.imports.start(admin, { projectCode: 'BENCH', path: FILE, filename: `b.${FORMAT}` });
    const r = await done;
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(ticker);
    lags.sort((a, b) => a - b);
    probing = false;
    await probe;
    probes.sort((a, b) => a - b);
    const top = [...stats.values()].sort((a, b) => b.max - a.max).slice(0, 8);
    console.log(
      JSON.stringify({
        db: DB,
        format: FORMAT,
        rows: ROWS,
        status: r.status,
        error: r.error ?? undefined,
        imported: r.imported,
        seconds: +seconds.toFixed(1),
        select1: {
          samples: probes.length,
          p50ms: Math.round(probes[Math.floor(probes.length / 2)] ?? 0),
          p99ms: Math.round(probes[Math.floor(probes.length * 0.99)] ?? 0),
          maxMs: Math.round(probes.at(-1) ?? 0),
        },
        eventLoopLag: {
          p99ms: Math.round(lags[Math.floor(lags.length * 0.99)] ?? 0),
          maxMs: Math.round(lags.at(-1) ?? 0),
        },
        slow: slow.slice(0, 40),
        longestStatements: top.map((s) => ({
          sql: s.sql,
          count: s.count,
          maxMs: Math.round(s.max),
          totalMs: Math.round(s.total),
        })),
      }),
    );
  } finally {
    if (DB === 'postgres') await db.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
