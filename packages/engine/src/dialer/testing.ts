/**
 * Fakes of the dialer's ports for unit tests (exported through `@outdial/engine/testing`; no
 * production module imports this file): a telephony that records commands and lets the test
 * say what happens to each call, and an in-memory database for what a runner reads and writes.
 */
import type { AttemptEnd, CampaignRow, LeasedContact, OpenAttempt } from '../ports/index.ts';
import { defaultCampaignSettings, type CampaignSettings } from '@outdial/domain/campaigns';
import type { NextStep } from '@outdial/domain/compliance';
import type { AttemptRecorder } from '../attempts.ts';
import type { OriginateRequest, Telephony, TelephonyEvent } from '../telephony.ts';
import type { RunnerRepos } from './runner.ts';
import type { HistoryBucket } from './pacing-monitor.ts';

/** A carrier whose calls do only what the test tells them (`emit`). */
export class FakeTelephony implements Telephony {
  readonly originated: OriginateRequest[] = [];
  readonly connected: { callId: string; agentId: string }[] = [];
  readonly abandoned: string[] = [];
  readonly hungUp: { callId: string; cause: string }[] = [];
  /** Calls `connect` refuses (the callee hung up meanwhile). */
  readonly gone = new Set<string>();
  private readonly listeners = new Set<(e: TelephonyEvent) => void>();
  private readonly live = new Set<string>();

  originate(req: OriginateRequest): void {
    this.originated.push(req);
    this.live.add(req.callId);
  }

  connect(callId: string, agentId: string): void {
    if (this.gone.has(callId)) throw new Error(`call ${callId} is not waiting for an agent`);
    this.connected.push({ callId, agentId });
  }

  abandon(callId: string): void {
    this.abandoned.push(callId);
  }

  hangup(callId: string, cause: 'agent_hangup' | 'machine_released' | 'cancelled'): void {
    this.hungUp.push({ callId, cause });
  }

  subscribe(listener: (e: TelephonyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get activeCalls(): number {
    return this.live.size;
  }

  emit(e: TelephonyEvent): void {
    if (e.type === 'ended') this.live.delete(e.callId);
    for (const l of this.listeners) l(e);
  }
}

/** A leased contact, new, in Shanghai, from list `importId` (null: added by API). */
export function contact(n: number, extra: Partial<LeasedContact> = {}): LeasedContact {
  const phone = `+86137${String(n).padStart(8, '0')}`;
  return {
    id: `contact-${n}`,
    phone,
    phones: [phone],
    name: `客户${n}`,
    timezone: 'Asia/Shanghai',
    region: 'CN',
    status: 'new',
    attempts: 0,
    callbackAt: null,
    nextAttemptAt: null,
    priority: 0,
    importId: null,
    custom: {},
    ...extra,
  };
}

export function campaignRow(settings: Partial<CampaignSettings> = {}, at = new Date(0)): CampaignRow {
  return {
    id: 'campaign-1',
    orgId: 'org-1',
    projectId: 'project-1',
    name: 'test',
    status: 'running',
    settings: { ...defaultCampaignSettings(), ...settings },
    finishReason: null,
    statusReason: null,
    createdBy: null,
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    finishedAt: null,
  };
}

type Campaigns = RunnerRepos['campaigns'];

/**
 * What a runner reads and writes, in memory: contacts leased in order (a lease lasts until
 * released, deferred or dialed), lists' daily counts, preview decisions, the history buckets
 * and the do-not-call numbers. Every write is kept for the test to look at.
 */
export class MemoryDialerStore {
  readonly contacts: LeasedContact[];
  readonly leased = new Set<string>();
  readonly released: string[] = [];
  readonly deferred: { contactId: string; until: Date | null; close: { reason: string } | null }[] = [];
  readonly previews: Parameters<Campaigns['recordPreview']>[0][] = [];
  /** Used dials by `list/day`. */
  readonly quota = new Map<string, number>();
  readonly reconciled: { lists: readonly string[]; day: string }[] = [];
  readonly blocked = new Set<string>();
  /** Past attempts, for the compliance gate. */
  readonly history: Awaited<ReturnType<RunnerRepos['attempts']['history']>> = [];
  hours: HistoryBucket[] = [];
  minutes: HistoryBucket[] = [];
  /** Set to make the history read fail (the database is away). */
  historyFails: Error | null = null;
  /** Contacts not closed, for `remaining`. */
  open: number | null = null;
  leases = 0;

  constructor(contacts: LeasedContact[] = []) {
    this.contacts = contacts;
  }

  readonly repos: RunnerRepos = {
    campaigns: {
      lease: (a) => {
        this.leases++;
        const out: LeasedContact[] = [];
        for (const k of this.contacts) {
          if (out.length >= a.limit) break;
          if (this.leased.has(k.id) || this.deferred.some((d) => d.contactId === k.id)) continue;
          if (a.lists?.length && !a.lists.includes(k.importId ?? '')) continue;
          if (a.excludeLists?.includes(k.importId ?? '')) continue;
          this.leased.add(k.id);
          out.push(k);
        }
        return Promise.resolve(out);
      },
      leaseContact: (_c, contactId) => {
        const k = this.contacts.find((x) => x.id === contactId);
        if (!k || this.leased.has(k.id)) return Promise.resolve(undefined);
        this.leased.add(k.id);
        return Promise.resolve(k);
      },
      release: (_c, ids) => {
        for (const id of ids) {
          this.leased.delete(id);
          this.released.push(id);
        }
        return Promise.resolve();
      },
      defer: (_c, contactId, until, close) => {
        this.leased.delete(contactId);
        this.deferred.push({ contactId, until, close });
        return Promise.resolve();
      },
      remaining: () => Promise.resolve(this.open ?? this.contacts.length - this.deferred.filter((d) => d.close).length),
      recordPreview: (p) => {
        this.previews.push(p);
        return Promise.resolve();
      },
      claimListQuota: (_c, list, day, _start, n, cap) => {
        const key = `${list}/${day}`;
        const used = this.quota.get(key) ?? 0;
        const granted = Math.max(0, Math.min(n, cap - used));
        this.quota.set(key, used + granted);
        return Promise.resolve(granted);
      },
      returnListQuota: (_c, list, day, n) => {
        const key = `${list}/${day}`;
        this.quota.set(key, Math.max(0, (this.quota.get(key) ?? 0) - n));
        return Promise.resolve();
      },
      reconcileListQuota: (_c, lists, day) => {
        this.reconciled.push({ lists, day });
        return Promise.resolve();
      },
    },
    attempts: {
      campaignBuckets: (_c, _since, unit) => {
        if (this.historyFails) return Promise.reject(this.historyFails);
        return Promise.resolve(unit === 'hour' ? this.hours : this.minutes);
      },
      history: (ids) => Promise.resolve(this.history.filter((h) => ids.includes(h.contactId))),
    },
    dnc: {
      blocked: (_o, _p, phones) => Promise.resolve(new Set(phones.filter((p) => this.blocked.has(p)))),
      ensureList: () => Promise.resolve('ivr-dnc-list'),
      addEntries: (_l, entries) => {
        for (const e of entries) this.blocked.add(e.phone);
        return Promise.resolve(entries.length);
      },
    },
  };
}

/**
 * The attempt recorder's side as a runner sees it: attempts get ids `attempt-1`, `attempt-2`…
 * in the order they are placed; ends are kept (each attempt once) and answered with a retry.
 */
export class MemoryAttempts implements Pick<AttemptRecorder, 'placed' | 'progress' | 'ended'> {
  readonly placedRows: OpenAttempt[] = [];
  readonly progressed: { id: string; p: Parameters<AttemptRecorder['progress']>[1] }[] = [];
  readonly ends = new Map<string, AttemptEnd>();
  /** How many of the next `ended` writes fail. */
  failEnds = 0;
  failPlaced: Error | null = null;

  placed(a: OpenAttempt): Promise<string> {
    if (this.failPlaced) return Promise.reject(this.failPlaced);
    this.placedRows.push(a);
    return Promise.resolve(`attempt-${this.placedRows.length}`);
  }

  progress(id: string, p: Parameters<AttemptRecorder['progress']>[1]): Promise<void> {
    this.progressed.push({ id, p });
    return Promise.resolve();
  }

  ended(id: string, end: AttemptEnd): Promise<{ recorded: boolean; next: NextStep | null }> {
    if (this.failEnds > 0) {
      this.failEnds--;
      return Promise.reject(new Error('connection reset'));
    }
    if (this.ends.has(id)) return Promise.resolve({ recorded: false, next: null });
    this.ends.set(id, end);
    return Promise.resolve({ recorded: true, next: { kind: 'retry', at: end.endedAt.getTime() + 3_600_000 } });
  }
}
