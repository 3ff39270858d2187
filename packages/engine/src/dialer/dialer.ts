import type { CampaignRow, Repositories } from '@outdial/db';
import type { AgentEvent } from '@outdial/domain/agents';
import type { AgentSkills } from '@outdial/domain/routing';
import type { AttemptRecorder } from '../attempts.ts';
import type { CampaignService } from '../campaigns.ts';
import type { Scheduler, Telephony } from '../telephony.ts';
import { AgentDesk } from './desk.ts';
import { EventBus } from './events.ts';
import { CampaignRunner, type RunnerOptions, type RunnerStats } from './runner.ts';

export interface DialerDeps {
  repos: Repositories;
  telephony: Telephony;
  scheduler: Scheduler;
  attempts: AttemptRecorder;
  campaigns: CampaignService;
  runner?: RunnerOptions;
}

/**
 * The dialer service inside the server: one `CampaignRunner` per running campaign, one
 * `AgentDesk` of logged-in agents shared by all, one event bus. It follows the campaigns table
 * (`sync`), so start/pause/stop from the API — or another node — take effect at the next sync.
 */
export class Dialer {
  readonly bus = new EventBus();
  readonly desk: AgentDesk;
  private readonly runners = new Map<string, CampaignRunner>();

  constructor(private readonly deps: DialerDeps) {
    this.desk = new AgentDesk(this.bus);
  }

  /** Starts runners for running campaigns (and scheduled ones whose time came), stops the others. */
  async sync(): Promise<void> {
    const now = new Date(this.deps.scheduler.now());
    const active = await this.deps.repos.campaigns.active(now);
    const ids = new Set<string>();
    for (const c of active) {
      let row: CampaignRow = c;
      if (c.status === 'scheduled') row = await this.deps.campaigns.system(c.orgId, c.id, 'start');
      ids.add(row.id);
      const existing = this.runners.get(row.id);
      if (!existing) await this.launch(row);
      else existing.resume();
    }
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

  private async launch(c: CampaignRow): Promise<void> {
    const project = await this.deps.repos.projects.getById(c.orgId, c.projectId);
    if (!project) return;
    const runner = new CampaignRunner(c, project.rules, project.callerIds, {
      repos: this.deps.repos, telephony: this.deps.telephony, scheduler: this.deps.scheduler, desk: this.desk, bus: this.bus, attempts: this.deps.attempts,
      onFinished: (reason) => {
        void this.deps.campaigns.system(c.orgId, c.id, 'finish', reason).catch(() => undefined);
      },
    }, this.deps.runner);
    this.runners.set(c.id, runner);
    runner.start();
  }

  /** An agent's event (from the WebSocket layer or the simulated agents). */
  agent(agentId: string, e: AgentEvent, skills?: AgentSkills): void {
    const before = this.desk.get(agentId)?.state;
    const a = this.desk.apply(agentId, e, skills);
    if (e.type === 'wrap_done' && before?.status === 'wrap_up') {
      for (const r of this.runners.values()) r.agentWrapped((e.at - before.since) / 1000, e.at);
    }
    if (a.state.status === 'ready') this.offerWaiting();
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

  /** Resolves when no runner has database work outstanding. */
  async idle(): Promise<void> {
    for (const r of this.runners.values()) await r.idle();
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

  constructor(private readonly dialer: Dialer, private readonly scheduler: Scheduler, private readonly wrapMs: () => number) {
    this.stopBus = dialer.bus.subscribe((e) => {
      if (e.type !== 'AgentStateChanged' || e.status !== 'wrap_up' || !this.ids.has(e.agentId)) return;
      const callId = this.dialer.desk.get(e.agentId)?.state.callId;
      if (!callId) return;
      this.scheduler.setTimeout(() => {
        const a = this.dialer.desk.get(e.agentId);
        if (a?.state.status === 'wrap_up' && a.state.callId === callId) this.dialer.agent(e.agentId, { type: 'wrap_done', at: this.scheduler.now(), callId });
      }, this.wrapMs());
    });
  }

  private readonly ids = new Set<string>();

  login(agents: readonly { id: string; skills: AgentSkills }[]): void {
    for (const a of agents) {
      this.ids.add(a.id);
      const at = this.scheduler.now();
      this.dialer.agent(a.id, { type: 'login', at }, a.skills);
      this.dialer.agent(a.id, { type: 'ready', at });
    }
  }

  dispose(): void {
    this.stopBus();
  }
}
