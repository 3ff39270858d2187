/**
 * Import benchmark: a 1,000,000-row GBK CSV into a real PostgreSQL, end to end
 * (decode, parse, normalise, dedupe, DNC scrub, stage, merge), against the ceiling of a raw
 * `COPY … FROM STDIN (FORMAT csv)` of the same file into a plain table in the same run.
 *
 *   npm run bench:import -- [--rows 1000000] [--url postgres://postgres@127.0.0.1:5432/test]
 *
 * Prints a JSON summary on the last line.
 */
import { createReadStream, existsSync, mkdirSync, statSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { migrate, openPostgres, Repositories, type Database, type Sql } from '@outdial/db';
import { argon2Hasher, createServices, systemClock } from '@outdial/engine';
import { consolePrincipal } from '../../apps/server/src/console-principal.ts';
import { sfc32 } from '@outdial/simulator';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const ROWS = Number(arg('rows', '1000000'));
const URL = arg('url', process.env['OUTDIAL_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
const DIR = join(process.cwd(), '.tmp');
const FILE = join(DIR, `bench-import-${ROWS}.csv`);

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const PREFIXES = [
  '138',
  '139',
  '135',
  '136',
  '137',
  '150',
  '151',
  '152',
  '158',
  '159',
  '186',
  '187',
  '188',
  '177',
  '199',
];

/** ~1% in-file duplicates in other formats, ~1% mistyped numbers, the rest clean in mixed formats. */
async function generate(): Promise<void> {
  if (existsSync(FILE)) return;
  mkdirSync(DIR, { recursive: true });
  const rand = sfc32(42);
  const out = iconv.encodeStream('gbk');
  const file = createWriteStream(FILE);
  const done = pipeline(out, file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('姓名,手机号码,备用电话,地区,标签,保单号,保费,到期日\r\n');
  const recent: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const r = rand();
    let national = PREFIXES[i % PREFIXES.length]! + String(i).padStart(8, '0');
    if (r < 0.01 && recent.length) national = recent[Math.floor(rand() * recent.length)]!;
    let phone: string;
    const f = rand();
    if (r > 0.99)
      phone = national.slice(0, 10); // mistyped: 10 digits
    else if (f < 0.6) phone = national;
    else if (f < 0.75) phone = `+86 ${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
    else if (f < 0.9) phone = `${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`;
    else phone = `0086${national}`;
    if (i % 100 === 0) recent.push(national);
    if (recent.length > 1000) recent.shift();
    const name = SURNAMES[i % SURNAMES.length]! + SURNAMES[(i * 7) % SURNAMES.length]!;
    await write(
      `${name},${phone},,北京,${i % 3 === 0 ? '高价值' : '普通'},P${i},${(i % 9000) + 800}.00,2026-12-${String((i % 28) + 1).padStart(2, '0')}\r\n`,
    );
  }
  out.end();
  await done;
}

/** Wraps the port so time spent per statement is summed: the phase breakdown printed with the result. */
function timed(db: Database, slow: { sql: string; seconds: number; count: number }[]): Database {
  const wrap = <T extends Sql>(s: T): T =>
    new Proxy(s, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop === 'query' || prop === 'exec') {
          return async (text: string, params?: readonly unknown[]) => {
            const t = performance.now();
            try {
              return await (v as (a: string, b?: readonly unknown[]) => Promise<unknown>).call(target, text, params);
            } finally {
              const key = text.replace(/\s+/g, ' ').slice(0, 70);
              let e = slow.find((x) => x.sql === key);
              if (!e) slow.push((e = { sql: key, seconds: 0, count: 0 }));
              e.seconds += (performance.now() - t) / 1000;
              e.count++;
            }
          };
        }
        if (prop === 'transaction') {
          return <R>(fn: (tx: Sql) => Promise<R>) => (target as unknown as Database).transaction((tx) => fn(wrap(tx)));
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return wrap(db);
}

async function main() {
  const t0 = performance.now();
  await generate();
  const bytes = statSync(FILE).size;
  console.error(
    `file: ${FILE} (${(bytes / 1e6).toFixed(1)} MB, ${ROWS} rows, GBK), generated/checked in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const schema = `bench_import_${Date.now()}`;
  const db = await openPostgres(URL, { schema, max: 4 });
  try {
    await migrate(db);
    const slow: { sql: string; seconds: number; count: number }[] = [];
    const repos = new Repositories(timed(db, slow));
    const services = createServices(repos, systemClock, argon2Hasher, {
      sessionTtlMs: 3_600_000,
      maxCustomFields: 20,
      unmaskRoles: ['admin'],
    });
    const orgId = await repos.users.createOrganisation('bench');
    await services.users.create(null, orgId, { username: `bench-${schema}`, role: 'admin', password: 'bench-pass-1' });
    const admin = await consolePrincipal(repos, `bench-${schema}`);
    await services.projects.create(admin, {
      code: 'BENCH',
      name: 'bench',
      fields: [
        { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
        { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
        { key: 'expiry', labelZh: '到期日', labelEn: 'Expiry', type: 'date', required: false },
      ],
    });
    // 5,000 do-not-call numbers, a share of which appear in the file.
    const dnc = Array.from(
      { length: 5000 },
      (_, k) => PREFIXES[(k * 40) % PREFIXES.length]! + String(k * 40).padStart(8, '0'),
    );
    await services.dnc.add(admin, orgId, { phones: dnc, source: 'bench' });

    // Ceiling: raw COPY of the same file into a plain table with the same columns.
    const client = new pg.Client({ connectionString: URL, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query(
      'CREATE TABLE copy_ceiling (name text, phone text, phone2 text, region text, tags text, policy_no text, premium text, expiry text)',
    );
    const c0 = performance.now();
    await pipeline(
      createReadStream(FILE),
      client.query(copyFrom(`COPY copy_ceiling FROM STDIN (FORMAT csv, HEADER true, ENCODING 'GBK')`)),
    );
    const copySeconds = (performance.now() - c0) / 1000;
    await client.end();

    // Start from a clean checkpoint, as the references do, so a checkpoint left over from the
    // previous run does not land in this measurement.
    await db.exec('CHECKPOINT').catch(() => undefined); // best effort: needs superuser; only evens out timings
    const i0 = performance.now();
    const { done } = await services.imports.start(admin, { projectCode: 'BENCH', path: FILE, filename: 'bench.csv' });
    const r = await done;
    const importSeconds = (performance.now() - i0) / 1000;
    if (r.status !== 'completed') throw new Error(`import failed: ${JSON.stringify(r.error)}`);
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts')) as [{ n: number }];

    // Second reference: the storage floor of the result itself — COPY the imported contacts,
    // already normalised and deduplicated, into an identical empty table with the same indexes.
    const dump = join(DIR, 'bench-import-contacts.copy');
    const c2 = new pg.Client({ connectionString: URL, options: `-c search_path=${schema}` });
    await c2.connect();
    await pipeline(c2.query(copyTo('COPY contacts TO STDOUT')), createWriteStream(dump));
    await c2.query('CREATE TABLE contacts_floor (LIKE contacts INCLUDING ALL)');
    await c2.query('CHECKPOINT').catch(() => undefined); // best effort, as above
    const f0 = performance.now();
    await pipeline(createReadStream(dump), c2.query(copyFrom('COPY contacts_floor FROM STDIN')));
    const floorSeconds = (performance.now() - f0) / 1000;
    await c2.end();
    const result = {
      rows: ROWS,
      megabytes: +(bytes / 1e6).toFixed(1),
      database: 'PostgreSQL ' + (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v,
      import: {
        seconds: +importSeconds.toFixed(2),
        rowsPerSecond: Math.round(ROWS / importSeconds),
        imported: r.imported,
        duplicateInFile: r.duplicateInFile,
        duplicateExisting: r.duplicateExisting,
        dnc: r.dnc,
        invalid: r.invalid,
        contactsInTable: n,
      },
      rawCopy: { seconds: +copySeconds.toFixed(2), rowsPerSecond: Math.round(ROWS / copySeconds) },
      ratio: +(copySeconds / importSeconds).toFixed(3),
      contactsCopyFloor: {
        seconds: +floorSeconds.toFixed(2),
        rowsPerSecond: Math.round(n / floorSeconds),
        ratio: +(floorSeconds / importSeconds).toFixed(3),
      },
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
      statements: slow
        .filter((x) => x.seconds >= 0.2)
        .sort((a, b) => b.seconds - a.seconds)
        .map((x) => ({ ...x, seconds: +x.seconds.toFixed(2) })),
    };
    console.error(
      `end to end: ${result.import.rowsPerSecond} rows/s (${result.import.seconds} s); raw COPY: ${result.rawCopy.rowsPerSecond} rows/s (${result.rawCopy.seconds} s); ratio ${result.ratio}; COPY of the resulting contacts: ${result.contactsCopyFloor.seconds} s (ratio ${result.contactsCopyFloor.ratio})`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await db.exec(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined); // cleanup after the run; its result stands
    await db.close();
  }
}

await main();
