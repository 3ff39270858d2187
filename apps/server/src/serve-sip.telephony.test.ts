/**
 * Issue 14, "done when", automated: the server configured by OUTDIAL_TELEPHONY alone (as
 * docs/telephony.md says) with a SIP trunk created through the API, a progressive campaign that
 * rings a real SIP phone (baresip behind a Kamailio carrier stand-in with digest auth), an agent
 * logged in over WebSocket whose desk phone (baresip, registered at the agents' Kamailio) is
 * bridged to the customer, the call's outcome on the attempt, and the recording played back
 * through the API with both parties in it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, toneSeconds } from '@outdial/telephony/media';
import { NUMBERS, PORTS, TONES, TRUNK, missingBinaries, startRig, type Rig } from '@outdial/telephony/peers';
import { loadConfig } from './config.ts';
import { serve, type RunningServer } from './serve.ts';
import { memoryLogger } from './http/testing/log.ts';

const PASSWORD = 'sip-e2e-pass';
const missing = missingBinaries(['baresip', 'rtpengine', 'kamailio', 'sox']);
if (missing.length) console.warn(`SIP end-to-end test skipped: missing ${missing.join(', ')}`);

describe.skipIf(missing.length > 0)('the server on a SIP trunk, configured alone (docs/telephony.md)', () => {
  let rig: Rig;
  let server: RunningServer;
  let dir: string;
  const logs: string[] = [];
  let api: (method: string, path: string, token?: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

  beforeAll(async () => {
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), 'outdial-sip-e2e-'));
    const telephony = {
      carrier: 'sip',
      sip: { host: '127.0.0.1', port: 0 },
      rtpengine: { host: '127.0.0.1', port: PORTS.rtpengineNg, recordingDir: rig.rtpengine.recordingDir },
      // The configured trunk has the wrong password: only the trunk made through the API gets through.
      trunks: [
        {
          name: 'config-trunk',
          uri: `sip:127.0.0.1:${PORTS.carrier}`,
          transport: 'udp',
          username: TRUNK.user,
          password: 'not-this-one',
          maxChannels: 5,
          callsPerSecond: 2,
        },
      ],
      agents: {
        uriTemplate: 'sip:{username}@127.0.0.1',
        proxy: `sip:127.0.0.1:${PORTS.agents}`,
        phones: { agent01: 'sip:agent1@127.0.0.1' },
      },
      prompts: { abandon: rig.prompts.abandon, ivr: rig.prompts.ivr },
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
      const type = res.headers.get('content-type') ?? '';
      return {
        status: res.status,
        body: type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()),
      };
    };
  }, 120_000);

  afterAll(async () => {
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

  it('rings a real phone through the API-made trunk, bridges the agent’s desk phone, and plays the recording back', async () => {
    expect(logs.some((l) => l.includes('SIP carrier on 127.0.0.1'))).toBe(true);
    const login = async (username: string) =>
      ((await api('POST', '/auth/login', undefined, { username, password: PASSWORD })).body as { token: string }).token;
    const admin = await login('admin');
    const trunk = await api('POST', '/trunks', admin, {
      name: 'api-main',
      uri: `sip:127.0.0.1:${PORTS.carrier}`,
      transport: 'udp',
      username: TRUNK.user,
      password: TRUNK.pass,
      maxChannels: 5,
      callsPerSecond: 2,
    });
    expect(trunk.status).toBe(201);
    // A project whose windows cover the clock, one contact: the phone that answers.
    expect((await api('POST', '/projects', admin, { code: 'SIPE2E', name: 'SIP 端到端' })).status).toBe(201);
    const allDay = Object.fromEntries(
      ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]),
    );
    const project = (await api('GET', '/projects/SIPE2E', admin)).body as { rules: Record<string, unknown> };
    const rules = { ...project.rules, callingWindows: allDay, holidays: [] };
    expect((await api('PATCH', '/projects/SIPE2E', admin, { rules })).status).toBe(200);
    const form = new FormData();
    form.append('file', new Blob([`手机号,姓名\n${NUMBERS.answers.replace('+86', '')},张三\n`]), 'one.csv');
    const imp = (await api('POST', '/projects/SIPE2E/imports', admin, form)).body as { id: string };
    await until('the import', async () => {
      const s = ((await api('GET', `/imports/${imp.id}`, admin)).body as { status: string }).status;
      return s === 'completed' ? s : undefined;
    });

    // The agent logs in over WebSocket and becomes ready; their phone is agent1's desk phone.
    const agentToken = await login('agent01');
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/ws`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    const got: { type: string; [k: string]: unknown }[] = [];
    ws.on('message', (d) => got.push(JSON.parse((d as Buffer).toString()) as { type: string }));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.send(JSON.stringify({ type: 'login', id: 'l' }));
    await until('login', async () => got.find((m) => m.type === 'ack' && m['id'] === 'l'));
    ws.send(JSON.stringify({ type: 'ready', id: 'r' }));
    await until('ready', async () => got.find((m) => m.type === 'ack' && m['id'] === 'r'));

    const created = await api('POST', '/campaigns', admin, {
      project: 'SIPE2E',
      name: 'SIP 外呼',
      settings: { dialMode: 'progressive', trunk: 'api-main' },
    });
    expect(created.status).toBe(201);
    const campaignId = (created.body as { id: string }).id;
    expect((await api('POST', `/campaigns/${campaignId}/start`, admin)).status).toBe(200);

    const call = await until('a routed call', async () => got.find((m) => m.type === 'call'), 45_000);
    const attemptId = call['attemptId'] as string;
    await new Promise((r) => setTimeout(r, 2500)); // they talk
    await rig.customers.answers.command('hangup');
    await until('call_ended', async () => got.find((m) => m.type === 'call_ended'));
    ws.send(JSON.stringify({ type: 'disposition', code: 'success', id: 'd' }));
    await until('disposition', async () => got.find((m) => m['id'] === 'd'));
    ws.close();

    const attempt = (await api('GET', `/attempts/${attemptId}`, admin)).body as Record<string, unknown>;
    expect(attempt).toMatchObject({ outcome: 'person', hangupSide: 'customer' });
    const rec = await until('the recording', async () => {
      const r = await api('GET', `/attempts/${attemptId}/recording`, admin);
      return r.status === 200 ? (r.body as { url: string; durationMs: number }) : undefined;
    });
    expect(rec.durationMs).toBeGreaterThan(2000);
    const wav = await api('GET', `/attempts/${attemptId}/recording.wav?download=1`, await login('qa'));
    expect(wav.status).toBe(200);
    const path = join(dir, 'downloaded.wav');
    (await import('node:fs')).writeFileSync(path, wav.body as Buffer);
    const [customer, agent] = readWav(path).channels as [Int16Array, Int16Array];
    expect(toneSeconds(customer, 8000, TONES.customer)).toBeGreaterThan(1.5);
    expect(toneSeconds(agent, 8000, TONES.agent)).toBeGreaterThan(1.5);
  });
});
