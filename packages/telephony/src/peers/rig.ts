/**
 * The loopback telephony rig of `npm run test:telephony` and the SIP benchmark: rtpengine, a
 * carrier stand-in (Kamailio with digest auth, customers registered under their numbers), the
 * agents' registrar (Kamailio with WebSocket), baresip customers who answer / refuse / ring
 * out, and a baresip agent desk phone that answers by itself. Each side sends its own tone so a
 * recording shows which way audio flowed.
 */
import { join } from 'node:path';
import { realScheduler, type Scheduler, type TelephonyEvent } from '@outdial/engine';
import { PcapRecordings } from '../media/recording.ts';
import { SipCarrier, type SipCarrierConfig } from '../sip/carrier.ts';
import {
  makeTone,
  startBaresip,
  startKamailio,
  startRtpengine,
  tempDir,
  type Baresip,
  type Proc,
  type Rtpengine,
} from './peers.ts';

export const PORTS = {
  rtpengineNg: 22_230,
  rtpMin: 31_000,
  rtpMax: 31_399,
  carrier: 15_090,
  agents: 15_060,
  ws: 18_088,
};

export const NUMBERS = {
  answers: '+8613800000001',
  refuses: '+8613800000002',
  ringsOut: '+8613800000003',
  unknown: '+8613899999999',
};

export const TRUNK = { realm: 'carrier.test', user: 'outdial', pass: 's3cret-trunk' };

export const TONES = { customer: 440, agent: 1000, agent3: 1500, prompt: 600, ivr: 800 };

export interface Rig {
  dir: string;
  rtpengine: Rtpengine;
  carrierProxy: Proc;
  agentsProxy: Proc;
  customers: Record<'answers' | 'refuses' | 'ringsOut', Baresip>;
  agentPhone: Baresip;
  /** A second desk phone (agent3), for transfers. */
  agent3Phone: Baresip;
  prompts: { abandon: string; ivr: string };
  recordings: PcapRecordings;
  /** A SipCarrier on this rig (SIP on a free port), started. */
  carrier(over?: Partial<SipCarrierConfig>, scheduler?: Scheduler): Promise<SipCarrier>;
  stop(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const dir = tempDir('rig');
  const started: Proc[] = [];
  try {
    const rtpengine = await startRtpengine({ ngPort: PORTS.rtpengineNg, portMin: PORTS.rtpMin, portMax: PORTS.rtpMax });
    started.push(rtpengine);
    const carrierProxy = await startKamailio('carrier-sim', {
      SIP_PORT: PORTS.carrier,
      REALM: TRUNK.realm,
      TRUNK_USER: TRUNK.user,
      TRUNK_PASS: TRUNK.pass,
    });
    started.push(carrierProxy);
    const agentsProxy = await startKamailio('agents', {
      SIP_PORT: PORTS.agents,
      WS_PORT: PORTS.ws,
      RTPENGINE: `udp:127.0.0.1:${PORTS.rtpengineNg}`,
      DOMAIN: '127.0.0.1',
    });
    started.push(agentsProxy);
    const customerTone = makeTone(join(dir, 'customer.wav'), TONES.customer, 120);
    const agentTone = makeTone(join(dir, 'agent.wav'), TONES.agent, 120);
    const customer = (name: string, n: number, user: string, answer: 'auto' | 'manual') =>
      startBaresip({
        name,
        port: 25_060 + n * 4,
        ctrlPort: 24_440 + n,
        rtpPorts: [40_000 + n * 20, 40_019 + n * 20],
        user,
        answer,
        registrar: `127.0.0.1:${PORTS.carrier}`,
        source: customerTone,
      });
    const answers = await customer('answers', 0, NUMBERS.answers, 'auto');
    started.push(answers);
    const refuses = await customer('refuses', 1, NUMBERS.refuses, 'manual');
    started.push(refuses);
    const ringsOut = await customer('ringsOut', 2, NUMBERS.ringsOut, 'manual');
    started.push(ringsOut);
    const agentPhone = await startBaresip({
      name: 'agent1',
      port: 25_100,
      ctrlPort: 24_460,
      rtpPorts: [40_200, 40_219],
      user: 'agent1',
      answer: 'auto',
      registrar: `127.0.0.1:${PORTS.agents}`,
      source: agentTone,
    });
    started.push(agentPhone);
    const agent3Phone = await startBaresip({
      name: 'agent3',
      port: 25_104,
      ctrlPort: 24_461,
      rtpPorts: [40_220, 40_239],
      user: 'agent3',
      answer: 'auto',
      registrar: `127.0.0.1:${PORTS.agents}`,
      source: makeTone(join(dir, 'agent3.wav'), TONES.agent3, 120),
    });
    started.push(agent3Phone);
    const prompts = {
      abandon: makeTone(join(dir, 'abandon.wav'), TONES.prompt, 2),
      ivr: makeTone(join(dir, 'ivr.wav'), TONES.ivr, 2),
    };
    const recordings = new PcapRecordings({ spool: rtpengine.recordingDir, dir: join(dir, 'recordings') });
    const carriers: SipCarrier[] = [];
    return {
      dir,
      rtpengine,
      carrierProxy,
      agentsProxy,
      customers: { answers, refuses, ringsOut },
      agentPhone,
      agent3Phone,
      prompts,
      recordings,
      async carrier(over = {}, scheduler = realScheduler) {
        const c = new SipCarrier(
          {
            sip: { host: '127.0.0.1', port: 0 },
            rtpengine: { host: '127.0.0.1', port: PORTS.rtpengineNg },
            mediaHost: '127.0.0.1',
            trunks: [
              {
                name: 'carrier',
                uri: `sip:127.0.0.1:${PORTS.carrier}`,
                transport: 'udp',
                username: TRUNK.user,
                password: TRUNK.pass,
                maxChannels: 20,
                callsPerSecond: 10,
              },
            ],
            agents: {
              uri: (id) => `sip:${id}@127.0.0.1`,
              proxy: `sip:127.0.0.1:${PORTS.agents}`,
            },
            prompts,
            recording: { enabled: true, convert: (a, b, c) => recordings.convert(a, b, c) },
            log: (m) => process.env['OUTDIAL_TELEPHONY_DEBUG'] && console.log(m),
            ...over,
          },
          scheduler,
        );
        await c.start();
        carriers.push(c);
        return c;
      },
      async stop() {
        for (const c of carriers) await c.stop().catch(() => undefined);
        for (const p of started.reverse()) await p.stop();
      },
    };
  } catch (err) {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
    throw err;
  }
}

/** Collects a carrier's events; `next` waits for one that matches. */
export class EventLog {
  readonly events: TelephonyEvent[] = [];
  private waiters: { match: (e: TelephonyEvent) => boolean; resolve: (e: TelephonyEvent) => void }[] = [];

  constructor(carrier: { subscribe(l: (e: TelephonyEvent) => void): () => void }) {
    carrier.subscribe((e) => {
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(e)) return true;
        w.resolve(e);
        return false;
      });
    });
  }

  next<T extends TelephonyEvent['type']>(
    callId: string,
    type: T,
    timeoutMs = 10_000,
  ): Promise<Extract<TelephonyEvent, { type: T }>> {
    const seen = this.events.find((e) => e.callId === callId && e.type === type);
    if (seen) return Promise.resolve(seen as Extract<TelephonyEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `no ${type} for ${callId} in ${timeoutMs} ms; saw ${JSON.stringify(this.events.filter((e) => e.callId === callId))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        match: (e) => e.callId === callId && e.type === type,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e as Extract<TelephonyEvent, { type: T }>);
        },
      });
    });
  }

  of(callId: string): TelephonyEvent[] {
    return this.events.filter((e) => e.callId === callId);
  }
}
