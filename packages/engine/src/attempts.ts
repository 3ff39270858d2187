import type { AttemptEnd, ContactNext, OpenAttempt, Repositories } from './ports/index.ts';
import { nextStep, type AttemptRecord, type DispositionEffect, type NextStep } from '@outdial/domain/compliance';
import type { ProjectRules } from '@outdial/domain/projects';
import { notFound } from './errors.ts';
import { GroupCommit } from './group-commit.ts';
import type { Clock } from './ports/index.ts';

type Progress = {
  answeredAt?: Date;
  connectedAt?: Date;
  agentUserId?: string;
  amdResult?: 'human' | 'machine' | 'unknown';
};
type EndItem = { id: string; end: AttemptEnd; disposition: DispositionEffect | null };
type EndResult = { recorded: boolean; next: NextStep | null; missing?: true };

/** How long a project's rules are reused for next steps before they are read again. */
const RULES_TTL_MS = 10_000;

/**
 * Every call attempt ends with exactly one outcome record and the contact's next step.
 * The attempt row is written before the dial; its end is written once, with the next step from
 * the project's rules (domain `nextStep`) in the same transaction. Attempts a crash left open
 * are closed by `recover` at the next start, judged by how far they got.
 *
 * Writes go through group commits: each caller awaits its own attempt, while the database sees
 * one transaction per batch (≥ 500 attempts/s on two cores, ADR 0010).
 */
export class AttemptRecorder {
  private readonly opens: GroupCommit<OpenAttempt, string>;
  private readonly ends: GroupCommit<EndItem, EndResult>;
  private readonly progresses: GroupCommit<{ id: string; p: Progress }, null>;
  private readonly rules = new Map<string, { rules: ProjectRules; at: number }>();

  /** `nodeId`: this process, stamped on every attempt it places (crash recovery across nodes). */
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    readonly nodeId: string | null = null,
  ) {
    this.opens = new GroupCommit((rows) => this.repos.attempts.openMany(rows));
    this.ends = new GroupCommit((items) => this.finishBatch(items));
    this.progresses = new GroupCommit(async (items) => {
      // One row per attempt: an answer and a connection queued together are merged.
      const merged = new Map<string, { id: string } & Progress>();
      for (const { id, p } of items) merged.set(id, { ...merged.get(id), ...p, id });
      await this.repos.attempts.progressMany([...merged.values()]);
      return items.map(() => null);
    });
  }

  placed(a: OpenAttempt): Promise<string> {
    return this.opens.submit({ ...a, nodeId: this.nodeId });
  }

  /** Marks the answer / the connection to an agent on a live attempt. */
  async progress(attemptId: string, p: Progress): Promise<void> {
    await this.progresses.submit({ id: attemptId, p });
  }

  /** Records the end of an attempt; `recorded: false` when it had already ended (duplicate event). */
  async ended(
    attemptId: string,
    end: AttemptEnd,
    disposition: DispositionEffect | null = null,
  ): Promise<{ recorded: boolean; next: NextStep | null }> {
    const r = await this.ends.submit({ id: attemptId, end, disposition });
    if (r.missing) throw notFound('call attempt');
    return { recorded: r.recorded, next: r.next };
  }

  private async projectRules(orgId: string, projectId: string): Promise<ProjectRules> {
    const now = Date.now();
    const hit = this.rules.get(projectId);
    if (hit && now - hit.at < RULES_TTL_MS) return hit.rules;
    const project = await this.repos.projects.getById(orgId, projectId);
    if (!project) throw notFound('project');
    this.rules.set(projectId, { rules: project.rules, at: now });
    return project.rules;
  }

  /** A batch of ends: one read of the attempts, one of their contacts' histories, one write per round. */
  private async finishBatch(items: EndItem[]): Promise<EndResult[]> {
    const rows = new Map((await this.repos.attempts.getMany(items.map((i) => i.id))).map((r) => [r.id, r]));
    const open = items.filter((i) => rows.get(i.id) && !rows.get(i.id)!.endedAt);
    const history = await this.repos.attempts.history([...new Set(open.map((i) => rows.get(i.id)!.contactId))]);
    const byContact = new Map<string, typeof history>();
    for (const h of history) byContact.set(h.contactId, [...(byContact.get(h.contactId) ?? []), h]);
    const decided = new Map<string, NextStep>();
    for (const i of open) {
      const a = rows.get(i.id)!;
      const rules = await this.projectRules(a.orgId, a.projectId);
      const records: AttemptRecord[] = (byContact.get(a.contactId) ?? []).map((h) => ({
        phone: h.phone,
        placedAt: h.placedAt.getTime(),
        // The attempt being closed carries the outcome it is about to get.
        outcome: h.id === a.id ? i.end.outcome : h.outcome,
      }));
      decided.set(
        i.id,
        nextStep(
          rules,
          records,
          { placedAt: a.placedAt.getTime(), outcome: i.end.outcome, endedAt: i.end.endedAt.getTime() },
          i.disposition,
        ),
      );
    }
    // A contact at most once per write (its counters and next step are one row): rare repeats go in later rounds.
    const recorded = new Set<string>();
    let pending = open;
    while (pending.length) {
      const seen = new Set<string>();
      const round: EndItem[] = [];
      const later: EndItem[] = [];
      for (const i of pending) {
        const c = rows.get(i.id)!.contactId;
        (seen.has(c) ? later : round).push(i);
        seen.add(c);
      }
      const ok = await this.repos.attempts.finishMany(
        round.map((i) => ({ id: i.id, end: i.end, next: toDb(decided.get(i.id)!) })),
      );
      round.forEach((i, k) => ok[k] && recorded.add(i.id));
      pending = later;
    }
    return items.map((i): EndResult => {
      if (!rows.get(i.id)) return { recorded: false, next: null, missing: true };
      return recorded.has(i.id) ? { recorded: true, next: decided.get(i.id)! } : { recorded: false, next: null };
    });
  }

  /**
   * Closes attempts whose process died: those of another node that no longer holds its lock
   * (`nodeAlive`, PostgreSQL: found at once), and any without a node older than `staleMs`.
   * Answered but never connected counts as abandoned — the callee picked up and heard nobody,
   * so the 72-hour rule must apply; connected counts as a person reached; anything else failed.
   */
  async recover(staleMs: number): Promise<number> {
    const now = this.clock.now();
    let closed = 0;
    const alive = new Map<string, boolean>();
    for (const a of await this.repos.attempts.openBefore(now, this.nodeId)) {
      let dead: boolean;
      if (a.nodeId) {
        if (!alive.has(a.nodeId)) alive.set(a.nodeId, await this.repos.attempts.nodeAlive(a.nodeId));
        dead = !alive.get(a.nodeId);
      } else dead = a.placedAt.getTime() < now.getTime() - staleMs;
      if (!dead) continue;
      const outcome = a.connectedAt ? 'person' : a.answeredAt ? 'abandoned' : 'failed';
      const end: AttemptEnd = {
        outcome,
        endedAt: now,
        answeredAt: null,
        connectedAt: null,
        agentUserId: null,
        hangupSide: 'system',
        sipCause: 500,
        amdResult: null,
        abandoned: outcome === 'abandoned',
      };
      if ((await this.ended(a.id, end)).recorded) closed++;
    }
    return closed;
  }
}

export function toDb(n: NextStep): ContactNext {
  return n.kind === 'closed' ? n : { kind: n.kind, at: new Date(n.at) };
}
