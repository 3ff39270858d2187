import type { CampaignRow, LeasedContact, Repositories } from '@outdial/db';
import type { CampaignSettings } from '@outdial/domain/campaigns';
import { checkDial, type AttemptRecord } from '@outdial/domain/compliance';
import {
  CallRateLimiter, PowerPolicy, PredictivePolicy, ProgressivePolicy, SafetyGovernor, defaultGovernorLimits,
  type GovernedMode, type PacingEvent, type PacingPolicy, type PacingSnapshot,
} from '@outdial/domain/pacing';
import { defaultTimeZoneForRegion } from '@outdial/domain/phone';
import type { ProjectRules } from '@outdial/domain/projects';
import type { AttemptRecorder } from '../attempts.ts';
import type { EndCause, Scheduler, Telephony, TelephonyEvent } from '../telephony.ts';
import type { AgentDesk } from './desk.ts';
import type { EventBus } from './events.ts';

/** A call this runner placed and has not yet seen end. */
interface LiveCall {
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
}

export interface RunnerStats {
  dials: number;
  answered: { person: number; machine: number };
  connects: number;
  abandons: number;
  refusals: Record<string, number>;
  mode: GovernedMode;
  modeReason: string;
}

export interface RunnerOptions {
  /** Seconds a person's greeting lasts before the 2-second clock starts. */
  greetingS?: number;
  /** The 2-second rule. */
  connectWithinS?: number;
  /** How long a leased contact stays reserved for this runner. */
  leaseMs?: number;
  /** Uniform [0, 1): injected for reproducible runs. */
  random?: () => number;
}

const OUTCOME: Record<EndCause, 'person' | 'machine' | 'no_answer' | 'busy' | 'failed' | 'abandoned' | 'cancelled'> = {
  no_answer: 'no_answer', busy: 'busy', failed: 'failed', customer_hangup: 'person', agent_hangup: 'person',
  abandoned: 'abandoned', machine_released: 'machine', cancelled: 'cancelled',
};

/**
 * One running campaign: each tick it asks its pacing policy (under the safety governor and the
 * calls-per-second cap) how many calls to place, leases that many contacts, passes each through
 * the compliance gate, records the attempt *before* dialing, and dials. Answered calls are routed
 * to the best ready agent within the 2-second rule or abandoned; every end is recorded once with
 * the contact's next step. Pure decisions come from packages/domain; this class only wires them
 * to the database, the telephony port and the clock.
 */
export class CampaignRunner {
  private readonly calls = new Map<string, LiveCall>();
  private readonly policies: Record<GovernedMode, PacingPolicy>;
  private readonly governor: SafetyGovernor;
  private readonly limiter: CallRateLimiter;
  private readonly stats: RunnerStats;
  private readonly recent: { t: number; kind: 'dial' | 'person' | 'abandon' | 'latency'; value: number }[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;
  private timer: unknown;
  private ticking = false;
  private stopped = false;
  private callerIdTurn = 0;
  private exhaustedChecks = 0;

  constructor(
    readonly campaign: CampaignRow,
    private readonly rules: ProjectRules,
    private readonly projectCallerIds: readonly string[],
    private readonly deps: { repos: Repositories; telephony: Telephony; scheduler: Scheduler; desk: AgentDesk; bus: EventBus; attempts: AttemptRecorder; onFinished?: (reason: 'list_exhausted') => void },
    private readonly opts: RunnerOptions = {},
  ) {
    const s = campaign.settings;
    const dialer = {
      noAnswerTimeoutS: s.ringTimeoutSeconds, greetingS: opts.greetingS ?? 0, connectWithinS: opts.connectWithinS ?? 2,
      amdDecisionS: s.amd ? 1.5 : 0, maxAbandonRate: s.abandonTarget,
    };
    const ahead: PacingPolicy = s.dialMode === 'power' ? new PowerPolicy(s.linesPerAgent) : new PredictivePolicy(dialer);
    const progressive = new ProgressivePolicy();
    // Preview needs the agent's own click (workstation); until then it is served as progressive.
    this.policies = { predictive: ahead, progressive, preview: progressive };
    const configured: GovernedMode = s.dialMode === 'preview' ? 'preview' : s.dialMode === 'progressive' ? 'progressive' : 'predictive';
    this.governor = new SafetyGovernor(configured, defaultGovernorLimits(s.abandonTarget));
    this.limiter = new CallRateLimiter(s.maxCallsPerSecond);
    this.stats = { dials: 0, answered: { person: 0, machine: 0 }, connects: 0, abandons: 0, refusals: {}, mode: configured, modeReason: this.governor.explain() };
    this.unsubscribe = deps.telephony.subscribe((e) => this.track(this.onTelephony(e)));
  }

  get settings(): CampaignSettings {
    return this.campaign.settings;
  }

  get liveCalls(): number {
    return this.calls.size;
  }

  snapshotStats(): RunnerStats {
    return { ...this.stats, answered: { ...this.stats.answered }, refusals: { ...this.stats.refusals } };
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops dialing; calls in progress finish and are recorded. */
  stop(): void {
    this.stopped = true;
    this.deps.scheduler.clearTimeout(this.timer);
  }

  /** Dials again after `stop` (the campaign was resumed). */
  resume(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Resolves when no database work started by this runner is outstanding (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.stop();
    this.unsubscribe();
  }

  private now(): number {
    return this.deps.scheduler.now();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.deps.scheduler.clearTimeout(this.timer);
    this.timer = this.deps.scheduler.setTimeout(() => {
      void this.track(this.tick()).finally(() => this.schedule(this.policy().tickS * 1000));
    }, ms);
  }

  private policy(): PacingPolicy {
    return this.policies[this.governor.mode];
  }

  private observe(e: PacingEvent): void {
    // Every policy hears every outcome so a mode it steps back into has warm estimates.
    for (const p of new Set(Object.values(this.policies))) p.observe(e);
  }

  private snapshot(): PacingSnapshot {
    const t = this.now();
    const agents = this.deps.desk.all();
    const by = (st: string) => agents.filter((a) => a.state.status === st);
    const calls = [...this.calls.values()];
    const ringing = calls.filter((c) => c.answeredAt === null);
    const waiting = calls.filter((c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned);
    return {
      now: t / 1000,
      agentsActive: agents.length - by('paused').length,
      agentsReady: by('ready').length,
      agentsTalking: by('talking').length + by('reserved').length,
      agentsWrap: by('wrap_up').length,
      agentsOnBreak: by('paused').length,
      readyIdle: by('ready').map((a) => (t - a.state.since) / 1000),
      talkElapsed: [...by('talking'), ...by('reserved')].map((a) => (t - a.state.since) / 1000),
      wrapElapsed: by('wrap_up').map((a) => (t - a.state.since) / 1000),
      callsRinging: ringing.length,
      ringingElapsed: ringing.map((c) => (t - c.placedAt) / 1000),
      callsWaiting: waiting.length,
      callsInAmd: 0,
      callsInProgress: calls.length,
    };
  }

  private governorUpdate(): void {
    const t = this.now();
    const hourAgo = t - 3_600_000;
    while (this.recent.length && this.recent[0]!.t < t - 86_400_000) this.recent.shift();
    const inHour = this.recent.filter((r) => r.t >= hourAgo);
    const count = (xs: typeof this.recent, k: string) => xs.filter((r) => r.kind === k).length;
    const latencies = inHour.filter((r) => r.kind === 'latency').map((r) => r.value).sort((a, b) => a - b);
    const hour = { abandoned: count(inHour, 'abandon'), answered: count(inHour, 'person') };
    const today = { abandoned: count(this.recent, 'abandon'), answered: count(this.recent, 'person') };
    const step = this.governor.update({
      t: t / 1000,
      abandon: { hour, today, days30: today },
      answer: { dialed: count(inHour, 'dial'), answered: hour.answered },
      connectLatencyP90S: latencies.length >= 10 ? latencies[Math.floor(latencies.length * 0.9)]! / 1000 : null,
    });
    if (step) {
      this.stats.mode = step.to;
      this.stats.modeReason = this.governor.explain();
      this.deps.bus.publish({ type: 'ModeChanged', at: t, campaignId: this.campaign.id, from: step.from, to: step.to, reason: step.reason, detail: step.detail });
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      this.governorUpdate();
      const wanted = this.policy().decide(this.snapshot(), this.opts.random ?? (() => 0.5)).dials;
      const n = this.limiter.take(this.now() / 1000, wanted);
      if (n <= 0) return;
      const { repos } = this.deps;
      const c = this.campaign;
      const leased = await repos.campaigns.lease({ orgId: c.orgId, projectId: c.projectId, campaignId: c.id, tags: c.settings.tags, limit: n, now: new Date(this.now()), ttlMs: this.opts.leaseMs ?? 10 * 60_000 });
      if (leased.length === 0) return this.checkExhausted();
      this.exhaustedChecks = 0;
      await this.dialAll(leased);
    } finally {
      this.ticking = false;
    }
  }

  private async checkExhausted(): Promise<void> {
    if (this.calls.size > 0) return;
    // Two empty looks in a row with nothing in flight: nothing is left to call, now or later.
    if (++this.exhaustedChecks < 2) return;
    const open = await this.deps.repos.campaigns.remaining(this.campaign.orgId, this.campaign.projectId);
    if (open === 0) {
      this.stop();
      this.deps.bus.publish({ type: 'CampaignFinished', at: this.now(), campaignId: this.campaign.id, reason: 'list_exhausted' });
      this.deps.onFinished?.('list_exhausted');
    }
  }

  private async dialAll(leased: LeasedContact[]): Promise<void> {
    const { repos } = this.deps;
    const c = this.campaign;
    const t = this.now();
    const [history, blocked] = await Promise.all([
      repos.attempts.history(leased.map((l) => l.id)),
      repos.dnc.blocked(c.orgId, c.projectId, leased.map((l) => l.phone), new Date(t)),
    ]);
    for (const contact of leased) {
      const attempts: AttemptRecord[] = history.filter((h) => h.contactId === contact.id).map((h) => ({ phone: h.phone, placedAt: h.placedAt.getTime(), outcome: h.outcome }));
      const gate = checkDial({
        contactStatus: contact.status, callbackAt: contact.callbackAt?.getTime() ?? null, contactTimeZone: contact.timezone,
        numberTimeZone: defaultTimeZoneForRegion(contact.region ?? ''), phone: contact.phone, attempts,
        onDncList: blocked.has(contact.phone), agentGuaranteed: this.governor.mode !== 'predictive',
      }, this.rules, t);
      if (!gate.allowed) {
        this.stats.refusals[gate.code] = (this.stats.refusals[gate.code] ?? 0) + 1;
        this.deps.bus.publish({ type: 'DialRefused', at: t, campaignId: c.id, contactId: contact.id, code: gate.code });
        // Without a known retry time: a day for a blocked number (lists change rarely), else 15 min.
        const until = gate.retryAt ?? t + (gate.code === 'dnc' ? 86_400_000 : 15 * 60_000);
        await repos.campaigns.defer(c.id, contact.id, new Date(until), gate.closeContact ? { reason: 'max_attempts' } : null);
        continue;
      }
      await this.dial(contact, t);
    }
  }

  private async dial(contact: LeasedContact, t: number): Promise<void> {
    const s = this.campaign.settings;
    const pool = s.callerIds.length ? s.callerIds : this.projectCallerIds;
    const callerId = pool.length ? pool[this.callerIdTurn++ % pool.length]! : null;
    const dialMode = this.governor.mode;
    // The attempt exists before the call does: a crash after this line leaves an open attempt
    // that the recovery closes, never a call nobody knows about.
    const attemptId = await this.deps.attempts.placed({
      orgId: this.campaign.orgId, projectId: this.campaign.projectId, campaignId: this.campaign.id, contactId: contact.id,
      phone: contact.phone, callerId, dialMode, placedAt: new Date(t),
    });
    this.calls.set(attemptId, { attemptId, contactId: contact.id, phone: contact.phone, placedAt: t, answeredAt: null, connectedAt: null, agentId: null, amd: null, waitTimer: undefined, abandoned: false });
    this.stats.dials++;
    this.recent.push({ t, kind: 'dial', value: 1 });
    this.observe({ type: 'dial', t: t / 1000 });
    this.deps.bus.publish({ type: 'CallPlaced', at: t, campaignId: this.campaign.id, attemptId, contactId: contact.id });
    this.deps.telephony.originate({ callId: attemptId, to: contact.phone, callerId: callerId ?? '', ringTimeoutMs: s.ringTimeoutSeconds * 1000, amd: s.amd });
  }

  private async onTelephony(e: TelephonyEvent): Promise<void> {
    const call = this.calls.get(e.callId);
    if (!call) return; // another campaign's call
    const { desk, telephony, bus, scheduler } = this.deps;
    switch (e.type) {
      case 'ringing':
        return;
      case 'answered': {
        call.answeredAt = e.at;
        call.amd = e.amd;
        const human = e.amd !== 'machine';
        this.observe({ type: 'answer', t: e.at / 1000, human, ringS: (e.at - call.placedAt) / 1000 });
        bus.publish({ type: 'CallAnswered', at: e.at, campaignId: this.campaign.id, attemptId: call.attemptId, amd: e.amd });
        if (!human) {
          this.stats.answered.machine++;
          telephony.hangup(call.attemptId, 'machine_released');
          return;
        }
        this.stats.answered.person++;
        this.recent.push({ t: e.at, kind: 'person', value: 1 });
        // The call waits from here (an agent becoming ready may take it during the write below).
        await this.deps.repos.attempts.progress(call.attemptId, { answeredAt: new Date(e.at), amdResult: e.amd });
        if (call.connectedAt !== null || call.abandoned || !this.calls.has(call.attemptId)) return;
        if (this.route(call)) return;
        // No agent now: wait up to the 2-second rule (after the greeting) for one to free up.
        const limitMs = ((this.opts.greetingS ?? 0) + (this.opts.connectWithinS ?? 2)) * 1000;
        call.waitTimer = scheduler.setTimeout(() => this.expireWait(call), limitMs);
        return;
      }
      case 'connected':
        return;
      case 'ended':
        return this.ended(call, e.cause, e.sipCode, e.at);
    }
  }

  /** Tries to give a waiting call to the best ready agent now. */
  route(call: LiveCall): boolean {
    if (call.connectedAt !== null || call.abandoned || call.answeredAt === null || !this.calls.has(call.attemptId)) return false;
    const at = this.now();
    const required = this.campaign.settings.requiredSkills;
    const skills = Object.keys(required);
    const agent = this.deps.desk.reserve(call.attemptId, skills.length ? { skills, minLevel: Math.min(...Object.values(required)) } : { skills: [] }, at);
    if (!agent) return false;
    try {
      this.deps.telephony.connect(call.attemptId, agent.id);
    } catch {
      // The call went away under us (the callee hung up): the agent goes back to ready.
      this.deps.desk.apply(agent.id, { type: 'release', at, callId: call.attemptId });
      return false;
    }
    this.deps.scheduler.clearTimeout(call.waitTimer);
    call.agentId = agent.id;
    call.connectedAt = at;
    this.deps.desk.apply(agent.id, { type: 'connect', at, callId: call.attemptId });
    const waitMs = call.answeredAt === null ? 0 : at - call.answeredAt;
    this.stats.connects++;
    this.recent.push({ t: at, kind: 'latency', value: waitMs });
    this.observe({ type: 'connect', t: at / 1000, waitS: waitMs / 1000 });
    this.deps.bus.publish({ type: 'CallConnected', at, campaignId: this.campaign.id, attemptId: call.attemptId, agentId: agent.id, waitMs });
    void this.track(this.deps.repos.attempts.progress(call.attemptId, { connectedAt: new Date(at), agentUserId: agent.id }));
    return true;
  }

  /** An agent finished wrap-up: the policies learn wrap times from it. */
  agentWrapped(wrapS: number, at: number): void {
    this.observe({ type: 'wrap_end', t: at / 1000, wrapS });
  }

  /** Calls waiting for an agent, oldest first (the dialer offers them to an agent who becomes ready). */
  waitingCalls(): LiveCall[] {
    return [...this.calls.values()].filter((c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned).sort((a, b) => a.answeredAt! - b.answeredAt!);
  }

  private expireWait(call: LiveCall): void {
    if (call.connectedAt !== null || call.abandoned || !this.calls.has(call.attemptId)) return;
    if (this.route(call)) return;
    call.abandoned = true;
    this.stats.abandons++;
    this.recent.push({ t: this.now(), kind: 'abandon', value: 1 });
    this.observe({ type: 'abandon', t: this.now() / 1000 });
    this.deps.telephony.abandon(call.attemptId);
  }

  private async ended(call: LiveCall, cause: EndCause, sipCode: number, at: number): Promise<void> {
    this.calls.delete(call.attemptId);
    this.deps.scheduler.clearTimeout(call.waitTimer);
    const outcome = call.abandoned ? 'abandoned' : OUTCOME[cause];
    if (call.answeredAt === null && (outcome === 'no_answer' || outcome === 'busy' || outcome === 'failed')) {
      this.observe({ type: 'no_answer', t: at / 1000, ringS: (at - call.placedAt) / 1000 });
    }
    if (call.agentId && call.connectedAt !== null) {
      const agent = this.deps.desk.get(call.agentId);
      if (agent?.state.status === 'talking' && agent.state.callId === call.attemptId) {
        this.deps.desk.apply(call.agentId, { type: 'hangup', at, callId: call.attemptId });
      }
      this.observe({ type: 'talk_end', t: at / 1000, talkS: (at - call.connectedAt) / 1000 });
    }
    const { next } = await this.deps.attempts.ended(call.attemptId, {
      outcome, endedAt: new Date(at), answeredAt: call.answeredAt === null ? null : new Date(call.answeredAt),
      connectedAt: call.connectedAt === null ? null : new Date(call.connectedAt), agentUserId: call.agentId,
      hangupSide: cause === 'customer_hangup' ? 'customer' : cause === 'agent_hangup' ? 'agent' : 'system',
      sipCause: sipCode, amdResult: call.amd, abandoned: call.abandoned,
    });
    this.deps.bus.publish({ type: 'CallEnded', at, campaignId: this.campaign.id, attemptId: call.attemptId, outcome, abandoned: call.abandoned, next: next ? next.kind : 'already_recorded' });
  }
}
