import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { agentPhoneOf } from './telephony-config.ts';

const empty = mkdtempSync(join(tmpdir(), 'outdial-cfg-'));

describe('loadConfig', () => {
  it('has safe defaults: loopback, port 8080, embedded database in ./data', () => {
    const c = loadConfig({}, empty);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: join(empty, 'data'),
      unmaskRoles: ['admin', 'supervisor'],
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every bad value at once', () => {
    try {
      loadConfig(
        {
          OUTDIAL_PORT: 'eighty',
          DATABASE_URL: 'mysql://x',
          OUTDIAL_UNMASK_ROLES: 'admin,boss',
          OUTDIAL_DEMO_PASSWORD: 'short',
        },
        empty,
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('OUTDIAL_PORT');
      expect(problems).toContain('DATABASE_URL');
      expect(problems).toContain('boss');
      expect(problems).toContain('OUTDIAL_DEMO_PASSWORD');
    }
  });

  it('reads a config file, the environment wins, unknown keys are errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-cfg-'));
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ port: 9090, sessionTtlHours: 2 }));
    expect(loadConfig({ OUTDIAL_SESSION_TTL_HOURS: '3' }, dir)).toMatchObject({ port: 9090, sessionTtlHours: 3 });
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({}, dir)).toThrow(/unknown setting "prot"/);
    expect(() => loadConfig({ OUTDIAL_CONFIG_FILE: 'nope.json' }, dir)).toThrow(/does not exist/);
  });

  it("takes the simulated carrier's behaviour as a JSON object, from the environment or the file, and says what is wrong with it", () => {
    expect(loadConfig({}, empty).simulatedCarrier).toEqual({});
    expect(
      loadConfig({ OUTDIAL_SIMULATED_CARRIER: '{"personRate":0.6,"meanTalkMs":30000}' }, empty).simulatedCarrier,
    ).toEqual({ personRate: 0.6, meanTalkMs: 30000 });
    const dir = mkdtempSync(join(tmpdir(), 'outdial-cfg-'));
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ simulatedCarrier: { busyRate: 0.2 } }));
    expect(loadConfig({}, dir).simulatedCarrier).toEqual({ busyRate: 0.2 });
    const problems = (env: string): string => {
      try {
        loadConfig({ OUTDIAL_SIMULATED_CARRIER: env }, empty);
        return '';
      } catch (err) {
        return (err as ConfigError).problems.join('\n');
      }
    };
    expect(problems('personRate=1')).toMatch(/must be a JSON object/);
    expect(problems('[1]')).toMatch(/must be a JSON object/);
    expect(problems('{"answerRate":0.5}')).toMatch(/unknown setting "answerRate" \(known: personRate/);
    expect(problems('{"personRate":1.5,"meanRingMs":-1}')).toMatch(
      /"personRate" must be a number from 0 to 1[\s\S]*"meanRingMs" must be a number from 0 to 3600000/,
    );
    expect(problems('{"personRate":0.8,"machineRate":0.3}')).toMatch(
      /personRate \+ machineRate \+ busyRate \+ failedRate is 1.18; at most 1/,
    );
  });
});

describe('telephony configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outdial-tel-'));
  writeFileSync(join(dir, 'abandon.wav'), 'RIFF');
  const sip = {
    carrier: 'sip',
    rtpengine: { host: '127.0.0.1', port: 2223, recordingDir: '/var/spool/rtpengine' },
    trunks: [
      {
        name: 'main',
        uri: 'sip:127.0.0.1:5090',
        transport: 'udp',
        username: 'u',
        password: 'p',
        maxChannels: 30,
        callsPerSecond: 5,
      },
    ],
    agents: {
      uriTemplate: 'sip:{username}@127.0.0.1',
      proxy: 'sip:127.0.0.1:5060',
      phones: { agent7: 'sip:7001@127.0.0.1:5066' },
    },
    prompts: { abandon: 'abandon.wav' },
  };

  it('is the simulated carrier unless configured', () => {
    expect(loadConfig({}, empty).telephony).toEqual({ carrier: 'simulated' });
  });

  it('takes a SIP carrier from the file or the environment, with defaults filled in', () => {
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ telephony: sip }));
    const t = loadConfig({}, dir).telephony;
    expect(t).toMatchObject({
      carrier: 'sip',
      sip: { host: '127.0.0.1', port: 5070 },
      trunks: [{ name: 'main', maxChannels: 30 }],
      recordings: { enabled: true, retentionDays: 90 },
      prompts: { abandon: join(dir, 'abandon.wav') },
    });
    expect(loadConfig({ OUTDIAL_TELEPHONY: JSON.stringify({ carrier: 'simulated' }) }, dir).telephony.carrier).toBe(
      'simulated',
    );
  });

  it('lists every problem with a SIP configuration', () => {
    const bad = {
      ...sip,
      carrier: 'sip',
      trunks: [{ name: 'bad name', uri: 'x', transport: 'sctp', maxChannels: 0, callsPerSecond: 1 }],
      defaultTrunk: 'nope',
      agents: { uriTemplate: 'sip:fixed@127.0.0.1' },
      prompts: { abandon: 'missing.wav' },
    };
    try {
      loadConfig({ OUTDIAL_TELEPHONY: JSON.stringify(bad) }, empty);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const p of [
        'trunks.0.name',
        'trunks.0.uri',
        'trunks.0.transport',
        'trunks.0.maxChannels',
        'defaultTrunk',
        'agents.uriTemplate',
        'prompts.abandon',
      ])
        expect(problems).toContain(`OUTDIAL_TELEPHONY.${p}`);
    }
    expect(() => loadConfig({ OUTDIAL_TELEPHONY: '{"carrier":"pigeon"}' }, empty)).toThrow(
      /"simulated", "sip" or "freeswitch"/,
    );
    const fsw = loadConfig(
      {
        OUTDIAL_TELEPHONY: JSON.stringify({
          carrier: 'freeswitch',
          esl: { password: 'ClueCon' },
          prompts: { abandon: '/usr/share/freeswitch/sounds/abandon.wav' },
        }),
      },
      empty,
    ).telephony;
    expect(fsw).toMatchObject({
      carrier: 'freeswitch',
      esl: { host: '127.0.0.1', port: 8021 },
      agentDialString: 'user/{agent}',
    });
    try {
      loadConfig({ OUTDIAL_TELEPHONY: JSON.stringify({ carrier: 'freeswitch', agentDialString: 'user/x' }) }, empty);
      expect.unreachable();
    } catch (err) {
      const all = (err as ConfigError).problems.join('\n');
      for (const k of ['esl.password', 'agentDialString', 'prompts.abandon'])
        expect(all).toContain(`OUTDIAL_TELEPHONY.${k}`);
    }
  });
  it("takes the browser softphones' WebSocket from the file or OUTDIAL_AGENT_SIP_WS_URL, checked", () => {
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ telephony: sip }));
    const none = loadConfig({}, dir).telephony;
    expect(none.carrier === 'sip' && none.agents.softphone).toBeNull();
    expect(agentPhoneOf(none, 'agent01')).toEqual({
      kind: 'desk',
      uri: 'sip:agent01@127.0.0.1',
      wsUrl: null,
      autoAnswer: true,
    });
    const env = loadConfig({ OUTDIAL_AGENT_SIP_WS_URL: 'ws://127.0.0.1:8088' }, dir).telephony;
    expect(agentPhoneOf(env, 'agent01')).toEqual({
      kind: 'browser',
      uri: 'sip:agent01@127.0.0.1',
      wsUrl: 'ws://127.0.0.1:8088',
      autoAnswer: true,
    });
    // A fixed phone wins: that agent keeps the desk phone.
    expect(agentPhoneOf(env, 'agent7')).toMatchObject({ kind: 'desk', uri: 'sip:7001@127.0.0.1:5066' });
    const file = {
      ...sip,
      agents: { ...sip.agents, softphone: { wsUrl: 'wss://pbx.example.com:8443', autoAnswer: false } },
    };
    const fromFile = loadConfig({ OUTDIAL_TELEPHONY: JSON.stringify(file) }, dir).telephony;
    expect(agentPhoneOf(fromFile, 'li')).toMatchObject({
      kind: 'browser',
      wsUrl: 'wss://pbx.example.com:8443',
      autoAnswer: false,
    });
    expect(agentPhoneOf(loadConfig({}, empty).telephony, 'agent01')).toEqual({
      kind: 'simulated',
      uri: null,
      wsUrl: null,
      autoAnswer: true,
    });
    expect(() => loadConfig({ OUTDIAL_AGENT_SIP_WS_URL: 'http://127.0.0.1:8088' }, dir)).toThrow(
      /OUTDIAL_AGENT_SIP_WS_URL: the agents' Kamailio WebSocket/,
    );
    expect(() => loadConfig({ OUTDIAL_AGENT_SIP_WS_URL: 'ws://127.0.0.1:8088' }, empty)).toThrow(
      /OUTDIAL_AGENT_SIP_WS_URL: browser softphones need the SIP carrier/,
    );
    const bad = { ...sip, agents: { ...sip.agents, softphone: { wsUrl: 'ws:/x', autoAnswer: 'yes' } } };
    try {
      loadConfig({ OUTDIAL_TELEPHONY: JSON.stringify(bad) }, dir);
      expect.unreachable();
    } catch (err) {
      const all = (err as ConfigError).problems.join('\n');
      expect(all).toContain('OUTDIAL_TELEPHONY.agents.softphone.wsUrl');
      expect(all).toContain('OUTDIAL_TELEPHONY.agents.softphone.autoAnswer');
    }
  });
});
