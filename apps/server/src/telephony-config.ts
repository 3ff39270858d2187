import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateTrunk, type TrunkConfig } from '@outdial/telephony/sip';

/**
 * Which carrier places this node's calls, and how (OUTDIAL_TELEPHONY, or `telephony` in the
 * config file). The simulated carrier needs nothing; the SIP carrier needs our SIP address,
 * rtpengine, at least one trunk, how to reach agents' phones, and the prompts.
 */
export type TelephonyConfig =
  | { carrier: 'simulated' }
  | {
      /** FreeSWITCH over its event socket (not run on the project's machines: see docs/telephony.md). */
      carrier: 'freeswitch';
      esl: { host: string; port: number; password: string };
      customerDialString: string;
      agentDialString: string;
      prompts: { abandon: string } & Record<string, string>;
    }
  | {
      carrier: 'sip';
      sip: { host: string; port: number };
      rtpengine: { host: string; port: number; recordingDir: string | null };
      mediaHost: string;
      trunks: TrunkConfig[];
      defaultTrunk: string | null;
      agents: {
        /** An agent's phone from their username: `sip:{username}@pbx.example.com`. */
        uriTemplate: string;
        /** Fixed phones by username (desk phones not registered anywhere). */
        phones: Record<string, string>;
        /** Proxy/registrar the agent calls go through (`sip:host:port`), or null for straight to the URI. */
        proxy: string | null;
        /**
         * Browser softphones (the workstation's phone): the agents' Kamailio WebSocket. Agents without a fixed phone
         * register there as their `uriTemplate` URI. Null: agents use desk phones.
         */
        softphone: { wsUrl: string; autoAnswer: boolean } | null;
      };
      prompts: { abandon: string } & Record<string, string>;
      recordings: { enabled: boolean; dir: string; retentionDays: number };
    };

const KEY = 'OUTDIAL_TELEPHONY';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks the telephony setting; every problem is pushed with its path. */
export function telephonySetting(
  raw: string | undefined,
  problems: string[],
  cwd: string,
  /** OUTDIAL_AGENT_SIP_WS_URL: the softphones' WebSocket, overriding `agents.softphone.wsUrl`. */
  wsUrlEnv?: string,
): TelephonyConfig {
  const wsEnv = wsUrlEnv?.trim() || undefined;
  const t = telephonyObject(raw, problems, cwd, wsEnv);
  if (wsEnv && t.carrier !== 'sip')
    problems.push(`${WS_KEY}: browser softphones need the SIP carrier (OUTDIAL_TELEPHONY {"carrier":"sip", …})`);
  return t;
}

const WS_KEY = 'OUTDIAL_AGENT_SIP_WS_URL';

/** A browser may open it: ws:// or wss:// with a host. */
function isWsUrl(x: string): boolean {
  if (!/^wss?:\/\/[^/\s]+/.test(x)) return false;
  try {
    const u = new URL(x);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function telephonyObject(
  raw: string | undefined,
  problems: string[],
  cwd: string,
  wsEnv: string | undefined,
): TelephonyConfig {
  if (raw === undefined || raw.trim() === '') return { carrier: 'simulated' };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    problems.push(`${KEY}: must be a JSON object such as {"carrier":"sip", …} (see docs/telephony.md)`);
    return { carrier: 'simulated' };
  }
  if (!isObj(v)) {
    problems.push(`${KEY}: must be a JSON object`);
    return { carrier: 'simulated' };
  }
  const carrier = v['carrier'] ?? 'simulated';
  if (carrier === 'simulated') return { carrier: 'simulated' };
  const p = (path: string, msg: string) => problems.push(`${KEY}.${path}: ${msg}`);
  if (carrier === 'freeswitch') {
    const e = isObj(v['esl']) ? v['esl'] : {};
    const s = (o: Obj, k: string, path: string, def?: string) => {
      const x = o[k] ?? def;
      if (typeof x !== 'string' || !x) p(path, 'must be a non-empty string');
      return typeof x === 'string' ? x : '';
    };
    const port = e['port'] ?? 8021;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) p('esl.port', 'a port number');
    const customer = s(v, 'customerDialString', 'customerDialString', 'sofia/gateway/{trunk}/{number}');
    if (!customer.includes('{number}')) p('customerDialString', 'must contain {number}');
    const agent = s(v, 'agentDialString', 'agentDialString', 'user/{agent}');
    if (!agent.includes('{agent}')) p('agentDialString', 'must contain {agent}');
    const prompts = isObj(v['prompts']) ? (v['prompts'] as Record<string, unknown>) : {};
    if (typeof prompts['abandon'] !== 'string') p('prompts.abandon', 'a sound file path on the FreeSWITCH host');
    return {
      carrier: 'freeswitch',
      esl: {
        host: s(e, 'host', 'esl.host', '127.0.0.1'),
        port: port as number,
        password: s(e, 'password', 'esl.password'),
      },
      customerDialString: customer,
      agentDialString: agent,
      prompts: Object.fromEntries(Object.entries(prompts).filter(([, x]) => typeof x === 'string')) as {
        abandon: string;
      } & Record<string, string>,
    };
  }
  if (carrier !== 'sip') {
    problems.push(`${KEY}.carrier: "simulated", "sip" or "freeswitch"`);
    return { carrier: 'simulated' };
  }
  const obj = (x: unknown, path: string): Obj => {
    if (x === undefined) return {};
    if (!isObj(x)) p(path, 'must be an object');
    return isObj(x) ? x : {};
  };
  const str = (o: Obj, k: string, path: string, def?: string): string => {
    const x = o[k] ?? def;
    if (typeof x !== 'string' || x === '') {
      p(path, 'must be a non-empty string');
      return def ?? '';
    }
    return x;
  };
  const port = (o: Obj, k: string, path: string, def: number): number => {
    const x = o[k] ?? def;
    if (!Number.isInteger(x) || (x as number) < 0 || (x as number) > 65535) {
      p(path, 'must be a port number 0–65535');
      return def;
    }
    return x as number;
  };
  const sipO = obj(v['sip'], 'sip');
  const rtpO = obj(v['rtpengine'], 'rtpengine');
  const agentsO = obj(v['agents'], 'agents');
  const promptsO = obj(v['prompts'], 'prompts');
  const recO = obj(v['recordings'], 'recordings');
  const trunks: TrunkConfig[] = [];
  if (!Array.isArray(v['trunks']) || v['trunks'].length === 0) p('trunks', 'at least one trunk is needed');
  else
    v['trunks'].forEach((t: unknown, i: number) => {
      const issues = validateTrunk(isObj(t) ? t : {});
      for (const issue of issues) problems.push(`${KEY}.trunks.${i}.${issue}`);
      if (!issues.length) trunks.push(t as TrunkConfig);
    });
  const names = trunks.map((t) => t.name);
  if (new Set(names).size !== names.length) p('trunks', 'names must be unique');
  const defaultTrunk = typeof v['defaultTrunk'] === 'string' ? v['defaultTrunk'] : null;
  if (v['defaultTrunk'] !== undefined && defaultTrunk === null) p('defaultTrunk', 'must be a trunk name');
  if (defaultTrunk !== null && !names.includes(defaultTrunk)) p('defaultTrunk', `"${defaultTrunk}" is not a trunk`);
  const prompts: Record<string, string> = {};
  for (const [k, x] of Object.entries(promptsO)) {
    if (typeof x !== 'string') {
      p(`prompts.${k}`, 'must be a path to an 8 kHz mono WAV file');
      continue;
    }
    const path = resolve(cwd, x);
    if (!existsSync(path)) p(`prompts.${k}`, `${path} does not exist`);
    prompts[k] = path;
  }
  if (!prompts['abandon']) p('prompts.abandon', 'the abandon message is required (a WAV file)');
  const phones: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(agentsO['phones'], 'agents.phones'))) {
    if (typeof x !== 'string' || !/^sips?:/.test(x)) p(`agents.phones.${k}`, 'must be a SIP URI');
    else phones[k] = x;
  }
  const uriTemplate = str(agentsO, 'uriTemplate', 'agents.uriTemplate', 'sip:{username}@127.0.0.1');
  if (!uriTemplate.includes('{username}')) p('agents.uriTemplate', 'must contain {username}');
  const softO = obj(agentsO['softphone'], 'agents.softphone');
  let softphone: { wsUrl: string; autoAnswer: boolean } | null = null;
  const wsUrl = wsEnv ?? softO['wsUrl'];
  if (wsUrl !== undefined) {
    if (typeof wsUrl !== 'string' || !isWsUrl(wsUrl))
      problems.push(
        `${wsEnv ? WS_KEY : `${KEY}.agents.softphone.wsUrl`}: the agents' Kamailio WebSocket, ws://host:port or wss://host:port`,
      );
    else softphone = { wsUrl, autoAnswer: true };
  }
  if (softO['autoAnswer'] !== undefined && typeof softO['autoAnswer'] !== 'boolean')
    p('agents.softphone.autoAnswer', 'true or false');
  if (softphone && softO['autoAnswer'] === false) softphone.autoAnswer = false;
  const retention = recO['retentionDays'] ?? 90;
  if (!Number.isInteger(retention) || (retention as number) < 1 || (retention as number) > 3650)
    p('recordings.retentionDays', 'must be a whole number of days from 1 to 3650');
  const recordingDir = rtpO['recordingDir'] === undefined ? null : str(rtpO, 'recordingDir', 'rtpengine.recordingDir');
  const enabled = recO['enabled'] === undefined ? recordingDir !== null : recO['enabled'] === true;
  if (enabled && recordingDir === null)
    p('rtpengine.recordingDir', "recordings need rtpengine's --recording-dir (pcap method) here");
  return {
    carrier: 'sip',
    sip: { host: str(sipO, 'host', 'sip.host', '127.0.0.1'), port: port(sipO, 'port', 'sip.port', 5070) },
    rtpengine: {
      host: str(rtpO, 'host', 'rtpengine.host', '127.0.0.1'),
      port: port(rtpO, 'port', 'rtpengine.port', 2223),
      recordingDir,
    },
    mediaHost: str(v, 'mediaHost', 'mediaHost', '127.0.0.1'),
    trunks,
    defaultTrunk,
    agents: {
      uriTemplate,
      phones,
      proxy: agentsO['proxy'] === undefined ? null : str(agentsO, 'proxy', 'agents.proxy'),
      softphone,
    },
    prompts: prompts as { abandon: string } & Record<string, string>,
    recordings: {
      enabled,
      dir: resolve(cwd, typeof recO['dir'] === 'string' ? recO['dir'] : 'data/recordings'),
      retentionDays: retention as number,
    },
  };
}

/** How an agent is reached (GET /me/phone): the workstation shows its browser phone only for `browser`. */
export function agentPhoneOf(
  t: TelephonyConfig,
  username: string,
): { kind: 'simulated' | 'desk' | 'browser'; uri: string | null; wsUrl: string | null; autoAnswer: boolean } {
  switch (t.carrier) {
    case 'simulated':
      return { kind: 'simulated', uri: null, wsUrl: null, autoAnswer: true };
    case 'freeswitch':
      // FreeSWITCH reaches agents by its own dial string (its users register with it).
      return { kind: 'desk', uri: null, wsUrl: null, autoAnswer: true };
    case 'sip': {
      const fixed = t.agents.phones[username];
      const uri = fixed ?? t.agents.uriTemplate.replace('{username}', encodeURIComponent(username));
      // An agent with a fixed phone has a desk phone, even where browser phones are configured.
      if (fixed !== undefined || !t.agents.softphone) return { kind: 'desk', uri, wsUrl: null, autoAnswer: true };
      return { kind: 'browser', uri, wsUrl: t.agents.softphone.wsUrl, autoAnswer: t.agents.softphone.autoAnswer };
    }
  }
}
