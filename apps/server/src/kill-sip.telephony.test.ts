/**
 * The server killed (SIGKILL) during live SIP calls: at the next start the dialog journal ends
 * the calls it left up — the customer's phone and the agent's phone each get a BYE — and every
 * attempt of the campaign is closed exactly once (the crash recovery closes the open ones; the
 * new process does not redial them while they are open).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProjectRules } from '@outdial/domain/projects';
import { consolePrincipal } from './console-principal.ts';
import { loadConfig } from './config.ts';
import { seedDemo } from './demo.ts';
import { openPlatform } from './platform.ts';
import { NUMBERS, PORTS, TRUNK, missingBinaries, startRig, type Rig } from '@outdial/telephony/peers';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/outdial.mjs');
const missing = missingBinaries(['baresip', 'rtpengine', 'kamailio', 'sox']);
if (missing.length) console.warn(`SIP kill test skipped: missing ${missing.join(', ')}`);

const allDay = [{ start: '00:00', end: '24:00' }];
const RULES = {
  ...defaultProjectRules(),
  callingWindows: Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, allDay])),
};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

describe.skipIf(missing.length > 0)('SIGKILL during live SIP calls', () => {
  let rig: Rig;
  let dir: string;
  let env: Record<string, string>;
  let child: ChildProcess | null = null;
  let log = '';

  beforeAll(async () => {
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), 'outdial-kill-sip-'));
    const telephony = {
      carrier: 'sip',
      sip: { host: '127.0.0.1', port: 0 },
      rtpengine: { host: '127.0.0.1', port: PORTS.rtpengineNg, recordingDir: rig.rtpengine.recordingDir },
      trunks: [
        {
          name: 'main',
          uri: `sip:127.0.0.1:${PORTS.carrier}`,
          transport: 'udp',
          username: TRUNK.user,
          password: TRUNK.pass,
          maxChannels: 5,
          callsPerSecond: 5,
        },
      ],
      // The simulated demo agent (agent20) takes calls; its phone is the rig's desk phone.
      agents: { proxy: `sip:127.0.0.1:${PORTS.agents}`, phones: { agent20: 'sip:agent1@127.0.0.1' } },
      prompts: { abandon: rig.prompts.abandon },
      recordings: { enabled: false },
    };
    env = {
      OUTDIAL_DATA_DIR: dir,
      OUTDIAL_DEMO_PASSWORD: 'kill-sip-pass',
      OUTDIAL_LOG_LEVEL: 'warn',
      OUTDIAL_SIMULATED_AGENTS: '1',
      OUTDIAL_TELEPHONY: JSON.stringify(telephony),
    };
    // Prepare: the demo, a project callable around the clock with the phone that answers, a running campaign.
    const p = await openPlatform(loadConfig(env, dir));
    try {
      await seedDemo(p);
      const admin = await consolePrincipal(p.repos, 'admin');
      await p.services.projects.create(admin, { code: 'KILLSIP', name: 'kill SIP', rules: RULES });
      const csv = join(dir, 'k.csv');
      writeFileSync(csv, `手机号,姓名\n${NUMBERS.answers.replace('+86', '')},甲\n`);
      const { done } = await p.services.imports.start(admin, { projectCode: 'KILLSIP', path: csv, filename: 'k.csv' });
      expect((await done).imported).toBe(1);
      const c = await p.services.campaigns.create(admin, {
        projectCode: 'KILLSIP',
        name: 'kill sip',
        settings: { dialMode: 'progressive', trunk: 'main' },
      });
      await p.services.campaigns.act(admin, c.id, 'start');
    } finally {
      await p.close();
    }
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const port = await freePort();
    log = '';
    const c = spawn(process.execPath, [BIN, 'serve', '--demo'], {
      env: { ...process.env, ...env, OUTDIAL_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout.on('data', (d: Buffer) => (log += d.toString()));
    c.stderr.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 240; i++) {
      if (c.exitCode !== null) throw new Error(`server exited:\n${log}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return c;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`server did not start:\n${log}`);
  };

  const until = async (what: string, ok: () => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}\nserver:\n${log.slice(-3000)}\ncustomer:\n${rig.customers.answers.log().slice(-1500)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('ends both legs of a bridged call at the next start, and closes every attempt once', async () => {
    const customer = () => rig.customers.answers.log();
    const agent = () => rig.agentPhone.log();
    const established = count(customer(), /Call established/);
    const agentEstablished = count(agent(), /Call established/);
    child = await start();
    await until(
      'the customer bridged to the agent',
      () =>
        count(customer(), /Call established/) > established && count(agent(), /Call established/) > agentEstablished,
    );
    await new Promise((r) => setTimeout(r, 1000));
    // The journal holds both legs while they are up.
    expect(readdirSync(join(dir, 'sip-dialogs')).sort()).toEqual([
      expect.stringMatching(/-agent\.json$/),
      expect.stringMatching(/-customer\.json$/),
    ]);
    const endedBefore = count(customer(), /terminated/);
    const agentEndedBefore = count(agent(), /terminated/);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    // Nobody told the phones: they are still on the call.
    await new Promise((r) => setTimeout(r, 1500));
    expect(count(customer(), /terminated/)).toBe(endedBefore);
    const restarted = Date.now();
    child = await start();
    await until(
      'BYE at both ends',
      () => count(customer(), /terminated/) > endedBefore && count(agent(), /terminated/) > agentEndedBefore,
    );
    const byeMs = Date.now() - restarted;
    expect(readdirSync(join(dir, 'sip-dialogs'))).toEqual([]);
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = null;

    const p = await openPlatform(loadConfig(env, dir));
    try {
      const rows = await p.db.query<{ id: string; endedAt: Date | null; outcome: string | null; n: number }>(
        `SELECT a.id, a.ended_at AS "endedAt", a.outcome, count(*) OVER (PARTITION BY a.id)::int AS n
           FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id WHERE c.name = 'kill sip'`,
      );
      console.log(
        `killed during a bridged call: both legs got BYE ${byeMs} ms after the restart began; attempts ${JSON.stringify(rows.map((r) => r.outcome))}`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows.every((r) => r.endedAt !== null && r.outcome !== null && r.n === 1)).toBe(true);
    } finally {
      await p.close();
    }
  });
});
