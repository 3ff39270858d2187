import type { EndCause, EndReason, OriginateRequest, Scheduler, Telephony, TelephonyEvent } from '@outdial/engine';
import { parse as parseSdp } from 'sdp-transform';
import { EnergyAmd, type AmdVerdict, type EnergyAmdOptions } from '../media/amd.ts';
import { MediaEndpoint } from '../media/rtp.ts';
import { NgClient, sdpOf, type NgDict } from '../rtpengine/ng.ts';
import { SipTransport, type TransportKind } from './transport.ts';
import type { SipTimers } from './transaction.ts';
import { DialogJournal } from './journal.ts';
import { Trunk, type TrunkConfig } from './trunk.ts';
import { SipUserAgent, type InviteFailure, type OutgoingCall } from './ua.ts';

export interface SipCarrierConfig {
  /** Our SIP address (UDP and TCP on the same port). */
  sip: { host: string; port: number };
  /** rtpengine's control ("ng") address. */
  rtpengine: { host: string; port: number };
  /** Address of our own media endpoints (AMD, DTMF), where rtpengine sends a call's audio before an agent takes it. */
  mediaHost: string;
  trunks: TrunkConfig[];
  /** Trunk for calls that name none (default: the first). */
  defaultTrunk?: string;
  /** An organisation's trunk by name, for a call naming one not (yet) given by `setOrgTrunks`. */
  resolveTrunk?: (orgId: string, name: string) => Promise<TrunkConfig | null>;
  agents: {
    /** The agent's phone: a SIP URI (registered at the registrar, or a fixed address), null if they have none. */
    uri: (agentId: string) => string | null;
    /** Send agent calls through this proxy/registrar (`sip:host:port`), else straight to the URI's host. */
    proxy?: string;
    transport?: TransportKind;
    /** How long an agent's phone may take to answer the bridge, ms. */
    answerTimeoutMs?: number;
  };
  /** WAV files (8 kHz mono PCM) rtpengine can read: the abandon message, and IVR prompts by name. */
  prompts: { abandon: string } & Record<string, string>;
  /** Record calls (rtpengine `record call`): pcap written by rtpengine, turned into WAV by `recordings`. */
  recording?: {
    enabled: boolean;
    /** Turns rtpengine's pcap into the stored recording (`PcapRecordings.convert`). */
    convert?: (
      sipCallId: string,
      name: string,
      customerMedia: string | null,
    ) => Promise<{ path: string; durationMs: number } | null>;
  };
  amd?: Partial<EnergyAmdOptions>;
  timers?: SipTimers;
  /** Folder of the dialog journal: legs up are written there, and ended (BYE) at the next start after a crash. */
  journalDir?: string;
  log?: (m: string) => void;
}

type Phase = 'placing' | 'ringing' | 'detecting' | 'answered' | 'connecting' | 'connected' | 'releasing' | 'ended';

interface Call {
  id: string;
  trunk: Trunk;
  phase: Phase;
  ringingSent: boolean;
  leg: OutgoingCall | null;
  agentLeg: OutgoingCall | null;
  /** An agent's phone being called (a bridge or a transfer) that has not answered yet. */
  pendingLeg: OutgoingCall | null;
  onHold: boolean;
  agentId: string | null;
  media: MediaEndpoint;
  /** Our tag in rtpengine's view of the call (the platform side), and the customer's. */
  aTag: string;
  bTag: string | null;
  sipCallId: string;
  customerSdp: string | null;
  /** rtpengine's SDP facing the platform side (what our endpoint, then the agent, talks to). */
  aSdp: string | null;
  bSdp: string | null;
  ringTimer: unknown;
  amdTimer: unknown;
  /** Why we cancelled before an answer: the ring timeout, or the dialer's withdrawal. */
  cancelCause: 'no_answer' | 'cancelled' | null;
  /** Why we hung up an answered call. */
  releaseCause: EndCause | null;
  releaseReason: EndReason | null;
  amd: boolean;
  promptTimer: unknown;
}

/** Flags toward the customer (plain RTP/AVP) and the platform side. */
const PLAIN = {
  replace: ['origin', 'session-connection'],
  ICE: 'remove',
  'transport-protocol': 'RTP/AVP',
  'rtcp-mux': ['demux'],
} satisfies NgDict;

/**
 * Real telephony behind the dialer's port: customers are called over a SIP trunk (our own SIP
 * core, ADR 0016), media anchored in rtpengine for both legs, agents' phones are called and
 * bridged when the dialer connects a call. Before an agent takes a call its audio comes to a
 * media endpoint of ours, where answering-machine detection and DTMF run; prompts (abandon
 * message, IVR) are played by rtpengine.
 */
export class SipCarrier implements Telephony {
  private readonly calls = new Map<string, Call>();
  private readonly listeners = new Set<(e: TelephonyEvent) => void>();
  private readonly trunks = new Map<string, Trunk>();
  private transport!: SipTransport;
  private ua!: SipUserAgent;
  private ng!: NgClient;
  private sessionSeq = Math.floor(Date.now() / 1000);

  constructor(
    private readonly cfg: SipCarrierConfig,
    private readonly scheduler: Scheduler,
  ) {
    for (const t of cfg.trunks) this.trunks.set(t.name, new Trunk(t, scheduler));
    if (this.trunks.size === 0) throw new Error('the SIP carrier needs at least one trunk');
    if (cfg.defaultTrunk && !this.trunks.has(cfg.defaultTrunk))
      throw new Error(`default trunk "${cfg.defaultTrunk}" is not configured`);
  }

  private log(m: string): void {
    this.cfg.log?.(m);
  }

  async start(): Promise<void> {
    this.transport = new SipTransport({ host: this.cfg.sip.host, port: this.cfg.sip.port, log: (m) => this.log(m) });
    await this.transport.start();
    this.ua = new SipUserAgent({
      transport: this.transport,
      scheduler: this.scheduler,
      ...(this.cfg.timers ? { timers: this.cfg.timers } : {}),
      log: (m) => this.log(m),
    });
    this.ng = new NgClient({ ...this.cfg.rtpengine, log: (m) => this.log(m) });
    await this.ng.ping();
    if (this.cfg.journalDir) {
      this.journal = new DialogJournal(this.cfg.journalDir);
      await this.endLeftovers(this.journal);
    }
  }

  private journal: DialogJournal | null = null;

  /** Calls a crashed process left up: BYE each leg, free its media. */
  private async endLeftovers(journal: DialogJournal): Promise<void> {
    const left = journal.leftovers((f, err) => this.log(`dialog journal: ${f} unreadable (${String(err)}); skipped`));
    if (left.length === 0) return;
    const results = await Promise.all(
      left.map(async ({ key, dialog }) => {
        const status = await this.ua.byeDialog(dialog);
        if (dialog.rtpCallId) await this.ng.command('delete', { 'call-id': dialog.rtpCallId }).catch(() => undefined);
        journal.remove(key);
        return status;
      }),
    );
    this.log(`ended ${left.length} call legs left up by the last run (BYE answered: ${results.join(', ')})`);
  }

  /** Keeps the journal in step with a leg: written while it is up, removed when it is not. */
  private track(call: Call, leg: 'customer' | 'agent', d: OutgoingCall | null): void {
    if (!this.journal) return;
    const key = `${call.id}-${leg}`;
    const state = d?.dialogState();
    try {
      if (state) this.journal.write(key, { ...state, rtpCallId: call.sipCallId });
      else this.journal.remove(key);
    } catch (err) {
      this.log(`dialog journal: ${key}: ${(err as Error).message}`);
    }
  }

  /**
   * The organisations' own trunks (the trunks API), keyed `orgId/name`, replacing the previous
   * set; a trunk whose settings did not change keeps its channels in use and its rate bucket.
   */
  private setOrgTrunk(orgId: string, config: TrunkConfig): void {
    const key = `${orgId}/${config.name}`;
    const cur = this.trunks.get(key);
    if (cur && JSON.stringify(cur.config) === JSON.stringify(config)) return;
    this.trunks.set(key, new Trunk(config, this.scheduler));
  }

  setOrgTrunks(list: readonly (TrunkConfig & { orgId: string })[]): void {
    const keep = new Set<string>();
    for (const t of list) {
      const key = `${t.orgId}/${t.name}`;
      keep.add(key);
      const { orgId: _org, ...config } = t;
      const cur = this.trunks.get(key);
      if (cur && JSON.stringify(cur.config) === JSON.stringify(config)) continue;
      try {
        this.trunks.set(key, new Trunk(config, this.scheduler));
      } catch (err) {
        this.log(`trunk ${key} left out: ${(err as Error).message}`);
      }
    }
    for (const key of [...this.trunks.keys()]) if (key.includes('/') && !keep.has(key)) this.trunks.delete(key);
  }

  /** The SIP port actually bound (when configured as 0). */
  get sipPort(): number {
    return this.transport.port;
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  /** Channels in use per trunk. */
  trunkUsage(): Record<string, { channels: number; maxChannels: number }> {
    return Object.fromEntries(
      [...this.trunks].map(([n, t]) => [n, { channels: t.channels, maxChannels: t.config.maxChannels }]),
    );
  }

  subscribe(listener: (e: TelephonyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: TelephonyEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log(`telephony listener failed on ${e.type} ${e.callId}: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }

  originate(req: OriginateRequest): void {
    if (this.calls.has(req.callId)) throw new Error(`call ${req.callId} is already in progress`);
    const name = req.trunk ?? this.cfg.defaultTrunk ?? this.cfg.trunks[0]!.name;
    const key = req.orgId && req.trunk ? `${req.orgId}/${req.trunk}` : null;
    const trunk = (key ? this.trunks.get(key) : undefined) ?? this.trunks.get(name);
    const media = new MediaEndpoint(this.cfg.mediaHost);
    const call: Call = {
      id: req.callId,
      trunk: trunk ?? this.trunks.values().next().value!,
      phase: 'placing',
      ringingSent: false,
      leg: null,
      agentLeg: null,
      pendingLeg: null,
      onHold: false,
      agentId: null,
      media,
      aTag: `od${req.callId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`,
      bTag: null,
      sipCallId: `${req.callId}@outdial`,
      customerSdp: null,
      aSdp: null,
      bSdp: null,
      ringTimer: undefined,
      amdTimer: undefined,
      cancelCause: null,
      releaseCause: null,
      releaseReason: null,
      amd: req.amd,
      promptTimer: undefined,
    };
    this.calls.set(req.callId, call);
    const resolve = this.cfg.resolveTrunk;
    if (!trunk && key && resolve) {
      // A trunk made a moment ago (the API) that the periodic sync has not brought yet.
      void resolve(req.orgId!, req.trunk!)
        .then((t) => {
          if (t) this.setOrgTrunk(req.orgId!, t);
          this.begin(call, req, this.trunks.get(key));
        })
        .catch((err: unknown) => {
          this.log(`call ${req.callId}: looking up trunk "${req.trunk}": ${(err as Error).message}`);
          this.begin(call, req, undefined);
        });
      return;
    }
    this.begin(call, req, trunk);
  }

  /** Seizes a channel of the call's trunk and places it (or ends it at once: unknown trunk, trunk full). */
  private begin(call: Call, req: OriginateRequest, trunk: Trunk | undefined): void {
    if (call.phase === 'ended') return;
    if (!trunk) {
      this.log(`call ${req.callId}: unknown trunk "${req.trunk}"`);
      return this.later(() => this.end(call, 'failed', 503, 'rejected', false));
    }
    call.trunk = trunk;
    if (!trunk.seize()) {
      this.log(`call ${req.callId}: trunk ${trunk.config.name} is full (${trunk.config.maxChannels} channels)`);
      return this.later(() => this.end(call, 'failed', 503, 'trunk_full', false));
    }
    // The ring timeout runs from the dial, as the dialer counts it.
    call.ringTimer = this.scheduler.setTimeout(() => this.ringTimeout(call), req.ringTimeoutMs);
    void this.place(call, req).catch((err: unknown) => {
      this.log(`call ${req.callId}: could not be placed: ${(err as Error).message}`);
      this.end(call, 'failed', 503, 'media_error');
    });
  }

  /** Emits from a fresh turn, as a network event would come (the dialer is not re-entered). */
  private later(fn: () => void): void {
    this.scheduler.setTimeout(fn, 0);
  }

  private async place(call: Call, req: OriginateRequest): Promise<void> {
    await call.media.open();
    const offered = await this.ng.command('offer', {
      'call-id': call.sipCallId,
      'from-tag': call.aTag,
      sdp: call.media.offer(++this.sessionSeq),
      ...PLAIN,
      ...(this.cfg.recording?.enabled ? { 'record call': 'yes' } : {}),
    });
    if (this.ended(call)) return;
    call.bSdp = sdpOf(offered, 'offer');
    if (!(await call.trunk.turn())) {
      this.log(`call ${call.id}: trunk ${call.trunk.config.name} over its ${call.trunk.config.callsPerSecond} calls/s`);
      return this.end(call, 'failed', 503, 'congestion');
    }
    if (this.ended(call)) return;
    const t = call.trunk;
    const number = req.to.replace(/[^+0-9*#]/g, '');
    const caller = req.callerId.replace(/[^+0-9]/g, '') || 'anonymous';
    const creds =
      t.config.username !== undefined && t.config.password !== undefined
        ? { username: t.config.username, password: t.config.password }
        : undefined;
    call.leg = this.ua.invite(
      {
        callId: call.sipCallId,
        target: `sip:${number}@${t.domain};user=phone`,
        nextHop: t.next,
        from: { uri: `sip:${caller}@${t.domain}`, display: caller },
        to: `sip:${number}@${t.domain}`,
        sdp: call.bSdp,
        ...(creds ? { credentials: creds } : {}),
        headers: { 'P-Asserted-Identity': `<sip:${caller}@${t.domain}>` },
      },
      {
        progress: (status, sdp) => this.onProgress(call, status, sdp),
        answered: (sdp) => void this.onAnswered(call, sdp).catch((err: unknown) => this.mediaFailed(call, err)),
        failed: (f) => this.onFailed(call, f),
        ended: (by) => this.onLegEnded(call, 'customer', by),
        reoffer: () => call.bSdp,
        info: (type, body) => this.onInfo(call, type, body),
      },
    );
  }

  private ended(call: Call): boolean {
    return call.phase === 'ended';
  }

  private onProgress(call: Call, status: number, sdp: string | null): void {
    if (this.ended(call)) return;
    if (call.phase === 'placing') call.phase = 'ringing';
    if (!call.ringingSent && (status === 180 || status === 183 || sdp)) {
      call.ringingSent = true;
      this.emit({ type: 'ringing', callId: call.id, at: this.scheduler.now() });
    }
    if (sdp && call.leg?.remoteTag) {
      // Early media: anchor it now, so ringback/announcements reach our endpoint.
      void this.answerMedia(call, sdp).catch((err: unknown) =>
        this.log(`call ${call.id}: early media: ${String(err)}`),
      );
    }
  }

  private async answerMedia(call: Call, sdp: string): Promise<void> {
    call.bTag = call.leg!.remoteTag;
    call.customerSdp = sdp;
    call.media.learn(sdp);
    const r = await this.ng.command('answer', {
      'call-id': call.sipCallId,
      'from-tag': call.aTag,
      'to-tag': call.bTag!,
      sdp,
      ...PLAIN,
    });
    call.aSdp = sdpOf(r, 'answer');
  }

  private async onAnswered(call: Call, sdp: string): Promise<void> {
    if (this.ended(call)) return;
    this.track(call, 'customer', call.leg);
    this.scheduler.clearTimeout(call.ringTimer);
    call.phase = 'detecting';
    if (!call.ringingSent) {
      call.ringingSent = true;
      this.emit({ type: 'ringing', callId: call.id, at: this.scheduler.now() });
    }
    await this.answerMedia(call, sdp || call.customerSdp || '');
    if (this.ended(call) || call.phase !== 'detecting') return;
    call.media.onDigit((digit) => {
      if (call.phase === 'answered' || call.phase === 'releasing')
        this.emit({ type: 'dtmf', callId: call.id, at: this.scheduler.now(), digit });
    });
    if (!call.amd) return this.reportAnswer(call, null);
    const amd = new EnergyAmd(this.cfg.amd);
    const started = this.scheduler.now();
    const decide = (v: AmdVerdict) => {
      stop();
      this.scheduler.clearTimeout(call.amdTimer);
      if (call.phase === 'detecting') this.reportAnswer(call, v);
    };
    const stop = call.media.onAudio((samples) => {
      const v = amd.feed(samples);
      if (v) decide(v);
    });
    // Silence is no audio on some paths (no RTP at all): decide by the clock too.
    const total = this.cfg.amd?.totalMs ?? 5000;
    call.amdTimer = this.scheduler.setTimeout(() => {
      const v = amd.finish();
      decide({ ...v, afterMs: this.scheduler.now() - started });
    }, total + 200);
  }

  private reportAnswer(call: Call, v: AmdVerdict | null): void {
    call.phase = 'answered';
    if (v) this.log(`call ${call.id}: AMD ${v.result} after ${v.afterMs} ms (${v.reason})`);
    this.emit({
      type: 'answered',
      callId: call.id,
      at: this.scheduler.now(),
      amd: v ? v.result : 'unknown',
      ...(v ? { amdMs: v.afterMs } : {}),
    });
  }

  private mediaFailed(call: Call, err: unknown): void {
    this.log(`call ${call.id}: media relay failed: ${(err as Error).message}`);
    call.releaseCause = 'failed';
    call.releaseReason = 'media_error';
    call.leg?.bye();
    call.agentLeg?.bye();
    this.end(call, 'failed', 503, 'media_error');
  }

  private ringTimeout(call: Call): void {
    if (call.phase !== 'placing' && call.phase !== 'ringing') return;
    call.cancelCause = 'no_answer';
    if (call.leg) call.leg.cancel();
    else this.end(call, 'no_answer', 487, 'ring_timeout');
  }

  private onFailed(call: Call, f: InviteFailure): void {
    if (this.ended(call)) return;
    const { cause, sip, reason } = failureOutcome(f, call.cancelCause);
    if (f.kind !== 'response' || f.status !== 487) this.log(`call ${call.id}: ${describe(f)} → ${cause} (${reason})`);
    this.end(call, cause, sip, reason);
  }

  private onInfo(call: Call, type: string, body: string): void {
    // application/dtmf-relay: "Signal=9\r\nDuration=160"
    if (!/dtmf/i.test(type)) return;
    const m = /Signal\s*=\s*([0-9*#A-D])/i.exec(body) ?? /^\s*([0-9*#A-D])\s*$/i.exec(body);
    if (m && (call.phase === 'answered' || call.phase === 'releasing'))
      this.emit({ type: 'dtmf', callId: call.id, at: this.scheduler.now(), digit: m[1]!.toUpperCase() });
  }

  /** One leg hung up (or our BYE completed): the other goes too, and the call ends once. */
  private onLegEnded(
    call: Call,
    side: 'customer' | 'agent',
    by: 'remote' | 'local' | 'timeout',
    leg?: OutgoingCall,
  ): void {
    if (this.ended(call)) return;
    // A leg the call has moved on from (the first agent of a transfer) ends on its own.
    if (side === 'agent' && leg !== undefined && leg !== call.agentLeg) return;
    if (by === 'local') {
      // Our BYE: the cause was set by whoever released.
      if (side === 'customer' || !call.leg || call.leg.state === 'ended')
        return this.end(call, call.releaseCause ?? 'agent_hangup', 200, call.releaseReason ?? undefined);
      return;
    }
    if (side === 'customer') {
      call.agentLeg?.bye();
      call.pendingLeg?.cancel();
      return this.end(
        call,
        call.phase === 'releasing' && call.releaseCause ? call.releaseCause : 'customer_hangup',
        200,
      );
    }
    // The agent hung up: release the customer; the end comes with our BYE's completion.
    if (call.phase === 'connected') {
      call.releaseCause = 'agent_hangup';
      call.leg?.bye();
    }
  }

  connect(callId: string, agentId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') throw new Error(`call ${callId} is not waiting for an agent`);
    const uri = this.cfg.agents.uri(agentId);
    if (!uri) throw new Error(`agent ${agentId} has no phone configured`);
    call.phase = 'connecting';
    call.agentId = agentId;
    void this.bridge(call, agentId, uri, null).catch((err: unknown) => {
      this.log(`call ${call.id}: bridge to agent ${agentId} failed: ${(err as Error).message}`);
      this.agentUnreachable(call);
    });
  }

  /**
   * Moves a connected call to another agent's phone. Blind: the first agent is hung up at once
   * and the customer waits in silence for the second (the abandon message if they do not answer).
   * Attended: the first agent stays on until the second answers (if the second does not, the
   * call stays with the first).
   */
  transfer(callId: string, toAgentId: string, kind: 'blind' | 'attended'): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'connected') throw new Error(`call ${callId} is not connected to an agent`);
    const uri = this.cfg.agents.uri(toAgentId);
    if (!uri) throw new Error(`agent ${toAgentId} has no phone configured`);
    const fromAgent = call.agentId;
    const previous = call.agentLeg;
    if (call.onHold) this.hold(callId, false);
    call.phase = 'connecting';
    if (kind === 'blind') {
      call.agentLeg = null;
      previous?.bye();
    }
    call.agentId = toAgentId;
    void this.bridge(call, toAgentId, uri, kind === 'attended' ? previous : null).catch((err: unknown) => {
      this.log(`call ${call.id}: ${kind} transfer to agent ${toAgentId} failed: ${(err as Error).message}`);
      if (kind === 'attended' && previous && previous.state === 'confirmed' && !this.ended(call)) {
        call.agentLeg = previous;
        call.agentId = fromAgent;
        call.phase = 'connected';
        return;
      }
      this.agentUnreachable(call);
    });
  }

  /** Hold: neither side hears the other (rtpengine blocks both directions); music if a `hold` prompt is configured. */
  hold(callId: string, on: boolean): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'connected') throw new Error(`call ${callId} is not connected to an agent`);
    if (call.onHold === on) return;
    call.onHold = on;
    const id = { 'call-id': call.sipCallId };
    const steps = on
      ? [
          this.ng.command('block media', { ...id, 'from-tag': call.aTag }),
          this.ng.command('block media', { ...id, 'from-tag': call.bTag! }),
        ]
      : [
          this.ng.command('unblock media', { ...id, 'from-tag': call.aTag }),
          this.ng.command('unblock media', { ...id, 'from-tag': call.bTag! }),
        ];
    void Promise.all(steps)
      .then(async () => {
        const music = this.cfg.prompts['hold'];
        if (!music) return;
        if (on)
          await this.ng.command('play media', { ...id, 'from-tag': call.bTag!, file: music, 'repeat-times': 1000 });
        else await this.ng.command('stop media', { ...id, 'from-tag': call.bTag! }).catch(() => undefined);
      })
      .catch((err: unknown) => this.log(`call ${callId}: hold ${on ? 'on' : 'off'}: ${(err as Error).message}`));
  }

  /** Calls the agent's phone with rtpengine's platform-side SDP and moves that side of the media to the phone. */
  private async bridge(call: Call, agentId: string, uri: string, previous: OutgoingCall | null): Promise<void> {
    const a = this.cfg.agents;
    const hop = a.proxy ? this.ua.hopFor(a.proxy, a.transport ?? 'udp') : this.ua.hopFor(uri, a.transport ?? 'udp');
    let timer: unknown;
    let leg: OutgoingCall | null = null;
    const answered = await new Promise<string>((resolve, reject) => {
      leg = this.ua.invite(
        {
          target: uri,
          nextHop: hop,
          from: { uri: `sip:outdial@${this.cfg.sip.host}`, display: 'Outdial' },
          to: uri,
          sdp: call.aSdp ?? '',
          headers: { 'Call-Info': `<urn:outdial:attempt:${call.id}>;answer-after=0` },
        },
        {
          progress: () => undefined,
          answered: (sdp) => {
            this.scheduler.clearTimeout(timer);
            resolve(sdp);
          },
          failed: (f) => {
            this.scheduler.clearTimeout(timer);
            reject(new Error(describe(f)));
          },
          ended: (by) => this.onLegEnded(call, 'agent', by, leg ?? undefined),
          reoffer: () => call.aSdp,
        },
      );
      const pending = leg;
      call.pendingLeg = pending;
      timer = this.scheduler.setTimeout(() => {
        if (pending.state !== 'confirmed') pending.cancel();
      }, a.answerTimeoutMs ?? 15_000);
    }).finally(() => {
      if (call.pendingLeg === leg) call.pendingLeg = null;
    });
    if (this.ended(call) || call.phase !== 'connecting') {
      leg!.bye();
      return;
    }
    call.agentLeg = leg;
    this.track(call, 'agent', leg);
    // Attended transfer: the first agent leaves now that the second has answered.
    previous?.bye();
    // rtpengine: the platform side is the agent's phone now (a re-offer from that side), then
    // the customer's answer again so both directions are set.
    const reoffer = await this.ng.command('offer', {
      'call-id': call.sipCallId,
      'from-tag': call.aTag,
      'to-tag': call.bTag!,
      sdp: answered,
      ...PLAIN,
    });
    const newB = sdpOf(reoffer, 'offer');
    const r = await this.ng.command('answer', {
      'call-id': call.sipCallId,
      'from-tag': call.aTag,
      'to-tag': call.bTag!,
      sdp: call.customerSdp!,
      ...PLAIN,
    });
    const newA = sdpOf(r, 'answer');
    if (mediaAddress(newB) !== mediaAddress(call.bSdp!)) {
      call.bSdp = newB;
      await call.leg!.reinvite(newB);
      this.track(call, 'customer', call.leg);
    }
    if (mediaAddress(newA) !== mediaAddress(call.aSdp!)) {
      call.aSdp = newA;
      await call.agentLeg!.reinvite(newA);
    }
    call.media.close();
    if (this.ended(call) || call.phase !== 'connecting') return;
    call.phase = 'connected';
    this.emit({ type: 'connected', callId: call.id, at: this.scheduler.now(), agentId });
  }

  /** The agent's phone did not take the bridge: the customer hears the abandon message. */
  private agentUnreachable(call: Call): void {
    if (this.ended(call)) return;
    call.agentLeg?.bye();
    call.agentLeg = null;
    call.phase = 'answered';
    this.release(call, 'abandoned', 'agent_unreachable');
  }

  abandon(callId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') return;
    this.release(call, 'abandoned', null);
  }

  /** Plays the abandon message, then hangs up. */
  private release(call: Call, cause: EndCause, reason: EndReason | null): void {
    call.phase = 'releasing';
    call.releaseCause = cause;
    call.releaseReason = reason;
    void this.play(call, this.cfg.prompts.abandon)
      .then((ms) => {
        call.promptTimer = this.scheduler.setTimeout(() => call.leg?.bye(), ms + 300);
      })
      .catch((err: unknown) => {
        this.log(`call ${call.id}: abandon message not played: ${(err as Error).message}`);
        call.leg?.bye();
      });
  }

  /** rtpengine plays a file to the customer; what the platform side sends is blocked meanwhile (else two streams interleave). */
  private async play(call: Call, file: string): Promise<number> {
    await this.ng.command('block media', { 'call-id': call.sipCallId, 'from-tag': call.aTag });
    const r = await this.ng.command('play media', { 'call-id': call.sipCallId, 'from-tag': call.bTag!, file });
    const d = r['duration'];
    return typeof d === 'number' ? d : 3000;
  }

  playPrompt(callId: string, prompt: string): void {
    const call = this.calls.get(callId);
    const file = this.cfg.prompts[prompt];
    if (!call || call.phase !== 'answered') throw new Error(`call ${callId} is not waiting for an agent`);
    if (!file) throw new Error(`no prompt named "${prompt}" is configured`);
    void this.play(call, file).catch((err: unknown) => this.log(`call ${callId}: prompt ${prompt}: ${String(err)}`));
  }

  hangup(callId: string, cause: Extract<EndCause, 'agent_hangup' | 'machine_released' | 'cancelled'>): void {
    const call = this.calls.get(callId);
    if (!call || this.ended(call)) return;
    if (call.phase === 'placing' || call.phase === 'ringing') {
      call.cancelCause = 'cancelled';
      this.scheduler.clearTimeout(call.ringTimer);
      if (call.leg) call.leg.cancel();
      else this.end(call, 'cancelled', 487);
      return;
    }
    call.releaseCause = cause;
    call.phase = 'releasing';
    call.agentLeg?.bye();
    call.leg?.bye();
  }

  private end(call: Call, cause: EndCause, sipCode: number, reason?: EndReason, seized = true): void {
    if (call.phase === 'ended') return;
    call.phase = 'ended';
    this.track(call, 'customer', null);
    this.track(call, 'agent', null);
    for (const t of [call.ringTimer, call.amdTimer, call.promptTimer]) this.scheduler.clearTimeout(t);
    call.media.close();
    if (seized) call.trunk.release();
    this.calls.delete(call.id);
    this.emit({
      type: 'ended',
      callId: call.id,
      at: this.scheduler.now(),
      cause,
      sipCode,
      ...(reason ? { reason } : {}),
    });
    void this.cleanup(call);
  }

  private async cleanup(call: Call): Promise<void> {
    if (!call.bSdp) return;
    try {
      await this.ng.command('delete', { 'call-id': call.sipCallId });
    } catch (err) {
      this.log(`call ${call.id}: rtpengine delete: ${(err as Error).message}`);
    }
    const convert = this.cfg.recording?.enabled ? this.cfg.recording.convert : undefined;
    if (!convert) return;
    try {
      const rec = await convert(call.sipCallId, call.id, call.customerSdp ? mediaAddress(call.customerSdp) : null);
      if (rec) this.emit({ type: 'recorded', callId: call.id, at: this.scheduler.now(), ...rec });
    } catch (err) {
      this.log(`call ${call.id}: recording not stored: ${(err as Error).message}`);
    }
  }

  /** Ends every call (BYE or CANCEL), waits briefly for them, closes sockets. */
  async stop(): Promise<void> {
    for (const c of [...this.calls.values()]) {
      if (c.phase === 'placing' || c.phase === 'ringing') this.hangup(c.id, 'cancelled');
      else this.hangup(c.id, 'agent_hangup');
    }
    const until = Date.now() + 3000;
    while (this.calls.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.ua?.close();
    await this.transport?.close();
    this.ng?.close();
  }

  /** Raw access for tests and tools: rtpengine's view of a call (per-leg packet counts). */
  async query(callId: string): Promise<NgDict | null> {
    const call = this.calls.get(callId);
    if (!call) return null;
    return this.ng.command('query', { 'call-id': call.sipCallId });
  }
}

function mediaAddress(sdp: string): string {
  try {
    const s = parseSdp(sdp);
    const m = s.media[0];
    return `${m?.connection?.ip ?? s.connection?.ip ?? ''}:${m?.port ?? 0}`;
  } catch {
    return sdp;
  }
}

function describe(f: InviteFailure): string {
  switch (f.kind) {
    case 'response':
      return `${f.status} ${f.reason}${f.retryAfterS !== null ? ` (Retry-After ${f.retryAfterS}s)` : ''}`;
    case 'timeout':
      return 'no response (timer B)';
    case 'transport':
      return `transport error: ${f.message}`;
    case 'auth':
      return `authentication failed (${f.status}): ${f.message}`;
  }
}

/** Maps why an INVITE failed to the outcome the dialer records (and the detail beside it). */
export function failureOutcome(
  f: InviteFailure,
  cancelled: 'no_answer' | 'cancelled' | null,
): { cause: EndCause; sip: number; reason: EndReason } {
  switch (f.kind) {
    case 'timeout':
      return { cause: 'failed', sip: 408, reason: 'timeout' };
    case 'transport':
      return { cause: 'failed', sip: 503, reason: 'transport_error' };
    case 'auth':
      return { cause: 'failed', sip: f.status, reason: 'auth_failed' };
    case 'response': {
      const s = f.status;
      if (s === 487)
        return cancelled === 'cancelled'
          ? { cause: 'cancelled', sip: 487, reason: 'ring_timeout' }
          : { cause: 'no_answer', sip: 487, reason: 'ring_timeout' };
      if (s === 486 || s === 600) return { cause: 'busy', sip: s, reason: 'busy' };
      if (s === 603) return { cause: 'busy', sip: s, reason: 'declined' };
      if (s === 480 || s === 408) return { cause: 'no_answer', sip: s, reason: 'unavailable' };
      if (s === 404 || s === 410 || s === 484 || s === 604) return { cause: 'failed', sip: s, reason: 'not_found' };
      if (s === 500 || s === 502 || s === 503 || s === 504) return { cause: 'failed', sip: s, reason: 'congestion' };
      return { cause: 'failed', sip: s, reason: 'rejected' };
    }
  }
}
