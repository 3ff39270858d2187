import type { DispositionRow, Repositories } from './ports/index.ts';
import { nextStep, type AttemptRecord, type NextStep } from '@outdial/domain/compliance';
import { toDb } from './attempts.ts';
import { assertCan, type Principal } from './auth.ts';
import type { EventBus } from './dialer/events.ts';
import { AppError, invalid, notFound } from './errors.ts';
import type { Clock } from './ports/index.ts';

export interface DispositionInput {
  code: string;
  notes?: string | undefined;
  /** A callback the agent booked with the customer. */
  callbackAt?: Date | null | undefined;
  /** Answers to the project's questionnaire (validated by the script engine when it arrives). */
  answers?: Record<string, unknown> | undefined;
  /** Pause the agent with this reason after the wrap-up, instead of making them ready. */
  pause?: string | undefined;
}

export interface DispositionResult {
  disposition: DispositionRow;
  /** The contact's next step from the project's rules with this disposition. */
  next: NextStep;
  /** Whether the next step was applied (false when the contact has since had a newer attempt). */
  addedToDnc: boolean;
}

/** How far ahead a callback may be booked. */
const MAX_CALLBACK_MS = 90 * 86_400_000;

/**
 * Dispositions (落单): the agent's record of a call — a code from the project's list, notes,
 * an optional callback — which decides the contact's next step (close, callback, retry) with
 * the project's rules, and may put the number on the project's do-not-call list. The
 * DispositionRecorded event it publishes ends the agent's wrap-up in the dialer, whichever way
 * the disposition came (WebSocket or REST).
 */
export class DispositionService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  async record(actor: Principal, attemptId: string, input: DispositionInput): Promise<DispositionResult> {
    assertCan(actor, 'calls:handle');
    const attempt = await this.repos.attempts.get(attemptId);
    if (!attempt || attempt.orgId !== actor.orgId) throw notFound('call attempt');
    // Another agent's call is as invisible as another organisation's (ADR 0004): 404, not 403.
    if (actor.role === 'agent' && attempt.agentUserId !== actor.userId) throw notFound('call attempt');
    if (!attempt.endedAt || !attempt.outcome)
      throw new AppError('invalid_state', 'the call is still in progress: hang up first, then record the disposition', {
        attemptId,
      });
    if (attempt.connectedAt === null)
      throw new AppError('invalid_state', 'this call never reached an agent, so it has no disposition', {
        attemptId,
        outcome: attempt.outcome,
      });
    const project = await this.repos.projects.getById(actor.orgId, attempt.projectId);
    if (!project) throw notFound('project');
    const codes = await this.repos.projects.dispositions(project.id);
    const code = codes.find((d) => d.code === input.code);
    if (!code)
      throw invalid(`unknown disposition code "${input.code}"`, { field: 'code', allowed: codes.map((d) => d.code) });
    const now = this.clock.now();
    const callbackAt = input.callbackAt ?? null;
    if (callbackAt) {
      if (Number.isNaN(callbackAt.getTime())) throw invalid('callbackAt is not a date', { field: 'callbackAt' });
      if (callbackAt.getTime() <= now.getTime())
        throw invalid('a callback must be in the future', { field: 'callbackAt' });
      if (callbackAt.getTime() > now.getTime() + MAX_CALLBACK_MS)
        throw invalid('a callback can be booked at most 90 days ahead', { field: 'callbackAt' });
    }
    const notes = input.notes ?? '';
    if (notes.length > 4000) throw invalid('notes are limited to 4,000 characters', { field: 'notes' });

    const history: AttemptRecord[] = (await this.repos.attempts.history([attempt.contactId])).map((h) => ({
      phone: h.phone,
      placedAt: h.placedAt.getTime(),
      outcome: h.outcome,
    }));
    const next = nextStep(
      project.rules,
      history,
      { placedAt: attempt.placedAt.getTime(), outcome: attempt.outcome, endedAt: attempt.endedAt.getTime() },
      { code: code.code, success: code.success, closes: code.closes, callbackAt: callbackAt?.getTime() ?? null },
    );

    // The do-not-call entry is written in the disposition's own transaction (a refused duplicate adds nothing).
    const dnc = code.addsToDnc
      ? {
          listId: await this.repos.dnc.ensureList(actor.orgId, attempt.projectId, 'default'),
          phone: attempt.phone,
          reason: `disposition ${code.code}`,
        }
      : undefined;
    const row = await this.repos.transaction(async (tx) => {
      const recorded = await tx.dispositions.record(
        {
          orgId: actor.orgId,
          projectId: attempt.projectId,
          contactId: attempt.contactId,
          attemptId,
          attemptPlacedAt: attempt.placedAt,
          agentUserId: attempt.agentUserId ?? actor.userId,
          code: code.code,
          notes,
          answers: input.answers ?? {},
          callbackAt,
          createdAt: now,
        },
        toDb(next),
        dnc,
      );
      if (!recorded) throw new AppError('conflict', 'this call already has a disposition', { attemptId });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'dispositions.recorded',
        subjectType: 'call_attempt',
        subjectId: attemptId,
        details: { code: code.code, next: next.kind, callbackAt },
      });
      return recorded;
    });
    this.events.publish({
      type: 'DispositionRecorded',
      at: now.getTime(),
      campaignId: attempt.campaignId,
      attemptId,
      contactId: attempt.contactId,
      agentId: row.agentUserId,
      code: code.code,
      next: next.kind,
      pause: input.pause ?? null,
    });
    return { disposition: row, next, addedToDnc: code.addsToDnc };
  }

  /** One call attempt with its disposition; agents see only the calls they took. */
  async attempt(actor: Principal, attemptId: string) {
    assertCan(actor, 'calls:handle');
    const a = await this.repos.attempts.get(attemptId);
    if (!a || a.orgId !== actor.orgId || (actor.role === 'agent' && a.agentUserId !== actor.userId))
      throw notFound('call attempt');
    return { ...a, disposition: (await this.repos.dispositions.forAttempt(a.id)) ?? null };
  }

  async forAttempt(actor: Principal, attemptId: string): Promise<DispositionRow> {
    assertCan(actor, 'calls:handle');
    const d = await this.repos.dispositions.forAttempt(attemptId);
    if (!d || d.orgId !== actor.orgId) throw notFound('disposition');
    if (actor.role === 'agent' && d.agentUserId !== actor.userId) throw notFound('disposition');
    return d;
  }
}
