/**
 * Issue 12, "done when": a local receiver gets signed webhooks after the server was killed. The
 * server is SIGKILLed while it is delivering (the receiver holds the request open); after the
 * restart the same message is delivered, with the same webhook-id, and verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { consolePrincipal } from './console-principal.ts';
import { loadConfig, type Config } from './config.ts';
import { openPlatform } from './platform.ts';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/outdial.mjs');
const PASSWORD = 'webhook-kill-pass';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = netServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Target {
  name: string;
  env: Record<string, string>;
  config: Readonly<Config>;
  cleanup(): Promise<void>;
}

async function targets(): Promise<Target[]> {
  const dir = mkdtempSync(join(tmpdir(), 'outdial-whkill-'));
  const env = { OUTDIAL_DATA_DIR: dir, OUTDIAL_DEMO_PASSWORD: PASSWORD };
  const out: Target[] = [
    {
      name: 'pglite',
      env,
      config: loadConfig(env, dir),
      cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    },
  ];
  const url = process.env['OUTDIAL_TEST_DATABASE_URL'];
  if (url) {
    const name = `outdial_whkill_${process.pid}_${Date.now()}`;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const pgDir = mkdtempSync(join(tmpdir(), 'outdial-whkill-pg-'));
    const pgEnv = {
      DATABASE_URL: url.replace(/\/[^/]*$/, `/${name}`),
      OUTDIAL_DATA_DIR: pgDir,
      OUTDIAL_DEMO_PASSWORD: PASSWORD,
    };
    out.push({
      name: 'postgres',
      env: pgEnv,
      config: loadConfig(pgEnv, pgDir),
      cleanup: async () => {
        const d = new pg.Client({ connectionString: url });
        await d.connect();
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await d.end();
        rmSync(pgDir, { recursive: true, force: true });
      },
    });
  }
  return out;
}

describe('webhooks survive SIGKILL', async () => {
  for (const target of await targets()) {
    it(
      `delivers a message cut off by a kill after the restart, same webhook-id, on ${target.name}`,
      { timeout: 180_000 },
      async () => {
        // A receiver that holds the first request open (the kill lands mid-delivery), then answers 200.
        const got: { headers: IncomingHttpHeaders; body: string }[] = [];
        const held: ServerResponse[] = [];
        let hold = true;
        const receiver = createServer((req, res) => {
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (d: string) => (body += d));
          req.on('end', () => {
            got.push({ headers: req.headers, body });
            if (hold) held.push(res);
            else res.end('ok');
          });
        });
        await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
        const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

        let secret: string;
        const p = await openPlatform(target.config);
        try {
          // An organisation with an admin, a project and a campaign: enough for a change to report.
          const orgId = await p.repos.users.createOrganisation('webhook kill test');
          await p.services.users.create(null, orgId, {
            username: 'admin',
            displayName: 'Admin',
            role: 'admin',
            password: PASSWORD,
          });
          const admin = await consolePrincipal(p.repos, 'admin');
          await p.services.projects.create(admin, { code: 'WH', name: 'webhooks' });
          secret = (await p.services.webhooks.create(admin, { url: hookUrl, events: ['campaign.status_changed'] }))
            .secret;
          // A change whose message waits in the outbox: the server, not this process, will deliver it.
          const c = await p.services.campaigns.create(admin, {
            projectCode: 'WH',
            name: 'wh',
            settings: { dialMode: 'progressive' },
          });
          await p.services.campaigns.act(admin, c.id, 'start');
          await p.services.campaigns.act(admin, c.id, 'pause');
        } finally {
          await p.close();
        }

        const port = await freePort();
        const serve = () => {
          let log = '';
          const child = spawn(process.execPath, [BIN, 'serve'], {
            env: {
              ...process.env,
              ...target.env,
              OUTDIAL_PORT: String(port),
              OUTDIAL_LOG_LEVEL: 'warn',
              OUTDIAL_SIMULATED_AGENTS: '0',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.on('data', (d: Buffer) => (log += d.toString()));
          child.stderr.on('data', (d: Buffer) => (log += d.toString()));
          return { child, log: () => log };
        };
        const stop = async (child: ChildProcess) => {
          child.kill('SIGKILL');
          if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
        };

        try {
          const first = serve();
          await until('the first delivery to start', () => (got.length >= 2 ? true : undefined));
          await stop(first.child);
          expect(got).toHaveLength(2); // both held: no answer reached the server
          const ids = got.map((g) => String(g.headers['webhook-id'])).sort();

          hold = false;
          for (const r of held) r.destroy();
          const second = serve();
          try {
            // The dead process's leases are taken over within seconds (PGlite: at start; PostgreSQL: its node lock is free).
            await until('the redelivery after the restart', () => (got.length >= 4 ? true : undefined), 30_000).catch(
              (e: unknown) => {
                throw new Error(`${String(e)}\nserver log:\n${second.log()}`);
              },
            );
            await until('the server to listen', async () =>
              (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ? true : undefined,
            );
            const again = got
              .slice(2)
              .map((g) => String(g.headers['webhook-id']))
              .sort();
            expect(again).toEqual(ids);
            const wh = new Webhook(secret);
            for (const g of got.slice(2)) expect(wh.verify(g.body, g.headers as Record<string, string>)).toBeTruthy();
            // The log says so too: delivered, after a try the kill cut off (or none recorded).
            const token = (
              (await (
                await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ username: 'admin', password: PASSWORD }),
                })
              ).json()) as { token: string }
            ).token;
            const delivered = await until('both delivered in the log', async () => {
              const r = (await (
                await fetch(`http://127.0.0.1:${port}/api/v1/webhook-messages?status=delivered`, {
                  headers: { authorization: `Bearer ${token}` },
                })
              ).json()) as { total: number; items: { id: string }[] };
              return r.total === 2 ? r.items : undefined;
            });
            expect(delivered.map((m) => m.id).sort()).toEqual(ids);
          } finally {
            await stop(second.child);
          }
        } finally {
          await new Promise((r) => receiver.close(r));
          receiver.closeAllConnections();
          await target.cleanup();
        }
      },
    );
  }
});
