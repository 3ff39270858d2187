/**
 * Does the server keep answering during a big import? (issue 9: /healthz within 1 s
 * throughout a 1M-row import, CSV or XLSX, on the embedded database and on PostgreSQL.)
 *
 * Starts `outdial serve --demo` as a child process (its own event loop, as in production) on
 * a fresh data directory — or a fresh PostgreSQL database with --db postgres — uploads a
 * generated list through the HTTP API, and while the import runs sends GET /healthz every
 * 50 ms without waiting for the previous answer (a stall shows as every request in it being
 * slow, not as one sample), and beside it a request that touches no database (a 404), which
 * tells a database wait from a blocked event loop. Prints the latencies (p50, p99, max, how
 * many over 1 s), the slowest answers with their time, the import's wall time, phases and
 * outcome, and the server's peak RSS, as one JSON line.
 *
 *   node --import tsx bench/import/healthz.ts [--db pglite|postgres] [--format csv|xlsx] [--rows 1000000]
 *     [--url postgres://postgres@127.0.0.1:5432/postgres]   (where to create the bench database)
 *
 * The files are generated once under .tmp/ with a fixed seed: the same rows as CSV (UTF-8)
 * and as XLSX (text in shared strings, numbers as numbers, as Excel writes them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { sfc32 } from '@outdial/simulator';
import { row, sheetXml, writeXlsxFile, xmlEscape } from '../../packages/importer/src/xlsx-test-support.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const DB = arg('db', 'pglite');
const FORMAT = arg('format', 'csv');
const ROWS = Number(arg('rows', '1000000'));
const ADMIN_URL = arg(
  'url',
  process.env['OUTDIAL_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
const DIR = join(process.cwd(), '.tmp');
const FILE = join(DIR, `bench-healthz-${ROWS}.${FORMAT}`);
const PASSWORD = 'bench-healthz-pass-1';
const HEADER = ['姓名', '手机号码', '备用电话', '地区', '标签', '保单号', '保费', '到期日'];
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂';
const REGIONS = ['北京', '上海', '广东', '浙江', '江苏', '四川'];

/** The rows: ~1% repeats an earlier number, ~1% mistyped, the rest valid mobile numbers. */
function* rows(): Generator<[string, number | string, string, string, string, string, number, string]> {
  const rand = sfc32(9);
  for (let i = 0; i < ROWS; i++) {
    const r = rand();
    const n = r < 0.01 && i > 100 ? Math.floor(rand() * i) : i;
    const phone = r > 0.99 ? `138${String(n).padStart(7, '0')}` : 13_800_000_000 + n * 7;
    const name = SURNAMES[i % 20]! + GIVEN[(i * 7) % 24]!;
    yield [
      name,
      phone,
      '',
      REGIONS[i % REGIONS.length]!,
      i % 3 === 0 ? '高价值' : '普通',
      `P${i}`,
      800 + (i % 9000),
      `2026-12-${String((i % 28) + 1).padStart(2, '0')}`,
    ];
  }
}

async function generate(): Promise<void> {
  if (existsSync(FILE)) return;
  mkdirSync(DIR, { recursive: true });
  const tmp = `${FILE}.part`;
  if (FORMAT === 'csv') {
    await pipeline(
      Readable.from(
        (function* () {
          yield HEADER.join(',') + '\r\n';
          let chunk = '';
          for (const r of rows()) {
            chunk += r.join(',') + '\r\n';
            if (chunk.length > 1 << 16) {
              yield chunk;
              chunk = '';
            }
          }
          yield chunk;
        })(),
      ),
      createWriteStream(tmp),
    );
  } else {
    // Text cells go to the shared-strings table (index by first use), numbers stay numbers.
    const index = new Map<string, number>();
    const sst: string[] = [];
    const s = (text: string) => {
      let i = index.get(text);
      if (i === undefined) {
        i = sst.length;
        index.set(text, i);
        sst.push(text);
      }
      return { xml: `<c t="s"><v>${i}</v></c>` };
    };
    const sheet = Readable.from(
      (function* () {
        const doc = sheetXml('@@');
        yield doc.slice(0, doc.indexOf('@@'));
        yield row(
          1,
          HEADER.map((h) => s(h)),
        );
        let chunk = '';
        let k = 2;
        for (const r of rows()) {
          chunk += row(
            k++,
            r.map((v) => (typeof v === 'number' ? v : v === '' ? null : s(v))),
          );
          if (chunk.length > 1 << 16) {
            yield chunk;
            chunk = '';
          }
        }
        yield chunk + doc.slice(doc.indexOf('@@') + 2);
      })(),
    );
    // The shared strings are only known once the sheet is written: yazl takes entries in order,
    // so the sheet is streamed first and the table built lazily after it (as Excel orders them).
    const sstStream = Readable.from(
      (function* () {
        yield `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${sst.length}" uniqueCount="${sst.length}">`;
        let chunk = '';
        for (const t of sst) {
          chunk += `<si><t>${xmlEscape(t)}</t></si>`;
          if (chunk.length > 1 << 16) {
            yield chunk;
            chunk = '';
          }
        }
        yield chunk + '</sst>';
      })(),
    );
    await writeXlsxFile(tmp, { sheet, sharedStrings: sstStream });
  }
  const { renameSync } = await import('node:fs');
  renameSync(tmp, FILE);
}

function http(
  method: string,
  url: string,
  opts: { token?: string; body?: string | Readable; type?: string; timeoutMs?: number } = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.type ? { 'content-type': opts.type } : {}),
        },
        timeout: opts.timeoutMs ?? 600_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main() {
  const g0 = performance.now();
  await generate();
  console.error(
    `file ${FILE}: ${(statSync(FILE).size / 1e6).toFixed(1)} MB, ${ROWS} rows (ready in ${((performance.now() - g0) / 1000).toFixed(1)} s)`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'outdial-bench-healthz-'));
  const port = 20_000 + (process.pid % 20_000);
  const dbName = `bench_healthz_${process.pid}`;
  let admin: pg.Client | undefined;
  let databaseUrl: string | undefined;
  if (DB === 'postgres') {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  let server: ChildProcess | undefined;
  let log = '';
  try {
    const nodeArgs = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    server = spawn(process.execPath, [...nodeArgs, 'apps/server/bin/outdial.mjs', 'serve', '--demo'], {
      env: {
        ...process.env,
        OUTDIAL_HOST: '127.0.0.1',
        OUTDIAL_PORT: String(port),
        OUTDIAL_DATA_DIR: dataDir,
        OUTDIAL_DEMO_PASSWORD: PASSWORD,
        OUTDIAL_SIMULATED_AGENTS: '0',
        OUTDIAL_LOG_LEVEL: 'warn',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.on('exit', (code, signal) => {
      log += `\n[server exited: code ${code}, signal ${signal}]\n`;
    });
    server.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    for (let t = 0; ; t++) {
      if (server.exitCode !== null) throw new Error(`server exited:\n${log}`);
      // The server logs at warn here, so its "listening on" line is not printed: ask it.
      const up = await http('GET', `${base}/healthz`, { timeoutMs: 1000 }).catch(() => null);
      if (up?.status === 200) break;
      if (t > 1200) throw new Error(`server did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const login = await http('POST', `${base}/api/v1/auth/login`, {
      type: 'application/json',
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const token = (login.json as { token: string }).token;
    const project = await http('POST', `${base}/api/v1/projects`, {
      token,
      type: 'application/json',
      body: JSON.stringify({
        code: 'BENCH',
        name: 'bench',
        fields: [
          { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
          { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
          { key: 'expiry', labelZh: '到期日', labelEn: 'Expiry', type: 'date', required: false },
        ],
      }),
    });
    if (project.status !== 201 && project.status !== 200)
      throw new Error(`project: ${project.status} ${JSON.stringify(project.json)}`);

    // Sample /healthz every 50 ms, each request on its own, until the import is over.
    const latencies: number[] = [];
    /** The slowest answers with when they were asked (s after the upload began), and the phases. */
    const timeline: { at: number; ms: number }[] = [];
    const phases: Record<string, number> = {};
    let i0 = performance.now();
    const failures: string[] = [];
    let sampling = true;
    const inflight = new Set<Promise<void>>();
    // Beside each /healthz, a request that touches no database (an unknown path: Fastify's 404):
    // if it is fast while /healthz is slow, the wait is the database queue, not the event loop.
    const plain: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        const tp = performance.now();
        const pp = http('GET', `${base}/api/v1/no-such-route`, { timeoutMs: 120_000 }).then(
          () => void plain.push(performance.now() - tp),
          () => void plain.push(performance.now() - tp),
        );
        inflight.add(pp);
        void pp.finally(() => inflight.delete(pp));
        const t = performance.now();
        const p = http('GET', `${base}/healthz`, { timeoutMs: 120_000 }).then(
          (r) => {
            latencies.push(performance.now() - t);
            timeline.push({ at: +((t - i0) / 1000).toFixed(1), ms: Math.round(performance.now() - t) });
            if (r.status !== 200) failures.push(`${r.status}`);
          },
          (e: Error) => {
            latencies.push(performance.now() - t);
            failures.push(e.message);
          },
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    i0 = performance.now();
    const up = await http('POST', `${base}/api/v1/projects/BENCH/imports?filename=bench.${FORMAT}`, {
      token,
      type: 'application/octet-stream',
      body: createReadStream(FILE),
    });
    if (up.status !== 202) throw new Error(`upload: ${up.status} ${JSON.stringify(up.json)}`);
    const uploadSeconds = (performance.now() - i0) / 1000;
    const id = (up.json as { id: string }).id;
    let imp: Record<string, unknown>;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      imp = (await http('GET', `${base}/api/v1/imports/${id}`, { token })).json as Record<string, unknown>;
      const st = String(imp['status']);
      phases[st] ??= +((performance.now() - i0) / 1000).toFixed(1);
      if (imp['status'] === 'completed' || imp['status'] === 'failed') break;
    }
    const importSeconds = (performance.now() - i0) / 1000;
    sampling = false;
    await sampler;
    await Promise.all([...inflight]);
    const rss = await serverPeakRss(server.pid!);
    if (process.env['BENCH_SERVER_LOG']) (await import('node:fs')).writeFileSync(process.env['BENCH_SERVER_LOG'], log);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        db: DB,
        format: FORMAT,
        rows: ROWS,
        megabytes: +(statSync(FILE).size / 1e6).toFixed(1),
        import: {
          status: imp['status'],
          error: imp['error'] ?? undefined,
          seconds: +importSeconds.toFixed(1),
          uploadSeconds: +uploadSeconds.toFixed(1),
          imported: imp['imported'],
          duplicateInFile: imp['duplicateInFile'],
          invalid: imp['invalid'],
        },
        healthz: {
          samples: sorted.length,
          p50ms: +quantile(sorted, 0.5).toFixed(1),
          p99ms: +quantile(sorted, 0.99).toFixed(1),
          maxMs: +sorted.at(-1)!.toFixed(1),
          over1s: sorted.filter((x) => x > 1000).length,
          failures: failures.length,
        },
        noDatabaseRequest: (() => {
          const p = [...plain].sort((a, b) => a - b);
          return {
            p50ms: +quantile(p, 0.5).toFixed(1),
            p99ms: +quantile(p, 0.99).toFixed(1),
            maxMs: +p.at(-1)!.toFixed(1),
            over1s: p.filter((x) => x > 1000).length,
          };
        })(),
        serverPeakRssMB: rss,
        phasesSeenAt: phases,
        slowest: timeline.sort((a, b) => b.ms - a.ms).slice(0, 10),
      }),
    );
  } catch (err) {
    console.error(`server output (last 4,000 characters):\n${log.slice(-4000)}`);
    throw err;
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await Promise.race([once(server, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

/** The server process's peak RSS so far (VmHWM), in MB; null where /proc is not there. */
async function serverPeakRss(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

await main();
