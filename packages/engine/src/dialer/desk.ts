import { applyAgentEvent, LOGGED_OUT, type AgentEvent, type AgentState } from '@outdial/domain/agents';
import { RoutingPool, type AgentSkills, type CallNeeds, type RoutingStrategy } from '@outdial/domain/routing';
import type { EventBus } from './events.ts';

/**
 * What a call of a campaign asks of the agent who takes it: every required skill at the lowest
 * level the campaign names, its organisation, and (score routing) the customer's value tier.
 */
export function callNeeds(
  campaign: { orgId: string; settings: { requiredSkills: Readonly<Record<string, number>> } },
  valueTier?: number,
): CallNeeds {
  const required = campaign.settings.requiredSkills;
  const skills = Object.keys(required);
  const needs: CallNeeds = { skills, orgId: campaign.orgId };
  if (skills.length) needs.minLevel = Math.min(...Object.values(required));
  if (valueTier !== undefined) needs.valueTier = valueTier;
  return needs;
}

export interface DeskAgent {
  id: string;
  /** The agent's organisation (null for agents the simulator plays without one). */
  orgId: string | null;
  skills: AgentSkills;
  state: AgentState;
}

export class AgentEventRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The agents logged in to this dialer: their states (domain/agents) and the routing index of
 * the ready ones (domain/routing), kept in step. Every change is published as AgentStateChanged.
 */
export class AgentDesk {
  private readonly agents = new Map<string, DeskAgent>();
  readonly pool: RoutingPool;

  constructor(
    private readonly bus: EventBus,
    strategy: RoutingStrategy = { kind: 'longest_idle' },
  ) {
    this.pool = new RoutingPool(strategy);
  }

  get(id: string): DeskAgent | undefined {
    return this.agents.get(id);
  }

  all(): DeskAgent[] {
    return [...this.agents.values()];
  }

  /** Applies an agent event; throws AgentEventRefused with the domain's reason when not allowed. */
  apply(id: string, e: AgentEvent, skills?: AgentSkills, orgId: string | null = null): DeskAgent {
    let a = this.agents.get(id);
    if (!a) {
      if (e.type !== 'login') throw new AgentEventRefused('not_logged_in', 'the agent is not logged in');
      a = { id, orgId, skills: skills ?? {}, state: LOGGED_OUT };
      this.agents.set(id, a);
    }
    if (skills) a.skills = skills;
    const t = applyAgentEvent(a.state, e);
    if (!t.ok) throw new AgentEventRefused(t.error, `${e.type} refused: ${t.error}`);
    a.state = t.state;
    if (t.state.status === 'ready') this.pool.setReady({ id, skills: a.skills, orgId: a.orgId }, e.at);
    else this.pool.setBusy(id);
    if (t.state.status === 'logged_out') this.agents.delete(id);
    if (t.changed)
      this.bus.publish({
        type: 'AgentStateChanged',
        at: e.at,
        agentId: id,
        status: t.state.status,
        pauseReason: t.state.pauseReason,
      });
    return a;
  }

  /** Picks and reserves the best ready agent for a call, or null. */
  reserve(callId: string, needs: CallNeeds, at: number, strategy?: RoutingStrategy): DeskAgent | null {
    const d = this.pool.pick(needs, at, strategy);
    if (!d) return null;
    return this.apply(d.agentId, { type: 'reserve', at, callId });
  }

  /** Whether the agent is reserved for this call (or preview offer) now. */
  reservedFor(id: string, callId: string): boolean {
    const a = this.agents.get(id);
    return a?.state.status === 'reserved' && a.state.callId === callId;
  }

  /**
   * The agent's reservation moves from one call id to another (a preview offer becoming the call
   * the agent dialed) with no moment another call could take them. No-op unless reserved for `from`.
   */
  moveReservation(id: string, from: string, to: string, at: number): void {
    if (!this.reservedFor(id, from)) return;
    this.apply(id, { type: 'release', at, callId: from });
    this.apply(id, { type: 'reserve', at, callId: to });
  }

  /** Agents by state; with `orgId`, only that organisation's (agents without one count everywhere: tests). */
  counts(orgId?: string): Record<AgentState['status'], number> {
    const c: Record<AgentState['status'], number> = {
      logged_out: 0,
      ready: 0,
      reserved: 0,
      talking: 0,
      wrap_up: 0,
      paused: 0,
    };
    for (const a of this.agents.values())
      if (orgId === undefined || a.orgId === null || a.orgId === orgId) c[a.state.status]++;
    return c;
  }
}
