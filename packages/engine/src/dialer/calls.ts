import type { AttemptEnd, CampaignRow, DncStore } from '../ports/index.ts';
import { defaultIvrSettings, type IvrSettings } from '@outdial/domain/campaigns';
import type { NextStep } from '@outdial/domain/compliance';
import type { AttemptRecorder } from '../attempts.ts';
import type { Logger } from '../logger.ts';
import type { EndCause, Scheduler, Telephony, TelephonyEvent } from '../telephony.ts';
import { callNeeds, type AgentDesk } from './desk.ts';
import type { EventBus } from './events.ts';
import type { PacingMonitor } from './pacing-monitor.ts';

/** A call a runner placed and has not yet seen end. */
export interface LiveCall {
  attemptId: string;
  contactId: string;
  phone: string;
  placedAt: number;
  answeredAt: number | null;
  connectedAt: number | null;
  agentId: string | null;
  amd: 'human' | 'machine' | 'unknown' | null;
  /** Timer of the 2-second rule while an answered call waits for an agent. */
  waitTimer: unknown;
  abandoned: boolean;
  /** Preview mode: the agent who chose to dial this call; it goes to them, not through routing. */
  previewAgent: string | null;
  /** The customer's value tier 0–3 (score routing), from the campaign's value-tier field. */
  valueTier: number;
  /** IVR campaign: the prompt is playing and no key has been pressed yet (no agent is sought meanwhile). */
  ivrPending: boolean;
  ivrTimer: unknown;
}

export interface LiveCallsDeps {
  campaign: () => CampaignRow;
  telephony: Telephony;
  scheduler: Scheduler;
  desk: AgentDesk;
  bus: EventBus;
  attempts: Pick<AttemptRecorder, 'progress' | 'ended'>;
  pacing: Pick<PacingMonitor, 'count' | 'observe' | 'connectWait' | 'talkEnded'>;
  /** How long an answered person may wait for an agent: the greeting plus the 2-second rule. */
  waitLimitMs: number;
  /** The 2-second rule alone (an IVR caller who pressed for an agent has heard no greeting). */
  connectWithinMs: number;
  /** IVR campaigns: the do-not-call key puts the number on the project's list. */
  dnc: Pick<DncStore, 'ensureList' | 'addEntries'>;
  log: Logger;
  /** Runs work nobody waits for: tracked (so shutdown awaits it) and logged if it fails. */
  background: (p: Promise<unknown>, what: string, context?: Record<string, unknown>) => void;
}

const OUTCOME: Record<EndCause, AttemptEnd['outcome']> = {
  no_answer: 'no_answer',
  busy: 'busy',
  failed: 'failed',
  customer_hangup: 'person',
  agent_hangup: 'person',
  abandoned: 'abandoned',
  machine_released: 'machine',
  cancelled: 'cancelled',
};

/** Tries of a call end's write (backing off from 0.5 s) before it is left to the recovery. */
const END_WRITE_TRIES = 7;

/**
 * The calls a runner placed, from the dial to the recorded end: an answered person goes to the
 * best ready agent (the campaign's skills and routing) within the 2-second rule or is abandoned
 * with the message; a machine is released; a previewed call goes to the agent who dialed it.
 * Each step feeds the pacing (`PacingMonitor`), is published on the bus, and the end is written
 * exactly once with the contact's next step (retried if the database blinks).
 */
export class LiveCalls {
  readonly counts = { person: 0, machine: 0, connects: 0, abandons: 0 };
  private readonly calls = new Map<string, LiveCall>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: LiveCallsDeps) {
    this.unsubscribe = deps.telephony.subscribe((e) =>
      deps.background(this.onTelephony(e), 'handling a call event failed', { attemptId: e.callId, event: e.type }),
    );
  }

  /** A call was placed (its attempt is recorded); its events are followed from now on. */
  placed(call: Pick<LiveCall, 'attemptId' | 'contactId' | 'phone' | 'placedAt' | 'previewAgent' | 'valueTier'>): void {
    this.calls.set(call.attemptId, {
      ...call,
      answeredAt: null,
      connectedAt: null,
      agentId: null,
      amd: null,
      waitTimer: undefined,
      abandoned: false,
      ivrPending: false,
      ivrTimer: undefined,
    });
  }

  has(attemptId: string): boolean {
    return this.calls.has(attemptId);
  }

  get size(): number {
    return this.calls.size;
  }

  all(): IterableIterator<LiveCall> {
    return this.calls.values();
  }

  /** Calls waiting for an agent, oldest first (the dialer offers them to an agent who becomes ready). */
  waiting(): LiveCall[] {
    return [...this.calls.values()]
      .filter((c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned && !c.ivrPending)
      .sort((a, b) => a.answeredAt! - b.answeredAt!);
  }

  dispose(): void {
    this.unsubscribe();
  }

  private async onTelephony(e: TelephonyEvent): Promise<void> {
    const call = this.calls.get(e.callId);
    if (!call) return; // another campaign's call
    switch (e.type) {
      case 'ringing':
      case 'recorded':
        return;
      case 'connected':
        return this.onConnected(call, e.agentId, e.at);
      case 'dtmf':
        return this.onKey(call, e.digit, e.at);
      case 'answered':
        call.answeredAt = e.at;
        call.amd = e.amd;
        this.deps.pacing.count(e.at, 'resolved');
        return call.previewAgent ? this.answeredPreview(call, call.previewAgent, e.at) : this.answered(call, e.at);
      case 'ended':
        return this.ended(call, e.cause, e.sipCode, e.at);
    }
  }

  /** A dialed-ahead call answered: a machine is released; a person goes to an agent, or waits up to the 2-second rule. */
  private answered(call: LiveCall, at: number): void {
    const human = call.amd !== 'machine';
    this.deps.pacing.observe({ type: 'answer', t: at / 1000, human, ringS: (at - call.placedAt) / 1000 });
    // With AMD on, its verdict tells the pacing which share of answers goes on to an agent.
    if (this.deps.campaign().settings.amd)
      this.deps.pacing.observe({ type: 'amd_verdict', t: at / 1000, machine: !human });
    this.deps.bus.publish({
      type: 'CallAnswered',
      at,
      campaignId: this.deps.campaign().id,
      attemptId: call.attemptId,
      amd: call.amd ?? 'unknown',
    });
    if (!human) {
      this.counts.machine++;
      this.deps.telephony.hangup(call.attemptId, 'machine_released');
      return;
    }
    this.counts.person++;
    this.deps.pacing.count(at, 'person');
    // Route first, write after: the customer is on the line now; the answer is recorded in
    // the next group commit (and again, in any case, with the call's end).
    this.deps.background(
      this.deps.attempts.progress(call.attemptId, { answeredAt: new Date(at), amdResult: call.amd ?? 'unknown' }),
      'recording an answer failed',
      { attemptId: call.attemptId },
    );
    if (this.deps.campaign().settings.dialMode === 'ivr' && this.deps.telephony.playPrompt) return this.startIvr(call);
    if (this.route(call)) return;
    // No agent now: wait up to the 2-second rule (after the greeting) for one to free up.
    call.waitTimer = this.deps.scheduler.setTimeout(() => this.expireWait(call), this.deps.waitLimitMs);
  }

  /** A previewed call answered: it is the agent's who dialed it (they hear whoever answered). */
  private async answeredPreview(call: LiveCall, agentId: string, at: number): Promise<void> {
    this.counts.person++;
    this.deps.pacing.count(at, 'person');
    // The agent is gone (connection lost): a person answered and nobody is there.
    if (!this.deps.desk.reservedFor(agentId, call.attemptId)) return this.abandon(call, at);
    this.deps.telephony.connect(call.attemptId, agentId);
    this.deps.bus.publish({
      type: 'CallAnswered',
      at,
      campaignId: this.deps.campaign().id,
      attemptId: call.attemptId,
      amd: call.amd ?? 'unknown',
    });
    this.connected(call, agentId, at, 0);
    await this.deps.attempts.progress(call.attemptId, {
      answeredAt: new Date(at),
      connectedAt: new Date(at),
      agentUserId: agentId,
      amdResult: call.amd ?? 'unknown',
    });
  }

  /** The IVR menu of an agentless campaign (the defaults where the settings leave it out). */
  private ivr(): IvrSettings {
    return this.deps.campaign().settings.ivr ?? defaultIvrSettings();
  }

  /** IVR campaign: the prompt plays; the callee's key decides (an agent, do-not-call), or time runs out. */
  private startIvr(call: LiveCall): void {
    const menu = this.ivr();
    call.ivrPending = true;
    try {
      this.deps.telephony.playPrompt!(call.attemptId, menu.prompt);
    } catch (err) {
      // The call went away, or the prompt is not configured: release it rather than leave it silent.
      this.deps.log.error({ err, attemptId: call.attemptId }, 'the IVR prompt could not be played; releasing the call');
      call.ivrPending = false;
      this.deps.telephony.hangup(call.attemptId, 'agent_hangup');
      return;
    }
    call.ivrTimer = this.deps.scheduler.setTimeout(() => {
      if (!call.ivrPending || !this.calls.has(call.attemptId)) return;
      call.ivrPending = false;
      this.deps.telephony.hangup(call.attemptId, 'agent_hangup');
    }, menu.keyTimeoutSeconds * 1000);
  }

  /** A key pressed during the IVR prompt. */
  private async onKey(call: LiveCall, digit: string, at: number): Promise<void> {
    if (!call.ivrPending) return;
    const menu = this.ivr();
    if (digit !== menu.agentKey && digit !== menu.dncKey) return;
    call.ivrPending = false;
    this.deps.scheduler.clearTimeout(call.ivrTimer);
    if (digit === menu.dncKey) {
      // Off the list first, then release: the number is blocked before anything else can dial it.
      const c = this.deps.campaign();
      try {
        const list = await this.deps.dnc.ensureList(c.orgId, c.projectId, 'default');
        await this.deps.dnc.addEntries(
          list,
          [{ phone: call.phone, reason: `IVR key ${digit}`, source: 'ivr', expiresAt: null }],
          null,
        );
        this.deps.bus.publish({ type: 'DialRefused', at, campaignId: c.id, contactId: call.contactId, code: 'dnc' });
      } catch (err) {
        this.deps.log.error({ err, attemptId: call.attemptId }, 'putting an IVR caller on the do-not-call list failed');
      } finally {
        this.deps.telephony.hangup(call.attemptId, 'agent_hangup');
      }
      return;
    }
    // The callee asked for an agent: the 2-second clock starts now.
    if (this.route(call)) return;
    call.waitTimer = this.deps.scheduler.setTimeout(() => this.expireWait(call), this.deps.connectWithinMs);
  }

  /**
   * Moves a connected call to another (ready) agent: they are reserved for it now and take it
   * when their phone answers; the first agent goes to wrap-up then. Refused when the carrier
   * cannot transfer, the call is not connected, or the agent is not ready.
   */
  transfer(attemptId: string, toAgentId: string, kind: 'blind' | 'attended'): void {
    const call = this.calls.get(attemptId);
    const { telephony, desk, scheduler } = this.deps;
    if (!telephony.transfer) throw new Error('this carrier cannot transfer calls');
    if (!call || call.connectedAt === null || !call.agentId) throw new Error(`call ${attemptId} is not connected`);
    if (toAgentId === call.agentId) throw new Error('the call is already with that agent');
    const to = desk.get(toAgentId);
    if (to?.state.status !== 'ready') throw new Error(`agent ${toAgentId} is not ready`);
    desk.apply(toAgentId, { type: 'reserve', at: scheduler.now(), callId: attemptId });
    try {
      telephony.transfer(attemptId, toAgentId, kind);
    } catch (err) {
      desk.apply(toAgentId, { type: 'release', at: scheduler.now(), callId: attemptId });
      throw err;
    }
    // Their phone never answered: the reservation goes, the call stays where it is (or ended).
    scheduler.setTimeout(() => {
      if (desk.reservedFor(toAgentId, attemptId))
        desk.apply(toAgentId, { type: 'release', at: scheduler.now(), callId: attemptId });
    }, 30_000);
  }

  /** The carrier says an agent is on the call: after a transfer, a different agent than before. */
  private onConnected(call: LiveCall, agentId: string, at: number): void {
    if (call.connectedAt === null || call.agentId === null || call.agentId === agentId) return;
    const { desk } = this.deps;
    const from = call.agentId;
    const old = desk.get(from);
    if (old?.state.status === 'talking' && old.state.callId === call.attemptId)
      desk.apply(from, { type: 'hangup', at, callId: call.attemptId });
    if (desk.reservedFor(agentId, call.attemptId)) desk.apply(agentId, { type: 'connect', at, callId: call.attemptId });
    call.agentId = agentId;
    this.deps.bus.publish({
      type: 'CallConnected',
      at,
      campaignId: this.deps.campaign().id,
      attemptId: call.attemptId,
      contactId: call.contactId,
      agentId,
      waitMs: 0,
    });
    this.deps.background(
      this.deps.attempts.progress(call.attemptId, { agentUserId: agentId }),
      'recording a transfer failed',
      { attemptId: call.attemptId, agentId },
    );
  }

  /** Tries to give a waiting call to the best ready agent now. */
  route(call: LiveCall): boolean {
    if (
      call.connectedAt !== null ||
      call.abandoned ||
      call.ivrPending ||
      call.answeredAt === null ||
      !this.calls.has(call.attemptId)
    )
      return false;
    const at = this.deps.scheduler.now();
    const needs = callNeeds(this.deps.campaign(), call.valueTier);
    const agent = this.deps.desk.reserve(call.attemptId, needs, at, this.deps.campaign().settings.routing);
    if (!agent) return false;
    try {
      this.deps.telephony.connect(call.attemptId, agent.id);
    } catch (err) {
      // The call went away under us (the callee hung up): the agent goes back to ready.
      this.deps.log.debug({ err, attemptId: call.attemptId, agentId: agent.id }, 'a routed call could not be bridged');
      this.deps.desk.apply(agent.id, { type: 'release', at, callId: call.attemptId });
      return false;
    }
    this.deps.scheduler.clearTimeout(call.waitTimer);
    const waitMs = at - call.answeredAt;
    this.deps.pacing.connectWait(waitMs);
    this.deps.pacing.observe({ type: 'connect', t: at / 1000, waitS: waitMs / 1000 });
    this.connected(call, agent.id, at, waitMs);
    this.deps.background(
      this.deps.attempts.progress(call.attemptId, { connectedAt: new Date(at), agentUserId: agent.id }),
      'recording a connection failed',
      { attemptId: call.attemptId, agentId: agent.id },
    );
    return true;
  }

  /** The call is the agent's now: they are talking on it (the screen pop follows CallConnected). */
  private connected(call: LiveCall, agentId: string, at: number, waitMs: number): void {
    call.agentId = agentId;
    call.connectedAt = at;
    this.deps.desk.apply(agentId, { type: 'connect', at, callId: call.attemptId });
    this.counts.connects++;
    this.deps.bus.publish({
      type: 'CallConnected',
      at,
      campaignId: this.deps.campaign().id,
      attemptId: call.attemptId,
      contactId: call.contactId,
      agentId,
      waitMs,
    });
  }

  /** The 2-second rule ran out: a last look for an agent, else the call is abandoned. */
  private expireWait(call: LiveCall): void {
    if (call.connectedAt !== null || call.abandoned || !this.calls.has(call.attemptId)) return;
    if (!this.route(call)) this.abandon(call, this.deps.scheduler.now());
  }

  /** A person answered and no agent takes them: the abandon message plays; counted against the limit and the 72-hour rule. */
  private abandon(call: LiveCall, at: number): void {
    call.abandoned = true;
    this.counts.abandons++;
    this.deps.pacing.count(at, 'abandon');
    this.deps.pacing.observe({ type: 'abandon', t: at / 1000 });
    this.deps.telephony.abandon(call.attemptId);
  }

  private async ended(call: LiveCall, cause: EndCause, sipCode: number, at: number): Promise<void> {
    this.calls.delete(call.attemptId);
    this.deps.scheduler.clearTimeout(call.waitTimer);
    this.deps.scheduler.clearTimeout(call.ivrTimer);
    call.ivrPending = false;
    const outcome = call.abandoned ? 'abandoned' : OUTCOME[cause];
    this.deps.pacing.count(at, 'ended');
    if (outcome === 'failed') this.deps.pacing.count(at, 'failed');
    if (call.answeredAt === null) this.deps.pacing.count(at, 'resolved');
    if (call.answeredAt === null && (outcome === 'no_answer' || outcome === 'busy' || outcome === 'failed'))
      this.deps.pacing.observe({ type: 'no_answer', t: at / 1000, ringS: (at - call.placedAt) / 1000 });
    const { desk } = this.deps;
    if (call.agentId && call.connectedAt !== null) {
      const agent = desk.get(call.agentId);
      if (agent?.state.status === 'talking' && agent.state.callId === call.attemptId)
        desk.apply(call.agentId, { type: 'hangup', at, callId: call.attemptId });
      this.deps.pacing.talkEnded(call.attemptId, at, (at - call.connectedAt) / 1000);
    } else if (call.previewAgent && desk.reservedFor(call.previewAgent, call.attemptId)) {
      // A previewed call nobody answered: the agent is free for the next contact.
      desk.apply(call.previewAgent, { type: 'release', at, callId: call.attemptId });
    }
    const end: AttemptEnd = {
      outcome,
      endedAt: new Date(at),
      answeredAt: call.answeredAt === null ? null : new Date(call.answeredAt),
      connectedAt: call.connectedAt === null ? null : new Date(call.connectedAt),
      agentUserId: call.agentId,
      hangupSide: cause === 'customer_hangup' ? 'customer' : cause === 'agent_hangup' ? 'agent' : 'system',
      sipCause: sipCode,
      amdResult: call.amd,
      abandoned: call.abandoned,
    };
    const next = await this.recordEnd(call.attemptId, end);
    this.deps.bus.publish({
      type: 'CallEnded',
      at,
      campaignId: this.deps.campaign().id,
      attemptId: call.attemptId,
      agentId: call.connectedAt !== null ? call.agentId : null,
      outcome,
      abandoned: call.abandoned,
      next: next ? next.kind : 'already_recorded',
    });
  }

  /**
   * Writes a call's end; a failed write (the database blinked) is retried with backoff: the end
   * must be recorded, or the contact stays blocked by an open attempt until the recovery closes it.
   * `null`: the end was recorded already (by the recovery).
   */
  private async recordEnd(attemptId: string, end: AttemptEnd): Promise<NextStep | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.deps.attempts.ended(attemptId, end)).next;
      } catch (err) {
        if (attempt >= END_WRITE_TRIES) throw err;
        this.deps.log.warn({ err, attemptId, attempt }, "recording a call's end failed; trying again");
        await new Promise<void>((resolve) => this.deps.scheduler.setTimeout(resolve, 500 * 2 ** (attempt - 1)));
      }
    }
  }
}
