import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AgentGateway,
  Dialer,
  SimulatedAgents,
  realScheduler,
  type Logger,
  type Telephony,
  type TrunkRow,
} from '@outdial/engine';
import { EslCarrier } from '@outdial/telephony/esl';
import { PcapRecordings } from '@outdial/telephony/media';
import { SipCarrier, type TrunkConfig } from '@outdial/telephony/sip';
import { SimulatedCarrier, defaultSimulatedCarrier } from '@outdial/telephony/simulated';
import type { Config } from './config.ts';
import type { Platform } from './platform.ts';
import { demoDispositions } from './demo-agents.ts';

export interface RunningDialer {
  dialer: Dialer;
  gateway: AgentGateway;
  stop(): Promise<void>;
}

/** How often the dialer looks at the campaigns table (start, pause, stop from any node). */
const SYNC_MS = 2000;

/** Agents' phone URIs by user id, learnt when they log in (the SIP carrier asks synchronously when it bridges). */
export class AgentPhones {
  private readonly byId = new Map<string, string>();
  constructor(private readonly agents: Extract<Config['telephony'], { carrier: 'sip' }>['agents']) {}
  uriFor(username: string): string {
    return this.agents.phones[username] ?? this.agents.uriTemplate.replace('{username}', encodeURIComponent(username));
  }
  learn(userId: string, username: string): void {
    this.byId.set(userId, this.uriFor(username));
  }
  get(userId: string): string | null {
    return this.byId.get(userId) ?? null;
  }
}

/** A trunk from the trunks API as the SIP carrier takes it. */
function trunkConfigOf(r: TrunkRow): TrunkConfig {
  return {
    name: r.name,
    uri: r.uri,
    transport: r.transport,
    maxChannels: r.maxChannels,
    callsPerSecond: r.callsPerSecond,
    ...(r.username !== null && r.password !== null ? { username: r.username, password: r.password } : {}),
  };
}

/** The one place the carrier is chosen: every kind in the configuration must be handled here. */
async function createCarrier(
  platform: Platform,
  phones: AgentPhones | null,
  logger: Logger,
): Promise<{ telephony: Telephony; sip: SipCarrier | null; stop: () => Promise<void> }> {
  const t = platform.config.telephony;
  const log = logger.child({ component: 'telephony' });
  const line = (m: string) => log.info({}, m);
  switch (t.carrier) {
    case 'simulated': {
      const carrier = new SimulatedCarrier(
        { ...defaultSimulatedCarrier, ...platform.config.simulatedCarrier },
        realScheduler,
        Math.random,
      );
      return { telephony: carrier, sip: null, stop: () => Promise.resolve() };
    }
    case 'sip': {
      const recordings =
        t.recordings.enabled && t.rtpengine.recordingDir
          ? new PcapRecordings({ spool: t.rtpengine.recordingDir, dir: t.recordings.dir })
          : null;
      const carrier = new SipCarrier(
        {
          sip: t.sip,
          rtpengine: { host: t.rtpengine.host, port: t.rtpengine.port },
          mediaHost: t.mediaHost,
          trunks: t.trunks,
          ...(t.defaultTrunk ? { defaultTrunk: t.defaultTrunk } : {}),
          resolveTrunk: async (orgId, name) => {
            const r = (await platform.repos.telephony.listTrunks(orgId)).find((x) => x.name === name);
            return r ? trunkConfigOf(r) : null;
          },
          agents: { uri: (id) => phones?.get(id) ?? null, ...(t.agents.proxy ? { proxy: t.agents.proxy } : {}) },
          prompts: t.prompts,
          recording: {
            enabled: recordings !== null,
            ...(recordings ? { convert: (a: string, b: string, c: string | null) => recordings.convert(a, b, c) } : {}),
          },
          log: line,
          journalDir: join(platform.config.dataDir, 'sip-dialogs'),
        },
        realScheduler,
      );
      await carrier.start();
      log.info(
        { host: t.sip.host, port: carrier.sipPort, trunks: t.trunks.map((x) => x.name) },
        `SIP carrier on ${t.sip.host}:${carrier.sipPort}, trunks ${t.trunks.map((x) => x.name).join(', ')}`,
      );
      return { telephony: carrier, sip: carrier, stop: () => carrier.stop() };
    }
    case 'freeswitch': {
      const esl = new EslCarrier(
        {
          ...t.esl,
          customerDialString: t.customerDialString,
          agentDialString: t.agentDialString,
          prompts: t.prompts,
          log: line,
        },
        realScheduler,
      );
      await esl.start();
      log.info(
        { host: t.esl.host, port: t.esl.port },
        `FreeSWITCH carrier over the event socket at ${t.esl.host}:${t.esl.port}`,
      );
      return { telephony: esl, sip: null, stop: () => Promise.resolve(esl.stop()) };
    }
    default: {
      const never: never = t;
      throw new Error(`unknown carrier ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The dialer of this node, on the configured carrier (simulated by default, SIP). In
 * demo mode the simulator also plays the last `simulatedAgents` demo agents (agent20 downwards),
 * so a started campaign really dials, connects and wraps up; the others log in over the API.
 */
export async function startDialer(
  platform: Platform,
  opts: { simulatedAgents: number; logger: Logger },
): Promise<RunningDialer> {
  const log = opts.logger.child({ component: 'dialer' });
  const tlog = opts.logger.child({ component: 'telephony' });
  const t = platform.config.telephony;
  const phones = t.carrier === 'sip' ? new AgentPhones(t.agents) : null;
  const carrier = await createCarrier(platform, phones, opts.logger);
  const dialer = new Dialer({
    repos: platform.repos,
    telephony: carrier.telephony,
    scheduler: realScheduler,
    attempts: platform.services.attempts,
    campaigns: platform.services.campaigns,
    bus: platform.services.events,
    logger: opts.logger,
  });
  const gateway = new AgentGateway(
    {
      dialer,
      repos: platform.repos,
      dispositions: platform.services.dispositions,
      questionnaires: platform.services.questionnaires,
      contactsApi: platform.services.contactsApi,
      pii: platform.services.pii,
      scheduler: realScheduler,
      logger: opts.logger,
    },
    {},
  );
  gateway.start();
  if (phones) {
    // An agent's phone is known from the moment they log in (before any call can be routed to them).
    dialer.bus.subscribe((e) => {
      if (e.type !== 'AgentStateChanged' || phones.get(e.agentId)) return;
      const orgId = dialer.desk.get(e.agentId)?.orgId;
      if (!orgId) return;
      void platform.repos.users
        .get(orgId, e.agentId)
        .then((u) => u && phones.learn(u.id, u.username))
        .catch((err: unknown) => tlog.error({ err, agentId: e.agentId }, "looking up an agent's phone failed"));
    });
  }
  const timers: ReturnType<typeof setInterval>[] = [];
  const sip = carrier.sip;
  if (sip) {
    const svc = platform.services.telephony;
    const fail = (what: string) => (err: unknown) => tlog.error({ err }, `${what} failed`);
    // What the carrier learns about a call that the attempt row keeps: AMD's time, the recording.
    sip.subscribe((e) => {
      if (e.type === 'answered' && e.amdMs !== undefined)
        void platform.repos.telephony.setAmdMs(e.callId, e.amdMs).catch(fail(`AMD time of ${e.callId}`));
      if (e.type === 'recorded')
        void svc.recordingStored(e.callId, e.path, e.durationMs).catch(fail(`recording of ${e.callId}`));
    });
    // The organisations' trunks (trunks API) reach the carrier within seconds of a change.
    const syncTrunks = () =>
      platform.repos.telephony
        .allTrunks()
        .then((rows) => sip.setOrgTrunks(rows.map((r) => ({ orgId: r.orgId, ...trunkConfigOf(r) }))))
        .catch(fail('trunks'));
    await syncTrunks();
    timers.push(setInterval(() => void syncTrunks(), 5000));
    // Recordings past their retention go, file and row, every hour.
    const sweep = () =>
      void svc
        .sweepRecordings((path) => rm(path, { force: true }))
        .then((n) => n && tlog.info({ removed: n }, `removed ${n} recordings past their retention`))
        .catch(fail('recording retention'));
    sweep();
    timers.push(setInterval(sweep, 3_600_000));
    for (const t of timers) t.unref();
  }
  let agents: SimulatedAgents | undefined;
  let stopDemo: (() => void) | undefined;
  if (opts.simulatedAgents > 0) {
    const org = await platform.repos.users.firstOrganisation();
    const demo = org ? await platform.repos.org.listAgents(org.id) : [];
    const picked = demo
      .filter((a) => /^agent\d+$/.test(a.username))
      .sort((a, b) => b.username.localeCompare(a.username))
      .slice(0, opts.simulatedAgents);
    if (picked.length) {
      agents = new SimulatedAgents(dialer, realScheduler, () => 5000 + Math.random() * 10_000);
      agents.login(
        picked.map((a) => ({
          id: a.userId,
          orgId: org!.id,
          skills: Object.fromEntries(a.skills.map((s) => [s.code, s.level])),
        })),
      );
      log.info({ agents: picked.map((a) => a.username) }, `simulated agents ready: ${picked.length}`);
      // They answer the questionnaire and record dispositions (with orders) like people would.
      stopDemo = demoDispositions(
        { dialer, repos: platform.repos, services: platform.services, logger: opts.logger },
        picked.map((a) => a.userId),
      );
    }
  }
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void dialer
      .sync()
      .catch((err: unknown) => log.error({ err }, 'syncing with the campaigns table failed; tried again in 2 s'))
      .finally(() => (syncing = false));
  }, SYNC_MS);
  timer.unref();
  return {
    dialer,
    gateway,
    async stop() {
      clearInterval(timer);
      for (const t of timers) clearInterval(t);
      gateway.stop();
      agents?.dispose();
      stopDemo?.();
      // Calls in progress are cut by the shutdown (the SIP carrier hangs them up); their attempts
      // are closed at the next start.
      await dialer.stop();
      await carrier.stop();
    },
  };
}
