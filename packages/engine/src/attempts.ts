import type { AttemptEnd, AttemptRow, ContactNext, OpenAttempt, Repositories } from '@outdial/db';
import { nextStep, type AttemptRecord, type DispositionEffect, type NextStep } from '@outdial/domain/compliance';
import { notFound } from './errors.ts';
import type { Clock } from './ports.ts';

/**
 * Every call attempt ends with exactly one outcome record and the contact's next step (issue 4).
 * The attempt row is written before the dial; its end is written once, with the next step from
 * the project's rules (domain `nextStep`) in the same transaction. Attempts a crash left open
 * are closed by `recover` at the next start, judged by how far they got.
 */
export class AttemptRecorder {
  constructor(private readonly repos: Repositories, private readonly clock: Clock) {}

  placed(a: OpenAttempt): Promise<string> {
    return this.repos.attempts.open(a);
  }

  /** Records the end of an attempt; `recorded: false` when it had already ended (duplicate event). */
  async ended(attemptId: string, end: AttemptEnd, disposition: DispositionEffect | null = null): Promise<{ recorded: boolean; next: NextStep | null }> {
    const attempt = await this.repos.attempts.get(attemptId);
    if (!attempt) throw notFound('call attempt');
    if (attempt.endedAt) return { recorded: false, next: null };
    const next = await this.decide(attempt, end, disposition);
    const recorded = await this.repos.attempts.finish(attemptId, end, toDb(next));
    return { recorded, next: recorded ? next : null };
  }

  /**
   * Closes attempts left open for longer than `staleMs` (the process that placed them died).
   * Answered but never connected counts as abandoned — the callee picked up and heard nobody,
   * so the 72-hour rule must apply; connected counts as a person reached; anything else failed.
   */
  async recover(staleMs: number): Promise<number> {
    const now = this.clock.now();
    let closed = 0;
    for (const a of await this.repos.attempts.openBefore(new Date(now.getTime() - staleMs))) {
      const outcome = a.connectedAt ? 'person' : a.answeredAt ? 'abandoned' : 'failed';
      const end: AttemptEnd = {
        outcome, endedAt: now, answeredAt: null, connectedAt: null, agentUserId: null,
        hangupSide: 'system', sipCause: 500, amdResult: null, abandoned: outcome === 'abandoned',
      };
      if ((await this.ended(a.id, end)).recorded) closed++;
    }
    return closed;
  }

  private async decide(attempt: AttemptRow, end: AttemptEnd, disposition: DispositionEffect | null): Promise<NextStep> {
    const project = await this.repos.projects.getById(attempt.orgId, attempt.projectId);
    if (!project) throw notFound('project');
    const history: AttemptRecord[] = (await this.repos.attempts.history([attempt.contactId])).map((h) => ({
      phone: h.phone,
      placedAt: h.placedAt.getTime(),
      // The attempt being closed carries the outcome it is about to get.
      outcome: h.id === attempt.id ? end.outcome : h.outcome,
    }));
    return nextStep(project.rules, history, { placedAt: attempt.placedAt.getTime(), outcome: end.outcome, endedAt: end.endedAt.getTime() }, disposition);
  }
}

function toDb(n: NextStep): ContactNext {
  return n.kind === 'closed' ? n : { kind: n.kind, at: new Date(n.at) };
}
