/**
 * Routing of answered calls to agents (seed 000: match customer tags to agent skills,
 * decide within 200 ms; we aim for p99 ≤ 1 ms with 5,000 agents and 50 skills).
 *
 * Pure and synchronous: the caller owns the clock and passes `now` in. The pool keeps,
 * for every skill, the set of READY agents holding it, so a decision scans only the
 * agents of the rarest required skill — a few hundred at most in practice, 5,000 at worst.
 */

export interface AgentSkills {
  /** skill code → level 1 (novice) … 10 (expert) */
  readonly [skill: string]: number;
}

export interface RoutingAgent {
  id: string;
  skills: AgentSkills;
  /** The agent's organisation: a call only goes to an agent of its own (null: any, as in the simulator). */
  orgId?: string | null;
}

export interface CallNeeds {
  /** Every one of these skills is required. Empty: any ready agent. */
  skills: readonly string[];
  /** Minimum level on the required skills (e.g. VIP customers → level ≥ 8). */
  minLevel?: number;
  /** Customer value tier 0 (unknown) … 3 (top): weighs skill level against idle time. */
  valueTier?: number;
  /** The call's organisation: agents of another one are never considered. */
  orgId?: string | null;
}

export type RoutingStrategy =
  /** The agent who has waited longest gets the call: fairest to agents. */
  | { kind: 'longest_idle' }
  /**
   * score = levelWeight·(mean level on required skills) + idleWeight·(idle seconds) + tierWeight·valueTier·level;
   * highest wins. Lets a manager trade expertise for fairness.
   */
  | { kind: 'score'; levelWeight: number; idleWeight: number; tierWeight: number };

export interface RoutingDecision {
  agentId: string;
  /** Idle time of the chosen agent, ms. */
  idleMs: number;
  score: number;
  /** How many ready agents were considered (for monitoring the index's selectivity). */
  considered: number;
}

interface Ready {
  agent: RoutingAgent;
  since: number;
}

export class RoutingPool {
  private readonly ready = new Map<string, Ready>();
  private readonly bySkill = new Map<string, Set<string>>();

  constructor(private readonly strategy: RoutingStrategy = { kind: 'longest_idle' }) {}

  get readyCount(): number {
    return this.ready.size;
  }

  /** The agent became READY at `now` (ms since epoch, or any monotonic clock). */
  setReady(agent: RoutingAgent, now: number): void {
    this.setBusy(agent.id);
    this.ready.set(agent.id, { agent, since: now });
    for (const skill of Object.keys(agent.skills)) {
      let set = this.bySkill.get(skill);
      if (!set) this.bySkill.set(skill, (set = new Set()));
      set.add(agent.id);
    }
  }

  /** The agent is no longer available (reserved, talking, wrap-up, paused, logged out). */
  setBusy(agentId: string): void {
    const r = this.ready.get(agentId);
    if (!r) return;
    this.ready.delete(agentId);
    for (const skill of Object.keys(r.agent.skills)) this.bySkill.get(skill)?.delete(agentId);
  }

  isReady(agentId: string): boolean {
    return this.ready.has(agentId);
  }

  /**
   * The best ready agent for a call, or null when none qualifies. Does not reserve: call
   * `setBusy` with the result (the dialer does both in one tick).
   */
  /** The best ready agent for `needs` by the pool's strategy, or `strategy` when given (per campaign). */
  pick(needs: CallNeeds, now: number, strategy: RoutingStrategy = this.strategy): RoutingDecision | null {
    let candidates: Iterable<string>;
    if (needs.skills.length === 0) {
      candidates = this.ready.keys();
    } else {
      let smallest: Set<string> | undefined;
      for (const s of needs.skills) {
        const set = this.bySkill.get(s);
        if (!set || set.size === 0) return null;
        if (!smallest || set.size < smallest.size) smallest = set;
      }
      candidates = smallest!;
    }
    const minLevel = needs.minLevel ?? 1;
    const tier = needs.valueTier ?? 0;
    let best: RoutingDecision | null = null;
    let bestSince = Infinity;
    let considered = 0;
    for (const id of candidates) {
      const r = this.ready.get(id)!;
      if (needs.orgId && r.agent.orgId && r.agent.orgId !== needs.orgId) continue;
      let levels = 0;
      let ok = true;
      for (const s of needs.skills) {
        const level = r.agent.skills[s];
        if (level === undefined || level < minLevel) {
          ok = false;
          break;
        }
        levels += level;
      }
      if (!ok) continue;
      considered++;
      const idleMs = now - r.since;
      let score: number;
      if (strategy.kind === 'longest_idle') {
        score = idleMs;
      } else {
        const mean = needs.skills.length ? levels / needs.skills.length : 0;
        score = strategy.levelWeight * mean + strategy.idleWeight * (idleMs / 1000) + strategy.tierWeight * tier * mean;
      }
      // Ties go to the agent ready first, then by id, so decisions are reproducible.
      if (
        !best ||
        score > best.score ||
        (score === best.score && (r.since < bestSince || (r.since === bestSince && id < best.agentId)))
      ) {
        best = { agentId: id, idleMs, score, considered: 0 };
        bestSince = r.since;
      }
    }
    if (best) best.considered = considered;
    return best;
  }
}
