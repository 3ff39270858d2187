/**
 * The agent needs nothing but the browser: the server on a SIP trunk with browser phones
 * configured (OUTDIAL_AGENT_SIP_WS_URL), the built web app, and Debian's Chromium (fake
 * microphone) as the agent. The workstation's phone panel asks GET /me/phone, loads the softphone
 * chunk, registers at the agents' Kamailio over WebSocket; a progressive campaign rings a real
 * phone (baresip behind the carrier stand-in), the dialer bridges the customer to the browser
 * (rtpengine: DTLS-SRTP ↔ RTP), the panel shows the call tied to the attempt on screen, and the
 * agent hangs up from the panel. Runs in the loopback-only namespace (tools/telephony/netns.sh).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, PORTS, TRUNK, missingBinaries, startRig, type Rig } from '@outdial/telephony/peers';
import { loadConfig } from './config.ts';
import { serve, type RunningServer } from './serve.ts';
import { memoryLogger } from './http/testing/log.ts';

const PASSWORD = 'sip-phone-pass';
const CHROMIUM = process.env['OUTDIAL_CHROMIUM'] ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const missing = missingBinaries(['baresip', 'rtpengine', 'kamailio', 'sox', CHROMIUM]);
if (missing.length)
  console.warn(`workstation phone test skipped: missing ${missing.join(', ')} (see docs/telephony.md)`);

describe.skipIf(missing.length > 0)("the workstation's browser phone takes a bridged campaign call", () => {
  let rig: Rig;
  let server: RunningServer;
  let dir: string;
  let browser: Browser;
  let page: Page;
  const logs: string[] = [];
  let api: (method: string, path: string, token?: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

  beforeAll(async () => {
    // The panel must be in the app the server serves: build it now (~5 s).
    const built = spawnSync('npm', ['run', 'build:web'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (built.status !== 0) throw new Error(`npm run build:web failed:\n${built.stdout}\n${built.stderr}`);
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), 'outdial-ws-phone-'));
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
          callsPerSecond: 2,
        },
      ],
      agents: { uriTemplate: 'sip:{username}@127.0.0.1', proxy: `sip:127.0.0.1:${PORTS.agents}` },
      prompts: { abandon: rig.prompts.abandon },
      recordings: { enabled: true, dir: join(dir, 'recordings'), retentionDays: 30 },
    };
    const config = loadConfig(
      {
        OUTDIAL_DATA_DIR: dir,
        OUTDIAL_PORT: '0',
        OUTDIAL_DEMO_PASSWORD: PASSWORD,
        OUTDIAL_SIMULATED_AGENTS: '0',
        OUTDIAL_LOG_LEVEL: 'silent',
        OUTDIAL_TELEPHONY: JSON.stringify(telephony),
        OUTDIAL_AGENT_SIP_WS_URL: `ws://127.0.0.1:${PORTS.ws}`,
      },
      dir,
    );
    server = await serve(config, { demo: true, logger: memoryLogger(logs, 'info') });
    api = async (method, path, token, body) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body instanceof FormData ? {} : body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: body instanceof FormData ? body : JSON.stringify(body) } : {}),
      });
      return {
        status: res.status,
        body: (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : null,
      };
    };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--allow-loopback-in-peer-connection',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    });
    page = await browser.newPage();
    page.on('console', (m) => process.env['OUTDIAL_TELEPHONY_DEBUG'] && console.log(`[browser] ${m.text()}`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const until = async <T>(what: string, get: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await get();
      if (v !== undefined) return v;
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}\nserver log:\n${logs.slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('registers from the workstation, rings through a campaign, shows the call tied to its attempt, hangs up', async () => {
    const login = async (username: string) =>
      ((await api('POST', '/auth/login', undefined, { username, password: PASSWORD })).body as { token: string }).token;
    const admin = await login('admin');
    expect((await api('POST', '/projects', admin, { code: 'PHONE', name: '软电话' })).status).toBe(201);
    const allDay = Object.fromEntries(
      ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]),
    );
    const project = (await api('GET', '/projects/PHONE', admin)).body as { rules: Record<string, unknown> };
    expect(
      (
        await api('PATCH', '/projects/PHONE', admin, {
          rules: { ...project.rules, callingWindows: allDay, holidays: [] },
        })
      ).status,
    ).toBe(200);
    const form = new FormData();
    form.append('file', new Blob([`手机号,姓名\n${NUMBERS.answers.replace('+86', '')},张三\n`]), 'one.csv');
    const imp = (await api('POST', '/projects/PHONE/imports', admin, form)).body as { id: string };
    await until('the import', async () => {
      const s = ((await api('GET', `/imports/${imp.id}`, admin)).body as { status: string }).status;
      return s === 'completed' ? s : undefined;
    });

    // The agent opens the workstation in the browser: the panel registers the phone.
    await page.goto(`${server.url}/login`);
    await page.evaluate(() => localStorage.setItem('outdial.lang', 'en'));
    await page.reload();
    await page.locator('#username').fill('agent01');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(/\/workstation/);
    await page
      .locator('[data-testid="browser-phone"][data-registration="registered"]')
      .waitFor({ timeout: 20_000 })
      .catch(async (err: unknown) => {
        throw new Error(
          `the phone did not register; the panel says: ${await page.getByTestId('phone-panel').innerText()}`,
          {
            cause: err,
          },
        );
      });
    expect(await page.getByTestId('phone-panel').innerText()).toContain('sip:agent01@127.0.0.1');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('ready').click();
    await page.getByTestId('agent-state').getByText('Ready').waitFor();

    const created = await api('POST', '/campaigns', admin, {
      project: 'PHONE',
      name: '浏览器软电话',
      settings: { dialMode: 'progressive', trunk: 'main' },
    });
    expect(created.status).toBe(201);
    const campaignId = (created.body as { id: string }).id;
    expect((await api('POST', `/campaigns/${campaignId}/start`, admin)).status).toBe(200);

    // The customer answers; the dialer bridges them to the browser phone, which answers by itself.
    await page.locator('[data-testid="phone-call"][data-status="active"]').waitFor({ timeout: 45_000 });
    await page.getByTestId('phone-tied').waitFor({ timeout: 10_000 });
    const shown = /Attempt ([0-9a-f-]{36})/.exec(await page.getByTestId('phone-call').innerText());
    expect(shown).not.toBeNull();
    const attemptId = shown![1]!;
    expect((await api('GET', `/attempts/${attemptId}`, admin)).body).toMatchObject({ campaignId });
    await page.waitForTimeout(2000); // they talk
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'workstation-phone.en.png') });
    await page.getByTestId('phone-hangup').click();
    await page.locator('[data-testid="phone-call"][data-status="ended"]').waitFor({ timeout: 10_000 });
    const attempt = await until('the attempt closed', async () => {
      const a = (await api('GET', `/attempts/${attemptId}`, admin)).body as Record<string, unknown>;
      return a['endedAt'] ? a : undefined;
    });
    expect(attempt).toMatchObject({ outcome: 'person', hangupSide: 'agent' });
    // The workstation moves to wrap-up: the disposition is next.
    await page.getByTestId('agent-state').getByText('After-call work').waitFor({ timeout: 10_000 });
  });
});
