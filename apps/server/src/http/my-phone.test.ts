import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { harness, type Harness } from './testing/harness.ts';

/** GET /me/phone: how the signed-in agent is reached, and where the workstation's browser phone registers. */
describe.each(testDatabases())('GET /me/phone on $name', (engine) => {
  let h: Harness;
  const get = async (token: string) =>
    h.app.inject({ method: 'GET', url: '/api/v1/me/phone', headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-phone-'));
    writeFileSync(join(dir, 'abandon.wav'), '');
    const telephony = {
      carrier: 'sip',
      trunks: [{ name: 'main', uri: 'sip:127.0.0.1:5090', transport: 'udp', maxChannels: 2, callsPerSecond: 1 }],
      agents: {
        uriTemplate: 'sip:{username}@agents.example.com',
        proxy: 'sip:127.0.0.1:5060',
        phones: { agent02: 'sip:7002@192.0.2.10:5060' },
        softphone: { autoAnswer: false },
      },
      prompts: { abandon: join(dir, 'abandon.wav') },
    };
    h = await harness(engine, {
      OUTDIAL_TELEPHONY: JSON.stringify(telephony),
      OUTDIAL_AGENT_SIP_WS_URL: 'wss://agents.example.com:8443',
    });
  }, 120_000);
  afterAll(async () => h?.close());

  it("gives an agent their own browser phone: their SIP address and the agents' WebSocket", async () => {
    const res = await get(await h.login('agent01'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      kind: 'browser',
      uri: 'sip:agent01@agents.example.com',
      wsUrl: 'wss://agents.example.com:8443',
      autoAnswer: false,
    });
  });

  it("a supervisor who takes calls gets their own address, never another agent's", async () => {
    const res = await get(await h.login('supervisor'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'browser', uri: 'sip:supervisor@agents.example.com' });
  });

  it('an agent with a fixed phone is told to use the desk phone (no browser phone)', async () => {
    const res = await get(await h.login('agent02'));
    expect(res.json()).toEqual({ kind: 'desk', uri: 'sip:7002@192.0.2.10:5060', wsUrl: null, autoAnswer: true });
  });

  it('is refused to a role that takes no calls, and to nobody signed in', async () => {
    expect((await get(await h.login('qa'))).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me/phone' })).statusCode).toBe(401);
  });
});
