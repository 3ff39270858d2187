import type { CampaignsStore, LeasedContact } from '../ports/index.ts';
import { DateTime } from 'luxon';

/** What the list quota needs from the campaigns repository. */
export type QuotaRepo = Pick<CampaignsStore, 'claimListQuota' | 'returnListQuota' | 'reconcileListQuota' | 'release'>;

/** How long a list found full stays out of leases before it is looked at again (other nodes give dials back). */
export const FULL_LIST_RECHECK_MS = 60_000;

export interface ListQuotaDeps {
  repo: QuotaRepo;
  campaignId: string;
  /** The campaign's caps as configured now (list id → dials per project day); they may change while it runs. */
  caps: () => Readonly<Record<string, number>>;
  /** The project's time zone: a day's count runs from its midnight. */
  zone: string;
  now: () => number;
  /** Runs a write nobody waits for: tracked (so shutdown awaits it) and logged if it fails. */
  background: (p: Promise<unknown>, what: string, context?: Record<string, unknown>) => void;
}

/**
 * Lists' daily caps, shared by every node running the campaign (ADR 0010). Dials are claimed
 * from a row per campaign, list and project day before the contacts are called; a claimed
 * contact that is then not dialed (refused by the gate, skipped in preview, unused, a failed
 * write) gives its dial back. Lists found full are left out of leases for a minute at a time.
 */
export class ListQuota {
  /** Leased contacts holding a dial claimed from their list's cap, not yet dialed. */
  private readonly claims = new Map<string, { list: string; day: string }>();
  /** Lists whose cap a claim found reached. */
  private readonly full = new Set<string>();
  private fullDay = '';
  private fullSince = 0;

  constructor(private readonly deps: ListQuotaDeps) {}

  private capped(): boolean {
    return Object.keys(this.deps.caps()).length > 0;
  }

  /** The project day holding `t`, and when it started. */
  today(t: number): { day: string; start: Date } {
    const d = DateTime.fromMillis(t, { zone: this.deps.zone }).startOf('day');
    return { day: d.toISODate() ?? '', start: d.toJSDate() };
  }

  /**
   * Raises today's shared counts to at least the attempts already placed (dials made while a
   * list had no cap, or by a node of an older version, are not in the count otherwise). At
   * start and whenever the caps change.
   */
  async reconcile(): Promise<void> {
    const lists = Object.keys(this.deps.caps());
    if (lists.length === 0) return;
    const { day, start } = this.today(this.deps.now());
    await this.deps.repo.reconcileListQuota(this.deps.campaignId, lists, day, start);
  }

  /** The caps changed: lists found full are looked at again. */
  capsChanged(): void {
    this.full.clear();
  }

  /** Lists to leave out of the next lease: found full today, within the last minute. */
  excluded(t: number): string[] {
    if (!this.capped()) return [];
    const { day } = this.today(t);
    if (day !== this.fullDay || t - this.fullSince >= FULL_LIST_RECHECK_MS) {
      this.fullDay = day;
      this.fullSince = t;
      this.full.clear();
    }
    return [...this.full];
  }

  /**
   * Keeps the leased contacts their lists' caps still allow, claiming a dial for each, and
   * releases the others' leases. If a claim fails, what was claimed before is given back and
   * the error thrown.
   */
  async claim(leased: LeasedContact[]): Promise<LeasedContact[]> {
    const caps = this.deps.caps();
    if (!this.capped()) return leased;
    const byList = new Map<string, LeasedContact[]>();
    for (const k of leased) {
      if (!k.importId || caps[k.importId] === undefined) continue;
      const ks = byList.get(k.importId);
      if (ks) ks.push(k);
      else byList.set(k.importId, [k]);
    }
    if (byList.size === 0) return leased;
    const { day, start } = this.today(this.deps.now());
    const refused = new Set<string>();
    try {
      for (const [list, ks] of byList) {
        const granted = await this.deps.repo.claimListQuota(
          this.deps.campaignId,
          list,
          day,
          start,
          ks.length,
          caps[list]!,
        );
        if (granted < ks.length) this.full.add(list);
        for (const [i, k] of ks.entries()) {
          if (i < granted) this.claims.set(k.id, { list, day });
          else refused.add(k.id);
        }
      }
      await this.deps.repo.release(this.deps.campaignId, [...refused]);
    } catch (err) {
      this.giveBack(leased);
      throw err;
    }
    return refused.size ? leased.filter((k) => !refused.has(k.id)) : leased;
  }

  /** The contact was dialed: its claim is used. */
  used(contactId: string): void {
    this.claims.delete(contactId);
  }

  /** Claimed contacts that will not be dialed give their dials back to their lists (in the background). */
  giveBack(contacts: readonly LeasedContact[]): void {
    if (this.claims.size === 0) return; // nothing claimed (no capped list): free on the dial path
    const back = new Map<string, { list: string; day: string; n: number }>();
    for (const k of contacts) {
      const claim = this.claims.get(k.id);
      if (!claim) continue;
      this.claims.delete(k.id);
      const key = `${claim.list}/${claim.day}`;
      back.set(key, { ...claim, n: (back.get(key)?.n ?? 0) + 1 });
      this.full.delete(claim.list);
    }
    for (const b of back.values())
      this.deps.background(
        this.deps.repo.returnListQuota(this.deps.campaignId, b.list, b.day, b.n),
        "giving dials back to a list's daily cap failed",
        { list: b.list, day: b.day, dials: b.n },
      );
  }

  /** Contacts holding a claimed dial (tests, diagnostics). */
  get held(): number {
    return this.claims.size;
  }
}
