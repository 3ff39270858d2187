import type { CampaignRow, Repositories } from '../ports/index.ts';
import type { AgentEvent } from '@outdial/domain/agents';
import { ANSWERING_MACHINE_DISPOSITION } from '@outdial/domain/projects';
import type { AgentSkills } from '@outdial/domain/routing';
import type { AttemptRecorder } from '../attempts.ts';
import type { CampaignService } from '../campaigns.ts';
import { AppError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Scheduler, Telephony } from '../telephony.ts';
import { AgentDesk, AgentEventRefused } from './desk.ts';
import { EventBus } from './events.ts';
import { PreviewGone } from './preview.ts';
import { CampaignRunner, type Halt, type RunnerOptions, type RunnerStats } from './runner.ts';

/** How often running campaigns re-read their project's rules and caller IDs. */
const PROJECT_REFRESH_MS = 10_000;

export interface DialerDeps {
  repos: Repositories;
  telephony: Telephony;
  scheduler: Scheduler;
  attempts: AttemptRecorder;
  campaigns: CampaignService;
  /** The process's event bus (services publish DispositionRecorded on it); a new one if absent. */
  bus?: EventBus;
  runner?: RunnerOptions;
  /** Where the dialer and its runners log (a child per component and campaign is taken from it). */
  logger?: Logger;
}

/** The campaign was moved by someone else meanwhile (another node, a person): nothing to write. */
const movedAlready = (err: unknown) => err instanceof AppError && err.code === 'invalid_state';

/**
 * The dialer service inside the server: one `CampaignRunner` per running campaign, one
 * `AgentDesk` of logged-in agents shared by all, one event bus. It follows the campaigns table
 * (`sync`), so start/pause/stop from the API — or another node — take effect at the next sync.
 */
export class Dialer {
  readonly bus: EventBus;
  readonly desk: AgentDesk;
  /** The logger given (runners and the simulated agents take their own children of it). */
  readonly logger: Logger;
  private readonly log: Logger;
  private readonly runners = new Map<string, CampaignRunner>();
  private projectsReadAt = 0;
  /** Halts whose campaign write is in flight, and those written (not written again). */
  private readonly settling = new Set<Halt>();
  private readonly settled = new WeakSet<Halt>();

  constructor(private readonly deps: DialerDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.log = this.logger.child({ component: 'dialer' });
    this.bus = deps.bus ?? new EventBus(this.logger);
    this.desk = new AgentDesk(this.bus);
    // A disposition ends the agent's wrap-up, whichever way it was recorded (WebSocket or REST).
    this.bus.subscribe((e) => {
      if (e.type !== 'DispositionRecorded') return;
      // "Answering machine": the pacing counts machines that reach agents as demand.
      if (e.code === ANSWERING_MACHINE_DISPOSITION && e.campaignId)
        this.runners.get(e.campaignId)?.machineAtAgent(e.attemptId, e.at);
      if (e.agentId) this.dispositionRecorded(e.agentId, e.attemptId, e.at, e.pause ?? undefined);
    });
  }

  /** Moves a connected call to another ready agent (blind or attended); see CampaignRunner.transfer. */
  transfer(attemptId: string, toAgentId: string, kind: 'blind' | 'attended'): void {
    for (const r of this.runners.values()) if (r.hasCall(attemptId)) return r.transfer(attemptId, toAgentId, kind);
    throw new Error(`call ${attemptId} is not in progress on this node`);
  }

  /** What this node's telephony can do with a connected call beyond hanging up. */
  get callControls(): { hold: boolean; transfer: boolean } {
    return {
      hold: typeof this.deps.telephony.hold === 'function',
      transfer: typeof this.deps.telephony.transfer === 'function',
    };
  }

  /** The campaign a call in progress on this node belongs to. */
  campaignOf(attemptId: string): CampaignRow | undefined {
    for (const r of this.runners.values()) if (r.hasCall(attemptId)) return r.campaign;
    return undefined;
  }

  /** Holds or resumes a connected call (when the carrier can). */
  hold(attemptId: string, on: boolean): void {
    if (!this.deps.telephony.hold) throw new Error('this carrier cannot hold calls');
    this.deps.telephony.hold(attemptId, on);
  }

  /** Starts runners for running campaigns (and scheduled ones whose time came), stops the others. */
  async sync(): Promise<void> {
    const now = new Date(this.deps.scheduler.now());
    const active = await this.deps.repos.campaigns.active(now);
    const ids = new Set<string>();
    for (const c of active) {
      // Past its end time: the campaign finishes by itself (calls in progress still end and are recorded).
      if (c.settings.endAt && Date.parse(c.settings.endAt) <= now.getTime()) {
        await this.finish(c, 'end_time', now.getTime());
        continue;
      }
      let row: CampaignRow = c;
      if (c.status === 'scheduled') row = await this.deps.campaigns.system(c.orgId, c.id, 'start');
      ids.add(row.id);
      const existing = this.runners.get(row.id);
      if (!existing) await this.launch(row);
      else {
        existing.reconfigure(row);
        existing.resume(row.updatedAt);
        // Still halted (nobody changed the campaign since): its pause or finish is written if it was not yet.
        const halt = existing.halted;
        if (halt) this.settle(row, halt);
      }
    }
    await this.refreshProjects(now.getTime());
    for (const [id, r] of this.runners) {
      if (ids.has(id)) continue;
      // Paused, stopped or finished: no new calls; the calls in progress still end and are
      // recorded, so the runner keeps listening until they have.
      r.stop();
      if (r.liveCalls === 0) {
        await r.idle();
        r.dispose();
        this.runners.delete(id);
      }
    }
  }

  /**
   * Running campaigns take their project's rules (calling windows, holidays, closing rule) and
   * caller IDs afresh at least every PROJECT_REFRESH_MS, so a rule changed while they run — a
   * holiday added, a window shortened — binds the compliance gate within seconds.
   */
  private async refreshProjects(now: number): Promise<void> {
    if (now - this.projectsReadAt < PROJECT_REFRESH_MS) return;
    this.projectsReadAt = now;
    const byProject = new Map<string, CampaignRunner[]>();
    for (const r of this.runners.values()) {
      const same = byProject.get(r.campaign.projectId);
      if (same) same.push(r);
      else byProject.set(r.campaign.projectId, [r]);
    }
    for (const runners of byProject.values()) {
      const first = runners[0]!.campaign;
      const project = await this.deps.repos.projects.getById(first.orgId, first.projectId);
      if (project) for (const r of runners) r.setProject(project.rules, project.callerIds);
    }
  }

  private async launch(c: CampaignRow): Promise<void> {
    const project = await this.deps.repos.projects.getById(c.orgId, c.projectId);
    if (!project) return;
    const runner = new CampaignRunner(
      c,
      project.rules,
      project.callerIds,
      {
        repos: this.deps.repos,
        telephony: this.deps.telephony,
        scheduler: this.deps.scheduler,
        desk: this.desk,
        bus: this.bus,
        attempts: this.deps.attempts,
        projectZone: project.defaultTimezone,
        logger: this.logger,
        onHalt: (halt) => this.settle(c, halt),
      },
      this.deps.runner,
    );
    this.runners.set(c.id, runner);
    runner.start();
  }

  /**
   * Writes what a runner's halt means for its campaign: paused with the reason (circuit breaker,
   * unreadable history) or finished (list exhausted, then CampaignFinished). A write that fails
   * is logged and tried again at the next sync, while the runner stays halted.
   */
  private settle(c: CampaignRow, halt: Halt): void {
    if (this.settling.has(halt) || this.settled.has(halt)) return;
    this.settling.add(halt);
    const write =
      halt.action === 'finish'
        ? this.finish(c, halt.reason, halt.at)
        : this.pause(c, halt.reason === 'circuit_breaker' ? 'circuit_breaker' : null, halt.detail);
    this.track(
      write
        .then((written) => {
          if (written) this.settled.add(halt);
        })
        .finally(() => this.settling.delete(halt)),
    );
  }

  private async pause(c: CampaignRow, reason: 'circuit_breaker' | null, detail: string): Promise<boolean> {
    try {
      await this.deps.campaigns.system(c.orgId, c.id, 'pause', reason, detail);
      this.log.warn({ campaignId: c.id, statusReason: detail }, 'campaign paused by the dialer');
      return true;
    } catch (err) {
      if (movedAlready(err)) return true;
      this.log.error(
        { err, campaignId: c.id, statusReason: detail },
        'pausing a campaign failed; tried again at the next sync',
      );
      return false;
    }
  }

  /** Finishes the campaign, and only once that is written publishes CampaignFinished. */
  private async finish(c: CampaignRow, reason: 'end_time' | 'list_exhausted', at: number): Promise<boolean> {
    try {
      await this.deps.campaigns.system(c.orgId, c.id, 'finish', reason);
    } catch (err) {
      if (movedAlready(err)) {
        this.log.debug({ campaignId: c.id, reason }, 'campaign already moved (another node or a person)');
        return true;
      }
      this.log.error({ err, campaignId: c.id, reason }, 'finishing a campaign failed; tried again at the next sync');
      return false;
    }
    this.log.info({ campaignId: c.id, reason }, 'campaign finished');
    this.bus.publish({ type: 'CampaignFinished', at, campaignId: c.id, reason });
    return true;
  }

  /** An agent's event (from the WebSocket layer or the simulated agents). */
  agent(agentId: string, e: AgentEvent, skills?: AgentSkills, orgId?: string | null): void {
    const before = this.desk.get(agentId)?.state;
    const a = this.desk.apply(agentId, e, skills, orgId ?? null);
    if (e.type === 'wrap_done' && before?.status === 'wrap_up') {
      for (const r of this.runners.values()) r.agentWrapped((e.at - before.since) / 1000, e.at);
    }
    if (a.state.status === 'ready') this.offerWaiting();
  }

  /** The agent hangs up the call they are talking on (from the workstation). */
  agentHangup(agentId: string): string {
    const a = this.desk.get(agentId);
    if (!a) throw new AgentEventRefused('not_logged_in', 'the agent is not logged in');
    if (a.state.status !== 'talking' || !a.state.callId)
      throw new AgentEventRefused('not_talking', 'the agent is not on a call');
    this.deps.telephony.hangup(a.state.callId, 'agent_hangup');
    return a.state.callId;
  }

  /**
   * A disposition was recorded for `attemptId`: if the agent is still wrapping that call up,
   * the wrap-up ends (back to ready, or to the pause they asked for).
   */
  dispositionRecorded(agentId: string, attemptId: string, at: number, thenPause?: string): void {
    const a = this.desk.get(agentId);
    if (a?.state.status !== 'wrap_up' || a.state.callId !== attemptId) return;
    this.agent(
      agentId,
      thenPause
        ? { type: 'wrap_done', at, callId: attemptId, thenPause }
        : { type: 'wrap_done', at, callId: attemptId },
    );
  }

  /** The contact offered to this agent in preview mode, if any. */
  previewOf(agentId: string): { campaignId: string; id: string; contactId: string; offeredAt: number } | undefined {
    for (const r of this.runners.values()) {
      const p = r.previewOf(agentId);
      if (p) return { campaignId: r.campaign.id, ...p };
    }
    return undefined;
  }

  /**
   * Agent-directed dialing (手工发呼): a contact the agent chose, dialed for them by a running
   * campaign of its project on this node, through the compliance gate. `reason`: why nothing was
   * tried (no campaign runs the project here, the contact is being dialed, the agent is not ready).
   */
  async manualDial(
    agentId: string,
    orgId: string,
    projectId: string,
    contactId: string,
  ): Promise<{ attemptId: string | null; refused: string | null; reason?: 'busy' | 'not_ready' | 'no_campaign' }> {
    const runner = [...this.runners.values()].find(
      (r) => r.campaign.projectId === projectId && r.campaign.orgId === orgId && r.campaign.status === 'running',
    );
    if (!runner) return { attemptId: null, refused: null, reason: 'no_campaign' };
    return runner.manualDial(agentId, contactId);
  }

  /** The agent dials, or skips (with a reason), the contact offered to them in preview mode. */
  async previewDecision(
    agentId: string,
    decision: 'dial' | 'skip',
    reason: string | null = null,
  ): Promise<{ attemptId: string | null; refused: string | null }> {
    for (const r of this.runners.values()) {
      const p = r.previewOf(agentId);
      if (p) return r.decidePreview(p.id, decision, reason);
    }
    throw new AgentEventRefused('no_preview', 'no contact is being previewed by this agent');
  }

  /** An agent became ready: the oldest answered call still waiting (any campaign) gets them. */
  private offerWaiting(): void {
    const waiting = [...this.runners.values()].flatMap((r) => r.waitingCalls().map((call) => ({ r, call })));
    waiting.sort((a, b) => a.call.answeredAt! - b.call.answeredAt!);
    for (const { r, call } of waiting) {
      if (this.desk.pool.readyCount === 0) break;
      r.route(call);
    }
  }

  stats(campaignId: string): RunnerStats | undefined {
    return this.runners.get(campaignId)?.snapshotStats();
  }

  runner(campaignId: string): CampaignRunner | undefined {
    return this.runners.get(campaignId);
  }

  /** The dialer's own writes (a campaign it finishes or pauses), awaited by `idle`; a failure is logged. */
  private readonly pending = new Set<Promise<unknown>>();

  private track(p: Promise<unknown>): void {
    const q = p
      .catch((err: unknown) => this.log.error({ err }, "the dialer's own write failed"))
      .finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  /** Resolves when no runner has database work outstanding. */
  async idle(): Promise<void> {
    for (const r of this.runners.values()) await r.idle();
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stops every runner; their listeners go too, so call it once no calls are in progress (shutdown). */
  async stop(): Promise<void> {
    for (const r of this.runners.values()) r.stop();
    await this.idle();
    for (const r of this.runners.values()) r.dispose();
    this.runners.clear();
  }
}

/**
 * Demo and test agents: they log in, become ready, take whatever is routed to them (the call's
 * length comes from the carrier) and wrap up for `wrapMs` before becoming ready again.
 */
export class SimulatedAgents {
  private readonly stopBus: () => void;

  constructor(
    private readonly dialer: Dialer,
    private readonly scheduler: Scheduler,
    private readonly wrapMs: () => number,
    /** Preview mode: how long a simulated agent looks at a contact, and whether they skip it. */
    private readonly preview: { thinkMs: () => number; skip: () => boolean } = {
      thinkMs: () => 3000,
      skip: () => false,
    },
  ) {
    const log = dialer.logger.child({ component: 'simulated-agents' });
    this.stopBus = dialer.bus.subscribe((e) => {
      if (e.type === 'PreviewOffered' && this.ids.has(e.agentId)) {
        this.scheduler.setTimeout(() => {
          if (this.dialer.previewOf(e.agentId)?.id !== e.previewId) return;
          const decision = this.preview.skip() ? 'skip' : 'dial';
          this.dialer.previewDecision(e.agentId, decision, 'not_suitable').catch((err: unknown) => {
            // The offer timed out or the agent left meanwhile: a real agent would see the same refusal.
            if (err instanceof PreviewGone || err instanceof AgentEventRefused) return;
            log.error(
              { err, agentId: e.agentId, previewId: e.previewId, decision },
              'a simulated preview decision failed',
            );
          });
        }, this.preview.thinkMs());
        return;
      }
      if (e.type !== 'AgentStateChanged' || e.status !== 'wrap_up' || !this.ids.has(e.agentId)) return;
      const callId = this.dialer.desk.get(e.agentId)?.state.callId;
      if (!callId) return;
      this.scheduler.setTimeout(() => {
        const a = this.dialer.desk.get(e.agentId);
        if (a?.state.status === 'wrap_up' && a.state.callId === callId)
          this.dialer.agent(e.agentId, { type: 'wrap_done', at: this.scheduler.now(), callId });
      }, this.wrapMs());
    });
  }

  private readonly ids = new Set<string>();

  login(agents: readonly { id: string; skills: AgentSkills; orgId?: string | null }[]): void {
    for (const a of agents) {
      this.ids.add(a.id);
      const at = this.scheduler.now();
      this.dialer.agent(a.id, { type: 'login', at }, a.skills, a.orgId ?? null);
      this.dialer.agent(a.id, { type: 'ready', at });
    }
  }

  dispose(): void {
    this.stopBus();
  }
}
