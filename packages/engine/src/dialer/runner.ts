import type { AttemptsStore, CampaignRow, CampaignsStore, DncStore, LeasedContact } from '../ports/index.ts';
import type { CampaignSettings } from '@outdial/domain/campaigns';
import type { GovernedMode } from '@outdial/domain/pacing';
import type { ProjectRules } from '@outdial/domain/projects';
import type { AttemptRecorder } from '../attempts.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Scheduler, Telephony } from '../telephony.ts';
import { LiveCalls, type LiveCall } from './calls.ts';
import type { AgentDesk } from './desk.ts';
import type { DialerEvent, EventBus } from './events.ts';
import { ListQuota } from './list-quota.ts';
import { PacingMonitor, pacingKey, pacingSnapshot } from './pacing-monitor.ts';
import { PreviewDesk, type PreviewStats } from './preview.ts';
import { ComplianceScreen } from './screen.ts';

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
    CampaignsStore,
    | 'lease'
    | 'leaseContact'
    | 'release'
    | 'defer'
    | 'remaining'
    | 'recordPreview'
    | 'claimListQuota'
    | 'returnListQuota'
    | 'reconcileListQuota'
  >;
  attempts: Pick<AttemptsStore, 'campaignBuckets' | 'history'>;
  dnc: Pick<DncStore, 'blocked' | 'ensureList' | 'addEntries'>;
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
  private readonly calls: LiveCalls;
  private readonly pacing: PacingMonitor;
  private readonly quota: ListQuota;
  private readonly gate: ComplianceScreen;
  private readonly previews: PreviewDesk;
  private dials = 0;
  private readonly log: Logger;
  /** Database work started here and not yet settled (awaited by `idle`). */
  private readonly pending = new Set<Promise<unknown>>();
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
    this.calls = new LiveCalls({
      campaign: () => this.row,
      telephony: deps.telephony,
      scheduler: deps.scheduler,
      desk: deps.desk,
      bus: deps.bus,
      attempts: deps.attempts,
      pacing: this.pacing,
      waitLimitMs: ((opts.greetingS ?? 0) + (opts.connectWithinS ?? 2)) * 1000,
      connectWithinMs: (opts.connectWithinS ?? 2) * 1000,
      dnc: deps.repos.dnc,
      log: this.log,
      background,
    });
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
    this.calls.dispose();
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

  /**
   * Agent-directed dialing: leases the chosen contact and dials it for this agent through the
   * preview desk (the compliance gate looks at it; answered, the call goes to this agent).
   */
  async manualDial(
    agentId: string,
    contactId: string,
  ): Promise<{ attemptId: string | null; refused: string | null; reason?: 'busy' | 'not_ready' }> {
    const lease = await this.deps.repos.campaigns.leaseContact(
      this.row.id,
      contactId,
      new Date(this.now()),
      this.leaseArgs(1).ttlMs,
    );
    if (!lease) return { attemptId: null, refused: null, reason: 'busy' };
    const r = await this.previews.dialFor(agentId, lease);
    if (!r) {
      await this.deps.repos.campaigns.release(this.row.id, [contactId]);
      return { attemptId: null, refused: null, reason: 'not_ready' };
    }
    return r;
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
    this.calls.placed({
      attemptId,
      contactId: contact.id,
      phone: contact.phone,
      placedAt: t,
      previewAgent: preview?.agentId ?? null,
      valueTier: this.valueTier(contact),
    });
    this.quota.used(contact.id);
    if (preview) this.deps.desk.moveReservation(preview.agentId, preview.previewId, attemptId, this.now());
    this.dials++;
    this.pacing.count(t, 'dial');
    this.pacing.observe({ type: 'dial', t: t / 1000 });
    this.deps.bus.publish({ type: 'CallPlaced', at: t, campaignId: c.id, attemptId, contactId: contact.id });
    this.deps.telephony.originate({
      callId: attemptId,
      to: contact.phone,
      callerId: callerId ?? '',
      ringTimeoutMs: s.ringTimeoutSeconds * 1000,
      amd: s.amd && !preview,
      ...(s.trunk ? { trunk: s.trunk } : {}),
      orgId: c.orgId,
    });
    return attemptId;
  }

  // ───────────────────────────── for the dialer ─────────────────────────────

  get liveCalls(): number {
    return this.calls.size;
  }

  /** Calls waiting for an agent, oldest first (the dialer offers them to an agent who becomes ready). */
  waitingCalls(): LiveCall[] {
    return this.calls.waiting();
  }

  /** Tries to give a waiting call to the best ready agent now. */
  route(call: LiveCall): boolean {
    return this.calls.route(call);
  }

  /** Whether this runner has the call (a live attempt of its campaign). */
  hasCall(attemptId: string): boolean {
    return this.calls.has(attemptId);
  }

  /** Moves a connected call to another ready agent (see LiveCalls.transfer). */
  transfer(attemptId: string, toAgentId: string, kind: 'blind' | 'attended'): void {
    this.calls.transfer(attemptId, toAgentId, kind);
  }

  /** The agent's disposition of `attemptId` says it was an answering machine (see PacingMonitor.machineAtAgent). */
  machineAtAgent(attemptId: string, at: number): boolean {
    return this.pacing.machineAtAgent(attemptId, at);
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
    const { person, machine, connects, abandons } = this.calls.counts;
    const previews = this.previews.stats;
    return {
      dials: this.dials,
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
    return pacingSnapshot(t, agents, this.calls.all());
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
      skills: Object.keys(s.requiredSkills),
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
