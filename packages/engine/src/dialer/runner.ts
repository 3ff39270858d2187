import type { CampaignRow, LeasedContact, Repositories } from '../ports/index.ts';
import { defaultIvrSettings, type CampaignSettings, type IvrSettings } from '@outdial/domain/campaigns';
import { checkDial, type AttemptRecord } from '@outdial/domain/compliance';
import {
  CallRateLimiter,
  IvrPolicy,
  PowerPolicy,
  PredictivePolicy,
  ProgressivePolicy,
  RollingCounts,
  SafetyGovernor,
  checkBreaker,
  defaultBreakerLimits,
  defaultGovernorLimits,
  type BreakerLimits,
  type GovernedMode,
  type PacingEvent,
  type PacingPolicy,
  type PacingSnapshot,
} from '@outdial/domain/pacing';
import { defaultTimeZoneForRegion } from '@outdial/domain/phone';
import { DateTime } from 'luxon';
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
  /** Preview mode: the agent who chose to dial this call; it goes to them, not through routing. */
  previewAgent: string | null;
  /** The customer's value tier 0–3 (score routing), from the campaign's value-tier field. */
  valueTier: number;
  /** IVR campaign: the prompt is playing and no key has been pressed yet (no agent is sought meanwhile). */
  ivrPending: boolean;
  ivrTimer: unknown;
}

/** A contact offered to an agent in preview mode, waiting for them to dial or skip it. */
interface Preview {
  id: string;
  agentId: string;
  contact: LeasedContact;
  offeredAt: number;
  timer: unknown;
}

export interface PreviewStats {
  offered: number;
  dialed: number;
  skipped: Record<string, number>;
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

/** The preview was decided already (or timed out) — the agent acted on a stale offer. */
export class PreviewGone extends Error {
  constructor() {
    super('this preview is no longer open');
  }
}

const RunnerBreakerCounts = () =>
  new RollingCounts(['ended', 'failed', 'person', 'abandon'] as const, 10_000, 3_600_000);

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
  private policies!: Record<GovernedMode, PacingPolicy>;
  private governor!: SafetyGovernor;
  private limiter!: CallRateLimiter;
  private readonly stats: RunnerStats;
  /** Dials, person answers and abandons: by minute for the last hour, by hour for 30 days. */
  /** `resolved`: dials whose fate is known (answered, or ended unanswered) — the answer rate's denominator. */
  private readonly byMinute = new RollingCounts(['dial', 'resolved', 'person', 'abandon'] as const, 60_000, 3_600_000);
  /** What the circuit breaker judges, since the campaign was (re)started: a person's resume starts afresh. */
  private breakerCounts = RunnerBreakerCounts();
  private breakerLimits!: BreakerLimits;
  private readonly byHour = new RollingCounts(['person', 'abandon'] as const, 3_600_000, 30 * 86_400_000);
  /** The last connect waits (ms), a ring: the governor's latency p90 comes from them. */
  private readonly latencies: number[] = [];
  private latencyTurn = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly previews = new Map<string, Preview>();
  private previewTurn = 0;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeBus: () => void;
  private timer: unknown;
  private ticking = false;
  private stopped = false;
  private callerIdTurn = 0;
  private exhaustedChecks = 0;
  private lastRefusal: string | null = null;
  /** When the circuit breaker stopped the runner (null: it did not). */
  private haltedAt: number | null = null;
  /** Leased contacts holding a dial claimed from their list's daily cap, not yet dialed. */
  private claims = new Map<string, { list: string; day: string }>();
  /** Lists whose cap a claim found reached (left out of leases); looked at again each minute, as other nodes give quota back. */
  private fullLists = new Set<string>();
  private fullDay = '';
  private fullSince = 0;

  constructor(
    private row: CampaignRow,
    private rules: ProjectRules,
    private projectCallerIds: readonly string[],
    private readonly deps: {
      repos: Repositories;
      telephony: Telephony;
      scheduler: Scheduler;
      desk: AgentDesk;
      bus: EventBus;
      attempts: AttemptRecorder;
      onFinished?: (reason: 'list_exhausted') => void;
      /** The circuit breaker tripped: the runner has stopped dialing; the campaign should be paused. */
      onBreaker?: (reason: string, detail: string) => void;
      /** The project's time zone: the lists' daily caps count by its calendar day. */
      projectZone?: string;
      /** A tick or a write failed (the database went away…): logged; the runner carries on. */
      onError?: (err: unknown) => void;
    },
    private readonly opts: RunnerOptions = {},
  ) {
    const configured = this.pace(row.settings);
    this.stats = {
      dials: 0,
      answered: { person: 0, machine: 0 },
      connects: 0,
      abandons: 0,
      refusals: {},
      mode: configured,
      modeReason: this.governor.explain(),
      previews: { offered: 0, dialed: 0, skipped: {} },
    };
    this.unsubscribe = deps.telephony.subscribe((e) => this.track(this.onTelephony(e)));
    // An agent who leaves a preview (connection lost, logged out) gives the contact back at once.
    this.unsubscribeBus = deps.bus.subscribe((e) => {
      if (e.type !== 'AgentStateChanged' || e.status === 'reserved') return;
      for (const p of this.previews.values())
        if (p.agentId === e.agentId)
          void this.track(this.decidePreview(p.id, 'skip', 'agent_left').catch(() => undefined));
    });
  }

  /** The campaign as this runner last read it (settings changed while running are taken by `reconfigure`). */
  get campaign(): CampaignRow {
    return this.row;
  }

  get settings(): CampaignSettings {
    return this.row.settings;
  }

  /** Builds the pacing from the settings: the policies, the governor in the configured mode, the calls/s cap, the breaker's limits. */
  private pace(s: CampaignSettings): GovernedMode {
    const dialer = {
      noAnswerTimeoutS: s.ringTimeoutSeconds,
      greetingS: this.opts.greetingS ?? 0,
      connectWithinS: this.opts.connectWithinS ?? 2,
      amdDecisionS: s.amd ? 1.5 : 0,
      maxAbandonRate: s.abandonTarget,
    };
    if (s.dialMode === 'ivr') {
      // Agentless: the IVR's lines set the pace whatever mode the governor is in (no agent waits).
      const ivr = new IvrPolicy(this.ivr(s).lines);
      this.policies = { predictive: ivr, progressive: ivr, preview: ivr };
    } else {
      const ahead: PacingPolicy =
        s.dialMode === 'power' ? new PowerPolicy(s.linesPerAgent) : new PredictivePolicy(dialer);
      const progressive = new ProgressivePolicy();
      // Preview needs the agent's own click (workstation); until then it is served as progressive.
      this.policies = { predictive: ahead, progressive, preview: progressive };
    }
    const configured: GovernedMode =
      s.dialMode === 'preview' ? 'preview' : s.dialMode === 'progressive' ? 'progressive' : 'predictive';
    this.governor = new SafetyGovernor(configured, defaultGovernorLimits(s.abandonTarget));
    this.limiter = new CallRateLimiter(s.maxCallsPerSecond);
    this.breakerLimits = defaultBreakerLimits(s.abandonTarget);
    return configured;
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
    const s = row.settings;
    const pacing = (x: CampaignSettings) =>
      JSON.stringify([
        x.dialMode,
        x.linesPerAgent,
        x.abandonTarget,
        x.ringTimeoutSeconds,
        x.amd,
        x.maxCallsPerSecond,
        x.ivr?.lines ?? null,
      ]);
    if (pacing(before) !== pacing(s)) {
      const configured = this.pace(s);
      this.stats.mode = configured;
      this.stats.modeReason = this.governor.explain();
    }
    if (JSON.stringify(before.listDailyCaps ?? {}) !== JSON.stringify(s.listDailyCaps ?? {})) {
      this.fullLists.clear();
      void this.track(this.reconcileCaps()).catch((err: unknown) => this.deps.onError?.(err));
    }
  }

  /** The IVR menu of an agentless campaign (the defaults where the settings leave it out). */
  private ivr(s: CampaignSettings = this.settings): IvrSettings {
    return s.ivr ?? defaultIvrSettings();
  }

  /** The project's rules or caller IDs changed: the compliance gate uses the new rules from the next dial. */
  setProject(rules: ProjectRules, callerIds: readonly string[]): void {
    this.rules = rules;
    this.projectCallerIds = callerIds;
  }

  get liveCalls(): number {
    return this.calls.size;
  }

  snapshotStats(): RunnerStats {
    return {
      ...this.stats,
      answered: { ...this.stats.answered },
      refusals: { ...this.stats.refusals },
      previews: { ...this.stats.previews, skipped: { ...this.stats.previews.skipped } },
    };
  }

  /** Loads the campaign's 30-day answer/abandon history (so a restart keeps its rates), then dials. */
  start(): void {
    void this.track(this.loadHistory())
      .catch(() => undefined)
      .finally(() => this.schedule(0));
  }

  private async loadHistory(): Promise<void> {
    const t = this.now();
    const { attempts } = this.deps.repos;
    const [hours, minutes] = await Promise.all([
      attempts.campaignBuckets(this.campaign.id, new Date(t - 30 * 86_400_000), 'hour'),
      attempts.campaignBuckets(this.campaign.id, new Date(t - 3_600_000), 'minute'),
    ]);
    for (const b of hours) this.byHour.seed(b.start.getTime(), { person: b.person, abandon: b.abandons });
    await this.reconcileCaps();
    for (const b of minutes)
      this.byMinute.seed(b.start.getTime(), {
        dial: b.dials,
        resolved: b.resolved,
        person: b.person,
        abandon: b.abandons,
      });
  }

  private today(t: number): { day: string; start: Date } {
    const d = DateTime.fromMillis(t, { zone: this.deps.projectZone ?? 'UTC' }).startOf('day');
    return { day: d.toISODate() ?? '', start: d.toJSDate() };
  }

  /**
   * The lists' shared counts for today are at least the attempts already placed (dials made
   * while a list had no cap, or by a node of an older version, are not in the count otherwise).
   */
  private async reconcileCaps(): Promise<void> {
    const lists = Object.keys(this.settings.listDailyCaps ?? {});
    if (lists.length === 0) return;
    const { day, start } = this.today(this.now());
    await this.deps.repos.campaigns.reconcileListQuota(this.row.id, lists, day, start);
  }

  /** Lists found full today: not leased from (counts start afresh each project day). */
  private cappedLists(t: number): string[] {
    if (Object.keys(this.campaign.settings.listDailyCaps ?? {}).length === 0) return [];
    const { day } = this.today(t);
    if (day !== this.fullDay || t - this.fullSince >= 60_000) {
      this.fullDay = day;
      this.fullSince = t;
      this.fullLists.clear();
    }
    return [...this.fullLists];
  }

  /**
   * Keeps the leased contacts their lists' daily caps still allow and gives the rest back. The
   * dials are claimed from the caps in the database (shared by every node running the
   * campaign); a claimed contact that is then not dialed gives its dial back (`giveBack`).
   */
  private async withinCaps(leased: LeasedContact[]): Promise<LeasedContact[]> {
    const caps = this.campaign.settings.listDailyCaps ?? {};
    if (Object.keys(caps).length === 0) return leased;
    const byList = new Map<string, LeasedContact[]>();
    for (const k of leased) {
      if (!k.importId || caps[k.importId] === undefined) continue;
      const ks = byList.get(k.importId);
      if (ks) ks.push(k);
      else byList.set(k.importId, [k]);
    }
    if (byList.size === 0) return leased;
    const { day, start } = this.today(this.now());
    const refused = new Set<string>();
    try {
      for (const [list, ks] of byList) {
        const granted = await this.deps.repos.campaigns.claimListQuota(
          this.campaign.id,
          list,
          day,
          start,
          ks.length,
          caps[list]!,
        );
        if (granted < ks.length) this.fullLists.add(list);
        for (const [i, k] of ks.entries()) {
          if (i < granted) this.claims.set(k.id, { list, day });
          else refused.add(k.id);
        }
      }
      await this.deps.repos.campaigns.release(this.campaign.id, [...refused]);
    } catch (err) {
      this.giveBack(leased); // what was claimed before the failure
      throw err;
    }
    return leased.filter((k) => !refused.has(k.id));
  }

  /** Claimed contacts that will not be dialed (refused by the gate, skipped, unused) give their dials back to their lists. */
  private giveBack(contacts: readonly LeasedContact[]): void {
    if (this.claims.size === 0) return; // no capped list: nothing was claimed
    const back = new Map<string, { list: string; day: string; n: number }>();
    for (const k of contacts) {
      const claim = this.claims.get(k.id);
      if (!claim) continue;
      this.claims.delete(k.id);
      const key = `${claim.list}/${claim.day}`;
      back.set(key, { ...claim, n: (back.get(key)?.n ?? 0) + 1 });
      this.fullLists.delete(claim.list);
    }
    for (const b of back.values())
      void this.track(this.deps.repos.campaigns.returnListQuota(this.campaign.id, b.list, b.day, b.n)).catch(
        (err: unknown) => this.deps.onError?.(err),
      );
  }

  /** A lease outlives what may happen to the contact under it: a preview left open to its timeout, a long ring. */
  private leaseMs(): number {
    const s = this.campaign.settings;
    return Math.max(
      this.opts.leaseMs ?? 10 * 60_000,
      ((s.previewTimeoutSeconds ?? 120) + s.ringTimeoutSeconds + 120) * 1000,
    );
  }

  private leaseArgs(limit: number) {
    const c = this.campaign;
    const t = this.now();
    return {
      orgId: c.orgId,
      projectId: c.projectId,
      campaignId: c.id,
      tags: c.settings.tags,
      limit,
      now: new Date(t),
      ttlMs: this.leaseMs(),
      lists: c.settings.lists ?? [],
      excludeLists: this.cappedLists(t),
    };
  }

  private valueTier(k: LeasedContact): number {
    const field = this.campaign.settings.valueTierField;
    const v = field ? Number(k.custom?.[field]) : 0;
    return Number.isFinite(v) ? Math.max(0, Math.min(3, Math.round(v))) : 0;
  }

  private count(t: number, kind: 'dial' | 'resolved' | 'person' | 'abandon' | 'ended' | 'failed'): void {
    if (kind !== 'ended' && kind !== 'failed') this.byMinute.add(t, kind);
    if (kind === 'person' || kind === 'abandon') this.byHour.add(t, kind);
    if (kind !== 'dial' && kind !== 'resolved') this.breakerCounts.add(t, kind);
  }

  private latency(ms: number): void {
    if (this.latencies.length < 500) this.latencies.push(ms);
    else this.latencies[this.latencyTurn++ % 500] = ms;
  }

  /** Stops dialing; calls in progress finish and are recorded. */
  stop(): void {
    this.stopped = true;
    this.deps.scheduler.clearTimeout(this.timer);
    // Offers nobody has acted on go back to the list.
    for (const p of [...this.previews.values()])
      void this.track(this.decidePreview(p.id, 'skip', 'campaign_stopped').catch(() => undefined));
  }

  /**
   * Dials again after `stop` (the campaign was resumed). After the breaker stopped it, only a
   * campaign row changed since then (a person's resume) counts — not a sync that read the row
   * before the pause was written.
   */
  resume(rowUpdatedAt?: Date): void {
    if (!this.stopped) return;
    if (this.haltedAt !== null && (rowUpdatedAt === undefined || rowUpdatedAt.getTime() <= this.haltedAt)) return;
    this.haltedAt = null;
    this.stopped = false;
    this.breakerCounts = RunnerBreakerCounts();
    delete this.stats.breaker;
    this.schedule(0);
  }

  /** Resolves when no database work started by this runner is outstanding (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.stop();
    this.unsubscribe();
    this.unsubscribeBus();
    for (const p of this.previews.values()) this.deps.scheduler.clearTimeout(p.timer);
  }

  /** Preview mode: the campaign's contacts are offered to agents, who dial or skip each one. */
  get previewMode(): boolean {
    return this.campaign.settings.dialMode === 'preview';
  }

  /** The preview offered to this agent, if any. */
  previewOf(agentId: string): { id: string; contactId: string; offeredAt: number } | undefined {
    for (const p of this.previews.values())
      if (p.agentId === agentId) return { id: p.id, contactId: p.contact.id, offeredAt: p.offeredAt };
    return undefined;
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
      // A steady cadence from each tick's start (at most a second apart), so a slow tick does
      // not stretch the interval and the calls-per-second cap, not the tick, sets the rate.
      const started = this.now();
      void this.track(this.tick())
        .catch((err: unknown) => this.deps.onError?.(err))
        .finally(() => {
          const every = Math.min(this.policy().tickS, 1) * 1000;
          this.schedule(Math.max(0, every - (this.now() - started)));
        });
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
    // Only this campaign's organisation's agents can take its calls, so only they pace it.
    const org = this.campaign.orgId;
    const agents = this.deps.desk.all().filter((a) => a.orgId === null || a.orgId === org);
    const by = (st: string) => agents.filter((a) => a.state.status === st);
    const calls = [...this.calls.values()];
    const ringing = calls.filter((c) => c.answeredAt === null);
    const waiting = calls.filter(
      (c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned && !c.ivrPending,
    );
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
    const inHour = this.byMinute.sum(t, 3_600_000);
    const day = this.byHour.sum(t, 86_400_000);
    const month = this.byHour.sum(t, 30 * 86_400_000);
    const latencies = [...this.latencies].sort((a, b) => a - b);
    const hour = { abandoned: inHour.abandon, answered: inHour.person };
    const step = this.governor.update({
      t: t / 1000,
      abandon: {
        hour,
        today: { abandoned: day.abandon, answered: day.person },
        days30: { abandoned: month.abandon, answered: month.person },
      },
      // Calls still ringing are not failures to answer: only dials whose fate is known count.
      answer: { dialed: inHour.resolved, answered: hour.answered },
      connectLatencyP90S: latencies.length >= 10 ? latencies[Math.floor(latencies.length * 0.9)]! / 1000 : null,
    });
    if (step) {
      this.stats.mode = step.to;
      this.stats.modeReason = this.governor.explain();
      this.deps.bus.publish({
        type: 'ModeChanged',
        at: t,
        campaignId: this.campaign.id,
        from: step.from,
        to: step.to,
        reason: step.reason,
        detail: step.detail,
      });
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      this.governorUpdate();
      if (this.breakerTripped()) return;
      if (this.previewMode) return await this.offerPreviews();
      const wanted = this.policy().decide(this.snapshot(), this.opts.random ?? (() => 0.5)).dials;
      const n = this.limiter.take(this.now() / 1000, wanted);
      if (n <= 0) return;
      const { repos } = this.deps;
      const leased = await this.withinCaps(await repos.campaigns.lease(this.leaseArgs(n)));
      if (leased.length === 0) return this.checkExhausted();
      this.exhaustedChecks = 0;
      try {
        await this.dialAll(leased);
      } catch (err) {
        // A write failed on the way: the contacts not dialed give their lists' dials back.
        this.giveBack(leased);
        throw err;
      }
    } finally {
      this.ticking = false;
    }
  }

  /** Checks the circuit breaker; when it trips, dialing stops here and the dialer pauses the campaign. */
  private breakerTripped(): boolean {
    const t = this.now();
    const recent = this.breakerCounts.sum(t, 5 * 60_000);
    const hour = this.breakerCounts.sum(t, 3_600_000);
    const trip = checkBreaker(
      {
        recent: { ended: recent.ended, failed: recent.failed },
        hour: { answered: hour.person, abandoned: hour.abandon },
        mode: this.governor.mode,
      },
      this.breakerLimits,
    );
    if (!trip) return false;
    this.stop();
    this.haltedAt = t;
    this.stats.breaker = `${trip.reason}: ${trip.detail}`;
    this.deps.bus.publish({
      type: 'CircuitBreakerTripped',
      at: t,
      campaignId: this.campaign.id,
      reason: trip.reason,
      detail: trip.detail,
    });
    this.deps.onBreaker?.(trip.reason, trip.detail);
    return true;
  }

  private async checkExhausted(): Promise<void> {
    if (this.calls.size > 0) return;
    // Two empty looks in a row with nothing in flight: nothing is left to call, now or later.
    if (++this.exhaustedChecks < 2) return;
    const open = await this.deps.repos.campaigns.remaining(this.campaign.orgId, this.campaign.projectId);
    if (open === 0) {
      this.stop();
      this.deps.bus.publish({
        type: 'CampaignFinished',
        at: this.now(),
        campaignId: this.campaign.id,
        reason: 'list_exhausted',
      });
      this.deps.onFinished?.('list_exhausted');
    }
  }

  private async dialAll(leased: LeasedContact[]): Promise<void> {
    const t = this.now();
    // All at once: the attempts are written in one group commit, then the calls placed.
    const allowed = await this.screen(leased, t, this.governor.mode !== 'predictive');
    if (allowed.length < leased.length) {
      const ok = new Set(allowed);
      this.giveBack(leased.filter((k) => !ok.has(k)));
    }
    // Every dial settles before a failure is reported, so none is still on its way when the
    // caller gives back the dials of the contacts that were not called.
    const failed = (await Promise.allSettled(allowed.map((contact) => this.dial(contact, t)))).find(
      (r) => r.status === 'rejected',
    );
    if (failed) throw failed.reason;
  }

  /**
   * The compliance gate over leased contacts, with their history and the do-not-call lists as
   * they are now: refused ones are deferred (or closed) and counted; the allowed ones returned.
   */
  private async screen(leased: LeasedContact[], t: number, agentGuaranteed: boolean): Promise<LeasedContact[]> {
    const { repos } = this.deps;
    const c = this.campaign;
    const allowed: LeasedContact[] = [];
    const [history, blocked] = await Promise.all([
      repos.attempts.history(leased.map((l) => l.id)),
      repos.dnc.blocked(
        c.orgId,
        c.projectId,
        leased.map((l) => l.phone),
        new Date(t),
      ),
    ]);
    for (const contact of leased) {
      const attempts: AttemptRecord[] = history
        .filter((h) => h.contactId === contact.id)
        .map((h) => ({ phone: h.phone, placedAt: h.placedAt.getTime(), outcome: h.outcome }));
      const gate = checkDial(
        {
          contactStatus: contact.status,
          callbackAt: contact.callbackAt?.getTime() ?? null,
          contactTimeZone: contact.timezone,
          numberTimeZone: defaultTimeZoneForRegion(contact.region ?? ''),
          phone: contact.phone,
          attempts,
          onDncList: blocked.has(contact.phone),
          agentGuaranteed,
        },
        this.rules,
        t,
      );
      if (!gate.allowed) {
        this.stats.refusals[gate.code] = (this.stats.refusals[gate.code] ?? 0) + 1;
        this.lastRefusal = gate.code;
        this.deps.bus.publish({ type: 'DialRefused', at: t, campaignId: c.id, contactId: contact.id, code: gate.code });
        // Without a known retry time: a day for a blocked number (lists change rarely), else 15 min.
        const until = gate.retryAt ?? t + (gate.code === 'dnc' ? 86_400_000 : 15 * 60_000);
        await repos.campaigns.defer(
          c.id,
          contact.id,
          new Date(until),
          gate.closeContact ? { reason: 'max_attempts' } : null,
        );
        continue;
      }
      allowed.push(contact);
    }
    return allowed;
  }

  /** Preview mode: one contact for each ready agent who can take this campaign, shown before any dial. */
  private async offerPreviews(): Promise<void> {
    const required = this.campaign.settings.requiredSkills;
    const skills = Object.keys(required);
    const orgId = this.campaign.orgId;
    const needs = skills.length
      ? { skills, minLevel: Math.min(...Object.values(required)), orgId }
      : { skills: [], orgId };
    const want = Math.min(
      this.deps.desk
        .all()
        .filter((a) => a.state.status === 'ready' && (a.orgId === null || a.orgId === this.campaign.orgId)).length,
      50,
    );
    if (want <= 0) return;
    const leased = await this.withinCaps(await this.deps.repos.campaigns.lease(this.leaseArgs(want)));
    if (leased.length === 0) return this.checkExhausted();
    this.exhaustedChecks = 0;
    try {
      await this.offer(leased, needs);
    } catch (err) {
      // A write failed on the way: contacts not offered give their lists' dials back.
      const offered = new Set([...this.previews.values()].map((p) => p.contact.id));
      this.giveBack(leased.filter((k) => !offered.has(k.id)));
      throw err;
    }
  }

  private async offer(leased: LeasedContact[], needs: Parameters<AgentDesk['reserve']>[1]): Promise<void> {
    const c = this.campaign;
    const t = this.now();
    const allowed = await this.screen(leased, t, true);
    const unused: string[] = [];
    for (const contact of allowed) {
      if (this.stopped) {
        unused.push(contact.id);
        continue;
      }
      const id = `preview:${c.id}:${++this.previewTurn}`;
      const agent = this.deps.desk.reserve(id, needs, this.now());
      if (!agent) {
        unused.push(contact.id);
        continue;
      }
      const timeoutS = this.campaign.settings.previewTimeoutSeconds ?? 120;
      const p: Preview = { id, agentId: agent.id, contact, offeredAt: this.now(), timer: undefined };
      p.timer = this.deps.scheduler.setTimeout(
        () => void this.track(this.decidePreview(id, 'skip', 'timeout').catch(() => undefined)),
        timeoutS * 1000,
      );
      this.previews.set(id, p);
      this.stats.previews.offered++;
      this.deps.bus.publish({
        type: 'PreviewOffered',
        at: p.offeredAt,
        campaignId: c.id,
        previewId: id,
        agentId: agent.id,
        contactId: contact.id,
        timeoutS,
      });
    }
    // Agents were taken meanwhile (or the campaign stopped): the rest go back to the list now.
    const offered = new Set(allowed.filter((k) => !unused.includes(k.id)));
    this.giveBack(leased.filter((k) => !offered.has(k)));
    await this.deps.repos.campaigns.release(c.id, unused);
  }

  /**
   * The agent dialed or skipped the contact offered to them. Dial: the compliance gate looks
   * again (time has passed), the attempt is recorded and the call placed, and it goes to this
   * agent when answered. Skip: the contact goes back to the list for 15 minutes.
   */
  async decidePreview(
    previewId: string,
    decision: 'dial' | 'skip',
    reason: string | null = null,
  ): Promise<{ attemptId: string | null; refused: string | null }> {
    const p = this.previews.get(previewId);
    if (!p) throw new PreviewGone();
    this.previews.delete(previewId);
    this.deps.scheduler.clearTimeout(p.timer);
    const { desk, repos, bus } = this.deps;
    const c = this.campaign;
    const t = this.now();
    const stillReserved = () => {
      const a = desk.get(p.agentId);
      return a?.state.status === 'reserved' && a.state.callId === previewId;
    };
    let refused: string | null = null;
    let dialed = false;
    try {
      // The agent may have gone (connection lost) while the gate looked: then nobody would take the call.
      if (decision === 'dial' && !stillReserved()) {
        reason = 'agent_left';
        await repos.campaigns.release(c.id, [p.contact.id]);
      } else if (decision === 'dial') {
        const [contact] = await this.screen([p.contact], t, true);
        if (contact && stillReserved()) {
          const attemptId = await this.dial(contact, t, { agentId: p.agentId, previewId });
          dialed = true;
          this.stats.previews.dialed++;
          void this.track(
            repos.campaigns.recordPreview({
              orgId: c.orgId,
              campaignId: c.id,
              contactId: p.contact.id,
              agentUserId: p.agentId,
              decision: 'dial',
              reason: null,
              offeredAt: new Date(p.offeredAt),
              decidedAt: new Date(t),
            }),
          );
          bus.publish({
            type: 'PreviewDecided',
            at: t,
            campaignId: c.id,
            previewId,
            agentId: p.agentId,
            contactId: p.contact.id,
            decision: 'dial',
            reason: null,
          });
          return { attemptId, refused: null };
        }
        if (contact) {
          reason = 'agent_left';
          await repos.campaigns.release(c.id, [contact.id]);
        } else {
          // The gate refused it now (the window closed, the number was blocked meanwhile): a skip by the system.
          refused = this.lastRefusal ?? 'refused';
          reason = `refused_${refused}`;
        }
      } else {
        await repos.campaigns.defer(c.id, p.contact.id, new Date(t + 15 * 60_000), null);
      }
    } finally {
      // Whatever failed on the way, an agent is never left reserved for an offer that is gone,
      // and an undialed contact no longer counts against its list's cap.
      if (!dialed) {
        if (stillReserved()) desk.apply(p.agentId, { type: 'release', at: this.now(), callId: previewId });
        this.giveBack([p.contact]);
      }
    }
    const why = reason ?? 'unspecified';
    this.stats.previews.skipped[why] = (this.stats.previews.skipped[why] ?? 0) + 1;
    void this.track(
      repos.campaigns.recordPreview({
        orgId: c.orgId,
        campaignId: c.id,
        contactId: p.contact.id,
        agentUserId: p.agentId,
        decision: 'skip',
        reason: why,
        offeredAt: new Date(p.offeredAt),
        decidedAt: new Date(t),
      }),
    );
    bus.publish({
      type: 'PreviewDecided',
      at: t,
      campaignId: c.id,
      previewId,
      agentId: p.agentId,
      contactId: p.contact.id,
      decision: 'skip',
      reason: why,
    });
    if (!this.stopped) this.schedule(0); // offer the agent the next one
    return { attemptId: null, refused };
  }

  private async dial(
    contact: LeasedContact,
    t: number,
    preview?: { agentId: string; previewId: string },
  ): Promise<string> {
    const s = this.campaign.settings;
    const pool = s.callerIds.length ? s.callerIds : this.projectCallerIds;
    const callerId = pool.length ? pool[this.callerIdTurn++ % pool.length]! : null;
    const dialMode = this.governor.mode;
    // The attempt exists before the call does: a crash after this line leaves an open attempt
    // that the recovery closes, never a call nobody knows about.
    const attemptId = await this.deps.attempts.placed({
      orgId: this.campaign.orgId,
      projectId: this.campaign.projectId,
      campaignId: this.campaign.id,
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
      ivrPending: false,
      ivrTimer: undefined,
    });
    this.claims.delete(contact.id); // its list's dial (if capped) is used now
    if (preview) {
      // The agent's reservation moves from the offer to the call, with no gap another call could use.
      const a = this.deps.desk.get(preview.agentId);
      if (a?.state.status === 'reserved' && a.state.callId === preview.previewId) {
        this.deps.desk.apply(preview.agentId, { type: 'release', at: this.now(), callId: preview.previewId });
        this.deps.desk.apply(preview.agentId, { type: 'reserve', at: this.now(), callId: attemptId });
      }
    }
    this.stats.dials++;
    this.count(t, 'dial');
    this.observe({ type: 'dial', t: t / 1000 });
    this.deps.bus.publish({
      type: 'CallPlaced',
      at: t,
      campaignId: this.campaign.id,
      attemptId,
      contactId: contact.id,
    });
    this.deps.telephony.originate({
      callId: attemptId,
      to: contact.phone,
      callerId: callerId ?? '',
      ringTimeoutMs: s.ringTimeoutSeconds * 1000,
      amd: s.amd && !preview,
      ...(s.trunk ? { trunk: s.trunk } : {}),
      orgId: this.campaign.orgId,
    });
    return attemptId;
  }

  private async onTelephony(e: TelephonyEvent): Promise<void> {
    const call = this.calls.get(e.callId);
    if (!call) return; // another campaign's call
    const { telephony, bus, scheduler } = this.deps;
    switch (e.type) {
      case 'ringing':
        return;
      case 'answered': {
        call.answeredAt = e.at;
        call.amd = e.amd;
        this.count(e.at, 'resolved');
        if (call.previewAgent) return this.connectPreview(call, e.at);
        const human = e.amd !== 'machine';
        this.observe({ type: 'answer', t: e.at / 1000, human, ringS: (e.at - call.placedAt) / 1000 });
        bus.publish({
          type: 'CallAnswered',
          at: e.at,
          campaignId: this.campaign.id,
          attemptId: call.attemptId,
          amd: e.amd,
        });
        if (!human) {
          this.stats.answered.machine++;
          telephony.hangup(call.attemptId, 'machine_released');
          return;
        }
        this.stats.answered.person++;
        this.count(e.at, 'person');
        // Route first, write after: the customer is on the line now; the answer is recorded in
        // the next group commit (and again, in any case, with the call's end).
        void this.track(this.deps.attempts.progress(call.attemptId, { answeredAt: new Date(e.at), amdResult: e.amd }));
        if (this.settings.dialMode === 'ivr' && telephony.playPrompt) return this.startIvr(call);
        if (this.route(call)) return;
        // No agent now: wait up to the 2-second rule (after the greeting) for one to free up.
        const limitMs = ((this.opts.greetingS ?? 0) + (this.opts.connectWithinS ?? 2)) * 1000;
        call.waitTimer = scheduler.setTimeout(() => this.expireWait(call), limitMs);
        return;
      }
      case 'dtmf':
        return this.onKey(call, e.digit, e.at);
      case 'connected':
        return this.onConnected(call, e.agentId, e.at);
      case 'recorded':
        return;
      case 'ended':
        return this.ended(call, e.cause, e.sipCode, e.at);
    }
  }

  /** Whether this runner has the call (a live attempt of its campaign). */
  hasCall(attemptId: string): boolean {
    return this.calls.has(attemptId);
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
    desk.apply(toAgentId, { type: 'reserve', at: this.now(), callId: attemptId });
    try {
      telephony.transfer(attemptId, toAgentId, kind);
    } catch (err) {
      desk.apply(toAgentId, { type: 'release', at: this.now(), callId: attemptId });
      throw err;
    }
    // Their phone never answered: the reservation goes, the call stays where it is (or ended).
    scheduler.setTimeout(() => {
      const a = desk.get(toAgentId);
      if (a?.state.status === 'reserved' && a.state.callId === attemptId)
        desk.apply(toAgentId, { type: 'release', at: this.now(), callId: attemptId });
    }, 30_000);
  }

  /** The carrier says an agent is on the call: after a transfer, a different agent than before. */
  private onConnected(call: LiveCall, agentId: string, at: number): void {
    if (call.connectedAt === null || call.agentId === null || call.agentId === agentId) return;
    const { desk, bus } = this.deps;
    const from = call.agentId;
    const old = desk.get(from);
    if (old?.state.status === 'talking' && old.state.callId === call.attemptId)
      desk.apply(from, { type: 'hangup', at, callId: call.attemptId });
    const next = desk.get(agentId);
    if (next?.state.status === 'reserved' && next.state.callId === call.attemptId)
      desk.apply(agentId, { type: 'connect', at, callId: call.attemptId });
    call.agentId = agentId;
    bus.publish({
      type: 'CallConnected',
      at,
      campaignId: this.campaign.id,
      attemptId: call.attemptId,
      contactId: call.contactId,
      agentId,
      waitMs: 0,
    });
    void this.track(this.deps.attempts.progress(call.attemptId, { agentUserId: agentId }));
  }

  /** IVR campaign: the prompt plays; the callee's key decides (an agent, do-not-call), or time runs out. */
  private startIvr(call: LiveCall): void {
    const menu = this.ivr();
    call.ivrPending = true;
    try {
      this.deps.telephony.playPrompt!(call.attemptId, menu.prompt);
    } catch (err) {
      // The call went away, or the prompt is not configured: release it rather than leave it silent.
      this.deps.onError?.(err);
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
      const { repos } = this.deps;
      try {
        const list = await repos.dnc.ensureList(this.campaign.orgId, this.campaign.projectId, 'default');
        await repos.dnc.addEntries(
          list,
          [{ phone: call.phone, reason: `IVR key ${digit}`, source: 'ivr', expiresAt: null }],
          null,
        );
        this.deps.bus.publish({
          type: 'DialRefused',
          at,
          campaignId: this.campaign.id,
          contactId: call.contactId,
          code: 'dnc',
        });
      } catch (err) {
        this.deps.onError?.(err);
      } finally {
        this.deps.telephony.hangup(call.attemptId, 'agent_hangup');
      }
      return;
    }
    // The callee asked for an agent: the 2-second clock starts now.
    if (this.route(call)) return;
    const limitMs = (this.opts.connectWithinS ?? 2) * 1000;
    call.waitTimer = this.deps.scheduler.setTimeout(() => this.expireWait(call), limitMs);
  }

  /** A previewed call answered: it is the agent's who dialed it (they hear whoever answered). */
  private async connectPreview(call: LiveCall, at: number): Promise<void> {
    const agentId = call.previewAgent!;
    const a = this.deps.desk.get(agentId);
    this.stats.answered.person++;
    this.count(at, 'person');
    if (a?.state.status !== 'reserved' || a.state.callId !== call.attemptId) {
      // The agent is gone (connection lost): a person answered and nobody is there — an
      // abandoned call, with its message, counted against the limit and the 72-hour rule.
      call.abandoned = true;
      this.stats.abandons++;
      this.count(at, 'abandon');
      this.observe({ type: 'abandon', t: at / 1000 });
      this.deps.telephony.abandon(call.attemptId);
      return;
    }
    this.deps.telephony.connect(call.attemptId, agentId);
    call.agentId = agentId;
    call.connectedAt = at;
    this.deps.desk.apply(agentId, { type: 'connect', at, callId: call.attemptId });
    this.stats.connects++;
    this.deps.bus.publish({
      type: 'CallAnswered',
      at,
      campaignId: this.campaign.id,
      attemptId: call.attemptId,
      amd: call.amd ?? 'unknown',
    });
    this.deps.bus.publish({
      type: 'CallConnected',
      at,
      campaignId: this.campaign.id,
      attemptId: call.attemptId,
      contactId: call.contactId,
      agentId,
      waitMs: 0,
    });
    await this.deps.attempts.progress(call.attemptId, {
      answeredAt: new Date(at),
      connectedAt: new Date(at),
      agentUserId: agentId,
      amdResult: call.amd ?? 'unknown',
    });
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
    const at = this.now();
    const required = this.campaign.settings.requiredSkills;
    const skills = Object.keys(required);
    const orgId = this.campaign.orgId;
    const needs = skills.length
      ? { skills, minLevel: Math.min(...Object.values(required)), valueTier: call.valueTier, orgId }
      : { skills: [], valueTier: call.valueTier, orgId };
    const agent = this.deps.desk.reserve(call.attemptId, needs, at, this.campaign.settings.routing);
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
    this.latency(waitMs);
    this.observe({ type: 'connect', t: at / 1000, waitS: waitMs / 1000 });
    this.deps.bus.publish({
      type: 'CallConnected',
      at,
      campaignId: this.campaign.id,
      attemptId: call.attemptId,
      contactId: call.contactId,
      agentId: agent.id,
      waitMs,
    });
    void this.track(this.deps.attempts.progress(call.attemptId, { connectedAt: new Date(at), agentUserId: agent.id }));
    return true;
  }

  /** An agent finished wrap-up: the policies learn wrap times from it. */
  agentWrapped(wrapS: number, at: number): void {
    this.observe({ type: 'wrap_end', t: at / 1000, wrapS });
  }

  /** Calls waiting for an agent, oldest first (the dialer offers them to an agent who becomes ready). */
  waitingCalls(): LiveCall[] {
    return [...this.calls.values()]
      .filter((c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned && !c.ivrPending)
      .sort((a, b) => a.answeredAt! - b.answeredAt!);
  }

  private expireWait(call: LiveCall): void {
    if (call.connectedAt !== null || call.abandoned || !this.calls.has(call.attemptId)) return;
    if (this.route(call)) return;
    call.abandoned = true;
    this.stats.abandons++;
    this.count(this.now(), 'abandon');
    this.observe({ type: 'abandon', t: this.now() / 1000 });
    this.deps.telephony.abandon(call.attemptId);
  }

  private async ended(call: LiveCall, cause: EndCause, sipCode: number, at: number): Promise<void> {
    this.calls.delete(call.attemptId);
    this.deps.scheduler.clearTimeout(call.waitTimer);
    this.deps.scheduler.clearTimeout(call.ivrTimer);
    call.ivrPending = false;
    const outcome = call.abandoned ? 'abandoned' : OUTCOME[cause];
    this.count(at, 'ended');
    if (outcome === 'failed') this.count(at, 'failed');
    if (call.answeredAt === null) this.count(at, 'resolved');
    if (call.answeredAt === null && (outcome === 'no_answer' || outcome === 'busy' || outcome === 'failed')) {
      this.observe({ type: 'no_answer', t: at / 1000, ringS: (at - call.placedAt) / 1000 });
    }
    if (call.agentId && call.connectedAt !== null) {
      const agent = this.deps.desk.get(call.agentId);
      if (agent?.state.status === 'talking' && agent.state.callId === call.attemptId) {
        this.deps.desk.apply(call.agentId, { type: 'hangup', at, callId: call.attemptId });
      }
      this.observe({ type: 'talk_end', t: at / 1000, talkS: (at - call.connectedAt) / 1000 });
    } else if (call.previewAgent) {
      // A previewed call nobody answered: the agent is free for the next contact.
      const agent = this.deps.desk.get(call.previewAgent);
      if (agent?.state.status === 'reserved' && agent.state.callId === call.attemptId)
        this.deps.desk.apply(call.previewAgent, { type: 'release', at, callId: call.attemptId });
    }
    const end = {
      outcome,
      endedAt: new Date(at),
      answeredAt: call.answeredAt === null ? null : new Date(call.answeredAt),
      connectedAt: call.connectedAt === null ? null : new Date(call.connectedAt),
      agentUserId: call.agentId,
      hangupSide: cause === 'customer_hangup' ? 'customer' : cause === 'agent_hangup' ? 'agent' : 'system',
      sipCause: sipCode,
      amdResult: call.amd,
      abandoned: call.abandoned,
    } as const;
    // A failed write (the database blinked) is retried with backoff: the end must be recorded,
    // or the contact stays blocked by an open attempt until the next start's recovery.
    let next: Awaited<ReturnType<AttemptRecorder['ended']>>['next'] = null;
    for (let attempt = 0; ; attempt++) {
      try {
        ({ next } = await this.deps.attempts.ended(call.attemptId, end));
        break;
      } catch (err) {
        this.deps.onError?.(err);
        if (attempt >= 6) throw err;
        await new Promise<void>((resolve) => this.deps.scheduler.setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
    this.deps.bus.publish({
      type: 'CallEnded',
      at,
      campaignId: this.campaign.id,
      attemptId: call.attemptId,
      agentId: call.connectedAt !== null ? call.agentId : null,
      outcome,
      abandoned: call.abandoned,
      next: next ? next.kind : 'already_recorded',
    });
  }
}
