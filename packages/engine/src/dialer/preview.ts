import type { CampaignRow, CampaignsStore, LeasedContact } from '../ports/index.ts';
import type { Scheduler } from '../telephony.ts';
import { callNeeds, type AgentDesk } from './desk.ts';
import type { EventBus } from './events.ts';
import type { ListQuota } from './list-quota.ts';
import type { Screened } from './screen.ts';

export interface PreviewStats {
  offered: number;
  dialed: number;
  skipped: Record<string, number>;
}

/** The preview was decided already (or timed out) — the agent acted on a stale offer. */
export class PreviewGone extends Error {
  constructor() {
    super('this preview is no longer open');
  }
}

/** What the preview desk needs from the campaign's runner. */
export interface PreviewHost {
  /** The campaign as the runner last read it. */
  campaign(): CampaignRow;
  /** The compliance gate over contacts about to be offered or dialed. */
  screen(contacts: readonly LeasedContact[], t: number, agentGuaranteed: boolean): Promise<Screened>;
  /** Records the attempt and places the call; answered, it goes to this agent. */
  dial(contact: LeasedContact, t: number, preview: { agentId: string; previewId: string }): Promise<string>;
  /** An agent is free again: decide soon whether to offer them the next contact. */
  wake(): void;
  /** The campaign stopped: nothing more is offered. */
  stopped(): boolean;
}

export interface PreviewDeps {
  host: PreviewHost;
  repo: Pick<CampaignsStore, 'release' | 'defer' | 'recordPreview'>;
  desk: AgentDesk;
  bus: EventBus;
  scheduler: Scheduler;
  quota: Pick<ListQuota, 'giveBack'>;
  /** Runs work nobody waits for: tracked (so shutdown awaits it) and logged if it fails. */
  background: (p: Promise<unknown>, what: string, context?: Record<string, unknown>) => void;
}

/** A contact offered to an agent, waiting for them to dial or skip it. */
interface Offer {
  id: string;
  agentId: string;
  contact: LeasedContact;
  offeredAt: number;
  timer: unknown;
}

/** At most this many offers per decision. */
const MAX_OFFERS = 50;
/** A skipped contact goes back to the list for this long. */
const SKIP_DEFER_MS = 15 * 60_000;

/**
 * Preview mode: each leased contact is shown to a ready agent (reserved for it) before any
 * dial; the agent dials it — the compliance gate looks again, since time has passed — or skips it
 * with a reason, or the offer times out. Every decision is published (PreviewDecided) and stored
 * (`preview_decisions`); an offer never outlives the agent's presence (leaving, the campaign
 * stopping) and an undialed contact gives its list's dial back.
 */
export class PreviewDesk {
  readonly stats: PreviewStats = { offered: 0, dialed: 0, skipped: {} };
  private readonly open = new Map<string, Offer>();
  private turn = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: PreviewDeps) {
    // An agent who leaves a preview (connection lost, logged out) gives the contact back at once.
    this.unsubscribe = deps.bus.subscribe((e) => {
      if (e.type !== 'AgentStateChanged' || e.status === 'reserved') return;
      for (const p of this.open.values()) if (p.agentId === e.agentId) this.skipQuietly(p.id, 'agent_left');
    });
  }

  private now(): number {
    return this.deps.scheduler.now();
  }

  /** How many contacts to lease for offers now: one per ready agent of the campaign's organisation. */
  wanted(): number {
    const org = this.deps.host.campaign().orgId;
    const ready = this.deps.desk
      .all()
      .filter((a) => a.state.status === 'ready' && (a.orgId === null || a.orgId === org)).length;
    return Math.min(ready, MAX_OFFERS);
  }

  /** Whether this contact is offered to an agent now. */
  holds(contactId: string): boolean {
    for (const p of this.open.values()) if (p.contact.id === contactId) return true;
    return false;
  }

  /** The offer shown to this agent, if any. */
  of(agentId: string): { id: string; contactId: string; offeredAt: number } | undefined {
    for (const p of this.open.values())
      if (p.agentId === agentId) return { id: p.id, contactId: p.contact.id, offeredAt: p.offeredAt };
    return undefined;
  }

  /** Screens the leased contacts and offers each allowed one to a ready agent; the rest go back to the list. */
  async offer(leased: readonly LeasedContact[]): Promise<void> {
    const { host, desk, bus, scheduler } = this.deps;
    const c = host.campaign();
    const needs = callNeeds(c);
    const { allowed } = await host.screen(leased, this.now(), true);
    const offered = new Set<string>();
    const unused: string[] = [];
    for (const contact of allowed) {
      if (host.stopped()) {
        unused.push(contact.id);
        continue;
      }
      const id = `preview:${c.id}:${++this.turn}`;
      const agent = desk.reserve(id, needs, this.now());
      if (!agent) {
        unused.push(contact.id);
        continue;
      }
      const timeoutS = c.settings.previewTimeoutSeconds ?? 120;
      const p: Offer = { id, agentId: agent.id, contact, offeredAt: this.now(), timer: undefined };
      p.timer = scheduler.setTimeout(() => this.skipQuietly(id, 'timeout'), timeoutS * 1000);
      this.open.set(id, p);
      offered.add(contact.id);
      this.stats.offered++;
      bus.publish({
        type: 'PreviewOffered',
        at: p.offeredAt,
        campaignId: c.id,
        previewId: id,
        agentId: agent.id,
        contactId: contact.id,
        timeoutS,
      });
    }
    // Refused by the gate, or no agent free any more (or the campaign stopped): the dials go back now.
    this.deps.quota.giveBack(leased.filter((k) => !offered.has(k.id)));
    await this.deps.repo.release(c.id, unused);
  }

  /**
   * Agent-directed dialing (手工发呼): the contact the agent chose, offered to them alone and
   * dialed at once — through `decide`, so the compliance gate looks at it like any preview.
   * Null when the agent is not ready to take a call.
   */
  async dialFor(
    agentId: string,
    contact: LeasedContact,
  ): Promise<{ attemptId: string | null; refused: string | null } | null> {
    const c = this.deps.host.campaign();
    const id = `manual:${c.id}:${++this.turn}`;
    const at = this.now();
    try {
      this.deps.desk.apply(agentId, { type: 'reserve', at, callId: id });
    } catch {
      return null;
    }
    this.open.set(id, { id, agentId, contact, offeredAt: at, timer: undefined });
    this.stats.offered++;
    return this.decide(id, 'dial', 'manual');
  }

  /**
   * The agent dialed or skipped the contact offered to them. Dial: the compliance gate looks
   * again, the attempt is recorded and the call placed; answered, it goes to this agent. Skip:
   * the contact goes back to the list for 15 minutes. `refused`: the gate's code when it refused
   * the dial (counted as a skip by the system).
   */
  async decide(
    previewId: string,
    decision: 'dial' | 'skip',
    reason: string | null = null,
  ): Promise<{ attemptId: string | null; refused: string | null }> {
    const p = this.open.get(previewId);
    if (!p) throw new PreviewGone();
    this.open.delete(previewId);
    const { host, desk, repo, scheduler } = this.deps;
    scheduler.clearTimeout(p.timer);
    const c = host.campaign();
    const t = this.now();
    const stillReserved = () => desk.reservedFor(p.agentId, previewId);
    let refused: string | null = null;
    let dialed = false;
    try {
      // The agent may have gone (connection lost) while the gate looked: then nobody would take the call.
      if (decision === 'dial' && !stillReserved()) {
        reason = 'agent_left';
        await repo.release(c.id, [p.contact.id]);
      } else if (decision === 'dial') {
        const screened = await host.screen([p.contact], t, true);
        const [contact] = screened.allowed;
        if (contact && stillReserved()) {
          const attemptId = await host.dial(contact, t, { agentId: p.agentId, previewId });
          dialed = true;
          this.stats.dialed++;
          this.decided(p, t, 'dial', null);
          return { attemptId, refused: null };
        }
        if (contact) {
          reason = 'agent_left';
          await repo.release(c.id, [contact.id]);
        } else {
          // The gate refused it now (the window closed, the number was blocked meanwhile): a skip by the system.
          refused = screened.refused.get(p.contact.id) ?? 'refused';
          reason = `refused_${refused}`;
        }
      } else {
        await repo.defer(c.id, p.contact.id, new Date(t + SKIP_DEFER_MS), null);
      }
    } finally {
      // Whatever failed on the way, an agent is never left reserved for an offer that is gone,
      // and an undialed contact no longer counts against its list's cap.
      if (!dialed) {
        if (stillReserved()) desk.apply(p.agentId, { type: 'release', at: this.now(), callId: previewId });
        this.deps.quota.giveBack([p.contact]);
      }
    }
    const why = reason ?? 'unspecified';
    this.stats.skipped[why] = (this.stats.skipped[why] ?? 0) + 1;
    this.decided(p, t, 'skip', why);
    host.wake(); // offer the agent the next one
    return { attemptId: null, refused };
  }

  /** Stored in the background (reports), published at once. */
  private decided(p: Offer, t: number, decision: 'dial' | 'skip', reason: string | null): void {
    const c = this.deps.host.campaign();
    this.deps.background(
      this.deps.repo.recordPreview({
        orgId: c.orgId,
        campaignId: c.id,
        contactId: p.contact.id,
        agentUserId: p.agentId,
        decision,
        reason,
        offeredAt: new Date(p.offeredAt),
        decidedAt: new Date(t),
      }),
      'storing a preview decision failed',
      { previewId: p.id, contactId: p.contact.id, agentId: p.agentId, decision },
    );
    this.deps.bus.publish({
      type: 'PreviewDecided',
      at: t,
      campaignId: c.id,
      previewId: p.id,
      agentId: p.agentId,
      contactId: p.contact.id,
      decision,
      reason,
    });
  }

  /** A skip by the system (timeout, agent left, campaign stopped), in the background. */
  private skipQuietly(previewId: string, reason: string): void {
    this.deps.background(
      this.decide(previewId, 'skip', reason).catch((err: unknown) => {
        // Decided meanwhile (the agent's click raced the timeout): nothing is left to do.
        if (!(err instanceof PreviewGone)) throw err;
      }),
      'closing a preview failed',
      { previewId, reason },
    );
  }

  /** Every open offer goes back to the list (the campaign stopped). */
  skipAll(reason: string): void {
    for (const id of [...this.open.keys()]) this.skipQuietly(id, reason);
  }

  dispose(): void {
    this.unsubscribe();
    for (const p of this.open.values()) this.deps.scheduler.clearTimeout(p.timer);
  }
}
