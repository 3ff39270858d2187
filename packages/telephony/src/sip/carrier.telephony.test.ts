/**
 * The SIP carrier against real SIP software on loopback (npm run test:telephony): baresip
 * customers behind a Kamailio "carrier" that demands digest auth, a baresip desk phone behind
 * the agents' Kamailio, rtpengine anchoring every call. Skips (saying which) only when a binary
 * is missing.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../media/recording.ts';
import { toneSeconds } from '../media/tones.ts';
import { missingBinaries } from '../peers/peers.ts';
import { EventLog, NUMBERS, PORTS, TONES, TRUNK, startRig, type Rig } from '../peers/rig.ts';
import type { SipCarrier } from './carrier.ts';

const missing = missingBinaries(['baresip', 'rtpengine', 'kamailio', 'sox']);
if (missing.length) console.warn(`telephony tests skipped: missing ${missing.join(', ')} (see docs/telephony.md)`);

let seq = 0;
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const id = (what: string) => `${what}-${process.pid}-${++seq}`;

describe.skipIf(missing.length > 0)('SIP carrier against baresip, Kamailio and rtpengine', () => {
  let rig: Rig;
  let carrier: SipCarrier;
  let log: EventLog;

  beforeAll(async () => {
    rig = await startRig();
    carrier = await rig.carrier();
    log = new EventLog(carrier);
  }, 60_000);
  afterAll(async () => rig?.stop());

  const dial = (to: string, over: { ringTimeoutMs?: number; amd?: boolean } = {}) => {
    const callId = id('call');
    carrier.originate({
      callId,
      to,
      callerId: '+861088880000',
      ringTimeoutMs: over.ringTimeoutMs ?? 15_000,
      amd: over.amd ?? false,
    });
    return callId;
  };

  it('an answered call rings, answers (after digest auth at the trunk) and ends when we hang up', async () => {
    const c = dial(NUMBERS.answers);
    await log.next(c, 'ringing');
    const a = await log.next(c, 'answered');
    expect(a.amd).toBe('unknown');
    carrier.hangup(c, 'agent_hangup');
    const e = await log.next(c, 'ended');
    expect(e).toMatchObject({ cause: 'agent_hangup', sipCode: 200 });
    expect(carrier.activeCalls).toBe(0);
    expect(carrier.trunkUsage()['carrier']!.channels).toBe(0);
  });

  it('a refused call is busy (486), an unknown number failed (404), a call nobody answers is cancelled at the ring timeout (487)', async () => {
    const busy = dial(NUMBERS.refuses);
    await log.next(busy, 'ringing');
    await rig.customers.refuses.command('hangup');
    expect(await log.next(busy, 'ended')).toMatchObject({ cause: 'busy', sipCode: 486, reason: 'busy' });

    const unknown = dial(NUMBERS.unknown);
    expect(await log.next(unknown, 'ended')).toMatchObject({ cause: 'failed', sipCode: 404, reason: 'not_found' });

    const t0 = Date.now();
    const ring = dial(NUMBERS.ringsOut, { ringTimeoutMs: 2500 });
    await log.next(ring, 'ringing');
    expect(await log.next(ring, 'ended')).toMatchObject({ cause: 'no_answer', sipCode: 487, reason: 'ring_timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
    expect(Date.now() - t0).toBeLessThan(6000);
  });

  it('the dialer withdrawing a ringing call ends it as cancelled', async () => {
    const c = dial(NUMBERS.ringsOut);
    await log.next(c, 'ringing');
    carrier.hangup(c, 'cancelled');
    expect(await log.next(c, 'ended')).toMatchObject({ cause: 'cancelled', sipCode: 487 });
  });

  it('wrong trunk credentials fail as auth_failed; a trunk with nothing listening on TCP as a transport error', async () => {
    const bad = await rig.carrier({
      trunks: [
        {
          name: 'carrier',
          uri: `sip:127.0.0.1:${PORTS.carrier}`,
          transport: 'udp',
          username: TRUNK.user,
          password: 'wrong',
          maxChannels: 2,
          callsPerSecond: 5,
        },
      ],
    });
    const badLog = new EventLog(bad);
    bad.originate({
      callId: 'auth-1',
      to: NUMBERS.answers,
      callerId: '+861088880000',
      ringTimeoutMs: 10_000,
      amd: false,
    });
    expect(await badLog.next('auth-1', 'ended')).toMatchObject({ cause: 'failed', reason: 'auth_failed' });

    const dead = await rig.carrier({
      trunks: [{ name: 'dead', uri: 'sip:127.0.0.1:9', transport: 'tcp', maxChannels: 2, callsPerSecond: 5 }],
    });
    const deadLog = new EventLog(dead);
    dead.originate({
      callId: 'tcp-1',
      to: NUMBERS.answers,
      callerId: '+861088880000',
      ringTimeoutMs: 10_000,
      amd: false,
    });
    expect(await deadLog.next('tcp-1', 'ended')).toMatchObject({
      cause: 'failed',
      sipCode: 503,
      reason: 'transport_error',
    });
  });

  it('a trunk over its channel limit refuses the extra call as trunk_full', async () => {
    const small = await rig.carrier({
      trunks: [
        {
          name: 'small',
          uri: `sip:127.0.0.1:${PORTS.carrier}`,
          transport: 'udp',
          username: TRUNK.user,
          password: TRUNK.pass,
          maxChannels: 1,
          callsPerSecond: 5,
        },
      ],
    });
    const l = new EventLog(small);
    small.originate({
      callId: 'ch-1',
      to: NUMBERS.ringsOut,
      callerId: '+861088880000',
      ringTimeoutMs: 10_000,
      amd: false,
    });
    small.originate({
      callId: 'ch-2',
      to: NUMBERS.answers,
      callerId: '+861088880000',
      ringTimeoutMs: 10_000,
      amd: false,
    });
    expect(await l.next('ch-2', 'ended')).toMatchObject({ cause: 'failed', sipCode: 503, reason: 'trunk_full' });
    await l.next('ch-1', 'ringing');
    small.hangup('ch-1', 'cancelled');
    await l.next('ch-1', 'ended');
  });

  it('bridges the customer to the agent desk phone: two-way audio, both parties in the recording', async () => {
    const c = dial(NUMBERS.answers);
    await log.next(c, 'answered');
    carrier.connect(c, 'agent1');
    await log.next(c, 'connected');
    await new Promise((r) => setTimeout(r, 3000));
    const q = await carrier.query(c);
    carrier.hangup(c, 'agent_hangup');
    expect(await log.next(c, 'ended')).toMatchObject({ cause: 'agent_hangup' });
    // rtpengine relayed packets from both legs.
    const tags = Object.values(
      (q?.['tags'] ?? {}) as Record<string, { medias: { streams: { stats: { packets: number } }[] }[] }>,
    );
    expect(tags).toHaveLength(2);
    for (const t of tags) expect(t.medias[0]!.streams[0]!.stats.packets).toBeGreaterThan(50);
    const rec = await log.next(c, 'recorded', 10_000);
    const wav = readWav(rec.path);
    expect(wav.channels).toHaveLength(2);
    const [customer, agent] = wav.channels as [Int16Array, Int16Array];
    // The customer's tone on the left only, the agent's on the right only.
    expect(toneSeconds(customer, 8000, TONES.customer)).toBeGreaterThan(2);
    expect(toneSeconds(agent, 8000, TONES.agent)).toBeGreaterThan(2);
    expect(toneSeconds(customer, 8000, TONES.agent)).toBe(0);
    expect(toneSeconds(agent, 8000, TONES.customer)).toBe(0);
  });

  it('the customer hanging up ends the bridged call at both ends', async () => {
    const c = dial(NUMBERS.answers);
    await log.next(c, 'answered');
    carrier.connect(c, 'agent1');
    await log.next(c, 'connected');
    await rig.customers.answers.command('hangup');
    expect(await log.next(c, 'ended')).toMatchObject({ cause: 'customer_hangup', sipCode: 200 });
    // The agent's phone got its BYE too: it takes the next call at once.
    const d = dial(NUMBERS.answers);
    await log.next(d, 'answered');
    carrier.connect(d, 'agent1');
    await log.next(d, 'connected');
    carrier.hangup(d, 'agent_hangup');
    await log.next(d, 'ended');
  });

  it('an abandoned call hears the abandon message, then is released', async () => {
    // baresip names its files by the second: start in a fresh one, take the file written since.
    await new Promise((r) => setTimeout(r, 1100));
    const t0 = Date.now() - 50;
    const c = dial(NUMBERS.answers);
    await log.next(c, 'answered');
    carrier.abandon(c);
    expect(await log.next(c, 'ended', 10_000)).toMatchObject({ cause: 'abandoned', sipCode: 200 });
    await new Promise((r) => setTimeout(r, 500));
    const heard = rig.customers.answers.recordings().filter((f) => f.endsWith('-dec.wav') && statSync(f).mtimeMs >= t0);
    expect(heard).toHaveLength(1);
    const wav = readWav(heard[0]!);
    expect(toneSeconds(wav.channels[0]!, wav.rate, TONES.prompt)).toBeGreaterThan(1.2);
  });

  it('an IVR prompt is played and the key the customer presses comes back as DTMF', async () => {
    const c = dial(NUMBERS.answers);
    await log.next(c, 'answered');
    carrier.playPrompt(c, 'ivr');
    await new Promise((r) => setTimeout(r, 500));
    await rig.customers.answers.command('sndcode', '9');
    expect(await log.next(c, 'dtmf')).toMatchObject({ digit: '9' });
    carrier.hangup(c, 'agent_hangup');
    await log.next(c, 'ended');
  });

  it('AMD calls the steady tone of this test customer a machine, with its decision time', async () => {
    const c = dial(NUMBERS.answers, { amd: true });
    const a = await log.next(c, 'answered');
    expect(a.amd).toBe('machine');
    expect(a.amdMs).toBeGreaterThan(1000);
    expect(a.amdMs).toBeLessThan(5000);
    carrier.hangup(c, 'machine_released');
    expect(await log.next(c, 'ended')).toMatchObject({ cause: 'machine_released' });
  });

  it('transfers a call blind to another agent, then attended back; each agent is heard in turn', async () => {
    const c = dial(NUMBERS.answers);
    await log.next(c, 'answered');
    carrier.connect(c, 'agent1');
    await log.next(c, 'connected');
    await new Promise((r) => setTimeout(r, 1500));
    carrier.transfer(c, 'agent3', 'blind');
    await until(() => log.of(c).filter((e) => e.type === 'connected').length === 2);
    expect(
      log
        .of(c)
        .filter((e) => e.type === 'connected')
        .map((e) => e.type === 'connected' && e.agentId),
    ).toEqual(['agent1', 'agent3']);
    await new Promise((r) => setTimeout(r, 1500));
    carrier.transfer(c, 'agent1', 'attended');
    await until(() => log.of(c).filter((e) => e.type === 'connected').length === 3);
    await new Promise((r) => setTimeout(r, 1500));
    carrier.hangup(c, 'agent_hangup');
    await log.next(c, 'ended');
    const [, agents] = readWav((await log.next(c, 'recorded')).path).channels as [Int16Array, Int16Array];
    expect(toneSeconds(agents, 8000, TONES.agent)).toBeGreaterThan(2);
    expect(toneSeconds(agents, 8000, TONES.agent3)).toBeGreaterThan(1);
  });

  it('on hold neither side hears the other; off hold they do again', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const t0 = Date.now() - 50;
    const c = dial(NUMBERS.answers);
    await log.next(c, 'answered');
    carrier.connect(c, 'agent1');
    await log.next(c, 'connected');
    carrier.hold(c, true);
    await new Promise((r) => setTimeout(r, 2500));
    carrier.hold(c, false);
    await new Promise((r) => setTimeout(r, 1500));
    carrier.hangup(c, 'agent_hangup');
    await log.next(c, 'ended');
    await new Promise((r) => setTimeout(r, 300));
    const heard = rig.customers.answers.recordings().filter((f) => f.endsWith('-dec.wav') && statSync(f).mtimeMs >= t0);
    expect(heard).toHaveLength(1);
    const wav = readWav(heard[0]!);
    const agentHeard = toneSeconds(wav.channels[0]!, wav.rate, TONES.agent);
    // About 1.5 s off hold, not the 4 s of the call.
    expect(agentHeard).toBeGreaterThan(0.8);
    expect(agentHeard).toBeLessThan(2.5);
  });
});
