/**
 * Crash safety: a running campaign, the server process killed with SIGKILL again and
 * again. After every restart: no attempt is lost or left open, no contact has two attempts in
 * flight at once, every dial was allowed by the compliance gate, and the campaign resumes by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checkDial, type AttemptRecord } from '@outdial/domain/compliance';
import { defaultProjectRules, type ProjectRules } from '@outdial/domain/projects';
import { consolePrincipal } from './console-principal.ts';
import { loadConfig, type Config } from './config.ts';
import { seedDemo } from './demo.ts';
import { openPlatform } from './platform.ts';

/** A port nobody listens on now (the child binds it a moment later). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/outdial.mjs');
const PASSWORD = 'kill-test-pass';
/** Calls allowed around the clock, so the test does not depend on the hour it runs at. */
const RULES: ProjectRules = {
  ...defaultProjectRules(),
  callingWindows: Object.fromEntries(
    ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]),
  ),
  retryDelaysMinutes: { busy: 1, noAnswer: 1, machine: 1, abandoned: 72 * 60, failed: 1 },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`server did not become healthy:\n${log()}`);
}

interface Target {
  name: string;
  env: Record<string, string>;
  config: Readonly<Config>;
  cleanup(): Promise<void>;
}

async function targets(): Promise<Target[]> {
  const out: Target[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'outdial-kill-'));
  const env = { OUTDIAL_DATA_DIR: dir, OUTDIAL_DEMO_PASSWORD: PASSWORD };
  out.push({
    name: 'pglite',
    env,
    config: loadConfig(env, dir),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  });
  const url = process.env['OUTDIAL_TEST_DATABASE_URL'];
  if (url) {
    const name = `outdial_kill_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const dbUrl = url.replace(/\/[^/]*$/, `/${name}`);
    const pgDir = mkdtempSync(join(tmpdir(), 'outdial-kill-pg-'));
    const pgEnv = { DATABASE_URL: dbUrl, OUTDIAL_DATA_DIR: pgDir, OUTDIAL_DEMO_PASSWORD: PASSWORD };
    out.push({
      name: 'postgres',
      env: pgEnv,
      config: loadConfig(pgEnv, pgDir),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
        rmSync(pgDir, { recursive: true, force: true });
      },
    });
  }
  return out;
}

describe('SIGKILL during a running campaign', async () => {
  for (const target of await targets()) {
    it(`loses nothing and breaks no rule on ${target.name}`, { timeout: 180_000 }, async () => {
      // Prepare: the demo organisation, a project callable around the clock, 600 contacts, a running campaign.
      const p = await openPlatform(target.config);
      let campaignId: string;
      try {
        await seedDemo(p);
        const admin = await consolePrincipal(p.repos, 'admin');
        await p.services.projects.create(admin, { code: 'KILL', name: 'kill test', rules: RULES });
        const csv = join(tmpdir(), `kill-${process.pid}-${target.name}.csv`);
        writeFileSync(
          csv,
          ['手机号,姓名', ...Array.from({ length: 600 }, (_, i) => `136${String(i).padStart(8, '0')},客户${i}`)].join(
            '\n',
          ),
        );
        const { done } = await p.services.imports.start(admin, {
          projectCode: 'KILL',
          path: csv,
          filename: 'kill.csv',
        });
        expect((await done).imported).toBe(600);
        const c = await p.services.campaigns.create(admin, {
          projectCode: 'KILL',
          name: 'kill',
          settings: { dialMode: 'predictive', maxCallsPerSecond: 5 },
        });
        await p.services.campaigns.act(admin, c.id, 'start');
        campaignId = c.id;
      } finally {
        await p.close();
      }

      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const counts: number[] = [];
      const dials = async () => {
        const q = await openCount(target, campaignId);
        return q;
      };
      for (let round = 0; round < 4; round++) {
        let log = '';
        const child = spawn(process.execPath, [BIN, 'serve', '--demo'], {
          env: {
            ...process.env,
            ...target.env,
            OUTDIAL_PORT: String(port),
            OUTDIAL_LOG_LEVEL: 'warn',
            OUTDIAL_SIMULATED_AGENTS: '10',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (d: Buffer) => (log += d.toString()));
        child.stderr.on('data', (d: Buffer) => (log += d.toString()));
        await waitHealthy(url, child, () => log);
        await sleep(4000 + Math.floor(Math.random() * 3000)); // calls in every state when the blow lands
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        counts.push(await dials());
      }
      // The campaign resumed after every restart: more attempts each round.
      for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);

      // The next start closes what the last kill left open; then check every attempt.
      const after = await openPlatform(target.config);
      try {
        const attempts = await after.db.query<{
          id: string;
          contactId: string;
          phone: string;
          placedAt: Date;
          endedAt: Date | null;
          outcome: string | null;
        }>(
          `SELECT id, contact_id AS "contactId", phone, placed_at AS "placedAt", ended_at AS "endedAt", outcome FROM call_attempts WHERE campaign_id = $1 ORDER BY placed_at, id`,
          [campaignId],
        );
        expect(attempts.length).toBeGreaterThan(20);
        expect(attempts.filter((a) => a.endedAt === null || a.outcome === null)).toEqual([]);
        const byContact = new Map<string, typeof attempts>();
        for (const a of attempts) byContact.set(a.contactId, [...(byContact.get(a.contactId) ?? []), a]);
        for (const list of byContact.values()) {
          const history: AttemptRecord[] = [];
          for (const [i, a] of list.entries()) {
            // Never two attempts of one contact in flight at once.
            if (i > 0) expect(a.placedAt.getTime()).toBeGreaterThanOrEqual(list[i - 1]!.endedAt!.getTime());
            const gate = checkDial(
              {
                contactStatus: 'in_progress',
                callbackAt: null,
                contactTimeZone: 'Asia/Shanghai',
                numberTimeZone: 'Asia/Shanghai',
                phone: a.phone,
                attempts: history,
                onDncList: false,
                agentGuaranteed: false,
              },
              RULES,
              a.placedAt.getTime(),
            );
            expect(gate, `attempt ${a.id}`).toEqual({ allowed: true });
            history.push({
              phone: a.phone,
              placedAt: a.placedAt.getTime(),
              outcome: a.outcome as AttemptRecord['outcome'],
            });
          }
        }
        const [leaked] = await after.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM contacts c WHERE c.lease_owner = $1 AND EXISTS (SELECT 1 FROM call_attempts a WHERE a.contact_id = c.id AND a.ended_at IS NULL)`,
          [campaignId],
        );
        expect(leaked!.n).toBe(0);
      } finally {
        await after.close();
        await target.cleanup();
      }
    });
  }
});

async function openCount(target: Target, campaignId: string): Promise<number> {
  const p = await openPlatform(target.config);
  try {
    const [r] = await p.db.query<{ n: number }>('SELECT count(*)::int AS n FROM call_attempts WHERE campaign_id = $1', [
      campaignId,
    ]);
    return r!.n;
  } finally {
    await p.close();
  }
}
