import type { AttemptEnd, AttemptsRepo, CampaignRow, CampaignsRepo, DncRepo, LeasedContact } from '@outdial/db';
import type { CampaignSettings } from '@outdial/domain/campaigns';
import type { NextStep } from '@outdial/domain/compliance';
import type { GovernedMode } from '@outdial/domain/pacing';
import type { ProjectRules } from '@outdial/domain/projects';
import type { AttemptRecorder } from '../attempts.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { EndCause, Scheduler, Telephony, TelephonyEvent } from '../telephony.ts';
import { callNeeds, type AgentDesk } from './desk.ts';
import type { DialerEvent, EventBus } from './events.ts';
import { ListQuota } from './list-quota.ts';
import { PacingMonitor, pacingKey, pacingSnapshot } from './pacing-monitor.ts';
import { PreviewDesk, type PreviewStats } from './preview.ts';
import { ComplianceScreen } from './screen.ts';

/** A call this runner placed and has not yet seen end. */
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
}

export interface RunnerStats {
  dials: number;
  answered: { person: number; machine: number };
  connects: number;
  abandons: number;
  refusals: Record<string, number>;
  mode: GovernedMode;
  modeReason: string;
  /** What tripped the circuit breaker, if it did. */
  breaker?: string;
  /** Preview mode: contacts offered, dialed, skipped by reason (utilisation = dialed / offered). */
  previews: PreviewStats;
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

/** What the runner reads and writes in the database. */
export interface RunnerRepos {
  campaigns: Pick<
    CampaignsRepo,
    | 'lease'
    | 'release'
    | 'defer'
    | 'remaining'
    | 'recordPreview'
    | 'claimListQuota'
    | 'returnListQuota'
    | 'reconcileListQuota'
  >;
  attempts: Pick<AttemptsRepo, 'campaignBuckets' | 'history'>;
  dnc: Pick<DncRepo, 'blocked'>;
}

/**
 * Why a runner stopped dialing by itself. The campaign should follow (`Dialer` writes it, and
 * tries again at each sync until it is written); until a person changes the campaign, the
 * runner does not dial again.
 */
export type Halt =
  | { action: 'pause'; reason: 'circuit_breaker' | 'history_unavailable'; detail: string; at: number }
  | { action: 'finish'; reason: 'list_exhausted'; at: number };

export interface RunnerDeps {
  repos: RunnerRepos;
  telephony: Telephony;
  scheduler: Scheduler;
  desk: AgentDesk;
  bus: EventBus;
  attempts: Pick<AttemptRecorder, 'placed' | 'progress' | 'ended'>;
  /** The runner stopped by itself (circuit breaker, unreadable history, list exhausted). */
  onHalt?: (halt: Halt) => void;
  /** The project's time zone: the lists' daily caps count by its calendar day. */
  projectZone?: string;
  logger?: Logger;
}

/** The campaign's status reason when its history cannot be read at start. */
export const HISTORY_UNAVAILABLE =
  "history_unavailable: the campaign's past calls (answers and abandons over 30 days, today's list counts) could not be read, so its abandon-rate limit could not be enforced; resume it once the database is reachable";

const OUTCOME: Record<EndCause, 'person' | 'machine' | 'no_answer' | 'busy' | 'failed' | 'abandoned' | 'cancelled'> = {
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
 * One running campaign. Each tick (at most a second apart) it asks its pacing (`PacingMonitor`:
 * the policy the safety governor allows, capped by calls per second) how many calls to place,
 * leases that many contacts, claims their lists' daily dials (`ListQuota`), passes them through
 * the compliance gate (`ComplianceScreen`), records each attempt *before* dialing, and dials —
 * or, in preview mode, offers them to agents first (`PreviewDesk`). Answered calls go to the
 * best ready agent within the 2-second rule or are abandoned; every end is recorded once with
 * the contact's next step. The circuit breaker, an unreadable history or an exhausted list stop
 * it (`Halt`). Pure decisions come from packages/domain; this class wires them to the database,
 * the telephony port and the clock.
 */
export class CampaignRunner {
  private readonly calls = new Map<string, LiveCall>();
  private readonly pacing: PacingMonitor;
  private readonly quota: ListQuota;
  private readonly gate: ComplianceScreen;
  private readonly previews: PreviewDesk;
  private readonly counts = { dials: 0, person: 0, machine: 0, connects: 0, abandons: 0 };
  private readonly log: Logger;
  /** Database work started here and not yet settled (awaited by `idle`). */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;
  private timer: unknown;
  private ticking = false;
  private haltedBy: Halt | null = null;
  private stopped = false;
  private loading: Promise<void> | null = null;
  private historyLoaded = false;
  private callerIdTurn = 0;
  private exhaustedChecks = 0;

  constructor(
    private row: CampaignRow,
    private rules: ProjectRules,
    private projectCallerIds: readonly string[],
    private readonly deps: RunnerDeps,
    private readonly opts: RunnerOptions = {},
  ) {
    this.log = (deps.logger ?? silentLogger).child({ component: 'runner', campaignId: row.id });
    this.pacing = new PacingMonitor(row.settings, opts);
    const background = this.background.bind(this);
    this.quota = new ListQuota({
      repo: deps.repos.campaigns,
      campaignId: row.id,
      caps: () => this.row.settings.listDailyCaps ?? {},
      zone: deps.projectZone ?? 'UTC',
      now: () => this.now(),
      background,
    });
    this.gate = new ComplianceScreen({
      repos: deps.repos,
      bus: deps.bus,
      campaign: () => this.row,
      rules: () => this.rules,
    });
    this.previews = new PreviewDesk({
      host: {
        campaign: () => this.row,
        stopped: () => this.stopped,
        screen: (contacts, t, agentGuaranteed) => this.gate.screen(contacts, t, agentGuaranteed),
        dial: (contact, t, preview) => this.dial(contact, t, preview),
        wake: () => this.schedule(0),
      },
      repo: deps.repos.campaigns,
      desk: deps.desk,
      bus: deps.bus,
      scheduler: deps.scheduler,
      quota: this.quota,
      background,
    });
    this.unsubscribe = deps.telephony.subscribe((e) =>
      this.background(this.onTelephony(e), 'handling a call event failed', { attemptId: e.callId, event: e.type }),
    );
  }

  // ───────────────────────────── the campaign and its settings ─────────────────────────────

  /** The campaign as this runner last read it (settings changed while running are taken by `reconfigure`). */
  get campaign(): CampaignRow {
    return this.row;
  }

  get settings(): CampaignSettings {
    return this.row.settings;
  }

  /** Preview mode: the campaign's contacts are offered to agents, who dial or skip each one. */
  get previewMode(): boolean {
    return this.row.settings.dialMode === 'preview';
  }

  /**
   * The campaign row changed while running (settings configured, status moved): later
   * decisions use the new settings. A change to the pacing (mode, lines, abandon target, ring
   * timeout, AMD, calls/s) rebuilds the policies and the governor — they start from the
   * configured mode again and relearn; calls in flight, counts and the abandon history stay.
   */
  reconfigure(row: CampaignRow): void {
    if (row.id !== this.row.id || row.updatedAt.getTime() <= this.row.updatedAt.getTime()) return;
    const before = this.row.settings;
    this.row = row;
    if (pacingKey(before) !== pacingKey(row.settings)) this.pacing.configure(row.settings);
    if (JSON.stringify(before.listDailyCaps ?? {}) !== JSON.stringify(row.settings.listDailyCaps ?? {})) {
      this.quota.capsChanged();
      this.background(this.quota.reconcile(), "raising the lists' daily counts to today's attempts failed");
    }
  }

  /** The project's rules or caller IDs changed: the compliance gate uses the new rules from the next dial. */
  setProject(rules: ProjectRules, callerIds: readonly string[]): void {
    this.rules = rules;
    this.projectCallerIds = callerIds;
  }

  // ───────────────────────────── start, stop, resume ─────────────────────────────

  /**
   * Loads the campaign's 30-day answer/abandon history (so a restart keeps its rates) and raises
   * today's list counts, then dials. If that cannot be read the runner does not dial blind: it
   * halts, and the campaign is paused with the reason.
   */
  start(): void {
    if (this.loading || this.historyLoaded) return;
    this.loading = this.track(this.loadHistory()).then(
      () => {
        this.loading = null;
        this.historyLoaded = true;
        this.schedule(0);
      },
      (err: unknown) => {
        this.loading = null;
        this.log.error({ err }, "the campaign's call history could not be read: not dialing blind");
        if (!this.stopped)
          this.halt({ action: 'pause', reason: 'history_unavailable', detail: HISTORY_UNAVAILABLE, at: this.now() });
      },
    );
  }

  private async loadHistory(): Promise<void> {
    const t = this.now();
    const { attempts } = this.deps.repos;
    const [hours, minutes] = await Promise.all([
      attempts.campaignBuckets(this.row.id, new Date(t - 30 * 86_400_000), 'hour'),
      attempts.campaignBuckets(this.row.id, new Date(t - 3_600_000), 'minute'),
    ]);
    await this.quota.reconcile();
    this.pacing.seed(hours, minutes);
  }

  /** Stops dialing; calls in progress finish and are recorded; open preview offers go back to the list. */
  stop(): void {
    this.stopped = true;
    this.deps.scheduler.clearTimeout(this.timer);
    this.previews.skipAll('campaign_stopped');
  }

  /** Why the runner stopped by itself, until a person's change resumes it. */
  get halted(): Halt | null {
    return this.haltedBy;
  }

  /**
   * Dials again after `stop` (the campaign was resumed). After a halt, only a campaign row
   * changed since then (a person's resume) counts — not a sync that read the row before the
   * pause was written. The breaker then judges only what happens from now on.
   */
  resume(rowUpdatedAt?: Date): void {
    if (!this.stopped) return;
    if (this.haltedBy && (rowUpdatedAt === undefined || rowUpdatedAt.getTime() <= this.haltedBy.at)) return;
    this.haltedBy = null;
    this.stopped = false;
    this.pacing.resetBreaker();
    if (this.historyLoaded) this.schedule(0);
    else this.start();
  }

  private halt(h: Halt, event?: DialerEvent): void {
    this.stop();
    this.haltedBy = h;
    if (event) this.deps.bus.publish(event);
    this.deps.onHalt?.(h);
  }

  /** Resolves when no database work started by this runner is outstanding (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.stop();
    this.unsubscribe();
    this.previews.dispose();
  }

  // ───────────────────────────── the loop ─────────────────────────────

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.deps.scheduler.clearTimeout(this.timer);
    this.timer = this.deps.scheduler.setTimeout(() => {
      // A steady cadence from each tick's start (at most a second apart), so a slow tick does
      // not stretch the interval and the calls-per-second cap, not the tick, sets the rate.
      const started = this.now();
      void this.track(this.tick())
        .catch((err: unknown) => this.log.error({ err }, 'a dialing decision failed; the next tick tries again'))
        .finally(() => this.schedule(Math.max(0, this.pacing.tickMs() - (this.now() - started))));
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const t = this.now();
      this.updateGovernor(t);
      if (this.breakerTripped(t)) return;
      const n = this.previewMode
        ? this.previews.wanted()
        : this.pacing.dials(this.snapshot(t), this.opts.random ?? (() => 0.5), t);
      if (n <= 0) return;
      const leased = await this.quota.claim(await this.deps.repos.campaigns.lease(this.leaseArgs(n)));
      if (leased.length === 0) return await this.checkExhausted();
      this.exhaustedChecks = 0;
      try {
        if (this.previewMode) await this.previews.offer(leased);
        else await this.dialAll(leased);
      } catch (err) {
        // A write failed on the way: the contacts neither dialed nor offered give their lists' dials back.
        this.quota.giveBack(leased.filter((k) => !this.previews.holds(k.id)));
        throw err;
      }
    } finally {
      this.ticking = false;
    }
  }

  private updateGovernor(t: number): void {
    const step = this.pacing.updateGovernor(t);
    if (!step) return;
    this.log.info({ from: step.from, to: step.to, reason: step.reason, detail: step.detail }, 'dial mode changed');
    this.deps.bus.publish({
      type: 'ModeChanged',
      at: t,
      campaignId: this.row.id,
      from: step.from,
      to: step.to,
      reason: step.reason,
      detail: step.detail,
    });
  }

  /** Checks the circuit breaker; when it trips, dialing stops here and the campaign is paused with the finding. */
  private breakerTripped(t: number): boolean {
    const trip = this.pacing.breakerTrip(t);
    if (!trip) return false;
    this.log.warn({ reason: trip.reason, detail: trip.detail }, 'circuit breaker tripped: dialing stopped');
    this.halt(
      { action: 'pause', reason: 'circuit_breaker', detail: `${trip.reason}: ${trip.detail}`, at: t },
      { type: 'CircuitBreakerTripped', at: t, campaignId: this.row.id, reason: trip.reason, detail: trip.detail },
    );
    return true;
  }

  private async checkExhausted(): Promise<void> {
    if (this.calls.size > 0) return;
    // Two empty looks in a row with nothing in flight: nothing is left to call, now or later.
    if (++this.exhaustedChecks < 2) return;
    if ((await this.deps.repos.campaigns.remaining(this.row.orgId, this.row.projectId)) > 0) return;
    this.halt({ action: 'finish', reason: 'list_exhausted', at: this.now() });
  }

  private async dialAll(leased: LeasedContact[]): Promise<void> {
    const t = this.now();
    // All at once: the attempts are written in one group commit, then the calls placed.
    const { allowed } = await this.gate.screen(leased, t, this.pacing.mode !== 'predictive');
    if (allowed.length < leased.length) {
      const ok = new Set(allowed);
      this.quota.giveBack(leased.filter((k) => !ok.has(k)));
    }
    // Every dial settles before a failure is reported, so none is still on its way when the
    // caller gives back the dials of the contacts that were not called.
    const failed = (await Promise.allSettled(allowed.map((contact) => this.dial(contact, t)))).find(
      (r) => r.status === 'rejected',
    );
    if (failed) throw failed.reason;
  }

  /** Records the attempt, then places the call (`preview`: the agent who chose to dial it gets it). */
  private async dial(
    contact: LeasedContact,
    t: number,
    preview?: { agentId: string; previewId: string },
  ): Promise<string> {
    const c = this.row;
    const s = c.settings;
    const pool = s.callerIds.length ? s.callerIds : this.projectCallerIds;
    const callerId = pool.length ? pool[this.callerIdTurn++ % pool.length]! : null;
    const dialMode = this.pacing.mode;
    // The attempt exists before the call does: a crash after this line leaves an open attempt
    // that the recovery closes, never a call nobody knows about.
    const attemptId = await this.deps.attempts.placed({
      orgId: c.orgId,
      projectId: c.projectId,
      campaignId: c.id,
      contactId: contact.id,
      phone: contact.phone,
      callerId,
      dialMode,
      placedAt: new Date(t),
    });
    this.calls.set(attemptId, {
      attemptId,
      contactId: contact.id,
      phone: contact.phone,
      placedAt: t,
      answeredAt: null,
      connectedAt: null,
      agentId: null,
      amd: null,
      waitTimer: undefined,
      abandoned: false,
      previewAgent: preview?.agentId ?? null,
      valueTier: this.valueTier(contact),
    });
    this.quota.used(contact.id);
    if (preview) this.deps.desk.moveReservation(preview.agentId, preview.previewId, attemptId, this.now());
    this.counts.dials++;
    this.pacing.count(t, 'dial');
    this.pacing.observe({ type: 'dial', t: t / 1000 });
    this.deps.bus.publish({ type: 'CallPlaced', at: t, campaignId: c.id, attemptId, contactId: contact.id });
    this.deps.telephony.originate({
      callId: attemptId,
      to: contact.phone,
      callerId: callerId ?? '',
      ringTimeoutMs: s.ringTimeoutSeconds * 1000,
      amd: s.amd && !preview,
    });
    return attemptId;
  }

  // ───────────────────────────── the call lifecycle ─────────────────────────────

  private async onTelephony(e: TelephonyEvent): Promise<void> {
    const call = this.calls.get(e.callId);
    if (!call) return; // another campaign's call
    switch (e.type) {
      case 'ringing':
      case 'connected':
        return;
      case 'answered':
        call.answeredAt = e.at;
        call.amd = e.amd;
        this.pacing.count(e.at, 'resolved');
        return call.previewAgent ? this.answeredPreview(call, call.previewAgent, e.at) : this.answered(call, e.at);
      case 'ended':
        return this.ended(call, e.cause, e.sipCode, e.at);
    }
  }

  /** A dialed-ahead call answered: a machine is released; a person goes to an agent, or waits up to the 2-second rule. */
  private answered(call: LiveCall, at: number): void {
    const human = call.amd !== 'machine';
    this.pacing.observe({ type: 'answer', t: at / 1000, human, ringS: (at - call.placedAt) / 1000 });
    this.deps.bus.publish({
      type: 'CallAnswered',
      at,
      campaignId: this.row.id,
      attemptId: call.attemptId,
      amd: call.amd ?? 'unknown',
    });
    if (!human) {
      this.counts.machine++;
      this.deps.telephony.hangup(call.attemptId, 'machine_released');
      return;
    }
    this.counts.person++;
    this.pacing.count(at, 'person');
    // Route first, write after: the customer is on the line now; the answer is recorded in
    // the next group commit (and again, in any case, with the call's end).
    this.background(
      this.deps.attempts.progress(call.attemptId, { answeredAt: new Date(at), amdResult: call.amd ?? 'unknown' }),
      'recording an answer failed',
      { attemptId: call.attemptId },
    );
    if (this.route(call)) return;
    const limitMs = ((this.opts.greetingS ?? 0) + (this.opts.connectWithinS ?? 2)) * 1000;
    call.waitTimer = this.deps.scheduler.setTimeout(() => this.expireWait(call), limitMs);
  }

  /** A previewed call answered: it is the agent's who dialed it (they hear whoever answered). */
  private async answeredPreview(call: LiveCall, agentId: string, at: number): Promise<void> {
    this.counts.person++;
    this.pacing.count(at, 'person');
    // The agent is gone (connection lost): a person answered and nobody is there.
    if (!this.deps.desk.reservedFor(agentId, call.attemptId)) return this.abandon(call, at);
    this.deps.telephony.connect(call.attemptId, agentId);
    this.deps.bus.publish({
      type: 'CallAnswered',
      at,
      campaignId: this.row.id,
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

  /** Tries to give a waiting call to the best ready agent now. */
  route(call: LiveCall): boolean {
    if (call.connectedAt !== null || call.abandoned || call.answeredAt === null || !this.calls.has(call.attemptId))
      return false;
    const at = this.now();
    const needs = callNeeds(this.row, call.valueTier);
    const agent = this.deps.desk.reserve(call.attemptId, needs, at, this.row.settings.routing);
    if (!agent) return false;
    try {
      this.deps.telephony.connect(call.attemptId, agent.id);
    } catch (err) {
      // The call went away under us (the callee hung up): the agent goes back to ready.
      this.log.debug({ err, attemptId: call.attemptId, agentId: agent.id }, 'a routed call could not be bridged');
      this.deps.desk.apply(agent.id, { type: 'release', at, callId: call.attemptId });
      return false;
    }
    this.deps.scheduler.clearTimeout(call.waitTimer);
    const waitMs = at - call.answeredAt;
    this.pacing.connectWait(waitMs);
    this.pacing.observe({ type: 'connect', t: at / 1000, waitS: waitMs / 1000 });
    this.connected(call, agent.id, at, waitMs);
    this.background(
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
      campaignId: this.row.id,
      attemptId: call.attemptId,
      contactId: call.contactId,
      agentId,
      waitMs,
    });
  }

  /** The 2-second rule ran out: a last look for an agent, else the call is abandoned. */
  private expireWait(call: LiveCall): void {
    if (call.connectedAt !== null || call.abandoned || !this.calls.has(call.attemptId)) return;
    if (!this.route(call)) this.abandon(call, this.now());
  }

  /** A person answered and no agent takes them: the abandon message plays; counted against the limit and the 72-hour rule. */
  private abandon(call: LiveCall, at: number): void {
    call.abandoned = true;
    this.counts.abandons++;
    this.pacing.count(at, 'abandon');
    this.pacing.observe({ type: 'abandon', t: at / 1000 });
    this.deps.telephony.abandon(call.attemptId);
  }

  private async ended(call: LiveCall, cause: EndCause, sipCode: number, at: number): Promise<void> {
    this.calls.delete(call.attemptId);
    this.deps.scheduler.clearTimeout(call.waitTimer);
    const outcome = call.abandoned ? 'abandoned' : OUTCOME[cause];
    this.pacing.count(at, 'ended');
    if (outcome === 'failed') this.pacing.count(at, 'failed');
    if (call.answeredAt === null) this.pacing.count(at, 'resolved');
    if (call.answeredAt === null && (outcome === 'no_answer' || outcome === 'busy' || outcome === 'failed'))
      this.pacing.observe({ type: 'no_answer', t: at / 1000, ringS: (at - call.placedAt) / 1000 });
    const { desk } = this.deps;
    if (call.agentId && call.connectedAt !== null) {
      const agent = desk.get(call.agentId);
      if (agent?.state.status === 'talking' && agent.state.callId === call.attemptId)
        desk.apply(call.agentId, { type: 'hangup', at, callId: call.attemptId });
      this.pacing.observe({ type: 'talk_end', t: at / 1000, talkS: (at - call.connectedAt) / 1000 });
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
      campaignId: this.row.id,
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
        this.log.warn({ err, attemptId, attempt }, "recording a call's end failed; trying again");
        await new Promise<void>((resolve) => this.deps.scheduler.setTimeout(resolve, 500 * 2 ** (attempt - 1)));
      }
    }
  }

  // ───────────────────────────── for the dialer ─────────────────────────────

  get liveCalls(): number {
    return this.calls.size;
  }

  /** Calls waiting for an agent, oldest first (the dialer offers them to an agent who becomes ready). */
  waitingCalls(): LiveCall[] {
    return [...this.calls.values()]
      .filter((c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned)
      .sort((a, b) => a.answeredAt! - b.answeredAt!);
  }

  /** An agent finished wrap-up: the policies learn wrap times from it. */
  agentWrapped(wrapS: number, at: number): void {
    this.pacing.observe({ type: 'wrap_end', t: at / 1000, wrapS });
  }

  /** The preview offered to this agent, if any. */
  previewOf(agentId: string): { id: string; contactId: string; offeredAt: number } | undefined {
    return this.previews.of(agentId);
  }

  /** The agent dialed or skipped the contact offered to them (throws PreviewGone for a stale offer). */
  decidePreview(
    previewId: string,
    decision: 'dial' | 'skip',
    reason: string | null = null,
  ): Promise<{ attemptId: string | null; refused: string | null }> {
    return this.previews.decide(previewId, decision, reason);
  }

  snapshotStats(): RunnerStats {
    const { dials, person, machine, connects, abandons } = this.counts;
    const previews = this.previews.stats;
    return {
      dials,
      answered: { person, machine },
      connects,
      abandons,
      refusals: { ...this.gate.refusals },
      mode: this.pacing.mode,
      modeReason: this.pacing.explain(),
      ...(this.haltedBy?.reason === 'circuit_breaker' ? { breaker: this.haltedBy.detail } : {}),
      previews: { ...previews, skipped: { ...previews.skipped } },
    };
  }

  // ───────────────────────────── helpers ─────────────────────────────

  private now(): number {
    return this.deps.scheduler.now();
  }

  private snapshot(t: number) {
    // Only this campaign's organisation's agents can take its calls, so only they pace it.
    const org = this.row.orgId;
    const agents = this.deps.desk.all().filter((a) => a.orgId === null || a.orgId === org);
    return pacingSnapshot(t, agents, this.calls.values());
  }

  /** A lease outlives what may happen to the contact under it: a preview left open to its timeout, a long ring. */
  private leaseArgs(limit: number) {
    const c = this.row;
    const s = c.settings;
    const t = this.now();
    return {
      orgId: c.orgId,
      projectId: c.projectId,
      campaignId: c.id,
      tags: s.tags,
      limit,
      now: new Date(t),
      ttlMs: Math.max(
        this.opts.leaseMs ?? 10 * 60_000,
        ((s.previewTimeoutSeconds ?? 120) + s.ringTimeoutSeconds + 120) * 1000,
      ),
      lists: s.lists ?? [],
      excludeLists: this.quota.excluded(t),
    };
  }

  private valueTier(k: LeasedContact): number {
    const field = this.row.settings.valueTierField;
    const v = field ? Number(k.custom?.[field]) : 0;
    return Number.isFinite(v) ? Math.max(0, Math.min(3, Math.round(v))) : 0;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    // Bookkeeping for `idle` only: the outcome is the caller's (awaited, or logged by `background`).
    const done = () => void this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  /** Work nobody awaits: tracked for `idle`, and logged with its context if it fails. */
  private background(p: Promise<unknown>, what: string, context: Record<string, unknown> = {}): void {
    this.track(p).catch((err: unknown) => this.log.error({ err, ...context }, what));
  }
}
